#!/usr/bin/env bash
# Retention benchmark: a repository holding N snapshots of the mutated bench dataset (one
# `mutate_dataset.py` day between snapshots), then `forget --keep-last 5 --prune`, timed with
# GNU time (seconds and peak RSS), cnxbackup beside restic, on the fs backend and/or on the
# loopback S3 server (started by scripts/lib/ensure.sh).
#
# Usage: scripts/bench/prune.sh [-s SIZE_MIB] [-n SNAPSHOTS] [-b BACKENDS] [-S SERVER] [-w WORKDIR] [-k]
#   -s  dataset size in MiB (default 256)
#   -n  snapshots before the forget (default 30)
#   -b  "fs", "s3" or "fs s3" (default "fs s3")
#   -S  the S3 server: "bench" (default; scripts/bench/s3-bench-server) or "s3s-fs" (the test
#       suite's server, on which restic cannot prune: it answers minio-go's `delimiter=` with
#       no keys, so restic finds none of its packs)
#   -w  work directory (default /tmp/prunebench, must not exist); removed afterwards unless -k
# Environment: CNXBACKUP (binary; default: cargo build --release), RESTIC (default restic).
#
# cnxbackup runs with `--grace 0` (no backup runs meanwhile), so its prune deletes in the
# same run, as restic's does; without it, the packs would only be marked for a later prune.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
SHARED=${SHARED_BENCH:-$ROOT/../shared/bench}
SIZE=256 SNAPS=30 BACKENDS="fs s3" SERVER=bench WORK=/tmp/prunebench KEEP=0
while getopts "s:n:b:S:w:kh" o; do
  case $o in
    s) SIZE=$OPTARG ;; n) SNAPS=$OPTARG ;; b) BACKENDS=$OPTARG ;; S) SERVER=$OPTARG ;;
    w) WORK=$OPTARG ;; k) KEEP=1 ;;
    *) sed -n '2,18p' "$0"; exit 2 ;;
  esac
done
. "$ROOT/scripts/lib/ensure.sh"
ensure_cnxbackup_binary || exit 2
RESTIC=${RESTIC:-restic}
export CNXBACKUP_PASSWORD=prunebench RESTIC_PASSWORD=prunebench
RUN=$(date +%s)
if [ -e "$WORK" ]; then
  echo "$WORK exists: remove it or give another work directory with -w" >&2
  exit 2
fi
mkdir -p "$WORK"
S3_EP='' S3_BUCKET='' BENCH_S3_PID=''
# (the loopback servers keep objects as files under their data directories: dropped too)
cleanup() {
  [ -z "$BENCH_S3_PID" ] || kill "$BENCH_S3_PID" 2>/dev/null || true
  stop_s3_server
  [ "$KEEP" = 1 ] || rm -rf "$WORK"
}
trap cleanup EXIT
case " $BACKENDS " in
  *" s3 "*)
    case $SERVER in
      bench)
        start_s3_bench_server "$WORK"
        S3_EP=$BENCH_S3_ENDPOINT S3_BUCKET=$BENCH_S3_BUCKET
        export AWS_ACCESS_KEY_ID=$BENCH_S3_ACCESS_KEY AWS_SECRET_ACCESS_KEY=$BENCH_S3_SECRET_KEY
        ;;
      s3s-fs)
        start_s3_server "$WORK/s3s-fs"
        S3_EP=$CNXBACKUP_TEST_S3_ENDPOINT S3_BUCKET=$CNXBACKUP_TEST_S3_BUCKET
        export AWS_ACCESS_KEY_ID=$CNXBACKUP_TEST_S3_ACCESS_KEY
        export AWS_SECRET_ACCESS_KEY=$CNXBACKUP_TEST_S3_SECRET_KEY
        ;;
      *) echo "-S: unknown server \"$SERVER\" (bench or s3s-fs)" >&2; exit 2 ;;
    esac
    export CNXBACKUP_S3_ENDPOINT=$S3_EP
    ;;
esac

CSV=$WORK/prunebench-$RUN.csv
echo "step,seconds,peak_rss_mib" > "$CSV"
. "$ROOT/scripts/bench/timing.sh"

# repository locations per backend
cnx_repo() {
  case $1 in
    fs) echo "$WORK/cnx-fs" ;;
    s3) echo "s3://$S3_BUCKET/prunebench-$RUN/cnx" ;;
  esac
}
restic_repo() {
  case $1 in
    fs) echo "$WORK/restic-fs" ;;
    s3) echo "s3:$S3_EP/$S3_BUCKET/prunebench-$RUN/restic" ;;
  esac
}

SRC=$WORK/src
python3 "$SHARED/gen_dataset.py" --size-mib "$SIZE" "$SRC" > /dev/null
for b in $BACKENDS; do
  "$CNXBACKUP" -q --repo "$(cnx_repo "$b")" init > /dev/null
  "$RESTIC" -q -r "$(restic_repo "$b")" init > /dev/null
done
echo "== $SNAPS snapshots of the mutated $SIZE MiB dataset ($BACKENDS)"
start=$(date +%s)
for day in $(seq 1 "$SNAPS"); do
  [ "$day" = 1 ] || python3 "$SHARED/mutate_dataset.py" --day "$day" "$SRC" > /dev/null
  for b in $BACKENDS; do
    "$CNXBACKUP" -q --repo "$(cnx_repo "$b")" backup --path "$SRC" --host bench > /dev/null
    "$RESTIC" -q -r "$(restic_repo "$b")" backup "$SRC" --host bench > /dev/null
  done
done
echo "   ($(( $(date +%s) - start )) s to build the repositories)"
for b in $BACKENDS; do
  [ "$b" = fs ] && du -sm "$(cnx_repo fs)" "$(restic_repo fs)" | sed 's/^/   size MiB: /'
  sync
  timed "cnx-$b-forget-prune" "$CNXBACKUP" --repo "$(cnx_repo "$b")" forget --keep-last 5 --prune --grace 0
  if ! timed "restic-$b-forget-prune" "$RESTIC" -r "$(restic_repo "$b")" forget --keep-last 5 --prune; then
    # expected on s3s-fs: it answers minio-go's recursive listing (`delimiter=`) with no
    # keys, so restic finds none of its packs ("packs from index missing in repo")
    echo "   restic forget --prune failed ($b, $SERVER server)" >&2
  fi
  echo "   ratio cnxbackup/restic ($b): $(ratio "cnx-$b-forget-prune" "restic-$b-forget-prune")"
  [ "$b" = fs ] && du -sm "$(cnx_repo fs)" "$(restic_repo fs)" | sed 's/^/   size after, MiB: /'
  # both repositories still pass their checks
  "$CNXBACKUP" -q --repo "$(cnx_repo "$b")" check > /dev/null && echo "   cnxbackup check ($b): ok"
  "$RESTIC" -q -r "$(restic_repo "$b")" check > /dev/null 2>&1 && echo "   restic check ($b): ok"
done
cp "$CSV" "/tmp/prunebench-$RUN.csv"
echo "CSV: /tmp/prunebench-$RUN.csv"

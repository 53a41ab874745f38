#!/usr/bin/env bash
# Retention benchmark: a repository holding N snapshots of the mutated bench dataset (one
# `mutate_dataset.py` day between snapshots), then `forget --keep-last 5 --prune`, timed with
# GNU time (seconds and peak RSS), cnxbackup beside restic, on the fs backend and/or on the
# loopback S3 server (s3s-fs, started by scripts/lib/ensure.sh).
#
# Usage: scripts/bench/prune.sh [-s SIZE_MIB] [-n SNAPSHOTS] [-b BACKENDS] [-w WORKDIR] [-k]
#   -s  dataset size in MiB (default 256)
#   -n  snapshots before the forget (default 30)
#   -b  "fs", "s3" or "fs s3" (default "fs s3")
#   -w  work directory (default /tmp/prunebench); removed afterwards unless -k
# Environment: CNXBACKUP (binary; default: cargo build --release), RESTIC (default restic).
#
# cnxbackup runs with `--grace 0` (no backup runs meanwhile), so its prune deletes in the
# same run, as restic's does; without it, the packs would only be marked for a later prune.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
SHARED=${SHARED_BENCH:-$ROOT/../shared/bench}
SIZE=256 SNAPS=30 BACKENDS="fs s3" WORK=/tmp/prunebench KEEP=0
while getopts "s:n:b:w:kh" o; do
  case $o in
    s) SIZE=$OPTARG ;; n) SNAPS=$OPTARG ;; b) BACKENDS=$OPTARG ;; w) WORK=$OPTARG ;;
    k) KEEP=1 ;;
    *) sed -n '2,15p' "$0"; exit 2 ;;
  esac
done
if [ -z "${CNXBACKUP:-}" ]; then
  (cd "$ROOT" && cargo build --release -p cnxbackup >&2)
  CNXBACKUP=${CARGO_TARGET_DIR:-$ROOT/target}/release/cnxbackup
fi
[ -x "$CNXBACKUP" ] || { echo "no cnxbackup binary at $CNXBACKUP" >&2; exit 2; }
RESTIC=${RESTIC:-restic}
export CNXBACKUP_PASSWORD=prunebench RESTIC_PASSWORD=prunebench
RUN=$(date +%s)
case " $BACKENDS " in
  *" s3 "*)
    . "$ROOT/scripts/lib/ensure.sh"
    start_s3_server
    export AWS_ACCESS_KEY_ID=$CNXBACKUP_TEST_S3_ACCESS_KEY
    export AWS_SECRET_ACCESS_KEY=$CNXBACKUP_TEST_S3_SECRET_KEY
    export CNXBACKUP_S3_ENDPOINT=$CNXBACKUP_TEST_S3_ENDPOINT
    ;;
esac
mkdir -p "$WORK"
# (the loopback server keeps objects as files under its data directory: dropped too)
cleanup() {
  [ "$KEEP" = 1 ] || rm -rf "$WORK"
  rm -rf "${CNXBACKUP_TEST_S3_DIR:-/tmp/cnxbackup-test-s3}/data/${CNXBACKUP_TEST_S3_BUCKET:-none}/prunebench-$RUN"
}
trap cleanup EXIT

CSV=$WORK/prunebench-$RUN.csv
echo "step,seconds,peak_rss_mib" > "$CSV"
# timed NAME CMD...: run under GNU time, print "NAME seconds peakRSS", append to the CSV
timed() {
  local name=$1; shift
  local out; out=$(mktemp)
  /usr/bin/time -f "%e %M" -o "$out" "$@" > "$WORK/$name.log" 2>&1 || { cat "$WORK/$name.log" >&2; return 1; }
  read -r secs kib < "$out"; rm -f "$out"
  printf '%-32s %8.2f s %8d MiB\n' "$name" "$secs" $((kib / 1024))
  echo "$name,$secs,$((kib / 1024))" >> "$CSV"
}
secs_of() { awk -F, -v n="$1" '$1==n {print $2}' "$CSV"; }
ratio() { awk -v a="$(secs_of "$1")" -v b="$(secs_of "$2")" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }'; }

# repository locations per backend
cnx_repo() {
  case $1 in
    fs) echo "$WORK/cnx-fs" ;;
    s3) echo "s3://$CNXBACKUP_TEST_S3_BUCKET/prunebench-$RUN/cnx" ;;
  esac
}
restic_repo() {
  case $1 in
    fs) echo "$WORK/restic-fs" ;;
    s3) echo "s3:$CNXBACKUP_TEST_S3_ENDPOINT/$CNXBACKUP_TEST_S3_BUCKET/prunebench-$RUN/restic" ;;
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
    # restic's prune has been seen to miss most packs listing a large repository on s3s-fs
    # ("packs from index missing in repo"): once more with the ListObjects v1 API (the
    # snapshots are already forgotten: this measures the prune alone)
    echo "   restic forget --prune failed ($b); retrying with -o s3.list-objects-v1=true" >&2
    timed "restic-$b-prune-retry" "$RESTIC" -o s3.list-objects-v1=true -r "$(restic_repo "$b")" prune || true
  fi
  echo "   ratio cnxbackup/restic ($b): $(ratio "cnx-$b-forget-prune" "restic-$b-forget-prune")"
  [ "$b" = fs ] && du -sm "$(cnx_repo fs)" "$(restic_repo fs)" | sed 's/^/   size after, MiB: /'
  # both repositories still pass their checks
  "$CNXBACKUP" -q --repo "$(cnx_repo "$b")" check > /dev/null && echo "   cnxbackup check ($b): ok"
  "$RESTIC" -q -r "$(restic_repo "$b")" check > /dev/null 2>&1 && echo "   restic check ($b): ok"
done
cp "$CSV" "/tmp/prunebench-$RUN.csv"
echo "CSV: /tmp/prunebench-$RUN.csv"

#!/usr/bin/env bash
# Offsite copy benchmark (issue 18): a source repository holding N snapshots of the mutated
# bench dataset (one `mutate_dataset.py` day between snapshots), copied into an empty second
# repository (everything), then one more day backed up and copied again (only what the
# destination lacks), cnxbackup `copy --to` beside restic `copy --from-repo`, timed with GNU
# time (seconds and peak RSS), into a local repository and/or the loopback S3 server. Each
# destination is checked afterwards (cnxbackup `check --read-data`, restic `check
# --read-data`).
#
# Usage: scripts/bench/copy.sh [-s SIZE_MIB] [-n SNAPSHOTS] [-b BACKENDS] [-w WORKDIR] [-k]
#   -s  dataset size in MiB (default 512)
#   -n  snapshots in the source before the first copy (default 5)
#   -b  destinations: "fs", "s3" or "fs s3" (default "fs s3"; S3 is
#       scripts/bench/s3-bench-server on loopback)
#   -w  work directory (default /tmp/copybench, must not exist); removed afterwards unless -k
# Environment: CNXBACKUP (binary; default: cargo build --release), RESTIC (default restic).
#
# restic's destination is initialised with `--copy-chunker-params`, so its copy too sends
# each blob once and deduplicates against what the destination holds (restic's own advice).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
SHARED=${SHARED_BENCH:-$ROOT/../shared/bench}
SIZE=512 SNAPS=5 BACKENDS="fs s3" WORK=/tmp/copybench KEEP=0
while getopts "s:n:b:w:kh" o; do
  case $o in
    s) SIZE=$OPTARG ;; n) SNAPS=$OPTARG ;; b) BACKENDS=$OPTARG ;; w) WORK=$OPTARG ;;
    k) KEEP=1 ;;
    *) sed -n '2,19p' "$0"; exit 2 ;;
  esac
done
. "$ROOT/scripts/lib/ensure.sh"
ensure_cnxbackup_binary || exit 2
RESTIC=${RESTIC:-restic}
command -v "$RESTIC" >/dev/null || ensure_apt restic
if [ -e "$WORK" ]; then
  echo "$WORK exists: remove it or give another work directory with -w" >&2
  exit 2
fi
case $WORK in *[[:space:]]*) echo "-w: a work directory without spaces, please" >&2; exit 2 ;; esac
mkdir -p "$WORK"
# the source's password, and another for every destination (a copy re-keys nothing, but the
# destination's key file is its own)
export CNXBACKUP_PASSWORD=copybench-src RESTIC_PASSWORD=copybench-src
printf 'copybench-dst' > "$WORK/dst-password"
BENCH_S3_PID=''
cleanup() {
  [ -z "$BENCH_S3_PID" ] || kill "$BENCH_S3_PID" 2>/dev/null || true
  [ "$KEEP" = 1 ] || rm -rf "$WORK"
}
trap cleanup EXIT
case " $BACKENDS " in
  *" s3 "*)
    start_s3_bench_server "$WORK"
    export CNXBACKUP_S3_ENDPOINT=$BENCH_S3_ENDPOINT
    export AWS_ACCESS_KEY_ID=$BENCH_S3_ACCESS_KEY AWS_SECRET_ACCESS_KEY=$BENCH_S3_SECRET_KEY
    ;;
esac

CSV=$WORK/copybench.csv
echo "step,seconds,peak_rss_mib" > "$CSV"
. "$ROOT/scripts/bench/timing.sh"

CNX_SRC=$WORK/cnx-src RESTIC_SRC=$WORK/restic-src
cnx_dst() {
  case $1 in fs) echo "$WORK/cnx-dst" ;; s3) echo "s3://$BENCH_S3_BUCKET/copybench/cnx" ;; esac
}
restic_dst() {
  case $1 in fs) echo "$WORK/restic-dst" ;; s3) echo "s3:$BENCH_S3_ENDPOINT/$BENCH_S3_BUCKET/copybench/restic" ;; esac
}
printf 'copybench-src' > "$WORK/src-password"
# the copy commands (run under GNU time: commands, not shell functions)
cnx_copy() {
  echo "$CNXBACKUP" --repo "$CNX_SRC" copy --to "$(cnx_dst "$1")" --to-password-file "$WORK/dst-password"
}
restic_copy() {
  echo "$RESTIC" -r "$(restic_dst "$1")" --password-file "$WORK/dst-password" copy \
    --from-repo "$RESTIC_SRC" --from-password-file "$WORK/src-password"
}

SRC=$WORK/src
python3 "$SHARED/gen_dataset.py" --size-mib "$SIZE" "$SRC" > /dev/null
"$CNXBACKUP" -q --repo "$CNX_SRC" init > /dev/null
"$RESTIC" -q -r "$RESTIC_SRC" init > /dev/null
backup_day() {
  [ "$1" = 1 ] || python3 "$SHARED/mutate_dataset.py" --day "$1" "$SRC" > /dev/null
  "$CNXBACKUP" -q --repo "$CNX_SRC" backup --path "$SRC" --host bench > /dev/null
  "$RESTIC" -q -r "$RESTIC_SRC" backup "$SRC" --host bench > /dev/null
}
echo "== sources: $SNAPS snapshots of the mutated $SIZE MiB dataset"
for day in $(seq 1 "$SNAPS"); do backup_day "$day"; done
du -sm "$CNX_SRC" "$RESTIC_SRC" | sed 's/^/   size MiB: /'
echo "machine: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
for b in $BACKENDS; do
  "$RESTIC" -q -r "$(restic_dst "$b")" --password-file "$WORK/dst-password" init \
    --from-repo "$RESTIC_SRC" --from-password-file "$WORK/src-password" --copy-chunker-params > /dev/null
done

echo "== first copy: every snapshot into an empty destination"
for b in $BACKENDS; do
  sync
  # shellcheck disable=SC2046 # the paths hold no spaces (the work directory is checked)
  timed "cnx-$b-first" $(cnx_copy "$b")
  # shellcheck disable=SC2046
  timed "restic-$b-first" $(restic_copy "$b")
done
echo "== one more day, copied again (only the new blobs travel)"
backup_day $((SNAPS + 1))
for b in $BACKENDS; do
  sync
  # shellcheck disable=SC2046
  timed "cnx-$b-next" $(cnx_copy "$b")
  # shellcheck disable=SC2046
  timed "restic-$b-next" $(restic_copy "$b")
done
echo "== destinations read back whole"
for b in $BACKENDS; do
  timed "cnx-$b-check-read-data" "$CNXBACKUP" --repo "$(cnx_dst "$b")" \
    --password-file "$WORK/dst-password" check --read-data
  timed "restic-$b-check-read-data" "$RESTIC" -r "$(restic_dst "$b")" \
    --password-file "$WORK/dst-password" check --read-data
done
echo "== ratios cnxbackup / restic (lower is faster)"
for b in $BACKENDS; do
  echo "   $b: first copy $(ratio "cnx-$b-first" "restic-$b-first"), next copy $(ratio "cnx-$b-next" "restic-$b-next")"
done
SRC_MIB=$(du -sm "$CNX_SRC" | cut -f1)
for b in $BACKENDS; do
  awk -v s="$(secs_of "cnx-$b-first")" -v m="$SRC_MIB" -v b="$b" \
    'BEGIN { printf "   cnxbackup first copy throughput (%s): %.0f MiB/s of repository\n", b, m / s }'
done
echo "load average after the runs: $(cut -d' ' -f1-3 /proc/loadavg)"
cp "$CSV" "/tmp/copybench-$(date +%s).csv"

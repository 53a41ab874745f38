#!/usr/bin/env bash
# S3 benchmark: cnxbackup backup + restore of the bench dataset to the loopback S3 server
# (s3s-fs, started by scripts/lib/ensure.sh) against the same on the fs backend, and restic's
# S3 backend against the same server; then `forget --prune` on a repository of N snapshots of
# the mutated dataset, cnxbackup beside restic (time and peak RSS, GNU time).
#
# Usage: scripts/bench/s3.sh [-s SIZE_MIB] [-n SNAPSHOTS] [-w WORKDIR]
#   -s  dataset size in MiB (default 2048; use 256 while developing)
#   -n  snapshots for forget --prune (default 0: skipped; scripts/bench/prune.sh is the
#       fuller retention benchmark, fs and S3)
#   -w  work directory (default /tmp/s3bench)
#   -p  pin: the S3 server to CPU 1, every timed client (cnxbackup on fs and S3, restic) to
#       CPU 0 — on a 2-core machine this stands in for a server on its own machine, which a
#       loopback server otherwise is not: it takes as much CPU as the client (e.g. 4.2 s of
#       server CPU for a 1 GiB restore)
# Environment: CNXBACKUP (binary; default: cargo build --release), RESTIC (default restic).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
. "$ROOT/scripts/lib/ensure.sh"
SHARED=${SHARED_BENCH:-$ROOT/../shared/bench}
SIZE=2048 SNAPS=0 WORK=/tmp/s3bench
PIN=0
while getopts "s:n:w:ph" o; do
  case $o in
    s) SIZE=$OPTARG ;; n) SNAPS=$OPTARG ;; w) WORK=$OPTARG ;; p) PIN=1 ;;
    *) sed -n '2,16p' "$0"; exit 2 ;;
  esac
done
if [ -z "${CNXBACKUP:-}" ]; then
  (cd "$ROOT" && cargo build --release -p cnxbackup >&2)
  CNXBACKUP=${CARGO_TARGET_DIR:-$ROOT/target}/release/cnxbackup
fi
RESTIC=${RESTIC:-restic}
start_s3_server
EP=$CNXBACKUP_TEST_S3_ENDPOINT BUCKET=$CNXBACKUP_TEST_S3_BUCKET
export AWS_ACCESS_KEY_ID=$CNXBACKUP_TEST_S3_ACCESS_KEY AWS_SECRET_ACCESS_KEY=$CNXBACKUP_TEST_S3_SECRET_KEY
export CNXBACKUP_S3_ENDPOINT=$EP CNXBACKUP_PASSWORD=s3bench RESTIC_PASSWORD=s3bench
RUN=$(date +%s)
# the loopback server keeps objects as files: drop this run's objects afterwards
S3_DATA=${CNXBACKUP_TEST_S3_DIR:-/tmp/cnxbackup-test-s3}/data/$BUCKET/bench-$RUN
trap 'rm -rf "$S3_DATA"' EXIT
CLIENT=()
if [ "$PIN" = 1 ]; then
  SERVER_PID=$(pgrep -f 's3s-fs' | head -n 1)
  [ -n "$SERVER_PID" ] || { echo "-p: no s3s-fs process found" >&2; exit 2; }
  taskset -a -p -c 1 "$SERVER_PID" > /dev/null
  trap 'rm -rf "$S3_DATA"; taskset -a -p -c 0-1 "$SERVER_PID" > /dev/null' EXIT
  CLIENT=(taskset -c 0)
  echo "pinned: S3 server (pid $SERVER_PID) on CPU 1, timed clients on CPU 0"
fi
mkdir -p "$WORK"
SRC=$WORK/src-$SIZE
if [ ! -d "$SRC" ]; then
  python3 "$SHARED/gen_dataset.py" --size-mib "$SIZE" "$SRC" >/dev/null
fi
sync

# timed NAME CMD...: run, print "NAME seconds peakRSS_MiB", append to the CSV
CSV=$WORK/s3bench-$RUN.csv
echo "step,seconds,peak_rss_mib" > "$CSV"
timed() {
  local name=$1; shift
  local out; out=$(mktemp)
  /usr/bin/time -f "%e %M" -o "$out" "$@" > "$WORK/$name.log" 2>&1 || { cat "$WORK/$name.log" >&2; return 1; }
  read -r secs kib < "$out"; rm -f "$out"
  printf '%-28s %8.2f s %8d MiB\n' "$name" "$secs" $((kib / 1024))
  echo "$name,$secs,$((kib / 1024))" >> "$CSV"
}
secs_of() { awk -F, -v n="$1" '$1==n {print $2}' "$CSV"; }
cold() { sync; }

cnx() { "$CNXBACKUP" "$@"; }  # (not usable under GNU time: timed gets "$CNXBACKUP")
FSREPO=$WORK/fsrepo-$RUN
S3URL=s3://$BUCKET/bench-$RUN/cnx
RESTIC_REPO=s3:$EP/$BUCKET/bench-$RUN/restic

echo "== backup + restore, $SIZE MiB"
cnx --repo "$FSREPO" init > /dev/null
timed cnx-fs-backup "${CLIENT[@]}" "$CNXBACKUP" --repo "$FSREPO" backup --path "$SRC" --host bench
rm -rf "$WORK/restore"; timed cnx-fs-restore "${CLIENT[@]}" "$CNXBACKUP" --repo "$FSREPO" restore latest --target "$WORK/restore"
cnx --repo "$S3URL" init > /dev/null
timed cnx-s3-backup "${CLIENT[@]}" "$CNXBACKUP" --repo "$S3URL" backup --path "$SRC" --host bench
rm -rf "$WORK/restore"; timed cnx-s3-restore "${CLIENT[@]}" "$CNXBACKUP" --repo "$S3URL" restore latest --target "$WORK/restore"
diff -r "$SRC" "$WORK/restore$SRC" > /dev/null && echo "cnxbackup S3 restore equals the source"
"$RESTIC" -r "$RESTIC_REPO" init > /dev/null
timed restic-s3-backup "${CLIENT[@]}" "$RESTIC" -r "$RESTIC_REPO" backup "$SRC" --host bench
rm -rf "$WORK/restore"; timed restic-s3-restore "${CLIENT[@]}" "$RESTIC" -r "$RESTIC_REPO" restore latest --target "$WORK/restore"
rm -rf "$WORK/restore"
ratio() { awk -v a="$(secs_of "$1")" -v b="$(secs_of "$2")" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }'; }
echo "ratios: S3/fs backup $(ratio cnx-s3-backup cnx-fs-backup), restore $(ratio cnx-s3-restore cnx-fs-restore); cnxbackup/restic on S3: backup $(ratio cnx-s3-backup restic-s3-backup), restore $(ratio cnx-s3-restore restic-s3-restore)"

if [ "$SNAPS" -eq 0 ]; then rm -rf "$FSREPO"; echo "CSV: $CSV"; exit 0; fi
echo "== forget --prune on $SNAPS snapshots of the mutated dataset"
MUT=$WORK/mut-$RUN
cp -a "$SRC" "$MUT"
S3URL2=s3://$BUCKET/bench-$RUN/cnx-forget
RESTIC_REPO2=s3:$EP/$BUCKET/bench-$RUN/restic-forget
cnx --repo "$S3URL2" init > /dev/null
"$RESTIC" -r "$RESTIC_REPO2" init > /dev/null
for day in $(seq 1 "$SNAPS"); do
  python3 "$SHARED/mutate_dataset.py" --day "$day" "$MUT" > /dev/null
  cnx -q --repo "$S3URL2" backup --path "$MUT" --host bench > /dev/null
  "$RESTIC" -q -r "$RESTIC_REPO2" backup "$MUT" --host bench > /dev/null
done
timed cnx-forget-prune "$CNXBACKUP" --repo "$S3URL2" forget --keep-last 5 --prune --grace 0
timed restic-forget-prune "$RESTIC" -r "$RESTIC_REPO2" forget --keep-last 5 --prune
echo "ratio forget --prune cnxbackup/restic: $(ratio cnx-forget-prune restic-forget-prune)"
rm -rf "$MUT" "$FSREPO"
echo "CSV: $CSV"

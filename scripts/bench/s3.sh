#!/usr/bin/env bash
# S3 benchmark: cnxbackup backup + restore of the bench dataset to a loopback S3 server
# against the same on the fs backend, and restic's S3 backend against the same server in the
# same run; then (with -n) `forget --prune` on a repository of N snapshots of the mutated
# dataset, cnxbackup beside restic (time and peak RSS, GNU time).
#
# Usage: scripts/bench/s3.sh [-s SIZE_MIB] [-r RUNS] [-n SNAPSHOTS] [-S SERVER] [-w WORKDIR] [-t DIR] [-p]
#   -s  dataset size in MiB (default 2048; use 256 while developing)
#   -r  restores per tool (default 3); the ratios compare medians
#   -n  snapshots for forget --prune (default 0: skipped; scripts/bench/prune.sh is the
#       fuller retention benchmark)
#   -S  the S3 server: "bench" (default; scripts/bench/s3-bench-server, s3s-fs with 1 MiB
#       reads) or "s3s-fs" (the test suite's server as installed, which reads objects 4 KiB
#       at a time: ~1.6 s of server CPU per GiB served)
#   -w  work directory (default /tmp/s3bench); the dataset is kept there for the next run
#   -t  where the restores go (default: the work directory). Use a journaled file system:
#       on ext4 without a journal (this machine's root) creating a file skips every inode
#       freed in the last 60 s, or 6 minutes while its inode block is dirty, so each
#       restore after deleting the previous one crawls in the kernel (2.4 s -> 10 s for
#       2 GiB), whichever tool runs. E.g. a loop-mounted image: truncate -s 16G /work/r.img;
#       mkfs.ext4 -q /work/r.img; mount -o loop /work/r.img /mnt/r; then -t /mnt/r
#   -p  pin: the S3 server to CPU 1, every timed client (cnxbackup on fs and S3, restic) to
#       CPU 0 — on a 2-core machine this stands in for a server on its own machine, which a
#       loopback server otherwise is not
# Environment: CNXBACKUP (binary; default: cargo build --release), RESTIC (default restic),
# SETTLE (seconds to wait after deleting a restore, default 5).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
. "$ROOT/scripts/lib/ensure.sh"
SHARED=${SHARED_BENCH:-$ROOT/../shared/bench}
SIZE=2048 RUNS=3 SNAPS=0 SERVER=bench WORK=/tmp/s3bench TARGETS='' PIN=0
while getopts "s:r:n:S:w:t:ph" o; do
  case $o in
    s) SIZE=$OPTARG ;; r) RUNS=$OPTARG ;; n) SNAPS=$OPTARG ;; S) SERVER=$OPTARG ;;
    w) WORK=$OPTARG ;; t) TARGETS=$OPTARG ;; p) PIN=1 ;;
    *) sed -n '2,27p' "$0"; exit 2 ;;
  esac
done
ensure_cnxbackup_binary || exit 2
RESTIC=${RESTIC:-restic}
SETTLE=${SETTLE:-5}
RUN=$(date +%s)
mkdir -p "$WORK"
TARGETS=${TARGETS:-$WORK}
CLEANUP=()
# every step runs even if one fails (a crashed server must not leave GBs of objects behind)
trap 'for c in "${CLEANUP[@]}"; do eval "$c" || true; done' EXIT

case $SERVER in
  bench)
    start_s3_bench_server "$WORK"
    CLEANUP+=("kill $BENCH_S3_PID 2>/dev/null; rm -rf '$WORK/s3root'")
    EP=$BENCH_S3_ENDPOINT BUCKET=$BENCH_S3_BUCKET SERVER_PID=$BENCH_S3_PID
    export AWS_ACCESS_KEY_ID=$BENCH_S3_ACCESS_KEY AWS_SECRET_ACCESS_KEY=$BENCH_S3_SECRET_KEY
    ;;
  s3s-fs)
    # this benchmark's own s3s-fs, stopped and its objects removed afterwards
    CLEANUP+=("stop_s3_server; rm -rf '$WORK/s3s-fs'")
    start_s3_server "$WORK/s3s-fs"
    EP=$CNXBACKUP_TEST_S3_ENDPOINT BUCKET=$CNXBACKUP_TEST_S3_BUCKET SERVER_PID=$TEST_S3_PID
    export AWS_ACCESS_KEY_ID=$CNXBACKUP_TEST_S3_ACCESS_KEY AWS_SECRET_ACCESS_KEY=$CNXBACKUP_TEST_S3_SECRET_KEY
    ;;
  *) echo "-S: unknown server \"$SERVER\" (bench or s3s-fs)" >&2; exit 2 ;;
esac
export CNXBACKUP_S3_ENDPOINT=$EP CNXBACKUP_PASSWORD=s3bench RESTIC_PASSWORD=s3bench
CLIENT=()
if [ "$PIN" = 1 ]; then
  [ -n "$SERVER_PID" ] || { echo "-p: no S3 server process found" >&2; exit 2; }
  taskset -a -p -c 1 "$SERVER_PID" > /dev/null
  CLEANUP+=("taskset -a -p -c 0-1 $SERVER_PID > /dev/null 2>&1 || true")
  CLIENT=(taskset -c 0)
  echo "pinned: S3 server (pid $SERVER_PID) on CPU 1, timed clients on CPU 0"
fi
SRC=$WORK/src-$SIZE
if [ ! -d "$SRC" ]; then
  python3 "$SHARED/gen_dataset.py" --size-mib "$SIZE" "$SRC" >/dev/null
fi
# read the dataset once: the first timed backup must not be the only one reading it from
# disk rather than from the page cache (seen: fs backup 7.5 s cold, 5.1 s warm)
find "$SRC" -type f -exec cat {} + > /dev/null
sync

# timed NAME CMD...: run, print "NAME seconds peakRSS_MiB client-CPU server-CPU", append to
# the CSV (server CPU: what the S3 server spent meanwhile, from /proc; ~0 for fs steps)
CSV=$WORK/s3bench-$RUN.csv
echo "step,seconds,peak_rss_mib,client_cpu_s,server_cpu_s" > "$CSV"
server_ticks() { awk '{print $14 + $15}' "/proc/$SERVER_PID/stat" 2>/dev/null || echo 0; }
timed() {
  local name=$1; shift
  local out; out=$(mktemp)
  local t0; t0=$(server_ticks)
  /usr/bin/time -f "%e %M %U %S" -o "$out" "$@" > "$WORK/$name.log" 2>&1 || { cat "$WORK/$name.log" >&2; return 1; }
  local t1; t1=$(server_ticks)
  read -r secs kib usr sys < "$out"; rm -f "$out"
  local client server
  client=$(awk -v u="$usr" -v s="$sys" 'BEGIN { printf "%.2f", u + s }')
  server=$(awk -v a="$t0" -v b="$t1" -v hz="$(getconf CLK_TCK)" 'BEGIN { printf "%.2f", (b - a) / hz }')
  printf '%-28s %8.2f s %8d MiB   cpu: client %6.2f s, server %6.2f s\n' "$name" "$secs" $((kib / 1024)) "$client" "$server"
  echo "$name,$secs,$((kib / 1024)),$client,$server" >> "$CSV"
}
# median of the seconds of every step named NAME or NAME#k
median_of() {
  awk -F, -v n="$1" '$1 == n || index($1, n "#") == 1 { print $2 }' "$CSV" | sort -g |
    awk '{ v[NR] = $1 } END { if (NR == 0) print 0; else if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
ratio() { awk -v a="$(median_of "$1")" -v b="$(median_of "$2")" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }'; }
# every timed restore goes into a fresh directory, after the previous one's deletion is
# written back (see -t about file systems without a journal)
settle() { sync; sleep "$SETTLE"; }

FSREPO=$WORK/fsrepo-$RUN
S3URL=s3://$BUCKET/bench-$RUN/cnx
RESTIC_REPO=s3:$EP/$BUCKET/bench-$RUN/restic
CLEANUP+=("rm -rf '$FSREPO' '$TARGETS'/restore-$RUN-*")

echo "== backup, $SIZE MiB ($SERVER server)"
"$CNXBACKUP" --repo "$FSREPO" init > /dev/null
"$CNXBACKUP" --repo "$S3URL" init > /dev/null
"$RESTIC" -r "$RESTIC_REPO" init > /dev/null
timed cnx-fs-backup "${CLIENT[@]}" "$CNXBACKUP" --repo "$FSREPO" backup --path "$SRC" --host bench
timed cnx-s3-backup "${CLIENT[@]}" "$CNXBACKUP" --repo "$S3URL" backup --path "$SRC" --host bench
timed restic-s3-backup "${CLIENT[@]}" "$RESTIC" -r "$RESTIC_REPO" backup "$SRC" --host bench

echo "== restore, $RUNS runs each (into fresh directories under $TARGETS, $SETTLE s settle after each delete)"
for r in $(seq 1 "$RUNS"); do
  for tool in cnx-fs cnx-s3 restic-s3; do
    target=$TARGETS/restore-$RUN-$tool-$r
    case $tool in
      cnx-fs) cmd=("$CNXBACKUP" --repo "$FSREPO" restore latest --target "$target") ;;
      cnx-s3) cmd=("$CNXBACKUP" --repo "$S3URL" restore latest --target "$target") ;;
      restic-s3) cmd=("$RESTIC" -r "$RESTIC_REPO" restore latest --target "$target") ;;
    esac
    settle
    timed "$tool-restore#$r" "${CLIENT[@]}" "${cmd[@]}"
    if ! diff -r "$SRC" "$target$SRC" > /dev/null; then
      echo "$tool restore #$r differs from the source" >&2
      exit 1
    fi
    rm -rf "$target"
  done
done
echo "every restore equals the source"
echo "medians: restore fs $(median_of cnx-fs-restore) s, S3 $(median_of cnx-s3-restore) s, restic S3 $(median_of restic-s3-restore) s"
echo "ratios: S3/fs backup $(ratio cnx-s3-backup cnx-fs-backup), restore $(ratio cnx-s3-restore cnx-fs-restore); cnxbackup/restic on S3: backup $(ratio cnx-s3-backup restic-s3-backup), restore $(ratio cnx-s3-restore restic-s3-restore)"

if [ "$SNAPS" -eq 0 ]; then echo "CSV: $CSV"; exit 0; fi
echo "== forget --prune on $SNAPS snapshots of the mutated dataset"
MUT=$WORK/mut-$RUN
CLEANUP+=("rm -rf '$MUT'")
cp -a "$SRC" "$MUT"
S3URL2=s3://$BUCKET/bench-$RUN/cnx-forget
RESTIC_REPO2=s3:$EP/$BUCKET/bench-$RUN/restic-forget
"$CNXBACKUP" --repo "$S3URL2" init > /dev/null
"$RESTIC" -r "$RESTIC_REPO2" init > /dev/null
for day in $(seq 1 "$SNAPS"); do
  python3 "$SHARED/mutate_dataset.py" --day "$day" "$MUT" > /dev/null
  "$CNXBACKUP" -q --repo "$S3URL2" backup --path "$MUT" --host bench > /dev/null
  "$RESTIC" -q -r "$RESTIC_REPO2" backup "$MUT" --host bench > /dev/null
done
timed cnx-forget-prune "${CLIENT[@]}" "$CNXBACKUP" --repo "$S3URL2" forget --keep-last 5 --prune --grace 0
timed restic-forget-prune "${CLIENT[@]}" "$RESTIC" -r "$RESTIC_REPO2" forget --keep-last 5 --prune
echo "ratio forget --prune cnxbackup/restic: $(ratio cnx-forget-prune restic-forget-prune)"
"$CNXBACKUP" -q --repo "$S3URL2" check > /dev/null && echo "cnxbackup check after prune: ok"
"$RESTIC" -q -r "$RESTIC_REPO2" check > /dev/null 2>&1 && echo "restic check after prune: ok"
echo "CSV: $CSV"

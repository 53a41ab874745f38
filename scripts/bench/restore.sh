#!/usr/bin/env bash
# The deployment restore (`cnxbackup restore`, issues 8 and 4) measured on a sample deployment
# whose shared data holds the shared bench dataset (../shared/bench/gen_dataset.py, SIZE MiB):
#
#   1. full restore of the deployment backup into an empty directory (--target, bare metal:
#      the install brings its own version), against `restic restore` and `rustic restore`
#      of the same paths backed up into their own repositories, in the same run;
#   2. in-place restore over the sample after 5 % of the bench files were changed (a failed
#      update's footprint: rewritten, plus a few added and removed), against (1): the mirror
#      must leave unchanged files alone, so it rewrites only the changed files (counted from
#      the restore's own report) and should be several times faster;
#   3. the cost of the pre-restore snapshot (issue 15): each repetition restores in place
#      twice, after two different 5 % changes, once as by default (saving what it replaces
#      first) and once with --no-pre-restore; the snapshot's own figures (files, bytes read,
#      bytes the repository grew by, its time) come from the restore's report.
#
# Warm page cache, `sync` between steps, median of REPS runs; wall time and peak RSS from
# GNU time. The timed restores run with --no-verify (restic and rustic verify nothing
# either); one verified in-place restore is timed at the end for reference.
# Every full restore goes into a directory never used before, and the order of the three
# tools rotates between repetitions: this machine's root file system has no journal, and
# ext4 then skips (scanning them one by one) inodes deleted in the last minutes when it
# allocates new ones, so a restore right after `rm -rf` of a previous one pays for that
# deletion. The targets are deleted at the end (disk: 3 x REPS x SIZE).
# No servers are started and the database step is an empty `command` dump: this measures
# the file restore (databases are the vendor tool's time).
#
# Usage: scripts/bench/restore.sh [-s SIZE_MIB] [-r REPS] [-w WORKDIR]
#   defaults: 2048 MiB, 3 repetitions, /tmp/cnx-restorebench
# Environment: CNXBACKUP, BUILD_SAMPLE (binaries; default: cargo build --release),
#   SHARED_BENCH (default ../shared/bench beside the repository), RUSTIC (default: rustic
#   in PATH or /opt/peers/bin/rustic; skipped when missing).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
SHARED_BENCH=${SHARED_BENCH:-$ROOT/../shared/bench}
SIZE=2048
REPS=3
WORK=/tmp/cnx-restorebench
while getopts "s:r:w:h" o; do
  case $o in
    s) SIZE=$OPTARG ;;
    r) REPS=$OPTARG ;;
    w) WORK=$OPTARG ;;
    *) sed -n '2,30p' "$0"; exit 2 ;;
  esac
done
[ -f "$SHARED_BENCH/gen_dataset.py" ] || { echo "gen_dataset.py not found in $SHARED_BENCH" >&2; exit 2; }
command -v restic >/dev/null || { echo "restic is not installed" >&2; exit 2; }
RUSTIC=${RUSTIC:-$(command -v rustic || echo /opt/peers/bin/rustic)}
[ -x "$RUSTIC" ] || RUSTIC=

TARGET=${CARGO_TARGET_DIR:-$ROOT/target}
if [ -z "${CNXBACKUP:-}" ] || [ -z "${BUILD_SAMPLE:-}" ]; then
  (cd "$ROOT" && cargo build --release -p cnxbackup -p sample --example build_sample >&2)
fi
CNXBACKUP=${CNXBACKUP:-$TARGET/release/cnxbackup}
BUILD_SAMPLE=${BUILD_SAMPLE:-$TARGET/release/examples/build_sample}

rm -rf "$WORK"
mkdir -p "$WORK"
SYS=$WORK/root
"$BUILD_SAMPLE" 8.0-db2-ccm "$SYS" > "$WORK/expected.json"
SHARED=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["data"]["shared_root"])' "$WORK/expected.json")
BENCH=$SYS$SHARED/files/bench
echo "generating the ${SIZE} MiB bench dataset into shared_data" >&2
python3 "$SHARED_BENCH/gen_dataset.py" --size-mib "$SIZE" --seed 1 "$BENCH" > "$WORK/dataset.json"

cat > "$WORK/cnxbackup.toml" <<EOF
[repository]
url = "$WORK/repo"

[database]
vendor = "command"
dump_command = "true {database}"
restore_command = "true {database}"
staging_dir = "$WORK/staging"
EOF
export CNXBACKUP_PASSWORD=bench-password RESTIC_PASSWORD=bench-password RUSTIC_PASSWORD=bench-password
run() { "$CNXBACKUP" --config "$WORK/cnxbackup.toml" --sysroot "$SYS" "$@"; }
now() { date +%s.%N; }
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
# timed NAME CMD...: run CMD under GNU time, append "wall peak_rss_kib" to $WORK/NAME.txt
timed() {
  local name=$1; shift
  /usr/bin/time -f "%e %M" -o "$WORK/time.out" "$@"
  tail -n 1 "$WORK/time.out" >> "$WORK/$name.txt"
}
warm() { find "$@" -type f -print0 2>/dev/null | xargs -0 cat > /dev/null 2>&1 || true; }
# change SEED: 5 % of the bench files changed (a tenth of them removed, a tenth beside them
# added); prints what it did
change() {
  python3 - "$BENCH" "$1" <<'PY'
import os, random, sys
root, seed = sys.argv[1], int(sys.argv[2])
files = sorted(os.path.join(d, f) for d, _, fs in os.walk(root) for f in fs)
rnd = random.Random(seed)
pick = rnd.sample(files, max(1, len(files) * 5 // 100))
changed = removed = added = 0
for i, p in enumerate(pick):
    if i % 10 == 0:
        os.remove(p); removed += 1
    elif i % 10 == 1:
        with open(p + ".update-new", "wb") as f:
            f.write(os.urandom(4096)); added += 1
    else:
        with open(p, "r+b") as f:
            f.write(os.urandom(64)); changed += 1
print(f"{len(files)} files: {changed} changed, {removed} removed, {added} added")
PY
}

run init > /dev/null
run backup --no-stop --in-place-migration --json > "$WORK/backup.jsonl"
# the real paths of the backup's components (outermost), for restic
python3 "$ROOT/scripts/bench/component_paths.py" "$WORK/backup.jsonl" "$SYS" > "$WORK/paths.txt"
mapfile -t P < "$WORK/paths.txt"
restic init --repo "$WORK/restic" > /dev/null
restic --repo "$WORK/restic" backup --quiet "${P[@]}" > /dev/null
if [ -n "$RUSTIC" ]; then
  "$RUSTIC" init --repository "$WORK/rustic" --cache-dir "$WORK/rustic-cache" --no-progress > /dev/null 2>&1
  "$RUSTIC" backup --repository "$WORK/rustic" --cache-dir "$WORK/rustic-cache" --no-progress "${P[@]}" > /dev/null 2>&1
fi

: > "$WORK/full.txt"; : > "$WORK/restic.txt"; : > "$WORK/rustic.txt"; : > "$WORK/inplace.txt"; : > "$WORK/written.txt"
: > "$WORK/nopre.txt"; : > "$WORK/prerestore.txt"
full_cnx() { timed full "$CNXBACKUP" --config "$WORK/cnxbackup.toml" --sysroot "$SYS" restore latest --target "$WORK/t-cnx-$rep" --skip-databases --no-verify --json > "$WORK/full-$rep.json"; }
full_restic() { timed restic restic --repo "$WORK/restic" restore latest --target "$WORK/t-restic-$rep" > /dev/null; }
full_rustic() { [ -z "$RUSTIC" ] || timed rustic "$RUSTIC" restore --repository "$WORK/rustic" --cache-dir "$WORK/rustic-cache" --no-progress latest "$WORK/t-rustic-$rep" > /dev/null 2>&1; }
ORDERS=("cnx restic rustic" "restic rustic cnx" "rustic cnx restic")
for rep in $(seq 1 "$REPS"); do
  # 1. full restores into empty directories, the order rotating between repetitions
  sync
  for tool in ${ORDERS[$(( (rep - 1) % 3 ))]}; do
    "full_$tool"; sync
  done
  if [ "$rep" = 1 ]; then
    # restic and rustic restore real paths; ours product paths: all must equal the source
    diff -r "$WORK/t-cnx-$rep$SHARED/files/bench" "$BENCH" > /dev/null && \
      diff -r "$WORK/t-restic-$rep$BENCH" "$BENCH" > /dev/null || { echo "a restore differs from the source" >&2; exit 1; }
    if [ -n "$RUSTIC" ]; then
      diff -r "$WORK/t-rustic-$rep/files/bench" "$BENCH" > /dev/null 2>&1 || \
        diff -r "$WORK/t-rustic-$rep$BENCH" "$BENCH" > /dev/null || { echo "rustic's restore differs from the source" >&2; exit 1; }
    fi
  fi

  # 2. 5 % of the bench files changed in place (a few removed, a few added), then the
  #    in-place restore over the sample (3. the pre-restore snapshot taken first, as by
  #    default; then another 5 % and the same restore without it)
  change "$rep" > "$WORK/changed-$rep.txt"
  sync; warm "$SYS"
  timed inplace "$CNXBACKUP" --config "$WORK/cnxbackup.toml" --sysroot "$SYS" restore latest --skip-databases --no-verify --json > "$WORK/inplace-$rep.json"
  sync
  python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); print(sum(c["files_written"] for c in r["components"]), sum(c["bytes_written"] for c in r["components"]), sum(c["unchanged"] for c in r["components"]), sum(c["removed"] for c in r["components"]))' "$WORK/inplace-$rep.json" >> "$WORK/written.txt"
  python3 -c 'import json,sys; p=json.load(open(sys.argv[1]))["pre_restore"]; print(p["duration_ms"] / 1000, p["files"], p["bytes"], p["bytes_read"], p["bytes_added"])' "$WORK/inplace-$rep.json" >> "$WORK/prerestore.txt"
  change "$((rep + 100))" > /dev/null
  sync; warm "$SYS"
  timed nopre "$CNXBACKUP" --config "$WORK/cnxbackup.toml" --sysroot "$SYS" restore latest --skip-databases --no-verify --no-pre-restore --json > /dev/null
  sync
done

# for reference: an in-place restore with verification (default for components < 10 GiB)
python3 - "$BENCH" 99 > /dev/null <<'PY'
import os, random, sys
root = sys.argv[1]
files = sorted(os.path.join(d, f) for d, _, fs in os.walk(root) for f in fs)
for p in random.Random(99).sample(files, max(1, len(files) * 5 // 100)):
    with open(p, "r+b") as f:
        f.write(os.urandom(64))
PY
sync; warm "$SYS"
t6=$(now); run restore latest --skip-databases > /dev/null; t7=$(now)
V=$(echo "$t7 - $t6" | bc)

rm -rf "$WORK"/t-cnx-* "$WORK"/t-restic-* "$WORK"/t-rustic-*

col() { awk -v c="$2" '{print $c}' "$WORK/$1.txt" | median; }
F=$(col full 1); R=$(col restic 1); I=$(col inplace 1)
BYTES=$(python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); print(sum(c["bytes_written"] for c in r["components"]))' "$WORK/full-1.json")
echo
echo "dataset: ${SIZE} MiB bench data in shared_data of an 8.0-db2-ccm sample; $(wc -l < "$WORK/paths.txt") component paths; $(nproc) cores; $REPS repetition(s)"
echo "changes per repetition: $(cat "$WORK"/changed-*.txt | head -1)"
printf '%-46s %8.2f s  %5d MiB peak RSS  (%s MiB written)\n' "cnxbackup restore, full, empty target (median)" "$F" "$(( $(col full 2) >> 10 ))" "$((BYTES >> 20))"
printf '%-46s %8.2f s  %5d MiB peak RSS\n' "restic restore, same paths (median)" "$R" "$(( $(col restic 2) >> 10 ))"
printf '%-46s %8.2f x\n' "restic / cnxbackup" "$(echo "$R / $F" | bc -l)"
if [ -n "$RUSTIC" ]; then
  U=$(col rustic 1)
  printf '%-46s %8.2f s  %5d MiB peak RSS\n' "rustic restore, same paths (median)" "$U" "$(( $(col rustic 2) >> 10 ))"
  printf '%-46s %8.2f x\n' "rustic / cnxbackup" "$(echo "$U / $F" | bc -l)"
fi
printf '%-46s %8.2f s  %5d MiB peak RSS\n' "cnxbackup restore, in place, 5 % changed" "$I" "$(( $(col inplace 2) >> 10 ))"
printf '%-46s %8.2f x\n' "full / in place" "$(echo "$F / $I" | bc -l)"
N=$(col nopre 1)
printf '%-46s %8.2f s  %5d MiB peak RSS\n' "in place, 5 % changed, --no-pre-restore" "$N" "$(( $(col nopre 2) >> 10 ))"
printf '%-46s %8.2f x\n' "in place with / without pre-restore" "$(echo "$I / $N" | bc -l)"
echo "pre-restore snapshots (s, files, bytes, bytes read, bytes added to the repository):"
sed 's/^/  /' "$WORK/prerestore.txt"
printf '%-46s %8.2f s\n' "in place, 5 % changed, with --verify (1 run)" "$V"
echo "in-place runs (files rewritten, bytes written, unchanged entries, removed):"
sed 's/^/  /' "$WORK/written.txt"
echo "all runs (wall s, peak RSS KiB): full: $(tr '\n' ';' < "$WORK/full.txt") restic: $(tr '\n' ';' < "$WORK/restic.txt") rustic: $(tr '\n' ';' < "$WORK/rustic.txt") in place: $(tr '\n' ';' < "$WORK/inplace.txt") no pre-restore: $(tr '\n' ';' < "$WORK/nopre.txt")"

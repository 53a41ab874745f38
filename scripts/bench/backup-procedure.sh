#!/usr/bin/env bash
# The deployment procedure (`cnxbackup backup`) against `cnxbackup backup --path` over the
# same paths, on a sample deployment grown to a few hundred MB, to measure what the
# procedure's bookkeeping (discovery, preflight, one vault pipeline run per component,
# product-path composition, manifest) costs over a plain path backup. Servers are not
# started (--no-stop) and the databases are left out (--skip-databases), so the comparison
# is without stop and database time, as issue 7 asks. Warm page cache, fresh repository per
# run, median of REPS runs; prints the phase timings of the procedure.
#
# Usage: scripts/bench/backup-procedure.sh [-m MIB_EXTRA] [-r REPS] [-w WORKDIR]
#   defaults: 300 MiB of extra data in shared_data (Files-like content), 3 repetitions.
# Environment: CNXBACKUP, BUILD_SAMPLE (binaries; default: build them with cargo --release).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
MIB=300
REPS=3
WORK=/tmp/cnx-procbench
while getopts "m:r:w:h" o; do
  case $o in
    m) MIB=$OPTARG ;;
    r) REPS=$OPTARG ;;
    w) WORK=$OPTARG ;;
    *) sed -n '2,13p' "$0"; exit 2 ;;
  esac
done

TARGET=${CARGO_TARGET_DIR:-$ROOT/target}
if [ -z "${CNXBACKUP:-}" ] || [ -z "${BUILD_SAMPLE:-}" ]; then
  (cd "$ROOT" && cargo build --release -p cnxbackup -p sample --example build_sample >&2)
fi
CNXBACKUP=${CNXBACKUP:-$TARGET/release/cnxbackup}
BUILD_SAMPLE=${BUILD_SAMPLE:-$TARGET/release/examples/build_sample}

rm -rf "$WORK"
mkdir -p "$WORK"
SYS=$WORK/root
"$BUILD_SAMPLE" 8.0-db2-ccm "$SYS" demo > "$WORK/expected.json"
SHARED=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["data"]["shared_root"])' "$WORK/expected.json")
# Files-like content: incompressible uploads of 64 KiB .. 4 MiB, plus some text.
python3 - "$SYS$SHARED/files/upload/bench" "$MIB" <<'PY'
import os, random, sys
d, mib = sys.argv[1], int(sys.argv[2])
os.makedirs(d, exist_ok=True)
rnd = random.Random(7)
total, i = 0, 0
while total < mib << 20:
    size = rnd.choice([64 << 10, 256 << 10, 1 << 20, 4 << 20])
    sub = os.path.join(d, f"{i % 37:02d}")
    os.makedirs(sub, exist_ok=True)
    with open(os.path.join(sub, f"f{i:05d}.bin"), "wb") as f:
        f.write(os.urandom(size) if i % 4 else (b"Connections file content %d\n" % i) * (size // 28))
    total += size
    i += 1
print(f"{i} files, {total >> 20} MiB", file=sys.stderr)
PY

cat > "$WORK/cnxbackup.toml" <<EOF
[database]
vendor = "command"
dump_command = "true {database}"
staging_dir = "$WORK/staging"
EOF
export CNXBACKUP_PASSWORD=bench-password
run() { "$CNXBACKUP" --config "$WORK/cnxbackup.toml" --sysroot "$SYS" "$@"; }

# The real paths the procedure backs up: its components' product paths under the sysroot,
# outermost only (`backup --path` refuses overlapping paths; the union is the same).
run --repo "$WORK/probe" init >/dev/null
run --repo "$WORK/probe" backup --no-stop --json > "$WORK/probe.jsonl"
python3 "$ROOT/scripts/bench/component_paths.py" "$WORK/probe.jsonl" "$SYS" > "$WORK/paths.txt"
echo "paths: $(wc -l < "$WORK/paths.txt")" >&2

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
now() { date +%s.%N; }
: > "$WORK/proc.txt"; : > "$WORK/path.txt"
for rep in $(seq 1 "$REPS"); do
  rm -rf "$WORK/r1" "$WORK/r2"
  run --repo "$WORK/r1" init >/dev/null
  run --repo "$WORK/r2" init >/dev/null
  mapfile -t P < "$WORK/paths.txt"
  args=(); for p in "${P[@]}"; do args+=(--path "$p"); done
  sync
  # alternate the order: the second run of a pair pays for the first one's writeback
  if [ $((rep % 2)) = 1 ]; then
    t0=$(now); run --repo "$WORK/r1" backup --no-stop --skip-databases --json > "$WORK/proc-$rep.jsonl"; t1=$(now)
    sync
    t2=$(now); run --repo "$WORK/r2" backup "${args[@]}" > /dev/null; t3=$(now)
  else
    t2=$(now); run --repo "$WORK/r2" backup "${args[@]}" > /dev/null; t3=$(now)
    sync
    t0=$(now); run --repo "$WORK/r1" backup --no-stop --skip-databases --json > "$WORK/proc-$rep.jsonl"; t1=$(now)
  fi
  echo "$t1 - $t0" | bc >> "$WORK/proc.txt"
  echo "$t3 - $t2" | bc >> "$WORK/path.txt"
done
P1=$(median < "$WORK/proc.txt"); P2=$(median < "$WORK/path.txt")
echo
echo "data: $(du -sh "$SYS" | cut -f1) in the sample; repository sizes: procedure $(du -sh "$WORK/r1" | cut -f1), --path $(du -sh "$WORK/r2" | cut -f1)"
printf '%-34s %8.2f s\n' "backup (procedure, median of $REPS)" "$P1"
printf '%-34s %8.2f s\n' "backup --path (median of $REPS)" "$P2"
printf '%-34s %8.1f %%\n' "overhead" "$(echo "($P1 / $P2 - 1) * 100" | bc -l)"
echo "phase timings of the last procedure run:"
python3 - "$WORK/proc-$REPS.jsonl" <<'PY'
import json, sys
for l in open(sys.argv[1]):
    if not l.startswith("{"): continue
    e = json.loads(l)
    if e.get("event") == "phase_end":
        print(f"  {e['phase']:<14} {e['duration_ms']/1000:8.2f} s  {e['status']:<8} {e['message']}")
    if e.get("event") == "progress" and e.get("phase") == "files":
        print(f"    {e['item']:<22} {e.get('files', 0):>7} files {e.get('bytes', 0)/1048576:9.1f} MiB")
PY

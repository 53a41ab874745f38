#!/usr/bin/env bash
# The outage window a deployment backup costs (issue 20): the sample deployment (DB2
# stand-ins, 8.0-db2-ccm: 15 databases, 16 with `-n 16`, the default: the Feature Foundation
# (IC360) database ESSAPPS that Connections 7 and 8 cells with IC360 add, as a datasource in
# the cell's resources.xml and a database of the stand-in) with every database given a size the stand-in takes
# time for (SIZE MiB at 100 MiB/s), its shared data grown by DATA MiB, backed up with
# `--restart` in ONE run, each way on the same data:
#   sequential     --parallel-databases 1 (the procedure before issue 20)
#   parallel       --parallel-databases 4 (the default)
#   all-at-once    --parallel-databases 16
#   parallel-10x   the default limit with 10x the shared data
#   snapshot       [snapshot] method = "btrfs", default limit
#   snapshot-10x   the same with 10x the shared data
# Everything lives in a btrfs file system in a loop device (needs root and btrfs-progs), so
# every mode reads the same file system. Prints each window (first server stopped to last
# server verified running, from the manifest's `outage`), its parts, whether every file was
# read before the last database ended (the files are read beside the databases), the peak
# memory (maximum resident set) of the backup, and the target ratios; then the machine's
# load average again (other work on the machine skews every figure alike).
#
# Usage: scripts/bench/outage.sh [-s SIZE_MIB] [-d DATA_MIB] [-n 15|16] [-w WORKDIR]
#   defaults: 200 MiB per database (2 s each), 100 MiB of extra shared data, 16 databases.
# Environment: CNXBACKUP, BUILD_SAMPLE, SAMPLE_SERVERS (binaries; default: built here with
# cargo --release). BASELINE_CNXBACKUP: a cnxbackup built from before issue 20 (e.g. 5845059,
# `cargo build --release -p cnxbackup` in a worktree of it); when given, it first backs up the
# same deployment (`backup --restart`, into a repository of its own) and its peak memory and
# wall time are printed beside the others: "no more peak memory than today's backup".
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
SIZE=200
DATA=100
WORK=/tmp/outage-bench
DATABASES=16
while getopts "s:d:n:w:h" o; do
  case $o in
    s) SIZE=$OPTARG ;;
    d) DATA=$OPTARG ;;
    n) DATABASES=$OPTARG ;;
    w) WORK=$OPTARG ;;
    *) sed -n '2,23p' "$0"; exit 2 ;;
  esac
done

TARGET=${CARGO_TARGET_DIR:-$ROOT/target}
if [ -z "${CNXBACKUP:-}" ] || [ -z "${BUILD_SAMPLE:-}" ] || [ -z "${SAMPLE_SERVERS:-}" ]; then
  (cd "$ROOT" && cargo build --release -p cnxbackup -p sample --bin cnxbackup \
    --example build_sample --example sample_servers >&2)
fi
CNXBACKUP=${CNXBACKUP:-$TARGET/release/cnxbackup}
BUILD_SAMPLE=${BUILD_SAMPLE:-$TARGET/release/examples/build_sample}
SAMPLE_SERVERS=${SAMPLE_SERVERS:-$TARGET/release/examples/sample_servers}

umount -l "$WORK/mnt" 2>/dev/null || true
rm -rf "$WORK"
mkdir -p "$WORK/mnt"
# room for the sample, 11x DATA of shared data, the repository and the staged images
truncate -s $(( (DATA * 24 + 1024) ))M "$WORK/btrfs.img"
mkfs.btrfs -q "$WORK/btrfs.img"
mount -o loop "$WORK/btrfs.img" "$WORK/mnt"
btrfs subvolume create "$WORK/mnt/data" >/dev/null
FS=$WORK/mnt/data
SYS=$FS/root
"$BUILD_SAMPLE" 8.0-db2-ccm "$SYS" > "$WORK/expected.json"
case $DATABASES in
  15) ;;
  16)
    # ESSAPPS as the cell would hold it: a DB2 datasource of its own (a copy of the WIKIS
    # one, renamed, with fresh xmi:ids) in the cell's resources.xml, and the database in
    # the DB2 stand-in (a copy of WIKIS's directory)
    python3 - "$SYS" <<'PY'
import glob, re, shutil, sys
sysroot = sys.argv[1]
[res] = [p for p in glob.glob(sysroot + "/**/config/cells/*/resources.xml", recursive=True)
         if "/Dmgr" in p or "dmgr" in p.lower()][:1] or [None]
if res is None:
    sys.exit("outage.sh: no deployment manager resources.xml in the sample")
xml = open(res).read()
provider = re.search(r'  <resources\.jdbc:JDBCProvider [^>]*name="wikisJDBC".*?</resources\.jdbc:JDBCProvider>\n', xml, re.S)
if provider is None:
    sys.exit(f"outage.sh: no wikisJDBC provider in {res}")
block = provider.group(0).replace('"wikis', '"ic360').replace("jdbc/wikis", "jdbc/ic360")
block = block.replace('value="WIKIS"', 'value="ESSAPPS"')
block = re.sub(r'xmi:id="([A-Za-z0-9]+)_(\d+)"', r'xmi:id="\1_9\2"', block)
xml = xml.replace("</xmi:XMI>", block + "</xmi:XMI>")
open(res, "w").write(xml)
[wikis] = glob.glob(sysroot + "/var/lib/sample-db/db2/WIKIS")
shutil.copytree(wikis, wikis[: -len("WIKIS")] + "ESSAPPS")
PY
    ;;
  *) echo "-n: 15 (the sample's databases) or 16 (ESSAPPS added)" >&2; exit 2 ;;
esac
cleanup() {
  "$SAMPLE_SERVERS" stop "$SYS" >/dev/null 2>&1 || true
  umount -l "$WORK/mnt" 2>/dev/null || true
  rm -f "$WORK/btrfs.img"
}
trap cleanup EXIT
read -r SHARED DBS ADMIN COMMAND < <(python3 - "$WORK/expected.json" <<'PY'
import json, sys
e = json.load(open(sys.argv[1]))
print(e["data"]["shared_root"], len(e["databases"]), e["was"]["admin"]["username"], e["db_tools"]["command"])
PY
)
DBS=$DATABASES # the sample's own, plus ESSAPPS with -n 16
# grow_data MIB: the shared data's bench directory holds MIB incompressible files of 1 MiB
grow_data() {
  python3 - "$SYS$SHARED/files/upload/bench" "$1" <<'PY'
import os, random, sys
d, mib = sys.argv[1], int(sys.argv[2])
os.makedirs(d, exist_ok=True)
for i in range(mib):
    p = os.path.join(d, f"f{i:05d}.bin")
    if not os.path.exists(p):
        with open(p, "wb") as f:
            f.write(random.Random(i).randbytes(1 << 20))
PY
}
grow_data "$DATA"
KNOBS=$SYS/var/lib/cnxbackup-sample/knobs
mkdir -p "$KNOBS"
echo "$SIZE" > "$KNOBS/db-size-mib.ALL"
echo 100 > "$KNOBS/db-mib-per-second"
WAS_PASSWORD=$("$SAMPLE_SERVERS" password "$SYS")
export CNXBACKUP_PASSWORD=bench-password CNXBACKUP_WAS_PASSWORD=$WAS_PASSWORD
cat > "$WORK/cnxbackup.toml" <<TOML
[repository]
url = "$FS/repo"

[websphere]
username = "$ADMIN"
stop_timeout_secs = 60

[database]
vendor = "db2"
command = "$COMMAND"
staging_dir = "$FS/staging"
TOML
cp "$WORK/cnxbackup.toml" "$WORK/snapshot.toml"
printf '\n[snapshot]\nmethod = "btrfs"\n' >> "$WORK/snapshot.toml"
run() { "$CNXBACKUP" --config "$WORK/cnxbackup.toml" --sysroot "$SYS" "$@"; }
run init >/dev/null

echo "sample: 8.0-db2-ccm, $DBS databases of $SIZE MiB ($(echo "scale=1; $SIZE / 100" | bc) s each), $(du -sh "$SYS$SHARED" | cut -f1) shared data"
echo "machine: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-16s %9s %9s %9s %9s %9s %10s %s\n' mode window stop capture restart slowest_db peak_rss files
: > "$WORK/results.txt"
# started once: every run ends with --restart, which leaves them running
"$SAMPLE_SERVERS" start "$SYS" >/dev/null
if [ -n "${BASELINE_CNXBACKUP:-}" ]; then
  sed "s|^url = .*|url = \"$FS/repo-baseline\"|" "$WORK/cnxbackup.toml" > "$WORK/baseline.toml"
  "$BASELINE_CNXBACKUP" --config "$WORK/baseline.toml" --sysroot "$SYS" init >/dev/null
  sync
  /usr/bin/time -f '%e %M' -o "$WORK/baseline.time" \
    "$BASELINE_CNXBACKUP" --config "$WORK/baseline.toml" --sysroot "$SYS" backup --restart \
    > "$WORK/baseline.out" 2>&1 || { echo "baseline: backup failed, see $WORK/baseline.out" >&2; exit 1; }
  read -r secs kib < "$WORK/baseline.time"
  printf '%-16s %9s %9s %9s %9s %9s %6d MiB %s\n' baseline "-" "-" "-" "-" "-" $((kib / 1024)) \
    "(before issue 20: whole backup ${secs}s wall)"
  echo "$((kib / 1024))" > "$WORK/baseline.rss-mib"
fi
for mode in sequential:1:cnxbackup parallel:4:cnxbackup all-at-once:$DBS:cnxbackup \
    snapshot:4:snapshot grow parallel-10x:4:cnxbackup snapshot-10x:4:snapshot; do
  if [ "$mode" = grow ]; then grow_data $(( DATA * 10 )); continue; fi
  IFS=: read -r name limit config <<< "$mode"
  sync
  /usr/bin/time -f '%M' -o "$WORK/$name.rss" \
    "$CNXBACKUP" --config "$WORK/$config.toml" --sysroot "$SYS" --json \
    backup --restart --parallel-databases "$limit" > "$WORK/$name.jsonl" 2> "$WORK/$name.err" \
    || { echo "$name: backup failed, see $WORK/$name.err" >&2; exit 1; }
  python3 - "$WORK/$name.jsonl" "$name" "$(cat "$WORK/$name.rss")" >> "$WORK/results.txt" <<'PY'
import json, sys
result = [json.loads(l) for l in open(sys.argv[1]) if '"event":"result"' in l][-1]
w = result["outage"]
dbs = [d for d in result["manifest"]["databases"] if d.get("started_ns")]
slowest = max((d["ended_ns"] - d["started_ns"]) / 1e9 for d in dbs)
files = next(p for p in result["phase_table"] if p["phase"] == "files")["message"]
beside = "read-beside-databases" if "before the last database ended" in files else "read-after-databases"
print(sys.argv[2], w["down_ms"] / 1000, w["stop"]["duration_ms"] / 1000,
      w["capture"]["duration_ms"] / 1000, w["restart"]["duration_ms"] / 1000, slowest,
      int(sys.argv[3]) // 1024, beside)
PY
  tail -n 1 "$WORK/results.txt" | awk '{printf "%-16s %8.2fs %8.2fs %8.2fs %8.2fs %8.2fs %6d MiB %s\n", $1, $2, $3, $4, $5, $6, $7, $8}'
done
python3 - "$WORK/results.txt" "$DATA" "$WORK/baseline.rss-mib" <<'PY'
import sys
r = {l.split()[0]: [float(x) for x in l.split()[1:7]] for l in open(sys.argv[1])}
data = int(sys.argv[2])
seq, par, one = r["sequential"][0], r["parallel"][0], r["all-at-once"]
bound = one[1] + one[4] + one[3]
print(f"parallel (limit 4) / sequential window: {par / seq:.2f} (target <= 0.40)")
print(f"all at once: window / (stop + slowest database + restart) = {one[0]:.2f} / {bound:.2f} = {one[0] / bound:.2f} (target <= 1.20)")
for a, b in (("parallel", "parallel-10x"), ("snapshot", "snapshot-10x")):
    print(f"{b} / {a} window ({data} -> {data * 10} MiB extra shared data): {r[b][0] / r[a][0]:.2f} (snapshot mode target <= 1.10)")
print("peak RSS (MiB): " + ", ".join(f"{k} {int(v[5])}" for k, v in r.items()))
same_data = [k for k in r if not k.endswith("-10x")]
worst = max(same_data, key=lambda k: r[k][5])
print(f"peak RSS, same data, highest / sequential (one database at a time): {worst} {r[worst][5] / r['sequential'][5]:.2f}")
try:
    base = int(open(sys.argv[3]).read())
    print(f"peak RSS, same data, highest / the build before issue 20: {worst} {r[worst][5] / base:.2f} ({int(r[worst][5])} / {base} MiB)")
except FileNotFoundError:
    pass
PY
echo "load average after the runs: $(cut -d' ' -f1-3 /proc/loadavg)"

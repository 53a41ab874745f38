#!/usr/bin/env bash
# Scale test of the vault (issue 4): back up N small files (default 1,000,000) with the
# release binary and report wall time, peak RSS, and RSS per file and per blob, for the
# first backup and for the unchanged re-run.
#
# Usage: scripts/bench/scale.sh [-n FILES] [-w WORKDIR] [-k]
#   -n  number of files (default 1000000); lowered to what fits on the disk (see below)
#   -w  scratch directory (default /tmp/cnx-scale); the dataset and the repository go there
#   -k  keep the dataset and the repository (default: delete both at the end)
# Environment: CNXBACKUP (the binary; default: build target/release/cnxbackup).
#
# The dataset: FILES small files of 200 B-3 KiB (distinct, text-like, so each one is its own
# blob and compresses like real uploads) in a Files-like layout, upload/NN/NN/<name>
# (100 x 100 directories). Every tiny file costs an inode and a 4 KiB block, so the disk
# needs ~4.5 KiB per file plus ~1.5 KiB per file for the repository: without that much free
# space the script uses the largest count that fits and says so.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
N=1000000
WORK=/tmp/cnx-scale
KEEP=0
while getopts "n:w:k" o; do
  case $o in
    n) N=$OPTARG ;;
    w) WORK=$OPTARG ;;
    k) KEEP=1 ;;
    *) sed -n '2,16p' "$0"; exit 2 ;;
  esac
done

. "$ROOT/scripts/lib/ensure.sh"
ensure_cnxbackup_binary || exit 2

log() { echo "[$(date -u +%H:%M:%S)] $*" >&2; }

mkdir -p "$WORK"
DATA=$WORK/data
REPO=$WORK/repo
cleanup() { [ "$KEEP" = 1 ] || rm -rf "$DATA" "$REPO"; }
trap cleanup EXIT

# ---- disk check: ~6 KiB per file (4 KiB block + inode + directory entry, + repository)
free_kib=$(df -Pk "$WORK" | awk 'NR==2{print $4}')
free_inodes=$(df -Pi "$WORK" | awk 'NR==2{print $4}')
fits=$(( (free_kib - 2 * 1024 * 1024) / 6 ))   # keep 2 GiB for everyone else
[ "$free_inodes" -lt "$fits" ] && fits=$(( free_inodes - 100000 ))
if [ "$fits" -lt "$N" ]; then
  log "only $((free_kib / 1024)) MiB / $free_inodes inodes free: using $fits files instead of $N"
  N=$fits
fi
[ "$N" -gt 0 ] || { echo "no room for a dataset in $WORK" >&2; exit 2; }

# ---- dataset
if [ ! -f "$DATA/.complete-$N" ]; then
  rm -rf "$DATA"
  log "generating $N files in $DATA"
  python3 - "$DATA" "$N" <<'PY'
import os, random, sys
root, n = sys.argv[1], int(sys.argv[2])
rng = random.Random(4)
words = [("%x" % rng.getrandbits(rng.randint(8, 40))).encode() for _ in range(4096)]
# a pool of text; each file is a slice at a random offset plus a unique header
pool = b" ".join(rng.choice(words) for _ in range(400_000))
per_dir = -(-n // 10000)
made = 0
for a in range(100):
    for b in range(100):
        if made >= n:
            break
        d = os.path.join(root, "upload", "%02d" % a, "%02d" % b)
        os.makedirs(d, exist_ok=True)
        for _ in range(min(per_dir, n - made)):
            size = rng.randint(200, 3072)
            off = rng.randrange(0, len(pool) - size)
            data = b"file %d\n" % made + pool[off:off + size]
            fd = os.open(os.path.join(d, "f%07d.xml" % made), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
            os.write(fd, data)
            os.close(fd)
            made += 1
PY
  touch "$DATA/.complete-$N"
fi
files=$(find "$DATA/upload" -type f | wc -l)
bytes=$(find "$DATA/upload" -type f -printf '%s\n' | awk '{s += $1} END {print s + 0}')
log "dataset: $files files, $((bytes / 1024 / 1024)) MiB"

# ---- backups
rm -rf "$REPO"
export CNXBACKUP_REPOSITORY=$REPO CNXBACKUP_PASSWORD=scale-password
"$CNXBACKUP" init > /dev/null
run() {  # run NAME: one backup, GNU time + the JSON summary
  local name=$1
  (cd "$DATA" && /usr/bin/time -f "%e %U %S %M" -o "$WORK/time-$name" \
     "$CNXBACKUP" backup --host scale --path upload --json > "$WORK/out-$name.json" 2> "$WORK/err-$name.log")
  read -r wall user sys rss < "$WORK/time-$name"
  python3 - "$name" "$wall" "$user" "$sys" "$rss" "$WORK/out-$name.json" "$files" <<'PY'
import json, sys
name, wall, user, sys_s, rss_kib, out, files = sys.argv[1:8]
s = json.load(open(out))["summary"]
rss = int(rss_kib) * 1024
blobs = s["data_blobs_new"] + s["tree_blobs_new"]
print(f"| {name} | {float(wall):.1f} | {float(user) + float(sys_s):.1f} | {rss / 2**20:.0f} | "
      f"{s['files_new'] + s['files_changed'] + s['files_unchanged']} | {blobs} | "
      f"{rss / int(files):.0f} | {rss / max(blobs, 1):.0f} |" if name == "first backup" else
      f"| {name} | {float(wall):.1f} | {float(user) + float(sys_s):.1f} | {rss / 2**20:.0f} | "
      f"{s['files_new'] + s['files_changed'] + s['files_unchanged']} | {blobs} (new) | "
      f"{rss / int(files):.0f} | |")
PY
}
echo "| run | wall s | CPU s | peak RSS MiB | files | blobs | RSS bytes/file | RSS bytes/blob |"
echo "|---|---|---|---|---|---|---|---|"
run "first backup"
run "unchanged re-run"
repo_bytes=$(du -sb "$REPO" | cut -f1)
log "repository: $((repo_bytes / 1024 / 1024)) MiB, $(ls "$REPO/index" | wc -l) index segments"
echo
echo "$files files, $((bytes / 1024 / 1024)) MiB of content; repository $((repo_bytes / 1024 / 1024)) MiB; $("$CNXBACKUP" --version)"

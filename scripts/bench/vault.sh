#!/usr/bin/env bash
# cnxbackup beside the backup peers, measured exactly as ../shared/bench/run_peers.sh
# measures them: same dataset generator and mutation, same steps (backup1, backup2
# unchanged, backup3 after mutate, restore), warm page cache, GNU time, medians, same CSV
# and table (ratios: compare rows of one run).
#
# Usage: scripts/bench/vault.sh [run_peers.sh options...]
#   e.g. scripts/bench/vault.sh -s 64 -r 1          (quick smoke run)
#        scripts/bench/vault.sh                      (2 GiB, 3 repetitions, all tools)
# Options are run_peers.sh's (-s SIZE_MIB -r REPS -w WORKDIR -t TOOLS -S SEED -k -a -q MAX).
# Without -t: every installed peer plus cnxbackup. Environment:
#   CNXBACKUP     the binary to measure (default: build target/release/cnxbackup)
#   SHARED_BENCH  the shared bench directory (default: ../shared/bench beside the repo)
#   RUSTIC        the rustic binary (default: rustic in PATH, else /opt/peers/bin/rustic)
#
# How, without copying the peers' script: the shared run_peers.sh is patched on the fly
# into WORKDIR (its directory pointer fixed, one `run_cnxbackup` tool added next to
# run_restic, one case line added) and run; every helper (fresh, warm, timed, mutate,
# verify, the table) is the shared script's own.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
SHARED=${SHARED_BENCH:-$ROOT/../shared/bench}
[ -f "$SHARED/run_peers.sh" ] || { echo "run_peers.sh not found in $SHARED (set SHARED_BENCH)" >&2; exit 2; }

. "$ROOT/scripts/lib/ensure.sh"
ensure_cnxbackup_binary || exit 2
# rustic: from PATH, else the machine's peer install
if [ -z "${RUSTIC:-}" ] && ! command -v rustic >/dev/null && [ -x /opt/peers/bin/rustic ]; then
  export RUSTIC=/opt/peers/bin/rustic
fi

# find -w and -t among the arguments (same getopts string as run_peers.sh)
WORK=/tmp/peerbench
HAS_T=0
ARGS=("$@")
OPTIND=1
while getopts "s:r:w:t:S:kaq:h" o; do
  case $o in
    w) WORK=$OPTARG ;;
    t) HAS_T=1 ;;
    *) ;;
  esac
done
if [ "$HAS_T" = 0 ]; then
  TOOLS="cat tarzstd"
  command -v restic >/dev/null && TOOLS="$TOOLS restic"
  RUSTIC=${RUSTIC:-$(command -v rustic || echo "$HOME/.cargo/bin/rustic")}
  [ -x "$RUSTIC" ] && TOOLS="$TOOLS rustic"
  command -v borg >/dev/null && TOOLS="$TOOLS borg-none borg-blake2"
  ARGS+=(-t "$TOOLS cnxbackup")
fi

mkdir -p "$WORK"
# temporary files of the peers (restic writes its packs to $TMPDIR first) on the work
# directory's file system, unless set: a full /tmp made restic fail a step once
if [ -z "${TMPDIR:-}" ]; then
  export TMPDIR=$WORK/tmp
  mkdir -p "$TMPDIR"
fi
PATCHED=$WORK/run_peers_with_cnxbackup.sh
TOOL_FN=$(cat <<'FN'
run_cnxbackup() {  # same steps as run_restic, through the cnxbackup CLI
  local rep=$1 n
  fresh
  export CNXBACKUP_REPOSITORY=$REPO CNXBACKUP_PASSWORD=peerbench-password
  "$CNXBACKUP" init >> "$LOGS/cnxbackup.log" 2>&1
  for n in 1 2 3; do
    [ $n = 3 ] && mutate
    timed cnxbackup "$rep" backup$n "$SRC" "$CNXBACKUP" backup --host bench --path .
  done
  timed cnxbackup "$rep" restore "$RST" "$CNXBACKUP" restore latest --target "$RST"
  [ "$rep" = 1 ] && verify cnxbackup
  rm -rf "$RST"
}

FN
)
awk -v shared="$SHARED" -v fn="$TOOL_FN" '
  /^HERE=\$\(cd "\$\(dirname "\$0"\)" && pwd\)$/ { print "HERE=\"" shared "\""; next }
  /^# ---- main/ { print fn }
  { print }
  /^      rustic\) run_rustic "\$rep" ;;$/ { print "      cnxbackup) run_cnxbackup \"$rep\" ;;" }
' "$SHARED/run_peers.sh" > "$PATCHED"
grep -q '^run_cnxbackup()' "$PATCHED" && grep -q 'cnxbackup) run_cnxbackup' "$PATCHED" \
  && grep -q "^HERE=\"$SHARED\"" "$PATCHED" \
  || { echo "could not patch $SHARED/run_peers.sh (its layout changed)" >&2; exit 2; }
# kticks reads /proc/*/stat: a process that exits between the glob and the read makes cat
# fail, and with pipefail + set -e that killed the whole run at random; tolerate it
sed -i 's#^  cat /proc/\[0-9\]\*/stat 2>/dev/null |$#  { cat /proc/[0-9]*/stat 2>/dev/null || true; } |#' "$PATCHED"
grep -q 'cat /proc/\[0-9\]\*/stat 2>/dev/null || true; }' "$PATCHED" \
  || { echo "could not patch kticks in $SHARED/run_peers.sh (its layout changed)" >&2; exit 2; }
# the versions list: add cnxbackup's
sed -i 's|^      tarzstd) echo "- $(tar --version|      cnxbackup) echo "- $("$CNXBACKUP" --version)" ;;\n&|' "$PATCHED"
exec bash "$PATCHED" "${ARGS[@]}"

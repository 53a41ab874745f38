# cnxbackup sample: helpers shared by the database tool stand-ins.
# (A fragment: src/standin_*.rs prepends the shebang and the sample paths SYSROOT, STATE, ...)
# Scratch space stays inside the sample (same file system as the state it copies).
mkdir -p "$STATE/run"
db_log() {
  mkdir -p "$(dirname "$DB_LOG")"
  local IFS=$'\t'
  printf '%s\t%s\n' "$(date -u +%Y-%m-%dT%H:%M:%S.%3NZ)" "$*" >> "$DB_LOG"
}
knob() { [ -e "$KNOBS/$1.$2" ] || [ -e "$KNOBS/$1.ALL" ]; }
# knob_value NAME DB: the first line of knob NAME.DB, NAME.ALL or NAME (fails when none)
knob_value() {
  local f
  for f in "$KNOBS/$1.$2" "$KNOBS/$1.ALL" "$KNOBS/$1"; do
    [ -f "$f" ] && { head -n 1 "$f"; return 0; }
  done
  return 1
}
# simulate_size DB: a backup takes as long as the database's simulated size (MiB: knob
# db-size-mib.<DB>|ALL, else $SAMPLE_DB_SIZE_MIB) takes at the simulated throughput (MiB/s:
# knob db-mib-per-second, else $SAMPLE_DB_MIB_PER_SECOND, else 100). No size: no delay.
simulate_size() {
  local mib rate ms
  mib=$(knob_value db-size-mib "$1" || echo "${SAMPLE_DB_SIZE_MIB:-0}")
  rate=$(knob_value db-mib-per-second - || echo "${SAMPLE_DB_MIB_PER_SECOND:-100}")
  [[ "$mib" =~ ^[0-9]+$ && "$rate" =~ ^[0-9]+$ && "$rate" -gt 0 && "$mib" -gt 0 ]] || return 0
  ms=$(( mib * 1000 / rate ))
  sleep "$(( ms / 1000 )).$(printf '%03d' $(( ms % 1000 )))"
}
# make_image SRC_DIR OUT_FILE COMPRESS(0|1) INFO_TEXT [members...]: deterministic tar(.gz)
make_image() {
  local src="$1" out="$2" compress="$3" info="$4" tmp
  shift 4
  tmp=$(mktemp -d "$STATE/run/tmp.XXXXXX") || return 1
  printf '%s\n' "$info" > "$tmp/BACKUP.INFO"
  if [ $# -eq 0 ]; then set -- .; fi
  tar --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner --format=gnu \
      -cf "$tmp/image.tar" -C "$tmp" BACKUP.INFO -C "$src" --exclude=./runtime --exclude=runtime "$@" || { rm -rf "$tmp"; return 1; }
  if [ "$compress" = 1 ]; then gzip -n -c "$tmp/image.tar" > "$out"; else cat "$tmp/image.tar" > "$out"; fi
  local rc=$?
  rm -rf "$tmp"
  return $rc
}
# unpack_image FILE DEST_DIR: understands plain and gzip'ed images
unpack_image() {
  mkdir -p "$2" || return 1
  if [ "$(head -c 2 "$1" | od -An -tx1 | tr -d ' \n')" = "1f8b" ]; then
    gzip -dc "$1" | tar -xf - -C "$2"
  else
    tar -xf "$1" -C "$2"
  fi
}
# replace_state DIR FROM_DIR: DIR's content (except runtime/) becomes FROM_DIR's content
replace_state() {
  local dir="$1" from="$2" f
  mkdir -p "$dir/runtime"
  for f in "$dir"/* "$dir"/.[!.]*; do
    [ -e "$f" ] || continue
    [ "$(basename "$f")" = runtime ] && continue
    rm -rf "$f"
  done
  for f in "$from"/* "$from"/.[!.]*; do
    [ -e "$f" ] || continue
    [ "$(basename "$f")" = BACKUP.INFO ] && continue
    mv "$f" "$dir/"
  done
}
# full_fs DIR: whether the file system holding DIR has (almost) no room left.
full_fs() { [ "$(df -Pk "$1" 2>/dev/null | awk 'NR==2 {print $4}')" -lt 16 ] 2>/dev/null; }
# state_bytes DIR: bytes a database's state occupies (its runtime flags aside).
state_bytes() { du -sb --exclude=runtime "$1" | cut -f1; }
info_get() { sed -n "s/^$2=//p" "$1/BACKUP.INFO" 2>/dev/null | head -n 1; }

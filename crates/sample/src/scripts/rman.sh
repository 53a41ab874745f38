# cnxbackup sample: stand-in for Oracle RMAN. `rman target / [cmdfile=F]`, script on stdin.
# (A fragment: src/standin_*.rs prepends the shebang and the sample paths SYSROOT, STATE, ...)
# Understands: SHUTDOWN [IMMEDIATE]; STARTUP [MOUNT]; ALTER DATABASE OPEN [RESETLOGS];
# RUN { ... } (flattened); BACKUP [AS COMPRESSED BACKUPSET] DATABASE|CURRENT CONTROLFILE|
# ARCHIVELOG ALL FORMAT '<path with %U>' [TAG '<tag>']; CATALOG START WITH '<prefix>' [NOPROMPT];
# RESTORE DATABASE [FROM TAG '<tag>']; RECOVER DATABASE [NOREDO]; SET UNTIL ...; ALLOCATE/
# RELEASE CHANNEL; CONFIGURE; CROSSCHECK; EXIT. Exit 0, or 1 after an error stack.
ORADIR="$DBROOT/oracle/$ORA_SID"
cmdfile=""
for a in "$@"; do
  case "${a,,}" in
    cmdfile=*) cmdfile="${a#*=}" ;;
    @*) cmdfile="${a#@}" ;;
  esac
done
if [ -n "$cmdfile" ]; then script=$(cat "$cmdfile"); else script=$(cat); fi
day() { date '+%d-%b-%y' | tr '[:lower:]' '[:upper:]'; }
echo ""
echo "Recovery Manager: Release 19.0.0.0.0 - Production on $(date '+%a %b %d %H:%M:%S %Y')"
echo "Version 19.3.0.0.0"
echo ""
echo "Copyright (c) 1982, 2019, Oracle and/or its affiliates.  All rights reserved."
echo ""
if [ ! -d "$ORADIR" ]; then
  echo "RMAN-00571: ==========================================================="
  echo "RMAN-00569: =============== ERROR MESSAGE STACK FOLLOWS ==============="
  echo "RMAN-00571: ==========================================================="
  echo "ORA-01034: ORACLE not available"
  exit 1
fi
mkdir -p "$ORADIR/runtime"
state_file="$ORADIR/runtime/instance"
[ -f "$state_file" ] || echo open > "$state_file"
catalog="$ORADIR/runtime/rman-catalog"
echo "connected to target database: $ORA_SID (DBID=1742263219)"
fail() {
  echo ""
  echo "RMAN-00571: ==========================================================="
  echo "RMAN-00569: =============== ERROR MESSAGE STACK FOLLOWS ==============="
  echo "RMAN-00571: ==========================================================="
  for l in "$@"; do echo "$l"; done
  echo ""
  echo "Recovery Manager complete."
  exit 1
}
seq_next() { local n=0; [ -f "$ORADIR/runtime/rman-seq" ] && n=$(cat "$ORADIR/runtime/rman-seq"); n=$((n+1)); echo "$n" > "$ORADIR/runtime/rman-seq"; printf '%02x%06x' "$n" "$(( $(date +%s) % 16777216 ))"; }
# Flatten RUN { } blocks and split into statements.
flat=$(printf '%s\n' "$script" | sed -e 's/--.*$//' | tr '\n' ' ' | sed -e 's/[Rr][Uu][Nn][[:space:]]*{/ /g' -e 's/}/;/g')
IFS=';' read -r -a stmts <<< "$flat"
shopt -s nocasematch
for st in "${stmts[@]}"; do
  st=$(printf '%s' "$st" | sed -e 's/^[[:space:]]*//' -e 's/[[:space:]]*$//' -e 's/[[:space:]][[:space:]]*/ /g')
  [ -n "$st" ] || continue
  echo ""
  echo "RMAN> $st;"
  echo ""
  fmt=""; tag=""
  [[ "$st" =~ FORMAT[[:space:]]+\'([^\']+)\' ]] && fmt="${BASH_REMATCH[1]}"
  [[ "$st" =~ TAG[[:space:]]+\'([^\']+)\' ]] && tag="${BASH_REMATCH[1]}"
  case "$st" in
    EXIT*|QUIT*) break ;;
    "REPORT SCHEMA"*)
      # The datafiles with their sizes (MB, rounded up), as RMAN lists them.
      echo "Report of database schema for database with db_unique_name $ORA_SID"
      echo ""
      echo "List of Permanent Datafiles"
      echo "==========================="
      echo "File Size(MB) Tablespace           RB segs Datafile Name"
      echo "---- -------- -------------------- ------- ------------------------"
      n=0
      for d in "$ORADIR"/*/; do
        b=$(basename "$d"); [ "$b" = runtime ] && continue
        n=$((n+1))
        mb=$(( $(state_bytes "$d") / 1048576 + 1 ))
        printf '%-4s %-8s %-20s %-7s %s\n' "$n" "$mb" "$b" NO "/u01/app/oracle/oradata/$ORA_SID/${b,,}01.dbf"
      done
      echo ""
      echo "List of Temporary Files"
      echo "======================="
      echo "File Size(MB) Tablespace           Maxsize(MB) Tempfile Name"
      echo "---- -------- -------------------- ----------- --------------------"
      echo "1    32       TEMP                 32767       /u01/app/oracle/oradata/$ORA_SID/temp01.dbf"
      db_log rman report-schema "$ORA_SID" "$n" ;;
    SHUTDOWN*)
      echo "using target database control file instead of recovery catalog"
      echo "database closed"; echo "database dismounted"; echo "Oracle instance shut down"
      echo down > "$state_file" ;;
    STARTUP*MOUNT*)
      echo "connected to target database (not started)"; echo "Oracle instance started"; echo "database mounted"
      echo mounted > "$state_file" ;;
    STARTUP*)
      echo "Oracle instance started"; echo "database mounted"; echo "database opened"
      echo open > "$state_file" ;;
    "ALTER DATABASE OPEN"*)
      [ "$(cat "$state_file")" = mounted ] || fail "RMAN-03002: failure of sql statement command at $(date '+%m/%d/%Y %H:%M:%S')" "ORA-01507: database not mounted"
      echo "Statement processed"; echo open > "$state_file" ;;
    "ALLOCATE CHANNEL"*|"RELEASE CHANNEL"*|CONFIGURE*|CROSSCHECK*|"SET "*|"SQL "*)
      echo "executing command: ${st%% *}" ;;
    BACKUP*)
      [ -n "$fmt" ] || fmt="$SYSROOT/home/oracle/oracle/product/19.0.0/db_1/dbs/%U"
      kind=db; [[ "$st" == *CONTROLFILE* ]] && kind=ctl; [[ "$st" == *ARCHIVELOG* ]] && kind=arc
      piece="${fmt//%U/$(seq_next)_1_1}"; piece="${piece//%u/$(seq_next)}"
      echo "Starting backup at $(day)"
      echo "allocated channel: ORA_DISK_1"
      echo "channel ORA_DISK_1: SID=42 device type=DISK"
      if [ ! -d "$(dirname "$piece")" ]; then
        fail "RMAN-03009: failure of backup command on ORA_DISK_1 channel at $(date '+%m/%d/%Y %H:%M:%S')" "ORA-19504: failed to create file \"$piece\"" "ORA-27040: file create error, unable to create file" "Linux-x86_64 Error: 2: No such file or directory"
      fi
      if [ "$kind" = db ] && knob db-fail-backup "$ORA_SID"; then
        fail "RMAN-03009: failure of backup command on ORA_DISK_1 channel at $(date '+%m/%d/%Y %H:%M:%S')" "ORA-19502: write error on file \"$piece\", block number 1024 (block size=8192)" "ORA-27072: File I/O error"
      fi
      compress=0; [[ "$st" == *COMPRESSED* ]] && compress=1
      if [ "$kind" = db ]; then
        members=(); for d in "$ORADIR"/*; do b=$(basename "$d"); [ "$b" = runtime ] || members+=("$b"); done
        make_image "$ORADIR" "$piece" "$compress" "$(printf 'database=%s\ntype=rman-db\ntag=%s' "$ORA_SID" "$tag")" "${members[@]}" || fail "ORA-19502: write error on file \"$piece\""
        echo "channel ORA_DISK_1: starting compressed full datafile backup set"
      else
        make_image "$ORADIR" "$piece" "$compress" "$(printf 'database=%s\ntype=rman-%s\ntag=%s' "$ORA_SID" "$kind" "$tag")" db.cfg || fail "ORA-19502: write error on file \"$piece\""
      fi
      printf '%s\t%s\t%s\n' "$piece" "$kind" "$tag" >> "$catalog"
      echo "channel ORA_DISK_1: finished piece 1 at $(day)"
      echo "piece handle=$piece tag=${tag:-TAG$(date +%Y%m%dT%H%M%S)} comment=NONE"
      echo "Finished backup at $(day)"
      db_log rman "backup-$kind" "$ORA_SID" "$piece" "$tag" ;;
    "CATALOG START WITH"*)
      [[ "$st" =~ WITH[[:space:]]+\'([^\']+)\' ]] || fail "RMAN-00558: error encountered while parsing input commands"
      prefix="${BASH_REMATCH[1]}"
      echo "searching for all files that match the pattern $prefix"
      echo ""; echo "List of Files Unknown to the Database"; echo "====================================="
      found=0
      for f in "$prefix"*; do
        [ -f "$f" ] || continue
        tmp=$(mktemp -d "$STATE/run/tmp.XXXXXX")
        if unpack_image "$f" "$tmp" 2>/dev/null; then
          t=$(info_get "$tmp" type); g=$(info_get "$tmp" tag)
          printf '%s\t%s\t%s\n' "$f" "${t#rman-}" "$g" >> "$catalog"
          echo "File Name: $f"; found=1
        fi
        rm -rf "$tmp"
      done
      [ "$found" = 1 ] || echo "no files found to be unknown to the database"
      echo "cataloging files..."; echo "cataloging done" ;;
    "RESTORE DATABASE"*)
      [ "$(cat "$state_file")" = mounted ] || fail "RMAN-03002: failure of restore command at $(date '+%m/%d/%Y %H:%M:%S')" "ORA-19573: cannot obtain exclusive enqueue for datafile 1"
      want=""; [[ "$st" =~ FROM[[:space:]]+TAG[[:space:]]+\'([^\']+)\' ]] && want="${BASH_REMATCH[1]}"
      piece=""
      if [ -f "$catalog" ]; then
        while IFS=$'\t' read -r f k g; do
          [ "$k" = db ] && [ -f "$f" ] || continue
          if [ -z "$want" ] || [ "$g" = "$want" ]; then piece="$f"; fi
        done < "$catalog"
      fi
      if [ -z "$piece" ] || knob db-fail-restore "$ORA_SID"; then
        fail "RMAN-03002: failure of restore command at $(date '+%m/%d/%Y %H:%M:%S')" "RMAN-06026: some targets not found - aborting restore" "RMAN-06023: no backup or copy of datafile 1 found to restore"
      fi
      echo "Starting restore at $(day)"
      echo "channel ORA_DISK_1: restoring datafile 00001 to $ORADIR"
      echo "channel ORA_DISK_1: reading from backup piece $piece"
      tmp=$(mktemp -d "$STATE/run/tmp.XXXXXX")
      unpack_image "$piece" "$tmp" || fail "ORA-19870: error while restoring backup piece $piece"
      replace_state "$ORADIR" "$tmp"
      rm -rf "$tmp"
      echo "channel ORA_DISK_1: restore complete"
      echo "Finished restore at $(day)"
      db_log rman restore "$ORA_SID" "$piece" "$want" ;;
    "RECOVER DATABASE"*)
      echo "Starting recover at $(day)"; echo "media recovery complete, elapsed time: 00:00:01"; echo "Finished recover at $(day)" ;;
    *)
      fail "RMAN-00558: error encountered while parsing input commands" "RMAN-01009: syntax error: found \"identifier\": expecting one of: \"allocate, alter, backup, catalog, ...\"" "RMAN-01007: at line 1 column 1 file: standard input" ;;
  esac
done
echo ""
echo "Recovery Manager complete."
exit 0

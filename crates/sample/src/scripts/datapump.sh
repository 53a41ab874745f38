# cnxbackup sample: stand-in for Oracle Data Pump (expdp / impdp).
# (A fragment: src/standin_*.rs prepends the shebang and the sample paths SYSROOT, STATE, ...)
# Exit codes as Data Pump: 0 success, 5 completed with errors, 1 failure.
ORADIR="$DBROOT/oracle/$ORA_SID"
userid=""; schemas=""; directory="DATA_PUMP_DIR"; dumpfile="expdat.dmp"; logfile=""; full=0
tea="skip"; reuse=0; compression="none"; parfile=""; estimate_only=0; nologfile=0
args=("$@")
if [ -n "${args[0]-}" ] && [[ "${args[0]}" != *=* ]]; then userid="${args[0]}"; args=("${args[@]:1}"); fi
parse_kv() {
  local k="${1%%=*}" v="${1#*=}"
  case "${k,,}" in
    userid) userid="$v" ;;
    schemas) schemas="$v" ;;
    directory) directory="$v" ;;
    dumpfile) dumpfile="$v" ;;
    logfile) logfile="$v" ;;
    full) [[ "${v,,}" == y* ]] && full=1 ;;
    table_exists_action) tea="${v,,}" ;;
    reuse_dumpfiles) [[ "${v,,}" == y* ]] && reuse=1 ;;
    compression) compression="${v,,}" ;;
    parfile) parfile="$v" ;;
    estimate_only) [[ "${v,,}" == y* ]] && estimate_only=1 ;;
    nologfile) [[ "${v,,}" == y* ]] && nologfile=1 ;;
  esac
}
for a in "${args[@]}"; do parse_kv "$a"; done
if [ -n "$parfile" ] && [ -f "$parfile" ]; then while read -r line; do [ -n "$line" ] && parse_kv "$line"; done < "$parfile"; fi
what=$([ "$MODE" = export ] && echo Export || echo Import)
job=$([ "$MODE" = export ] && echo EXPORT || echo IMPORT)
kind=$([ "$full" = 1 ] && echo FULL || echo SCHEMA)
jobname="\"${ORA_USER^^}\".\"SYS_${job}_${kind}_01\""
now() { date '+%a %b %d %H:%M:%S %Y'; }
echo ""
echo "$what: Release 19.0.0.0.0 - Production on $(now)"
echo "Version 19.3.0.0.0"
echo ""
echo "Copyright (c) 1982, 2019, Oracle and/or its affiliates.  All rights reserved."
echo ""
u="${userid%%/*}"; rest="${userid#*/}"; p="${rest%%@*}"
# Passwords (and users) with special characters are written double-quoted.
u="${u#\"}"; u="${u%\"}"; p="${p#\"}"; p="${p%\"}"
if [[ "$userid" != "/ as sysdba" ]] && { [ "${u,,}" != "${ORA_USER,,}" ] || [ "$p" != "$ORA_PASSWORD" ]; }; then
  echo "UDI-01017: operation generated ORACLE error 1017"
  echo "ORA-01017: invalid username/password; logon denied"
  echo ""
  db_log "${MODE}dp" login-failed "$ORA_SID" "$u"
  exit 1
fi
echo "Connected to: Oracle Database 19c Enterprise Edition Release 19.0.0.0.0 - Production"
if [ "$MODE" = export ] && [ "$estimate_only" = 1 ]; then
  # ESTIMATE_ONLY: the job checks the schemas and sizes their data; no dump file, and no
  # directory needed with NOLOGFILE.
  masked="${u}/********@${ORA_SID}"
  echo "Starting $jobname:  $masked ${args[*]}"
  echo "Estimate in progress using BLOCKS method..."
  echo "Processing object type ${kind}_EXPORT/TABLE/TABLE_DATA"
  errors=0; total=0
  IFS=',' read -r -a req <<< "${schemas^^}"
  for s in "${req[@]}"; do
    s="${s//\"/}"; s="${s// /}"
    if [ ! -d "$ORADIR/$s" ]; then echo "ORA-39165: Schema $s was not found."; errors=$((errors+1)); continue; fi
    b=$(state_bytes "$ORADIR/$s")
    total=$((total + b))
    echo ".  estimated \"$s\".\"TABLES\"   $(( b / 1024 + 1 )) KB"
  done
  echo "Total estimation using BLOCKS method: $(( total / 1024 + 1 )) KB"
  db_log expdp estimate "$ORA_SID" "$total" "errors=$errors"
  if [ "$errors" -gt 0 ]; then
    echo "Job $jobname completed with $errors error(s) at $(now) elapsed 0 00:00:01"
    exit 5
  fi
  echo "Job $jobname successfully completed at $(now) elapsed 0 00:00:01"
  exit 0
fi
dpath=$(sed -n "s/^${directory^^}=//p" "$ORADIR/runtime/directories" 2>/dev/null | head -n 1)
if [ -z "$dpath" ] || [ ! -d "$SYSROOT$dpath" ]; then
  echo "ORA-39002: invalid operation"
  echo "ORA-39070: Unable to open the log file."
  echo "ORA-39087: directory name ${directory^^} is invalid"
  echo ""
  db_log "${MODE}dp" failed "$ORA_SID" ORA-39087
  exit 1
fi
dfile="${dumpfile//%U/01}"; dfile="${dfile//%u/01}"
real="$SYSROOT$dpath/$dfile"
[ -n "$logfile" ] && : > "$SYSROOT$dpath/$logfile"
masked="${u}/********@${ORA_SID}"
echo "Starting $jobname:  $masked ${args[*]}"
errors=0
if [ "$MODE" = export ]; then
  if [ -e "$real" ] && [ "$reuse" = 0 ]; then
    echo "ORA-39001: invalid argument value"
    echo "ORA-39000: bad dump file specification"
    echo "ORA-31641: unable to create dump file \"$dpath/$dfile\""
    echo "ORA-27038: created file already exists"
    db_log expdp failed "$ORA_SID" ORA-27038
    exit 1
  fi
  list=()
  if [ "$full" = 1 ]; then
    for d in "$ORADIR"/*/; do b=$(basename "$d"); [ "$b" = runtime ] || list+=("$b"); done
  else
    IFS=',' read -r -a req <<< "${schemas^^}"
    for s in "${req[@]}"; do
      s="${s//\"/}"; s="${s// /}"
      if [ -d "$ORADIR/$s" ]; then list+=("$s"); else echo "ORA-39165: Schema $s was not found."; errors=$((errors+1)); fi
    done
  fi
  echo "Processing object type ${kind}_EXPORT/TABLE/TABLE_DATA"
  for s in "${list[@]}"; do
    for t in "$ORADIR/$s"/tables/*.dat; do
      [ -f "$t" ] || continue
      echo ". . exported \"$s\".\"$(basename "$t" .dat)\"   $(( $(wc -c < "$t") / 1024 + 1 )) KB   $(wc -l < "$t") rows"
    done
  done
  if knob db-fail-backup "$ORA_SID"; then
    echo "ORA-31693: Table data object \"${list[0]-X}\".\"DATA\" failed to load/unload and is being skipped due to error:"
    echo "ORA-01555: snapshot too old: rollback segment number 3 with name \"_SYSSMU3\$\" too small"
    errors=$((errors+1))
  fi
  compress=0; [ "$compression" = all ] || [ "$compression" = data_only ] && compress=1
  make_image "$ORADIR" "$real" "$compress" "$(printf 'database=%s\nschemas=%s\ntype=datapump' "$ORA_SID" "$(IFS=,; echo "${list[*]}")")" "${list[@]}" || { echo "ORA-31641: unable to create dump file \"$dpath/$dfile\""; exit 1; }
  echo "Master table $jobname successfully loaded/unloaded"
  echo "******************************************************************************"
  echo "Dump file set for ${ORA_USER^^}.SYS_${job}_${kind}_01 is:"
  echo "  $dpath/$dfile"
  db_log expdp export "$ORA_SID" "$dfile" "$(IFS=,; echo "${list[*]}")" "errors=$errors"
else
  if [ ! -f "$real" ]; then
    echo "ORA-39001: invalid argument value"
    echo "ORA-39000: bad dump file specification"
    echo "ORA-31640: unable to open dump file \"$dpath/$dfile\" for read"
    echo "ORA-27037: unable to obtain file status"
    db_log impdp failed "$ORA_SID" ORA-31640
    exit 1
  fi
  if knob db-fail-restore "$ORA_SID"; then
    echo "ORA-39059: dump file set is incomplete"
    db_log impdp failed "$ORA_SID" ORA-39059
    exit 1
  fi
  tmp=$(mktemp -d "$STATE/run/tmp.XXXXXX")
  unpack_image "$real" "$tmp" || { rm -rf "$tmp"; echo "ORA-39143: dump file \"$dpath/$dfile\" may be an original export dump file"; exit 1; }
  echo "Master table $jobname successfully loaded/unloaded"
  echo "Processing object type ${kind}_EXPORT/TABLE/TABLE_DATA"
  list=()
  if [ -n "$schemas" ] && [ "$full" = 0 ]; then IFS=',' read -r -a list <<< "${schemas^^}"; else
    IFS=',' read -r -a list <<< "$(info_get "$tmp" schemas)"; fi
  imported=()
  for s in "${list[@]}"; do
    s="${s//\"/}"; s="${s// /}"
    if [ ! -d "$tmp/$s" ]; then echo "ORA-39165: Schema $s was not found."; errors=$((errors+1)); continue; fi
    if [ -d "$ORADIR/$s" ] && [ "$tea" = skip ]; then
      for t in "$ORADIR/$s"/tables/*.dat; do
        echo "ORA-39151: Table \"$s\".\"$(basename "$t" .dat)\" exists. All dependent metadata and data will be skipped due to table_exists_action of skip"
        errors=$((errors+1))
      done
      continue
    fi
    rm -rf "${ORADIR:?}/$s"
    mv "$tmp/$s" "$ORADIR/$s"
    for t in "$ORADIR/$s"/tables/*.dat; do
      [ -f "$t" ] || continue
      echo ". . imported \"$s\".\"$(basename "$t" .dat)\"   $(( $(wc -c < "$t") / 1024 + 1 )) KB   $(wc -l < "$t") rows"
    done
    imported+=("$s")
  done
  rm -rf "$tmp"
  db_log impdp import "$ORA_SID" "$dfile" "$(IFS=,; echo "${imported[*]}")" "errors=$errors"
fi
if [ "$errors" -gt 0 ]; then
  echo "Job $jobname completed with $errors error(s) at $(now) elapsed 0 00:00:03"
  exit 5
fi
echo "Job $jobname successfully completed at $(now) elapsed 0 00:00:03"
exit 0

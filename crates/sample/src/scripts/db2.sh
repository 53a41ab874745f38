# cnxbackup sample: stand-in for the DB2 command line processor (db2).
# (A fragment: src/standin_*.rs prepends the shebang and the sample paths SYSROOT, STATE, ...)
# Exit codes as the CLP: 0 ok, 2 warning, 4 DB2/SQL error, 8 CLP system error.
INSTANCE="${DB2INSTANCE:-$INSTANCE_DEFAULT}"
DB2DIR="$DBROOT/db2"
while [[ "${1-}" == -* ]]; do shift; done
cmd="$*"
read -r -a w <<< "$cmd"
lc=("${w[@],,}")
n=${#w[@]}
ok() { echo "DB20000I  The $1 command completed successfully."; }
no_db() { echo "SQL1013N  The database alias name or database name \"$1\" could not be found.  SQLSTATE=42705"; db_log db2 error "$1" SQL1013N; exit 4; }
syntax() { echo "SQL0104N  An unexpected token \"$1\" was found following \"${cmd%% $1*}\".  Expected tokens may include:  \"<end-of-statement>\".  SQLSTATE=42601"; exit 4; }
isdb() { [ "$1" = database ] || [ "$1" = db ]; }
# The CLP keeps one connection per parent process (its back-end): so does the stand-in.
CONN="$STATE/run/db2-connection.$PPID"
# DATABASESIZE as get_dbsize_info reports it: the bytes the database occupies.
dbsize() { state_bytes "$DB2DIR/$1"; }

if [ "$n" -eq 0 ]; then echo "(c) Copyright IBM Corporation 1993,2007"; echo "Command Line Processor for DB2 Client 11.5.8.0"; exit 0; fi

case "${lc[0]}" in
  connect)
    if [ "${lc[1]-}" = reset ]; then rm -f "$CONN"; ok "SQL"; exit 0; fi
    [ "${lc[1]-}" = to ] || syntax "${w[1]-}"
    db="${w[2]^^}"; [ -d "$DB2DIR/$db" ] || no_db "$db"
    echo "$db" > "$CONN"
    echo ""
    echo "   Database Connection Information"
    echo ""
    echo " Database server        = DB2/LINUXX8664 11.5.8.0"
    echo " SQL authorization ID   = ${INSTANCE^^}"
    echo " Local database alias   = $db"
    echo ""
    exit 0 ;;
  terminate) ok "TERMINATE"; exit 0 ;;
  get)
    if [ "${lc[1]-}" = instance ]; then echo ""; echo " The current database manager instance is:  $INSTANCE"; echo ""; exit 0; fi
    syntax "${w[1]-}" ;;
  quiesce|unquiesce)
    isdb "${lc[1]-}" || syntax "${w[1]-}"
    ok "${w[0]^^} DATABASE"; exit 0 ;;
  activate|deactivate)
    isdb "${lc[1]-}" || syntax "${w[1]-}"
    db="${w[2]^^}"; [ -d "$DB2DIR/$db" ] || no_db "$db"
    if [ "${lc[0]}" = deactivate ] && [ ! -e "$DB2DIR/$db/runtime/active" ]; then
      echo "SQL1496W  Deactivate database is successful, but the database was not activated."
      exit 2
    fi
    if [ "${lc[0]}" = activate ]; then touch "$DB2DIR/$db/runtime/active"; else rm -f "$DB2DIR/$db/runtime/active"; fi
    ok "${w[0]^^} DATABASE"; exit 0 ;;
  backup)
    isdb "${lc[1]-}" || syntax "${w[1]-}"
    db="${w[2]^^}"; online=0; compress=0; logs=0; dir=""
    i=3
    while [ $i -lt $n ]; do
      case "${lc[$i]}" in
        online) online=1 ;;
        to) i=$((i+1)); dir="${w[$i]-}"; dir="${dir%,}" ;;
        compress) compress=1 ;;
        include) [ "${lc[$((i+1))]-}" = logs ] || syntax "${w[$i]}"; logs=1; i=$((i+1)) ;;
        exclude) i=$((i+1)) ;;
        without) i=$((i+1)) ;;
        buffer|parallelism|util_impact_priority|with) i=$((i+1)) ;;
        buffers) ;;
        *) syntax "${w[$i]}" ;;
      esac
      i=$((i+1))
    done
    [ -d "$DB2DIR/$db" ] || no_db "$db"
    [ -n "$dir" ] || dir="$PWD"
    db_log db2 backup-start "$db" "$dir"
    if [ ! -d "$dir" ] || [ ! -w "$dir" ]; then
      echo "SQL2036N  The path for the file or device \"$dir\" is not valid."
      db_log db2 backup-failed "$db" SQL2036N "$dir"
      exit 4
    fi
    if [ "$online" = 0 ] && knob db-in-use "$db"; then
      echo "SQL1035N  The operation failed because the specified database cannot be connected to in the mode requested.  SQLSTATE=57019"
      db_log db2 backup-failed "$db" SQL1035N "$dir"
      exit 4
    fi
    if knob db-fail-backup "$db"; then
      echo "SQL2062N  An error occurred while accessing media \"$dir\".  Reason code: \"28\"."
      db_log db2 backup-failed "$db" SQL2062N "$dir"
      exit 4
    fi
    simulate_size "$db"
    while :; do
      ts=$(date +%Y%m%d%H%M%S)
      compgen -G "$dir/$db.0.*.DBPART000.$ts.*" >/dev/null || break
      sleep 1
    done
    img="$dir/$db.0.$INSTANCE.DBPART000.$ts.001"
    mode=$([ "$online" = 1 ] && echo online || echo offline)
    make_image "$DB2DIR/$db" "$img" "$compress" "$(printf 'database=%s\ntype=%s\ninclude_logs=%s\ncompressed=%s' "$db" "$mode" "$logs" "$compress")" || {
      rm -f "$img"
      if full_fs "$dir"; then
        echo "SQL2419N  The target disk \"$dir\" has become full."
        db_log db2 backup-failed "$db" SQL2419N "$dir"
      else
        echo "SQL2062N  An error occurred while accessing media \"$dir\".  Reason code: \"11\"."
        db_log db2 backup-failed "$db" SQL2062N "$dir"
      fi
      exit 4; }
    chmod 600 "$img"
    echo "$ts $mode $(basename "$img")" >> "$DB2DIR/$db/runtime/history"
    echo ""
    echo "Backup successful. The timestamp for this backup image is : $ts"
    echo ""
    db_log db2 backup "$db" "$ts" "$dir" "$mode"
    exit 0 ;;
  restore)
    isdb "${lc[1]-}" || syntax "${w[1]-}"
    db="${w[2]^^}"; dir=""; ts=""; replace=0; norf=0; noprompt=0; logtarget=""
    i=3
    while [ $i -lt $n ]; do
      case "${lc[$i]}" in
        from) i=$((i+1)); dir="${w[$i]-}" ;;
        taken) i=$((i+2)); ts="${w[$i]-}" ;;
        logtarget) i=$((i+1)); logtarget="${w[$i]-}" ;;
        replace) [ "${lc[$((i+1))]-}" = existing ] && replace=1; i=$((i+1)) ;;
        without)
          case "${lc[$((i+1))]-}" in
            rolling) norf=1; i=$((i+2)) ;;
            prompting) noprompt=1; i=$((i+1)) ;;
            *) syntax "${w[$((i+1))]-}" ;;
          esac ;;
        into) i=$((i+1)); db="${w[$i]^^}" ;;
        *) syntax "${w[$i]}" ;;
      esac
      i=$((i+1))
    done
    [ -n "$dir" ] || dir="$PWD"
    if [ ! -d "$dir" ]; then
      echo "SQL2036N  The path for the file or device \"$dir\" is not valid."
      db_log db2 restore-failed "$db" SQL2036N "$dir"
      exit 4
    fi
    img=""
    for f in "$dir/${w[2]^^}".0.*.DBPART000."$ts".*; do [ -f "$f" ] && img="$f" && break; done
    if [ -z "$ts" ] || [ -z "$img" ]; then
      echo "SQL2542N  No match for a database image file was found based on the source database alias \"${w[2]^^}\" and timestamp \"$ts\" provided."
      db_log db2 restore-failed "$db" SQL2542N "$ts"
      exit 4
    fi
    if knob db-fail-restore "$db"; then
      echo "SQL2025N  An I/O error occurred. Error code: \"28\". Media on which this error occurred: \"$dir\"."
      db_log db2 restore-failed "$db" SQL2025N "$ts"
      exit 4
    fi
    tmp=$(mktemp -d "$STATE/run/tmp.XXXXXX")
    if ! unpack_image "$img" "$tmp/x" || [ ! -f "$tmp/x/BACKUP.INFO" ]; then
      rm -rf "$tmp"
      echo "SQL2518N  The RESTORE was not successful. Error restoring the backup image.  Reason code: \"5\"."
      db_log db2 restore-failed "$db" SQL2518N "$ts"
      exit 4
    fi
    type=$(info_get "$tmp/x" type)
    if [ "$type" = online ] && [ "$norf" = 1 ]; then
      rm -rf "$tmp"
      echo "SQL2537N  Roll-forward is required following the Restore."
      db_log db2 restore-failed "$db" SQL2537N "$ts"
      exit 4
    fi
    # LOGTARGET: the logs an online image holds ("include logs") are extracted there; the
    # directory must exist and must not already hold them.
    logs=$(info_get "$tmp/x" include_logs)
    if [ -n "$logtarget" ] && [ "$logs" = 1 ]; then
      logfile="$logtarget/S0000000.LOG"
      if [ ! -d "$logtarget" ] || [ ! -w "$logtarget" ] || [ -e "$logfile" ]; then
        rm -rf "$tmp"
        echo "SQL2581N  Restore is unable to extract log files or restore a log directory from the backup image to the specified path.  Reason code \"1\"."
        db_log db2 restore-failed "$db" SQL2581N "$ts"
        exit 4
      fi
      printf 'log extent of %s, online backup taken at %s\n' "$db" "$ts" > "$logfile"
    fi
    existed=0; [ -d "$DB2DIR/$db" ] && existed=1
    mkdir -p "$DB2DIR/$db"
    replace_state "$DB2DIR/$db" "$tmp/x"
    rm -rf "$tmp"
    chmod 700 "$DB2DIR/$db"
    if [ "$type" = online ]; then echo "$ts" > "$DB2DIR/$db/runtime/rollforward-pending"; else rm -f "$DB2DIR/$db/runtime/rollforward-pending"; fi
    db_log db2 restore "$db" "$ts" "$dir" "$type"
    if [ "$existed" = 1 ] && [ "$replace" = 0 ]; then
      echo "SQL2540W  Restore is successful, however a warning \"2539\" was encountered during Database Restore while processing in No Interrupt mode."
      exit 2
    fi
    ok "RESTORE DATABASE"
    exit 0 ;;
  rollforward)
    isdb "${lc[1]-}" || syntax "${w[1]-}"
    db="${w[2]^^}"; [ -d "$DB2DIR/$db" ] || no_db "$db"
    # TO END OF LOGS | END OF BACKUP | <timestamp> [AND STOP|COMPLETE] [OVERFLOW LOG PATH (dir)]
    target=""; overflow=""
    i=3
    while [ $i -lt $n ]; do
      case "${lc[$i]}" in
        to)
          case "${lc[$((i+1))]-} ${lc[$((i+2))]-} ${lc[$((i+3))]-}" in
            "end of logs") target="end of logs"; i=$((i+3)) ;;
            "end of backup") target="end of backup"; i=$((i+3)) ;;
            *) i=$((i+1)); target="${w[$i]-}" ;;
          esac ;;
        and) i=$((i+1)) ;;
        stop|complete) ;;
        overflow)
          [ "${lc[$((i+1))]-} ${lc[$((i+2))]-}" = "log path" ] || syntax "${w[$i]}"
          i=$((i+3)); overflow="${w[$i]-}"; overflow="${overflow#(}"; overflow="${overflow%)}" ;;
        *) syntax "${w[$i]}" ;;
      esac
      i=$((i+1))
    done
    [ -n "$target" ] || syntax "${w[2]}"
    pending="$DB2DIR/$db/runtime/rollforward-pending"
    if [ -f "$pending" ] && [ -n "$overflow" ] && [ ! -f "$overflow/S0000000.LOG" ]; then
      echo "SQL1273N  An operation reading the logs on database \"$db\" cannot continue because of a missing log file \"S0000000.LOG\" on database partition \"0\" and log stream \"0\"."
      db_log db2 rollforward-failed "$db" SQL1273N "$target"
      exit 4
    fi
    rm -f "$pending"
    echo ""
    echo "                                 Rollforward Status"
    echo ""
    echo " Input database alias                   = $db"
    echo " Number of members have returned status = 1"
    echo ""
    echo " Member ID                              = 0"
    echo " Rollforward status                     = not pending"
    echo ""
    ok "ROLLFORWARD"
    db_log db2 rollforward "$db" "$target" "$overflow"
    exit 0 ;;
  call)
    # call get_dbsize_info(?,?,?,-1): needs a connection, as the real procedure does.
    [[ "${lc[*]:1}" == get_dbsize_info* ]] || syntax "${w[1]-}"
    db=$(cat "$CONN" 2>/dev/null)
    if [ -z "$db" ] || [ ! -d "$DB2DIR/$db" ]; then
      echo "SQL1024N  A database connection does not exist.  SQLSTATE=08003"
      exit 4
    fi
    size=$(dbsize "$db")
    echo ""
    echo "  Value of output parameters"
    echo "  --------------------------"
    echo "  Parameter Name  : SNAPSHOTTIMESTAMP"
    echo "  Parameter Value : $(date -u +%Y-%m-%d-%H.%M.%S).000000"
    echo ""
    echo "  Parameter Name  : DATABASESIZE"
    echo "  Parameter Value : $size"
    echo ""
    echo "  Parameter Name  : DATABASECAPACITY"
    echo "  Parameter Value : $((size * 8))"
    echo ""
    echo "  Return Status = 0"
    db_log db2 dbsize "$db" "$size"
    exit 0 ;;
  list)
    if [ "${lc[1]-} ${lc[2]-}" = "db directory" ] || [ "${lc[1]-} ${lc[2]-}" = "database directory" ]; then
      dbs=()
      for d in "$DB2DIR"/*/; do [ -d "$d" ] && dbs+=("$(basename "$d")"); done
      if [ ${#dbs[@]} -eq 0 ]; then
        echo "SQL1057W  The system database directory is empty.  SQLSTATE=01606"
        exit 2
      fi
      echo ""
      echo " System Database Directory"
      echo ""
      echo " Number of entries in the directory = ${#dbs[@]}"
      echo ""
      i=0
      for db in "${dbs[@]}"; do
        i=$((i+1))
        echo "Database $i entry:"
        echo ""
        echo " Database alias                       = $db"
        echo " Database name                        = $db"
        echo " Local database directory             = /home/$INSTANCE"
        echo " Database release level               = 15.00"
        echo " Comment                              ="
        echo " Directory entry type                 = Indirect"
        echo " Catalog database partition number    = 0"
        echo " Alternate server hostname            ="
        echo " Alternate server port number         ="
        echo ""
      done
      db_log db2 list-db-directory - "${#dbs[@]}"
      exit 0
    fi
    if [ "${lc[1]-}" = history ]; then
      db="${w[$((n-1))]^^}"; [ -d "$DB2DIR/$db" ] || no_db "$db"
      echo ""
      echo "                    List History File for $db"
      echo ""
      c=0
      if [ -f "$DB2DIR/$db/runtime/history" ]; then
        while read -r hts hmode hfile; do
          c=$((c+1))
          op=$([ "$hmode" = online ] && echo N || echo F)
          echo " Op Obj Timestamp+Sequence Type Dev Backup ID"
          echo " -- --- ------------------ ---- --- --------------"
          echo "  B  D  ${hts}001   $op    D  $hts"
          echo ""
        done < "$DB2DIR/$db/runtime/history"
      fi
      echo "Number of matching file entries = $c"
      exit 0
    fi
    syntax "${w[1]-}" ;;
  *)
    echo "DB21034E  The command was processed as an SQL statement because it was not a"
    echo "valid Command Line Processor command.  During SQL processing it returned:"
    echo "SQL1024N  A database connection does not exist.  SQLSTATE=08003"
    exit 4 ;;
esac

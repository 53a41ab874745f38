# cnxbackup sample: stand-in for sqlcmd (SQL Server). Like the real tool it exits 0 even
# (A fragment: src/standin_*.rs prepends the shebang and the sample paths SYSROOT, STATE, ...)
# when a statement fails, unless -b is given (then 1).
SQLDIR="$DBROOT/sqlserver"
# Like the real tool: SQLCMDSERVER / SQLCMDUSER / SQLCMDPASSWORD apply unless -S/-U/-P are given.
server="${SQLCMDSERVER:-localhost}"; user="${SQLCMDUSER-}"; pass="${SQLCMDPASSWORD-}"; trusted=0; abort=0; query=""; input=""
while [ $# -gt 0 ]; do
  case "$1" in
    -S) server="$2"; shift 2 ;;
    -U) user="$2"; shift 2 ;;
    -P) pass="$2"; shift 2 ;;
    -E) trusted=1; shift ;;
    -b) abort=1; shift ;;
    -Q|-q) query="$2"; shift 2 ;;
    -i) input="$2"; shift 2 ;;
    -d|-h|-s|-w|-V|-l|-t|-o|-N|-H|-a) shift 2 ;;
    *) shift ;;
  esac
done
[ -n "$input" ] && query="$(cat "$input")"
srv="${server%%,*}"
fail() { if [ "$abort" = 1 ]; then exit 1; else exit 0; fi; }
if [ "$trusted" = 0 ] && { [ "$user" != "$SA_USER" ] || [ "$pass" != "$SA_PASSWORD" ]; }; then
  echo "Sqlcmd: Error: Microsoft ODBC Driver 18 for SQL Server : Login failed for user '$user'.."
  db_log sqlcmd login-failed "$user"
  exit 1
fi
q=$(printf '%s' "$query" | tr '\n' ' ')
shopt -s nocasematch
re_name='\[?([A-Za-z0-9_]+)\]?'
re_disk="DISK[[:space:]]*=[[:space:]]*N?'([^']+)'"
msg() { echo "Msg $1, Level 16, State 1, Server $srv, Line 1"; echo "$2"; }
pages() { echo $(( $(wc -c < "$1") / 8192 + 2 )); }
if [[ "$q" =~ ^[[:space:]]*BACKUP[[:space:]]+DATABASE[[:space:]]+$re_name[[:space:]]+TO[[:space:]]+$re_disk(.*)$ ]]; then
  db="${BASH_REMATCH[1]^^}"; file="${BASH_REMATCH[2]}"; opts="${BASH_REMATCH[3]}"
  db_log sqlcmd backup-start "$db" "$file"
  if [ ! -d "$SQLDIR/$db" ]; then
    msg 911 "Database '$db' does not exist. Make sure that the name is entered correctly."
    msg 3013 "BACKUP DATABASE is terminating abnormally."
    db_log sqlcmd backup-failed "$db" 911; fail
  fi
  if [ ! -d "$(dirname "$file")" ]; then
    msg 3201 "Cannot open backup device '$file'. Operating system error 3(The system cannot find the path specified.)."
    msg 3013 "BACKUP DATABASE is terminating abnormally."
    db_log sqlcmd backup-failed "$db" 3201 "$file"; fail
  fi
  if knob db-fail-backup "$db"; then
    msg 3202 "Write on \"$file\" failed: 112(There is not enough space on the disk.)"
    msg 3013 "BACKUP DATABASE is terminating abnormally."
    db_log sqlcmd backup-failed "$db" 3202 "$file"; fail
  fi
  if [ ! -w "$(dirname "$file")" ]; then
    msg 3201 "Cannot open backup device '$file'. Operating system error 5(Access is denied.)."
    msg 3013 "BACKUP DATABASE is terminating abnormally."
    db_log sqlcmd backup-failed "$db" 3201 "$file"; fail
  fi
  simulate_size "$db"
  compress=0; [[ "$opts" == *COMPRESSION* && "$opts" != *NO_COMPRESSION* ]] && compress=1
  checksum=0; [[ "$opts" == *CHECKSUM* && "$opts" != *NO_CHECKSUM* ]] && checksum=1
  make_image "$SQLDIR/$db" "$file" "$compress" "$(printf 'database=%s\ntype=full\nchecksum=%s\ncompressed=%s' "$db" "$checksum" "$compress")" || {
    rm -f "$file"
    if full_fs "$(dirname "$file")"; then
      msg 3202 "Write on \"$file\" failed: 112(There is not enough space on the disk.)"
    else
      msg 3201 "Cannot open backup device '$file'. Operating system error 5(Access is denied.)."
    fi
    msg 3013 "BACKUP DATABASE is terminating abnormally."
    db_log sqlcmd backup-failed "$db" 3202 "$file"; fail; }
  p=$(pages "$file")
  echo "Processed $p pages for database '$db', file '$db' on file 1."
  echo "Processed 2 pages for database '$db', file '${db}_log' on file 1."
  echo "BACKUP DATABASE successfully processed $((p + 2)) pages in 0.052 seconds (12.402 MB/sec)."
  db_log sqlcmd backup "$db" "$file" "checksum=$checksum" "compression=$compress"
  exit 0
elif [[ "$q" =~ ^[[:space:]]*RESTORE[[:space:]]+VERIFYONLY[[:space:]]+FROM[[:space:]]+$re_disk ]]; then
  file="${BASH_REMATCH[1]}"
  tmp=$(mktemp -d "$STATE/run/tmp.XXXXXX")
  if [ -f "$file" ] && unpack_image "$file" "$tmp" 2>/dev/null && [ -f "$tmp/BACKUP.INFO" ]; then
    rm -rf "$tmp"; echo "The backup set on file 1 is valid."
    db_log sqlcmd verify - "$file" ok; exit 0
  fi
  rm -rf "$tmp"
  msg 3201 "Cannot open backup device '$file'. Operating system error 2(The system cannot find the file specified.)."
  msg 3013 "VERIFY DATABASE is terminating abnormally."
  fail
elif [[ "$q" =~ ^[[:space:]]*RESTORE[[:space:]]+DATABASE[[:space:]]+$re_name[[:space:]]+FROM[[:space:]]+$re_disk(.*)$ ]]; then
  db="${BASH_REMATCH[1]^^}"; file="${BASH_REMATCH[2]}"
  if [ ! -f "$file" ]; then
    msg 3201 "Cannot open backup device '$file'. Operating system error 2(The system cannot find the file specified.)."
    msg 3013 "RESTORE DATABASE is terminating abnormally."
    db_log sqlcmd restore-failed "$db" 3201 "$file"; fail
  fi
  if knob db-fail-restore "$db"; then
    msg 3203 "Read on \"$file\" failed: 23(Data error (cyclic redundancy check).)"
    msg 3013 "RESTORE DATABASE is terminating abnormally."
    db_log sqlcmd restore-failed "$db" 3203 "$file"; fail
  fi
  tmp=$(mktemp -d "$STATE/run/tmp.XXXXXX")
  if ! unpack_image "$file" "$tmp/x" 2>/dev/null || [ ! -f "$tmp/x/BACKUP.INFO" ]; then
    rm -rf "$tmp"
    msg 3241 "The media family on device '$file' is incorrectly formed. SQL Server cannot process this media family."
    msg 3013 "RESTORE DATABASE is terminating abnormally."
    fail
  fi
  mkdir -p "$SQLDIR/$db"
  replace_state "$SQLDIR/$db" "$tmp/x"
  rm -rf "$tmp"
  chmod 700 "$SQLDIR/$db"
  p=$(pages "$file")
  echo "Processed $p pages for database '$db', file '$db' on file 1."
  echo "Processed 2 pages for database '$db', file '${db}_log' on file 1."
  echo "RESTORE DATABASE successfully processed $((p + 2)) pages in 0.081 seconds (8.010 MB/sec)."
  db_log sqlcmd restore "$db" "$file"
  exit 0
elif [[ "$q" =~ sys\.master_files ]]; then
  # The databases of this server and the size of their files (8 KiB pages), one row each;
  # with -h -1 -W -s "|" sqlcmd prints exactly name|bytes.
  for d in "$SQLDIR"/*/; do
    [ -d "$d" ] || continue
    b=$(state_bytes "$d")
    echo "$(basename "$d")|$(( (b / 8192 + 1) * 8192 ))"
  done
  db_log sqlcmd sizes - "$srv"
  exit 0
elif [[ "$q" =~ SELECT[[:space:]]+@@VERSION ]]; then
  echo "Microsoft SQL Server 2019 (RTM-CU22) (KB5027702) - 15.0.4322.2 (X64)"
  exit 0
elif [[ "$q" =~ ^[[:space:]]*ALTER[[:space:]]+DATABASE ]]; then
  echo "Nonqualified transactions are being rolled back. Estimated rollback completion: 100%."
  exit 0
else
  msg 102 "Incorrect syntax near '${q:0:20}'."
  fail
fi

//! Runnable stand-ins for the vendor database tools (`db2`, `db2ckbkp`, `sqlcmd`,
//! `expdp`/`impdp`) and the database "state" they back up and restore.
//!
//! A database's state is a directory of files under `/var/lib/sample-db/<vendor>/<NAME>/`
//! (Oracle: `/var/lib/sample-db/oracle/<SID>/<SCHEMA>/`); `runtime/` inside it holds
//! volatile flags and is never part of an image. Images are deterministic tar streams
//! (gzip'ed when compressed) of the state plus a `BACKUP.INFO` member.

use crate::expected::DbVendor;
use crate::rng::Rng;
use crate::standin_was::{sh_quote, LOG_DIR, STATE_DIR};
use crate::topology::Spec;
use crate::tree::Tree;
use crate::{SampleError, Scale};

/// Product path under which database state lives.
pub const DB_STATE_DIR: &str = "/var/lib/sample-db";

/// Product path of one database's state directory (`name` is the DB2/SQL Server database
/// or the Oracle SID).
pub fn db_state_product_path(vendor: DbVendor, name: &str) -> String {
    format!("{DB_STATE_DIR}/{}/{name}", vendor.as_str())
}

/// Creates the initial state of every database.
pub(crate) fn write_db_state(tree: &Tree, spec: &Spec, scale: &Scale) -> Result<(), SampleError> {
    let e = &spec.expected;
    for db in &e.databases {
        let dir = db_state_product_path(db.vendor, &db.name);
        tree.mkdir_mode(&dir, 0o700)?;
        tree.write(&format!("{dir}/db.cfg"), db_cfg(spec, &db.name))?;
        tree.mkdir(&format!("{dir}/runtime"))?;
        let owners: Vec<String> = if db.schemas.is_empty() {
            vec![String::new()]
        } else {
            db.schemas.clone()
        };
        for owner in owners {
            let base = if owner.is_empty() {
                dir.clone()
            } else {
                format!("{dir}/{owner}")
            };
            // The schema level an update would raise (inside the schema for Oracle, where an
            // import restores schemas, not the database).
            tree.write(
                &format!("{base}/schema_version"),
                format!("{}\n", e.connections.offering_version),
            )?;
            let mut rng = Rng::derive(spec.seed, &format!("db-{}-{owner}", db.name));
            for t in 0..scale.db_tables {
                let table = format!(
                    "{}_{}",
                    if owner.is_empty() { &db.name } else { &owner },
                    ["DATA", "META", "LINKS", "AUDIT"][t % 4]
                );
                let mut rows = String::new();
                let mut n = 0;
                while rows.len() < scale.db_table_bytes {
                    n += 1;
                    rows.push_str(&format!(
                        "{n}|{}|{}\n",
                        rng.hex(12),
                        String::from_utf8_lossy(&rng.text(40)).replace('\n', " ")
                    ));
                }
                tree.write(&format!("{base}/tables/{table}.dat"), rows)?;
            }
        }
        if let Some((dirname, path)) = &e.db_tools.oracle_directory {
            tree.write(
                &format!("{dir}/runtime/directories"),
                format!("{dirname}={path}\n"),
            )?;
            tree.mkdir(path)?;
        }
    }
    Ok(())
}

fn db_cfg(spec: &Spec, name: &str) -> String {
    match spec.expected.db_tools.vendor {
        DbVendor::Db2 => format!(
            "Database configuration release level = 0x1500\nDatabase name = {name}\nCode set = UTF-8\nTerritory = US\nLOGARCHMETH1 = LOGRETAIN\nTRACKMOD = YES\n"
        ),
        DbVendor::Sqlserver => format!("name = {name}\ncompatibility_level = 150\nrecovery_model = FULL\ncollation = SQL_Latin1_General_CP1_CI_AS\n"),
        DbVendor::Oracle => format!("db_name = {name}\ncompatible = 19.0.0\nlog_mode = ARCHIVELOG\n"),
    }
}

fn header(sysroot: &str) -> String {
    format!(
        "#!/bin/bash\nSYSROOT={}\nSTATE=\"$SYSROOT{STATE_DIR}\"\nKNOBS=\"$STATE/knobs\"\nDB_LOG=\"$SYSROOT{LOG_DIR}/db.log\"\nDBROOT=\"$SYSROOT{DB_STATE_DIR}\"\n",
        sh_quote(sysroot)
    )
}

/// Writes the vendor tool stand-ins of the sample's vendor.
pub(crate) fn write_db_standins(
    tree: &Tree,
    spec: &Spec,
    sysroot: &str,
) -> Result<(), SampleError> {
    let t = &spec.expected.db_tools;
    let head = header(sysroot);
    tree.script(&format!("{STATE_DIR}/lib/dbcommon.sh"), DB_COMMON)?;
    match t.vendor {
        DbVendor::Db2 => {
            let instance = t.instance.clone().unwrap_or_else(|| "db2inst1".into());
            tree.script(
                &t.command,
                &format!(
                    "{head}INSTANCE_DEFAULT={}\n. \"$STATE/lib/dbcommon.sh\"\n{DB2_BODY}",
                    sh_quote(&instance)
                ),
            )?;
            if let Some(v) = &t.verify_command {
                tree.script(
                    v,
                    &format!("{head}. \"$STATE/lib/dbcommon.sh\"\n{DB2CKBKP_BODY}"),
                )?;
            }
            let bin = t
                .command
                .rsplit_once('/')
                .map(|(d, _)| d.to_string())
                .unwrap_or_default();
            let home = format!("/home/{instance}/sqllib");
            tree.symlink(&bin, &format!("{home}/bin"))?;
            tree.write(
                &format!("{home}/db2profile"),
                format!("# DB2 instance profile (cnxbackup sample)\nDB2INSTANCE={instance}\nexport DB2INSTANCE\nINSTHOME=/home/{instance}\nPATH=\"$PATH:{bin}\"\nexport PATH\n"),
            )?;
        }
        DbVendor::Sqlserver => {
            let pw = t.password().unwrap_or_default();
            tree.script(
                &t.command,
                &format!(
                    "{head}SA_USER={}\nSA_PASSWORD={}\n. \"$STATE/lib/dbcommon.sh\"\n{SQLCMD_BODY}",
                    sh_quote(t.username.as_deref().unwrap_or("sa")),
                    sh_quote(pw)
                ),
            )?;
        }
        DbVendor::Oracle => {
            let pw = t.password().unwrap_or_default();
            let sid = t.instance.clone().unwrap_or_else(|| "LSCONN".into());
            let common = format!(
                "{head}ORA_USER={}\nORA_PASSWORD={}\nORA_SID={}\n. \"$STATE/lib/dbcommon.sh\"\n",
                sh_quote(t.username.as_deref().unwrap_or("system")),
                sh_quote(pw),
                sh_quote(&sid)
            );
            tree.script(&t.command, &format!("{common}MODE=export\n{DATAPUMP_BODY}"))?;
            if let Some(r) = &t.restore_command {
                tree.script(r, &format!("{common}MODE=import\n{DATAPUMP_BODY}"))?;
            }
            if let Some(r) = &t.rman_command {
                tree.script(r, &format!("{common}{RMAN_BODY}"))?;
            }
        }
    }
    Ok(())
}

const DB_COMMON: &str = r##"# cnxbackup sample: helpers shared by the database tool stand-ins.
# Scratch space stays inside the sample (same file system as the state it copies).
mkdir -p "$STATE/run"
db_log() {
  mkdir -p "$(dirname "$DB_LOG")"
  local IFS=$'\t'
  printf '%s\t%s\n' "$(date -u +%Y-%m-%dT%H:%M:%S.%3NZ)" "$*" >> "$DB_LOG"
}
knob() { [ -e "$KNOBS/$1.$2" ] || [ -e "$KNOBS/$1.ALL" ]; }
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
info_get() { sed -n "s/^$2=//p" "$1/BACKUP.INFO" 2>/dev/null | head -n 1; }
"##;

const DB2_BODY: &str = r##"# cnxbackup sample: stand-in for the DB2 command line processor (db2).
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

if [ "$n" -eq 0 ]; then echo "(c) Copyright IBM Corporation 1993,2007"; echo "Command Line Processor for DB2 Client 11.5.8.0"; exit 0; fi

case "${lc[0]}" in
  connect)
    if [ "${lc[1]-}" = reset ]; then ok "SQL"; exit 0; fi
    [ "${lc[1]-}" = to ] || syntax "${w[1]-}"
    db="${w[2]^^}"; [ -d "$DB2DIR/$db" ] || no_db "$db"
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
    while :; do
      ts=$(date +%Y%m%d%H%M%S)
      compgen -G "$dir/$db.0.*.DBPART000.$ts.*" >/dev/null || break
      sleep 1
    done
    img="$dir/$db.0.$INSTANCE.DBPART000.$ts.001"
    mode=$([ "$online" = 1 ] && echo online || echo offline)
    make_image "$DB2DIR/$db" "$img" "$compress" "$(printf 'database=%s\ntype=%s\ninclude_logs=%s\ncompressed=%s' "$db" "$mode" "$logs" "$compress")" || {
      echo "SQL2062N  An error occurred while accessing media \"$dir\".  Reason code: \"11\"."; exit 4; }
    chmod 600 "$img"
    echo "$ts $mode $(basename "$img")" >> "$DB2DIR/$db/runtime/history"
    echo ""
    echo "Backup successful. The timestamp for this backup image is : $ts"
    echo ""
    db_log db2 backup "$db" "$ts" "$dir" "$mode"
    exit 0 ;;
  restore)
    isdb "${lc[1]-}" || syntax "${w[1]-}"
    db="${w[2]^^}"; dir=""; ts=""; replace=0; norf=0; noprompt=0
    i=3
    while [ $i -lt $n ]; do
      case "${lc[$i]}" in
        from) i=$((i+1)); dir="${w[$i]-}" ;;
        taken) i=$((i+2)); ts="${w[$i]-}" ;;
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
    existed=0; [ -d "$DB2DIR/$db" ] && existed=1
    mkdir -p "$DB2DIR/$db"
    replace_state "$DB2DIR/$db" "$tmp/x"
    rm -rf "$tmp"
    chmod 700 "$DB2DIR/$db"
    if [ "$type" = online ]; then touch "$DB2DIR/$db/runtime/rollforward-pending"; else rm -f "$DB2DIR/$db/runtime/rollforward-pending"; fi
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
    rm -f "$DB2DIR/$db/runtime/rollforward-pending"
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
    db_log db2 rollforward "$db"
    exit 0 ;;
  list)
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
"##;

const DB2CKBKP_BODY: &str = r##"# cnxbackup sample: stand-in for db2ckbkp (backup image verification).
rc=0; seen=0
for f in "$@"; do
  [[ "$f" == -* ]] && continue
  seen=1
  if [ ! -f "$f" ]; then
    echo "ERROR!  No match for image \"$f\" was found."
    rc=1
    continue
  fi
  tmp=$(mktemp -d "$STATE/run/tmp.XXXXXX")
  if unpack_image "$f" "$tmp" 2>/dev/null && [ -f "$tmp/BACKUP.INFO" ]; then
    size=$(wc -c < "$f")
    echo ""
    echo "[1] Buffers processed:  $(printf '#%.0s' $(seq 1 $(( size / 4096 + 1 ))))"
    echo ""
    echo "Image Verification Complete - successful."
    db_log db2ckbkp verify "$(info_get "$tmp" database)" "$(basename "$f")" ok
  else
    echo ""
    echo "[1] Buffers processed:  #"
    echo ""
    echo "ERROR! Unable to read backup image: bad header."
    echo ""
    echo "Image Verification Complete - ERRORS DETECTED:  1"
    db_log db2ckbkp verify - "$(basename "$f")" error
    rc=1
  fi
  rm -rf "$tmp"
done
if [ "$seen" = 0 ]; then echo "Usage: db2ckbkp [options] filename ..."; exit 1; fi
exit $rc
"##;

const SQLCMD_BODY: &str = r##"# cnxbackup sample: stand-in for sqlcmd (SQL Server). Like the real tool it exits 0 even
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
  compress=0; [[ "$opts" == *COMPRESSION* && "$opts" != *NO_COMPRESSION* ]] && compress=1
  checksum=0; [[ "$opts" == *CHECKSUM* && "$opts" != *NO_CHECKSUM* ]] && checksum=1
  make_image "$SQLDIR/$db" "$file" "$compress" "$(printf 'database=%s\ntype=full\nchecksum=%s\ncompressed=%s' "$db" "$checksum" "$compress")" || { msg 3201 "Cannot open backup device '$file'. Operating system error 5(Access is denied.)."; msg 3013 "BACKUP DATABASE is terminating abnormally."; fail; }
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
"##;

const DATAPUMP_BODY: &str = r##"# cnxbackup sample: stand-in for Oracle Data Pump (expdp / impdp).
# Exit codes as Data Pump: 0 success, 5 completed with errors, 1 failure.
ORADIR="$DBROOT/oracle/$ORA_SID"
userid=""; schemas=""; directory="DATA_PUMP_DIR"; dumpfile="expdat.dmp"; logfile=""; full=0
tea="skip"; reuse=0; compression="none"; parfile=""
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
"##;

const RMAN_BODY: &str = r##"# cnxbackup sample: stand-in for Oracle RMAN. `rman target / [cmdfile=F]`, script on stdin.
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
"##;

# cnxbackup sample: the WebSphere control scripts, one library for all profiles.
# (A fragment: src/standin_*.rs prepends the shebang and the sample paths SYSROOT, STATE, ...)
# Usage (from the profile wrappers): wasctl.sh <tool> <profileName> [real arguments...]
STATE="$SYSROOT/var/lib/cnxbackup-sample"
KNOBS="$STATE/knobs"
CONTROL_LOG="$SYSROOT/var/log/cnxbackup-sample/control.log"
tool="$1"; profile_name="$2"; shift 2
. "$STATE/was/profiles/$profile_name.env" || exit 255
PROFILE="$SYSROOT$PROFILE_PRODUCT"
ASR="$SYSROOT$ASR_PRODUCT"

log_call() {
  mkdir -p "$(dirname "$CONTROL_LOG")"
  printf '%s\t%s.sh\t%s\t%s\t%s\n' "$(date -u +%Y-%m-%dT%H:%M:%S.%3NZ)" "$tool" "$profile_name" "$1" "$2" >> "$CONTROL_LOG"
}

server_type() { awk -v s="$1" '$1 == s { print $2 }' "$STATE/was/profiles/$profile_name.servers"; }

label_of() {
  case "$(server_type "$1")" in
    DEPLOYMENT_MANAGER) echo "Deployment Manager" ;;
    NODE_AGENT) echo "Node Agent" ;;
    WEB_SERVER) echo "Web server" ;;
    *) echo "Application Server" ;;
  esac
}

# Prints the PID when the server runs: PID file present, process alive (not a zombie) and its
# command line names this profile and ends with this server.
running_pid() {
  local f="$PROFILE/logs/$1/$1.pid" pid st cmd
  [ -f "$f" ] || return 1
  pid=$(tr -dc '0-9' < "$f")
  [ -n "$pid" ] && [ -r "/proc/$pid/stat" ] || return 1
  read -r _ _ st _ < "/proc/$pid/stat" 2>/dev/null || return 1
  [ "$st" != "Z" ] || return 1
  cmd=$(tr '\0' ' ' < "/proc/$pid/cmdline" 2>/dev/null)
  [[ "$cmd" == *"$PROFILE"* && "$cmd" == *" $1 " ]] || return 1
  echo "$pid"
}

header() {
  echo "ADMU0116I: Tool information is being logged in file"
  echo "           $PROFILE/logs/$1/$tool.log"
  echo "ADMU0128I: Starting tool with the $profile_name profile"
}

user=""; pass=""; timeout=""; nowait=0; stopservers=0; all=0; server=""; conntype=""
commands=(); script_file=""; positional=()
while [ $# -gt 0 ]; do
  case "$1" in
    -username|-user) user="${2-}"; shift 2 || shift ;;
    -password) pass="${2-}"; shift 2 || shift ;;
    -timeout) timeout="${2-}"; shift 2 || shift ;;
    -nowait) nowait=1; shift ;;
    -stopservers) stopservers=1; shift ;;
    -all) all=1; shift ;;
    -conntype) conntype="${2-}"; shift 2 || shift ;;
    -c) commands+=("${2-}"); shift 2 || shift ;;
    -f) script_file="${2-}"; shift 2 || shift ;;
    -logfile|-profileName|-port|-statusport|-host|-lang|-javaoption|-tracefile|-wsadmin_classpath|-localusername|-localpassword) shift 2 || shift ;;
    -quiet|-trace|-replacelog|-saveNodeState|-help|-appendtrace|-restart) shift ;;
    -*) echo "ADMU0112E: Unrecognized option: $1" ; log_call "-" bad-usage; exit 255 ;;
    *) positional+=("$1"); if [ -z "$server" ]; then server="$1"; fi; shift ;;
  esac
done

# A client properties value as the product reads it: `{xor}` + base64 of the bytes XOR 0x5F
# (what PropFilePasswordEncoder writes), anything else as it is.
prop_value() {
  local v
  v=$(sed -n "s/^$1=//p" "$2" 2>/dev/null | tail -n 1)
  case "$v" in
    "{xor}"*)
      printf '%s' "${v#\{xor\}}" | base64 -d 2>/dev/null | od -An -v -tu1 |
        tr -s ' ' '\n' | while read -r b; do
          [ -n "$b" ] && printf "\\$(printf '%03o' $((b ^ 95)))"
        done ;;
    *) printf '%s' "$v" ;;
  esac
}

# Without -username/-password the real scripts take the credentials from the profile's
# properties/ipc.client.props (the IPC connector, 7.0 and later), else soap.client.props.
# A password given as an argument is readable by every local user while the script runs:
# record that it happened (tests assert that cnxbackup avoids it when it can).
if [ -n "$pass" ]; then
  printf '%s.sh\t%s\n' "$tool" "${server:--}" >> "$STATE/was/password-on-argv.log"
fi

check_creds() {
  local want_user want_pass u="$user" p="$pass" props
  { read -r want_user; read -r want_pass; } < "$STATE/was/credentials"
  if [ -z "$u" ] && [ -z "$p" ]; then
    props="$PROFILE/properties/ipc.client.props"
    u=$(prop_value com.ibm.IPC.loginUserid "$props")
    p=$(prop_value com.ibm.IPC.loginPassword "$props")
    if [ -z "$u" ]; then
      props="$PROFILE/properties/soap.client.props"
      u=$(prop_value com.ibm.SOAP.loginUserid "$props")
      p=$(prop_value com.ibm.SOAP.loginPassword "$props")
    fi
  fi
  [ -n "$u" ] && [ "$u" = "$want_user" ] && [ "$p" = "$want_pass" ]
}

denied() {
  echo "ADMU0111E: Program exiting with error: javax.management.JMRuntimeException:"
  echo "           ADMN0022E: Access is denied for the $2 operation on Server MBean"
  echo "           because of insufficient or empty credentials."
  echo "ADMU4113E: Verify that username and password information is correct.  If"
  echo "           running tool from the command line, pass in the correct -username"
  echo "           and -password.  Alternatively, update the <conntype>.client.props"
  echo "           file."
  echo "ADMU1211I: To obtain a full trace of the failure, use the -trace option."
  echo "ADMU0211I: Error details may be seen in the file:"
  echo "           $PROFILE/logs/$1/$tool.log"
}

require_known() {
  local t; t=$(server_type "$1")
  if [ -z "$t" ] || [ "$t" = "WEB_SERVER" ]; then
    echo "ADMU3100I: Reading configuration for server: $1"
    echo "ADMU0111E: Program exiting with error: java.io.FileNotFoundException:"
    echo "           $PROFILE/config/cells/$CELL/nodes/$NODE/servers/$1/server.xml (No such file or directory)"
    log_call "$1" unknown-server
    exit 255
  fi
}

launch() {
  local s="$1" logs="$PROFILE/logs/$1"
  mkdir -p "$logs"
  export CNX_PIDFILE="$logs/$s.pid" CNX_SERVER="$s" CNX_KNOBS="$KNOBS"
  rm -f "$CNX_PIDFILE"
  (
    trap '' HUP
    exec -a "$ASR/java/8.0/bin/java" /bin/bash "$STATE/lib/jvm.sh" \
      "-Declipse.security" "-Dwas.status.socket=0" "-Dosgi.install.area=$ASR" \
      "-Dcom.ibm.ws.management.event.pipe=true" "-Xms256m" "-Xmx1024m" \
      "-Dserver.root=$PROFILE" "-Duser.install.root=$PROFILE" "-Dwas.install.root=$ASR" \
      "-Djava.util.logging.configureByServer=true" "-classpath" "$PROFILE/properties:$ASR/lib/bootstrap.jar" \
      "com.ibm.wsspi.bootstrap.WSPreLauncher" "-nosplash" "-application" "com.ibm.ws.bootstrap.WSLauncher" \
      "com.ibm.ws.runtime.WsServer" "$PROFILE/config" "$CELL" "$NODE" "$s"
  ) </dev/null >>"$logs/SystemOut.log" 2>>"$logs/SystemErr.log" &
  return 0
}

do_start() {
  local s="$1" pid i
  require_known "$s"
  header "$s"
  echo "ADMU3100I: Reading configuration for server: $s"
  if pid=$(running_pid "$s"); then
    echo "ADMU3027E: An instance of the server may already be running: $s"
    echo "ADMU0111E: Program exiting with error:"
    echo "           com.ibm.websphere.management.exception.AdminException: ADMU3027E:"
    echo "           An instance of the server may already be running: $s"
    log_call "$s" already-running
    return 255
  fi
  if [ -e "$KNOBS/fail-start.$s" ]; then
    echo "ADMU3200I: Server launched. Waiting for initialization status."
    echo "ADMU3011E: Server launched but failed initialization. startServer.log,"
    echo "           SystemOut.log(or job log in zOS) and other log files under"
    echo "           $PROFILE/logs/$s should contain failure information."
    log_call "$s" failed
    return 255
  fi
  echo "ADMU3200I: Server launched. Waiting for initialization status."
  launch "$s" || { log_call "$s" failed; return 255; }
  for i in $(seq 1 200); do
    if pid=$(running_pid "$s"); then
      echo "ADMU3000I: Server $s open for e-business; process id is $pid"
      log_call "$s" started
      return 0
    fi
    sleep 0.05
  done
  echo "ADMU3011E: Server launched but failed initialization."
  log_call "$s" failed
  return 255
}

do_stop() {
  local s="$1" pid limit ticks=0 knob
  require_known "$s"
  header "$s"
  echo "ADMU3100I: Reading configuration for server: $s"
  if ! pid=$(running_pid "$s"); then
    echo "ADMU0509I: The $(label_of "$s") \"$s\" cannot be reached. It appears to be stopped."
    echo "ADMU0211I: Error details may be seen in the file:"
    echo "           $PROFILE/logs/$s/$tool.log"
    log_call "$s" not-running
    return 255
  fi
  if ! check_creds; then
    denied "$s" stop
    log_call "$s" denied
    return 255
  fi
  echo "ADMU3201I: Server stop request issued. Waiting for stop status."
  kill -TERM "$pid" 2>/dev/null
  if [ "$nowait" = 1 ]; then
    log_call "$s" stop-requested
    return 0
  fi
  limit=$(( ${timeout:-300} * 10 ))
  if [ -e "$KNOBS/refuse-stop.$s" ]; then
    knob=$(tr -dc '0-9' < "$KNOBS/refuse-stop.$s")
    knob=$(( ${knob:-1} * 10 ))
    [ "$knob" -gt 0 ] || knob=10
    [ "$knob" -lt "$limit" ] && limit=$knob
  fi
  while running_pid "$s" >/dev/null; do
    if [ "$ticks" -ge "$limit" ]; then
      echo "ADMU3060E: Timed out waiting for server shutdown."
      echo "ADMU0211I: Error details may be seen in the file:"
      echo "           $PROFILE/logs/$s/$tool.log"
      log_call "$s" timeout
      return 255
    fi
    sleep 0.1
    ticks=$((ticks + 1))
  done
  echo "ADMU4000I: Server $s stop completed."
  log_call "$s" stopped
  return 0
}

do_status() {
  local s="$1" label pid
  label=$(label_of "$s")
  echo "ADMU0500I: Retrieving server status for $s"
  if pid=$(running_pid "$s"); then
    if ! check_creds; then
      denied "$s" getState
      log_call "$s" denied
      return 255
    fi
    echo "ADMU0508I: The $label \"$s\" is STARTED"
    log_call "$s" status-started
  else
    echo "ADMU0509I: The $label \"$s\" cannot be reached. It appears to be stopped."
    log_call "$s" status-stopped
  fi
  return 0
}

wsadmin_target() {
  if [ "$(server_type dmgr)" = "DEPLOYMENT_MANAGER" ]; then echo dmgr; else echo nodeagent; fi
}

do_wsadmin() {
  local target ptype pid cmd app rc=0
  target=$(wsadmin_target)
  ptype=$([ "$target" = dmgr ] && echo DeploymentManager || echo NodeAgent)
  if [ "$conntype" = "NONE" ]; then
    echo "WASX7357I: By request, this scripting client is not connected to any server process. Certain configuration and application operations will be available in local mode."
    log_call "$target" wsadmin-local
  elif pid=$(running_pid "$target"); then
    if ! check_creds; then
      echo "WASX7246E: Cannot establish \"SOAP\" connection to host \"localhost\" because of an authentication failure. Ensure that user and password are correct on the command line or in a properties file."
      echo "Exception message (if any): \"ADMN0022E: Access is denied for the getProcessType operation on Server MBean because of insufficient or empty credentials.\""
      log_call "$target" denied
      return 105
    fi
    echo "WASX7209I: Connected to process \"$target\" on node $NODE using SOAP connector;  The type of process is: $ptype"
    log_call "$target" wsadmin
  else
    echo "WASX7023E: Error creating \"SOAP\" connection to host \"localhost\"; exception information: com.ibm.websphere.management.exception.ConnectorNotAvailableException: com.ibm.websphere.management.exception.ConnectorNotAvailableException: ADMC0016E: The system cannot create a SOAP connector to connect to host localhost at port 8879."
    echo "WASX7213I: This scripting client is not connected to a server process; please refer to the log file $PROFILE/logs/wsadmin.traceout for additional information."
    log_call "$target" wsadmin-not-connected
  fi
  if [ -n "$script_file" ]; then
    if [ -f "$script_file" ] && grep -q 'MapRolesToUsers' "$script_file"; then
      while read -r app; do
        [ -n "$app" ] || continue
        echo "Application: $app"
        cat "$STATE/was/roles/$app.txt"
      done < "$STATE/was/apps.txt"
    else
      echo "WASX7017E: Exception received while running file \"$script_file\"; exception information: the cnxbackup sample wsadmin stand-in only runs role-mapping exports"
      rc=105
    fi
  fi
  for cmd in "${commands[@]}"; do
    if [[ "$cmd" =~ AdminApp\.view\([[:space:]]*[\'\"]([^\'\"]+)[\'\"] ]]; then
      app="${BASH_REMATCH[1]}"
      if [ -f "$STATE/was/roles/$app.txt" ]; then
        cat "$STATE/was/roles/$app.txt"
      else
        echo "WASX7015E: Error running command: $cmd; exception information: com.ibm.ws.scripting.ScriptingException: WASX7280E: An application with name \"$app\" does not exist."
        rc=105
      fi
    elif [[ "$cmd" == *"AdminApp.list()"* ]]; then
      cat "$STATE/was/apps.txt"
    elif [[ "$cmd" == *"AdminControl.getCell()"* ]]; then
      echo "$CELL"
    elif [[ "$cmd" == *"AdminControl.getNode()"* ]]; then
      echo "$NODE"
    else
      echo "WASX7015E: Error running command: $cmd; exception information: the cnxbackup sample wsadmin stand-in supports AdminApp.list(), AdminApp.view(app, ['-MapRolesToUsers']), AdminControl.getCell()/getNode()"
      rc=105
    fi
  done
  return $rc
}


# syncNode.sh <dmgr host> [dmgr SOAP port]: the node's configuration made the deployment
# manager's master configuration again (a full resynchronisation). It runs with the node
# agent stopped and the dmgr running. The "network": $STATE/was/cell-hosts maps each host
# name of the cell to its sysroot (a single-host sample has no map: the dmgr is local). The
# stand-in copies every document of the master cell configuration that the node also holds
# and that differs, and reports how many it copied.
DMGR_SOAP_PORT=8879
do_sync() {
  local dmgr_host="${positional[0]-}" port="${positional[1]-$DMGR_SOAP_PORT}" root="" dmgr_profile f rel copied=0 pid
  if [ -z "$dmgr_host" ]; then
    echo "Usage: syncNode dmgr_host [dmgr_port] [-conntype <type>] [-stopservers [-saveNodeState]] [-restart] [-quiet] [-nowait] [-logfile <filename>] [-replacelog] [-trace] [-username <uid>] [-password <pwd>] [-localusername <localuid>] [-localpassword <localpwd>] [-profileName <profile>] [-help]"
    log_call nodeagent bad-usage
    return 255
  fi
  header nodeagent
  if [ "$(server_type nodeagent)" != "NODE_AGENT" ]; then
    echo "ADMU0111E: Program exiting with error: com.ibm.websphere.management.exception.AdminException: ADMU0027E: An error occurred during synchronization: profile $profile_name holds no node agent (syncNode runs on a federated node)"
    log_call nodeagent sync-failed
    return 255
  fi
  if pid=$(running_pid nodeagent); then
    echo "ADMU0111E: Program exiting with error: com.ibm.websphere.management.exception.AdminException: ADMU0027E: An error occurred during synchronization: the node agent is running (process id $pid); stop it (stopNode) before running syncNode"
    log_call nodeagent sync-failed
    return 255
  fi
  if [ -f "$STATE/was/cell-hosts" ]; then
    root=$(awk -v h="$dmgr_host" 'tolower($1) == tolower(h) || tolower(substr($1, 1, index($1 ".", ".") - 1)) == tolower(h) { print $2; exit }' "$STATE/was/cell-hosts")
  else
    root="$SYSROOT"
  fi
  dmgr_profile=""
  if [ -n "$root" ] && [ "$port" = "$DMGR_SOAP_PORT" ]; then
    for f in "$root/var/lib/cnxbackup-sample/was/profiles/"*.servers; do
      if awk '$2 == "DEPLOYMENT_MANAGER" { found = 1 } END { exit !found }' "$f" 2>/dev/null; then
        dmgr_profile=$(. "${f%.servers}.env" && echo "$root$PROFILE_PRODUCT")
      fi
    done
  fi
  local dmgr_pid_file="$dmgr_profile/logs/dmgr/dmgr.pid" dpid=""
  [ -n "$dmgr_profile" ] && [ -f "$dmgr_pid_file" ] && dpid=$(tr -dc '0-9' < "$dmgr_pid_file")
  if [ -z "$dpid" ] || ! [ -r "/proc/$dpid/cmdline" ] || ! tr '\0' ' ' < "/proc/$dpid/cmdline" | grep -q -- "$dmgr_profile.* dmgr "; then
    echo "ADMU0111E: Program exiting with error: com.ibm.websphere.management.exception.ConnectorException: ADMC0016E: The system cannot create a SOAP connector to connect to host $dmgr_host at port $port."
    echo "ADMU1211I: To obtain a full trace of the failure, use the -trace option."
    log_call nodeagent sync-unreachable
    return 255
  fi
  if ! check_creds; then
    echo "ADMU0111E: Program exiting with error: javax.management.JMRuntimeException: ADMN0022E: Access is denied for the getProcessType operation on Server MBean because of insufficient or empty credentials."
    log_call nodeagent denied
    return 255
  fi
  echo "ADMU0401I: Begin syncNode operation for node $NODE with Deployment Manager"
  echo "           $dmgr_host: $port"
  echo "ADMU0016I: Synchronizing configuration between node and cell."
  local master="$dmgr_profile/config/cells/$CELL" local_cell="$PROFILE/config/cells/$CELL"
  while IFS= read -r -d '' f; do
    rel="${f#"$master"/}"
    if [ -f "$local_cell/$rel" ] && ! cmp -s "$f" "$local_cell/$rel"; then
      cp -p "$f" "$local_cell/$rel" && copied=$((copied + 1))
    fi
  done < <(find "$master" -type f -print0)
  echo "ADMU0402I: The configuration for node $NODE has been synchronized with"
  echo "           Deployment Manager $dmgr_host: $port ($copied document(s) updated)"
  log_call nodeagent synchronized
  return 0
}

case "$tool" in
  syncNode) do_sync; exit $? ;;
  startServer)
    [ -n "$server" ] || { echo "Usage: startServer <server> [options]"; exit 255; }
    do_start "$server"; exit $? ;;
  stopServer)
    [ -n "$server" ] || { echo "Usage: stopServer <server> [options]"; exit 255; }
    do_stop "$server"; exit $? ;;
  startNode) do_start nodeagent; exit $? ;;
  startManager) do_start dmgr; exit $? ;;
  stopManager) do_stop dmgr; exit $? ;;
  stopNode)
    if [ "$stopservers" = 1 ]; then
      echo "ADMU2010I: Stopping all server processes for node $NODE"
      while read -r s t; do
        [ "$t" = "APPLICATION_SERVER" ] || continue
        if running_pid "$s" >/dev/null; then
          if do_stop "$s" >/dev/null; then echo "ADMU0512I: Server $s cannot be reached. It appears to be stopped."; fi
        fi
      done < "$STATE/was/profiles/$profile_name.servers"
    fi
    do_stop nodeagent; exit $? ;;
  serverStatus)
    header "${server:-all}"
    rc=0
    if [ "$all" = 1 ] || [ -z "$server" ]; then
      echo "ADMU0503I: Retrieving server status for ALL servers"
      echo "ADMU0505I: Servers found in configuration:"
      while read -r s t; do echo "ADMU0506I: Server name: $s"; done < "$STATE/was/profiles/$profile_name.servers"
      while read -r s t; do do_status "$s" || rc=255; done < "$STATE/was/profiles/$profile_name.servers"
    else
      require_known "$server"
      do_status "$server" || rc=255
    fi
    exit $rc ;;
  wsadmin) do_wsadmin; exit $? ;;
  *) echo "unknown tool $tool" >&2; exit 255 ;;
esac

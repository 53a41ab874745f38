#!/bin/bash
# cnxbackup sample: stands in for a WebSphere server JVM. It only holds a process-table
# entry (no child processes: it waits with the read builtin on an idle pipe it holds both
# ends of, so nothing on disk and no EOF), writes its
# PID file and removes it when asked to stop. Knobs (files in $CNX_KNOBS):
#   refuse-stop.<server>   ignore SIGTERM (only SIGKILL ends it)
#   slow-stop.<server>     seconds to take before exiting after SIGTERM
exec 3<> <(:)
stamp() { date -u '+[%m/%d/%y %H:%M:%S:%3N UTC]'; }
on_term() {
  if [ -e "$CNX_KNOBS/refuse-stop.$CNX_SERVER" ]; then
    echo "$(stamp) 00000001 ServerCollabo W   WSVR0629W: Stop request ignored: server $CNX_SERVER is busy"
    return
  fi
  local delay=0
  if [ -f "$CNX_KNOBS/slow-stop.$CNX_SERVER" ]; then
    delay=$(tr -dc '0-9' < "$CNX_KNOBS/slow-stop.$CNX_SERVER")
  fi
  if [ "${delay:-0}" -gt 0 ]; then read -r -t "$delay" -u 3 _; fi
  echo "$(stamp) 00000001 ServerCollabo A   WSVR0024I: Server $CNX_SERVER stopped"
  rm -f "$CNX_PIDFILE"
  exit 0
}
trap on_term TERM INT
echo $$ > "$CNX_PIDFILE.tmp" && mv -f "$CNX_PIDFILE.tmp" "$CNX_PIDFILE"
echo "$(stamp) 00000001 WsServerImpl  A   WSVR0001I: Server $CNX_SERVER open for e-business"
# Wake up every few seconds: a sample whose directory was deleted (a test that never called
# Sample::stop_all) must not leave processes behind.
while :; do
  read -r -t 3 -u 3 _
  [ -d "${CNX_PIDFILE%/*}" ] || exit 0
done

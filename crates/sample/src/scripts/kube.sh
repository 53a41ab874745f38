# Stand-in for `kubectl` and `helm` (installed under both names; "$0" says which) for the
# tests of the Component Pack recipe (examples/component-pack), where no Kubernetes cluster
# runs. It speaks the real tools' arguments, output formats and exit codes for the calls the
# recipe makes:
#   kubectl get pods -n NS -l LABEL -o jsonpath='{.items[*].metadata.name}'
#   kubectl exec [-i] -n NS POD [-c CONTAINER] -- COMMAND ARGS...   (exit code of COMMAND;
#       "command terminated with exit code N" on stderr as kubectl prints it)
#   helm list -n NS -o json | -q;  helm get values REL -n NS -a -o yaml;
#   helm get metadata REL -n NS -o json;  helm upgrade REL CHART --version V -n NS -f FILE
# Inside the MongoDB pods (mongo5-N, container mongo5): mongod --version; mongosh --quiet ...
#   --eval 'db.hello().primary'; mongodump --archive [--gzip] --host H ...; mongorestore
#   --archive [--gzip] [--drop] --host H ... (stdin). The "database" is $STATE/mongo/data (one
#   file per collection); an archive starts with mongodump's magic number 0x8199e26d.
# Namespaces, pods and releases are directories under $STATE; every call is logged to
# $STATE/kube.log.
tool=$(basename "$0")
printf '%s\n' "$tool $*" >> "$STATE/kube.log"
die() { printf '%s\n' "$2" >&2; exit "$1"; }

mongo_host_pod() { local h=${1%%:*}; printf '%s' "${h%%.*}"; }

pod_mongo() { # POD COMMAND ARGS...
  local pod=$1 cmd=$2; shift 2
  local primary; primary=$(cat "$STATE/mongo/primary")
  local fqdn="$primary.mongo5.connections.svc.cluster.local:27017"
  local gzip=0 archive=0 drop=0 host= eval=
  while [ $# -gt 0 ]; do
    case "$1" in
      --gzip) gzip=1 ;;
      --archive) archive=1 ;;
      --drop) drop=1 ;;
      --host) host=$2; shift ;;
      --host=*) host=${1#--host=} ;;
      --eval) eval=$2; shift ;;
      --version) ;;
      --quiet|--tls|--ssl) ;;
      --tlsCertificateKeyFile|--tlsCAFile|--sslPEMKeyFile|--sslCAFile|--authenticationDatabase|--authenticationMechanism) shift ;;
      --*=*) ;;
      *) die 2 "Error parsing command line: unrecognised option '$1'" ;;
    esac
    shift
  done
  case "$cmd" in
    mongod)
      printf 'db version v%s\nBuild Info: {\n    "version": "%s",\n    "gitVersion": "0000"\n}\n' "$(cat "$STATE/mongo/version")" "$(cat "$STATE/mongo/version")" ;;
    mongosh)
      [ "$eval" = "db.hello().primary" ] || die 1 "MongoshInvalidInputError: unsupported eval in the stand-in: $eval"
      printf '%s\n' "$fqdn" ;;
    mongodump)
      [ "$archive" = 1 ] || die 2 "the stand-in dumps only with --archive"
      [ -n "$host" ] || host="$pod.mongo5.connections.svc.cluster.local:27017"
      printf '%s writing connections.* to archive on stdout\n' "$(date -u +%Y-%m-%dT%H:%M:%S.000+0000)" >&2
      if [ "$gzip" = 1 ]; then
        { printf '\x6d\xe2\x99\x81'; tar -C "$STATE/mongo/data" -cf - .; } | gzip -c
      else
        printf '\x6d\xe2\x99\x81'; tar -C "$STATE/mongo/data" -cf - .
      fi
      printf '%s done dumping\n' "$(date -u +%Y-%m-%dT%H:%M:%S.000+0000)" >&2 ;;
    mongorestore)
      [ "$archive" = 1 ] || die 2 "the stand-in restores only with --archive"
      if [ -n "$host" ] && [ "$(mongo_host_pod "$host")" != "$primary" ]; then
        die 1 "Failed: (NotWritablePrimary) not primary"
      fi
      local tmp; tmp=$(mktemp -d "$STATE/restore.XXXXXX")
      if [ "$gzip" = 1 ]; then gzip -dc > "$tmp/archive" || die 1 "Failed: stream or file does not appear to be a mongodump archive"
      else cat > "$tmp/archive"; fi
      [ "$(head -c 4 "$tmp/archive" | od -An -tx1 | tr -d ' \n')" = "6de29981" ] || { rm -rf "$tmp"; die 1 "Failed: stream or file does not appear to be a mongodump archive"; }
      mkdir "$tmp/data"
      tail -c +5 "$tmp/archive" | tar -C "$tmp/data" -xf - || { rm -rf "$tmp"; die 1 "Failed: corruption found in archive"; }
      if [ "$drop" = 1 ]; then rm -rf "$STATE/mongo/data"; mkdir "$STATE/mongo/data"; fi
      cp -a "$tmp/data/." "$STATE/mongo/data/"
      rm -rf "$tmp"
      printf '%s    %s document(s) restored successfully. 0 document(s) failed to restore.\n' "$(date -u +%Y-%m-%dT%H:%M:%S.000+0000)" "$(ls "$STATE/mongo/data" | wc -l)" >&2 ;;
    *) die 127 "OCI runtime exec failed: exec failed: unable to start container process: exec: \"$cmd\": executable file not found in \$PATH: unknown" ;;
  esac
}

kubectl_get_pods() {
  local ns=default label= output=
  while [ $# -gt 0 ]; do
    case "$1" in
      -n|--namespace) ns=$2; shift ;;
      -l|--selector) label=$2; shift ;;
      -o|--output) output=$2; shift ;;
      *) die 1 "error: unknown flag: $1" ;;
    esac
    shift
  done
  local dir="$STATE/namespaces/$ns/pods"
  local names=()
  for p in "$dir"/*; do
    [ -f "$p" ] || continue
    if [ -z "$label" ] || grep -qxF "$label" "$p"; then names+=("$(basename "$p")"); fi
  done
  case "$output" in
    "jsonpath={.items[*].metadata.name}") printf '%s' "${names[*]}" ;;
    "") [ ${#names[@]} -gt 0 ] || { echo "No resources found in $ns namespace." >&2; return 0; }
        printf 'NAME       READY   STATUS    RESTARTS   AGE\n'; for n in "${names[@]}"; do printf '%-10s 1/1     Running   0          3d\n' "$n"; done ;;
    *) die 1 "error: unable to match a printer suitable for the output format \"$output\"" ;;
  esac
}

kubectl_exec() {
  local ns=default pod= container=
  while [ $# -gt 0 ]; do
    case "$1" in
      -i|--stdin|-t|--tty|-it|-ti) ;;
      -n|--namespace) ns=$2; shift ;;
      -c|--container) container=$2; shift ;;
      --) shift; break ;;
      -*) die 1 "error: unknown flag: $1" ;;
      *) pod=$1 ;;
    esac
    shift
  done
  [ -n "$pod" ] || die 1 "error: expected 'exec POD_NAME COMMAND [ARG1] [ARG2] ... [ARGN]'."
  [ -f "$STATE/namespaces/$ns/pods/$pod" ] || die 1 "Error from server (NotFound): pods \"$pod\" not found"
  [ $# -gt 0 ] || die 1 "error: you must specify at least one command for the container"
  local status=0
  case "$pod" in
    mongo5-*) [ -z "$container" ] || [ "$container" = mongo5 ] || die 1 "error: container $container is not valid for pod $pod"
              ( pod_mongo "$pod" "$@" ) || status=$? ;;
    *) die 1 "error: the stand-in runs no command in pod $pod" ;;
  esac
  if [ "$status" != 0 ]; then
    echo "command terminated with exit code $status" >&2
    exit "$status"
  fi
}

helm_release_dir() { printf '%s' "$STATE/helm/$1/$2"; }

helm_list() {
  local ns=default output=table quiet=0
  while [ $# -gt 0 ]; do
    case "$1" in
      -n|--namespace) ns=$2; shift ;;
      -o|--output) output=$2; shift ;;
      -q|--short) quiet=1 ;;
      *) die 1 "Error: unknown flag: $1" ;;
    esac
    shift
  done
  local rels=() r
  for r in "$STATE/helm/$ns"/*; do [ -d "$r" ] && rels+=("$(basename "$r")"); done
  if [ "$quiet" = 1 ]; then for r in "${rels[@]}"; do echo "$r"; done; return; fi
  [ "$output" = json ] || die 1 "Error: the stand-in lists as json or -q only"
  local first=1
  printf '['
  for r in "${rels[@]}"; do
    local d; d=$(helm_release_dir "$ns" "$r")
    [ "$first" = 1 ] || printf ','
    first=0
    printf '{"name":"%s","namespace":"%s","revision":"%s","updated":"2026-12-01 10:00:00.000000000 +0000 UTC","status":"deployed","chart":"%s-%s","app_version":"%s"}' \
      "$r" "$ns" "$(cat "$d/revision")" "$(cat "$d/chart")" "$(cat "$d/version")" "$(cat "$d/app_version")"
  done
  printf ']\n'
}

helm_get() {
  local what=$1 rel=$2; shift 2
  local ns=default output= all=0
  while [ $# -gt 0 ]; do
    case "$1" in
      -n|--namespace) ns=$2; shift ;;
      -o|--output) output=$2; shift ;;
      -a|--all) all=1 ;;
      *) die 1 "Error: unknown flag: $1" ;;
    esac
    shift
  done
  local d; d=$(helm_release_dir "$ns" "$rel")
  [ -d "$d" ] || die 1 "Error: release: not found"
  case "$what" in
    values)
      if [ "$output" = yaml ]; then cat "$d/values.yaml"
      else [ "$all" = 1 ] && echo "COMPUTED VALUES:" || echo "USER-SUPPLIED VALUES:"; cat "$d/values.yaml"; fi ;;
    metadata)
      [ "$output" = json ] || die 1 "Error: the stand-in prints metadata as json only"
      printf '{"name":"%s","chart":"%s","version":"%s","appVersion":"%s","namespace":"%s","revision":%s,"status":"deployed","deployedAt":"2026-12-01T10:00:00.000000000Z"}\n' \
        "$rel" "$(cat "$d/chart")" "$(cat "$d/version")" "$(cat "$d/app_version")" "$ns" "$(cat "$d/revision")" ;;
    *) die 1 "Error: unknown command \"$what\" for \"helm get\"" ;;
  esac
}

helm_upgrade() {
  local rel= chart= version= ns=default file=
  while [ $# -gt 0 ]; do
    case "$1" in
      -n|--namespace) ns=$2; shift ;;
      --version) version=$2; shift ;;
      -f|--values) file=$2; shift ;;
      -i|--install|--wait) ;;
      -*) die 1 "Error: unknown flag: $1" ;;
      *) if [ -z "$rel" ]; then rel=$1; else chart=$1; fi ;;
    esac
    shift
  done
  [ -n "$rel" ] && [ -n "$chart" ] || die 1 "Error: \"helm upgrade\" requires 2 arguments"
  local d; d=$(helm_release_dir "$ns" "$rel")
  [ -d "$d" ] || die 1 "Error: UPGRADE FAILED: \"$rel\" has no deployed releases"
  [ "${chart##*/}" = "$(cat "$d/chart")" ] || die 1 "Error: UPGRADE FAILED: chart \"${chart##*/}\" is not the release's chart"
  if [ -n "$version" ]; then printf '%s' "$version" > "$d/version"; fi
  if [ -n "$file" ]; then cp "$file" "$d/values.yaml" || die 1 "Error: open $file: no such file or directory"; fi
  echo $(( $(cat "$d/revision") + 1 )) > "$d/revision"
  printf 'Release "%s" has been upgraded. Happy Helming!\nNAME: %s\nNAMESPACE: %s\nSTATUS: deployed\nREVISION: %s\n' "$rel" "$rel" "$ns" "$(cat "$d/revision")"
}

case "$tool" in
  kubectl)
    case "${1:-}" in
      get) shift; [ "${1:-}" = pods ] || die 1 "error: the server doesn't have a resource type \"${1:-}\""; shift; kubectl_get_pods "$@" ;;
      exec) shift; kubectl_exec "$@" ;;
      *) die 1 "error: unknown command \"${1:-}\" for \"kubectl\"" ;;
    esac ;;
  helm)
    case "${1:-}" in
      list|ls) shift; helm_list "$@" ;;
      get) shift; helm_get "$@" ;;
      upgrade) shift; helm_upgrade "$@" ;;
      *) die 1 "Error: unknown command \"${1:-}\" for \"helm\"" ;;
    esac ;;
esac

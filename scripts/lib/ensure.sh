# Helpers for scripts/test and the benchmark scripts: install what is missing, idempotently.
# Sourced, not run.

step() { printf '\n==> %s\n' "$*" >&2; }

apt_updated=0
# ensure_apt PACKAGE...: install Debian packages that are not installed yet.
ensure_apt() {
  local missing=() p
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  echo "installing Debian packages: ${missing[*]}" >&2
  local sudo=()
  [ "$(id -u)" -ne 0 ] && sudo=(sudo)
  if [ "$apt_updated" -eq 0 ]; then
    "${sudo[@]}" apt-get update -qq
    apt_updated=1
  fi
  DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
}

# ensure_rust_components NAME...: rustup components (rustfmt, clippy) of the one toolchain.
ensure_rust_components() {
  local c
  for c in "$@"; do
    case $c in
      rustfmt) cargo fmt --version >/dev/null 2>&1 && continue ;;
      clippy) cargo clippy --version >/dev/null 2>&1 && continue ;;
    esac
    rustup component add "$c"
  done
}

# ensure_cargo_tool BINARY CRATE MIN_VERSION [cargo install flags...]: cargo install CRATE
# when BINARY is not on PATH.
ensure_cargo_tool() {
  local bin=$1 crate=$2 version=$3
  shift 3
  command -v "$bin" >/dev/null 2>&1 && return 0
  echo "installing $crate (>= $version) with cargo install" >&2
  cargo install "$crate" --version ">=$version" "$@"
}

# ensure_pip BINARY PACKAGE_SPEC: pip install PACKAGE_SPEC (from PyPI) when BINARY is not on
# PATH (pip chooses the newest release that supports this Python).
ensure_pip() {
  local bin=$1 spec=$2
  command -v "$bin" >/dev/null 2>&1 && return 0
  echo "installing $spec with pip" >&2
  python3 -m pip install --quiet --disable-pip-version-check "$spec" >&2
}

# ensure_test_tools: what the tests need installed (packages and programs); idempotent. The
# servers themselves are started per run by start_test_services.
ensure_test_tools() {
  # mkfs.ext4 and a loop device make the small full disk of the vault's disk-full test;
  # attr gives getfattr/setfattr for checking xattrs by hand.
  ensure_apt e2fsprogs attr
  # The backup's file-system snapshot mode is tested on a real btrfs in a loop device.
  ensure_apt btrfs-progs
  # The S3 storage service's HTTP client links OpenSSL (native-tls): openssl-sys needs these.
  ensure_apt pkg-config libssl-dev
  # The `command` database vendor is tested against a real PostgreSQL (pg_dump/pg_restore).
  ensure_apt postgresql
  # The cell playbooks in examples/ansible are run by the tests (ansible_cell.rs).
  ensure_pip ansible-playbook 'ansible-core>=2.16'
  # The S3 repository tests need a real S3 server: s3s-fs 0.14 (newer versions need a newer rustc).
  if ! command -v s3s-fs >/dev/null 2>&1 && [ ! -x "$HOME/.cargo/bin/s3s-fs" ]; then
    echo "installing s3s-fs 0.14 with cargo install" >&2
    cargo install s3s-fs --version '~0.14' --features binary --locked >&2
  fi
  # S3 Object Lock (per-object retention, versions a delete cannot remove) is tested against
  # moto's S3 server, which keeps retention; s3s-fs keeps none.
  ensure_pip moto_server 'moto[server]>=5.1'
}

# start_test_services RUN_DIR: this run's own S3 server and PostgreSQL, with their data and
# working directories under RUN_DIR (outside any clone, which may be deleted while another
# run's servers live on), each on a free loopback port, each proven to work before the tests
# start. A server this run did not start is never used: a port in use means another port.
# Stop them (and remove RUN_DIR) with stop_test_services, from a trap. Exports the
# CNXBACKUP_TEST_S3_* and CNXBACKUP_TEST_PG_* variables the tests read.
start_test_services() {
  TEST_SERVICES_DIR=$1
  mkdir -p "$TEST_SERVICES_DIR"
  # PostgreSQL runs as the postgres account under root: it must be able to enter the run
  # directory (but not list it).
  chmod 711 "$TEST_SERVICES_DIR"
  start_postgres "$TEST_SERVICES_DIR/pg" && start_s3_server "$TEST_SERVICES_DIR/s3" &&
    start_lock_s3_server "$TEST_SERVICES_DIR/s3-lock"
}

# stop_test_services: stop what start_test_services started and remove its directory; safe to
# call more than once and after a partial start.
stop_test_services() {
  stop_lock_s3_server
  stop_s3_server
  stop_postgres
  if [ -n "${TEST_SERVICES_DIR:-}" ]; then
    rm -rf "$TEST_SERVICES_DIR"
    TEST_SERVICES_DIR=
  fi
}

# run_interruptibly COMMAND...: run COMMAND and return its exit status, such that a TERM or
# INT sent to this script stops COMMAND and exits at once, running the EXIT trap (which stops
# the test services). Bash runs a trap only after a foreground child has ended, so COMMAND runs
# in the background and the script waits for it (a wait that signals interrupt).
run_interruptibly() {
  "$@" &
  local child=$!
  trap "kill -TERM $child 2>/dev/null; wait $child 2>/dev/null; exit 143" TERM
  trap "kill -INT $child 2>/dev/null; wait $child 2>/dev/null; exit 130" INT
  local status=0
  wait "$child" || status=$?
  trap - TERM INT
  return "$status"
}

# free_port: a TCP port on 127.0.0.1 that nothing listens on right now. Another process may
# take it before the server binds, so the callers retry with a new one when the start fails.
free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# start_postgres DIR: a private PostgreSQL server on 127.0.0.1 for the tests of the `command`
# database vendor (pg_dump / pg_restore), data and socket in DIR, trust authentication.
# Exports CNXBACKUP_TEST_PG_HOST, CNXBACKUP_TEST_PG_PORT, CNXBACKUP_TEST_PG_USER and PATH with
# the server's binaries; sets TEST_PG_DIR for stop_postgres.
start_postgres() {
  local dir=$1 bin port user=cnxtest attempt
  bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
  [ -n "$bin" ] || { echo "PostgreSQL binaries not found under /usr/lib/postgresql" >&2; return 1; }
  export PATH="$bin:$PATH"
  # initdb refuses to run as root: the server runs as the postgres account then.
  TEST_PG_AS=()
  if [ "$(id -u)" -eq 0 ]; then
    id postgres >/dev/null 2>&1 || useradd --system --home-dir /var/lib/postgresql postgres
    TEST_PG_AS=(runuser -u postgres --)
  fi
  mkdir -p "$dir"
  [ ${#TEST_PG_AS[@]} -gt 0 ] && chown postgres "$dir"
  "${TEST_PG_AS[@]}" "$bin/initdb" -D "$dir/data" -A trust -U "$user" --no-sync >"$dir/initdb.log" 2>&1 ||
    { cat "$dir/initdb.log" >&2; return 1; }
  for attempt in 1 2 3; do
    port=$(free_port)
    if "${TEST_PG_AS[@]}" "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 30 \
      -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c fsync=off" start >/dev/null; then
      TEST_PG_DIR=$dir TEST_PG_BIN=$bin
      break
    fi
    [ "$attempt" -eq 3 ] && { cat "$dir/server.log" >&2; return 1; }
  done
  export CNXBACKUP_TEST_PG_HOST=127.0.0.1 CNXBACKUP_TEST_PG_PORT=$port CNXBACKUP_TEST_PG_USER=$user
  # Proof that it works, not only that it listens: a query.
  local answer
  answer=$(psql -h 127.0.0.1 -p "$port" -U "$user" -d postgres -tAc 'select 1' 2>&1) || true
  if [ "$answer" != 1 ]; then
    echo "PostgreSQL on 127.0.0.1:$port does not answer 'select 1': $answer" >&2
    cat "$dir/server.log" >&2
    return 1
  fi
  echo "PostgreSQL started on 127.0.0.1:$port for this run (data in $dir)" >&2
}

# stop_postgres: stop the server start_postgres started, if any.
stop_postgres() {
  [ -n "${TEST_PG_DIR:-}" ] || return 0
  "${TEST_PG_AS[@]}" "$TEST_PG_BIN/pg_ctl" -D "$TEST_PG_DIR/data" -m immediate -w stop >/dev/null 2>&1 || true
  TEST_PG_DIR=
}

# start_s3_server DIR: a private S3 server (s3s-fs) on 127.0.0.1 for the S3 tests and the S3
# benchmark, objects in DIR/data, working directory DIR. Exports CNXBACKUP_TEST_S3_ENDPOINT,
# CNXBACKUP_TEST_S3_ACCESS_KEY, CNXBACKUP_TEST_S3_SECRET_KEY and CNXBACKUP_TEST_S3_BUCKET (the
# bucket exists: s3s-fs buckets are directories of its root); sets TEST_S3_PID.
start_s3_server() {
  local dir=$1 bin port attempt
  bin=$(command -v s3s-fs || echo "$HOME/.cargo/bin/s3s-fs")
  [ -x "$bin" ] || { echo "s3s-fs is not installed (ensure_test_tools installs it)" >&2; return 1; }
  export CNXBACKUP_TEST_S3_ACCESS_KEY=cnxtest
  export CNXBACKUP_TEST_S3_SECRET_KEY=cnxtest-secret-key-0123456789
  export CNXBACKUP_TEST_S3_BUCKET=cnxtest
  mkdir -p "$dir/data/$CNXBACKUP_TEST_S3_BUCKET"
  for attempt in 1 2 3; do
    port=$(free_port)
    export CNXBACKUP_TEST_S3_ENDPOINT="http://127.0.0.1:$port"
    # Test credentials only: this server listens on loopback and holds throwaway data.
    (cd "$dir" && exec "$bin" --host 127.0.0.1 --port "$port" \
      --access-key "$CNXBACKUP_TEST_S3_ACCESS_KEY" --secret-key "$CNXBACKUP_TEST_S3_SECRET_KEY" \
      "$dir/data" >"$dir/server.log" 2>&1 </dev/null) &
    TEST_S3_PID=$!
    if wait_for_http "$CNXBACKUP_TEST_S3_ENDPOINT/" "$dir/server.log" s3s-fs 2>/dev/null &&
      kill -0 "$TEST_S3_PID" 2>/dev/null; then
      break
    fi
    stop_s3_server
    [ "$attempt" -eq 3 ] && { cat "$dir/server.log" >&2; echo "s3s-fs did not start" >&2; return 1; }
  done
  s3_health_check || { cat "$dir/server.log" >&2; stop_s3_server; return 1; }
  echo "S3 server (s3s-fs) started on $CNXBACKUP_TEST_S3_ENDPOINT for this run (data in $dir/data)" >&2
}

# s3_health_check: prove that the S3 server of CNXBACKUP_TEST_S3_* works the way the tests use
# it, not only that something answers HTTP: signed requests (SigV4, as the tests' client
# sends) that list a new prefix (what a server whose directory has vanished fails with 500),
# put an object there, get the same bytes back, find it in a second listing, and delete it.
s3_health_check() {
  local base="$CNXBACKUP_TEST_S3_ENDPOINT/$CNXBACKUP_TEST_S3_BUCKET" prefix body got list
  local sign=(--aws-sigv4 "aws:amz:us-east-1:s3"
    --user "$CNXBACKUP_TEST_S3_ACCESS_KEY:$CNXBACKUP_TEST_S3_SECRET_KEY"
    -H "x-amz-content-sha256: UNSIGNED-PAYLOAD")
  prefix=health-$$-$RANDOM
  body="health check $prefix"
  # (the prefix's "/" is encoded: curl signs the query string as given)
  curl -sf --max-time 5 "${sign[@]}" "$base?list-type=2&prefix=$prefix%2F" >/dev/null ||
    { echo "S3 health check: ListObjectsV2 of a new prefix failed" >&2; return 1; }
  curl -sf --max-time 5 "${sign[@]}" -X PUT --data-binary "$body" "$base/$prefix/probe" >/dev/null ||
    { echo "S3 health check: PUT $base/$prefix/probe failed" >&2; return 1; }
  got=$(curl -sf --max-time 5 "${sign[@]}" "$base/$prefix/probe") ||
    { echo "S3 health check: GET $base/$prefix/probe failed" >&2; return 1; }
  [ "$got" = "$body" ] || { echo "S3 health check: GET returned other bytes" >&2; return 1; }
  list=$(curl -sf --max-time 5 "${sign[@]}" "$base?list-type=2&prefix=$prefix%2F") ||
    { echo "S3 health check: ListObjectsV2 failed after the put" >&2; return 1; }
  case $list in
    *"<Key>$prefix/probe</Key>"*) ;;
    *) echo "S3 health check: the listing does not show $prefix/probe" >&2; return 1 ;;
  esac
  curl -sf --max-time 5 "${sign[@]}" -X DELETE "$base/$prefix/probe" >/dev/null ||
    { echo "S3 health check: DELETE failed" >&2; return 1; }
}

# stop_s3_server: stop the server start_s3_server started, if any, and wait for it to go.
stop_s3_server() {
  [ -n "${TEST_S3_PID:-}" ] || return 0
  kill "$TEST_S3_PID" 2>/dev/null || true
  wait "$TEST_S3_PID" 2>/dev/null || true
  TEST_S3_PID=
}

# start_lock_s3_server DIR: a private S3 server that keeps S3 Object Lock retention (moto's
# server) on 127.0.0.1, working directory DIR, with one bucket created with Object Lock
# enabled (which turns versioning on). Exports CNXBACKUP_TEST_LOCK_S3_ENDPOINT,
# CNXBACKUP_TEST_LOCK_S3_BUCKET, CNXBACKUP_TEST_LOCK_S3_ACCESS_KEY and
# CNXBACKUP_TEST_LOCK_S3_SECRET_KEY (moto accepts any signed credentials); sets
# TEST_LOCK_S3_PID.
start_lock_s3_server() {
  local dir=$1 port attempt
  command -v moto_server >/dev/null 2>&1 ||
    { echo "moto_server is not installed (ensure_test_tools installs it)" >&2; return 1; }
  mkdir -p "$dir"
  export CNXBACKUP_TEST_LOCK_S3_ACCESS_KEY=cnxlock
  export CNXBACKUP_TEST_LOCK_S3_SECRET_KEY=cnxlock-secret-key-0123456789
  export CNXBACKUP_TEST_LOCK_S3_BUCKET=cnxlock
  for attempt in 1 2 3; do
    port=$(free_port)
    export CNXBACKUP_TEST_LOCK_S3_ENDPOINT="http://127.0.0.1:$port"
    (cd "$dir" && exec moto_server -H 127.0.0.1 -p "$port" >"$dir/server.log" 2>&1 </dev/null) &
    TEST_LOCK_S3_PID=$!
    if wait_for_http "$CNXBACKUP_TEST_LOCK_S3_ENDPOINT/" "$dir/server.log" moto_server 2>/dev/null &&
      kill -0 "$TEST_LOCK_S3_PID" 2>/dev/null; then
      break
    fi
    stop_lock_s3_server
    [ "$attempt" -eq 3 ] && { cat "$dir/server.log" >&2; echo "moto_server did not start" >&2; return 1; }
  done
  curl -sf --max-time 10 --aws-sigv4 "aws:amz:us-east-1:s3" \
    --user "$CNXBACKUP_TEST_LOCK_S3_ACCESS_KEY:$CNXBACKUP_TEST_LOCK_S3_SECRET_KEY" \
    -H "x-amz-content-sha256: UNSIGNED-PAYLOAD" -H "x-amz-bucket-object-lock-enabled: true" \
    -X PUT "$CNXBACKUP_TEST_LOCK_S3_ENDPOINT/$CNXBACKUP_TEST_LOCK_S3_BUCKET" >/dev/null ||
    { cat "$dir/server.log" >&2; echo "moto_server: creating the Object Lock bucket failed" >&2;
      stop_lock_s3_server; return 1; }
  echo "S3 server with Object Lock (moto) started on $CNXBACKUP_TEST_LOCK_S3_ENDPOINT for this run" >&2
}

# stop_lock_s3_server: stop the server start_lock_s3_server started, if any.
stop_lock_s3_server() {
  [ -n "${TEST_LOCK_S3_PID:-}" ] || return 0
  kill "$TEST_LOCK_S3_PID" 2>/dev/null || true
  wait "$TEST_LOCK_S3_PID" 2>/dev/null || true
  TEST_LOCK_S3_PID=
}

# wait_for_http URL LOG WHAT: wait up to 10 s for any HTTP answer from URL (even a 403 to
# an unsigned request means the server is up); when none comes, show LOG and say so.
wait_for_http() {
  local url=$1 log=$2 what=$3 i
  for i in $(seq 1 100); do
    curl -s -o /dev/null --max-time 2 "$url" && return 0
    sleep 0.1
  done
  cat "$log" >&2
  echo "$what did not answer on $url" >&2
  return 1
}

# start_s3_bench_server WORKDIR: the benchmarks' own S3 server (scripts/bench/s3-bench-server:
# s3s-fs with 1 MiB GetObject reads, TCP_NODELAY and AWS's empty-delimiter listing; see its
# main.rs), built with cargo, on a free loopback port, keeping objects under WORKDIR/s3root. Exports
# BENCH_S3_ENDPOINT, BENCH_S3_BUCKET (exists), BENCH_S3_ACCESS_KEY, BENCH_S3_SECRET_KEY (fresh
# per start, handed over in the environment, never argv) and BENCH_S3_PID; stop it with
# `kill "$BENCH_S3_PID"`.
start_s3_bench_server() {
  local work=$1 root manifest target port
  root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
  manifest=$root/scripts/bench/s3-bench-server/Cargo.toml
  target=${CARGO_TARGET_DIR:-$root/target}
  cargo build --release --locked --manifest-path "$manifest" --target-dir "$target" >&2
  mkdir -p "$work/s3root/bench"
  port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  export BENCH_S3_ENDPOINT="http://127.0.0.1:$port" BENCH_S3_BUCKET=bench
  export BENCH_S3_ACCESS_KEY=bench
  BENCH_S3_SECRET_KEY=$(head -c 18 /dev/urandom | base64 | tr -d '/+=')
  export BENCH_S3_SECRET_KEY
  "$target/release/s3-bench-server" "127.0.0.1:$port" "$work/s3root" > "$work/s3-bench-server.log" 2>&1 < /dev/null &
  export BENCH_S3_PID=$!
  if ! wait_for_http "$BENCH_S3_ENDPOINT/" "$work/s3-bench-server.log" s3-bench-server; then
    kill "$BENCH_S3_PID" 2>/dev/null || true
    return 1
  fi
  echo "S3 bench server started on $BENCH_S3_ENDPOINT (objects in $work/s3root)" >&2
}

# ensure_cnxbackup_binary: for the benchmark scripts, CNXBACKUP as given, else a release build
# of this checkout (built now); fails when there is no executable there. Exports CNXBACKUP.
ensure_cnxbackup_binary() {
  local root
  root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
  if [ -z "${CNXBACKUP:-}" ]; then
    (cd "$root" && cargo build --release -p cnxbackup >&2)
    CNXBACKUP=${CARGO_TARGET_DIR:-$root/target}/release/cnxbackup
  fi
  [ -x "$CNXBACKUP" ] || { echo "no cnxbackup binary at $CNXBACKUP" >&2; return 1; }
  export CNXBACKUP
}

# ensure_pip_tool BINARY PACKAGE...: pip install the Python packages when BINARY is not on
# PATH (the release build's `ziglang` and `cargo-zigbuild`, see scripts/package).
ensure_pip_tool() {
  local bin=$1
  shift
  command -v "$bin" >/dev/null 2>&1 && return 0
  echo "installing $* with pip" >&2
  python3 -m pip install --quiet "$@" >&2
}

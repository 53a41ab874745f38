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

# ensure_test_services: the servers and tools that tests need. Each later feature that needs a
# real component (PostgreSQL, an S3 server, restic) adds its line here.
ensure_test_services() {
  # mkfs.ext4 and a loop device make the small full disk of the vault's disk-full test;
  # attr gives getfattr/setfattr for checking xattrs by hand.
  ensure_apt e2fsprogs attr
  # The S3 storage service's HTTP client links OpenSSL (native-tls): openssl-sys needs these.
  ensure_apt pkg-config libssl-dev
  # The `command` database vendor is tested against a real PostgreSQL (pg_dump/pg_restore).
  start_postgres
  # The S3 repository tests (crates/vault/tests/s3_*.rs) need a real S3 server.
  start_s3_server
  drop_old_test_objects
}

# drop_old_test_objects: the tests leave their repositories on the test S3 server, each under
# a prefix of its own, and s3s-fs keeps objects as files (their metadata beside them): remove
# what is older than a day so that a developer's disk does not fill up run after run (a
# test's prefix is younger). CI starts with an empty server.
drop_old_test_objects() {
  local data=${CNXBACKUP_TEST_S3_DIR:-/tmp/cnxbackup-test-s3}/data
  find "$data/$CNXBACKUP_TEST_S3_BUCKET" -mindepth 1 -maxdepth 1 -mmin +1440 \
    -exec rm -rf {} + 2>/dev/null || true
  find "$data" -maxdepth 1 -name '.bucket-*' -mmin +1440 -delete 2>/dev/null || true
}

# start_postgres: a private PostgreSQL server on 127.0.0.1 for the tests of the `command`
# database vendor (pg_dump / pg_restore). Reused when it already answers. Exports
# CNXBACKUP_TEST_PG_HOST, CNXBACKUP_TEST_PG_PORT and CNXBACKUP_TEST_PG_USER (trust auth).
start_postgres() {
  ensure_apt postgresql
  local bin dir port user
  bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
  [ -n "$bin" ] || { echo "PostgreSQL binaries not found under /usr/lib/postgresql" >&2; return 1; }
  dir=${CNXBACKUP_TEST_PG_DIR:-/tmp/cnxbackup-test-pg}
  port=${CNXBACKUP_TEST_PG_PORT:-55432}
  user=cnxtest
  export CNXBACKUP_TEST_PG_HOST=127.0.0.1 CNXBACKUP_TEST_PG_PORT=$port CNXBACKUP_TEST_PG_USER=$user
  export PATH="$bin:$PATH"
  if "$bin/pg_isready" -q -h 127.0.0.1 -p "$port"; then
    echo "PostgreSQL already answers on 127.0.0.1:$port" >&2
    return 0
  fi
  # initdb refuses to run as root: the server runs as the postgres account then.
  local as=()
  if [ "$(id -u)" -eq 0 ]; then
    id postgres >/dev/null 2>&1 || useradd --system --home-dir /var/lib/postgresql postgres
    as=(runuser -u postgres --)
  fi
  rm -rf "$dir"
  mkdir -p "$dir"
  [ ${#as[@]} -gt 0 ] && chown postgres "$dir"
  "${as[@]}" "$bin/initdb" -D "$dir/data" -A trust -U "$user" --no-sync >"$dir/initdb.log" 2>&1 ||
    { cat "$dir/initdb.log" >&2; return 1; }
  "${as[@]}" "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w \
    -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c fsync=off" start >/dev/null ||
    { cat "$dir/server.log" >&2; return 1; }
  echo "PostgreSQL started on 127.0.0.1:$port (data in $dir)" >&2
}

# start_s3_server: a private S3 server (s3s-fs 0.14: newer versions need a newer rustc) on
# 127.0.0.1 for the S3 tests and the S3 benchmark. Reused when it already answers. Exports
# CNXBACKUP_TEST_S3_ENDPOINT, CNXBACKUP_TEST_S3_ACCESS_KEY, CNXBACKUP_TEST_S3_SECRET_KEY and
# CNXBACKUP_TEST_S3_BUCKET (the bucket exists: s3s-fs buckets are directories of its root).
start_s3_server() {
  local dir port bin
  if ! command -v s3s-fs >/dev/null 2>&1; then
    echo "installing s3s-fs 0.14 with cargo install" >&2
    cargo install s3s-fs --version '~0.14' --features binary --locked >&2
  fi
  bin=$(command -v s3s-fs || echo "$HOME/.cargo/bin/s3s-fs")
  dir=${CNXBACKUP_TEST_S3_DIR:-/tmp/cnxbackup-test-s3}
  port=${CNXBACKUP_TEST_S3_PORT:-59014}
  export CNXBACKUP_TEST_S3_ENDPOINT="http://127.0.0.1:$port"
  export CNXBACKUP_TEST_S3_ACCESS_KEY=cnxtest
  export CNXBACKUP_TEST_S3_SECRET_KEY=cnxtest-secret-key-0123456789
  export CNXBACKUP_TEST_S3_BUCKET=cnxtest
  mkdir -p "$dir/data/$CNXBACKUP_TEST_S3_BUCKET"
  # Any HTTP answer (even 403 to an unsigned request) means the server is up.
  if curl -s -o /dev/null "$CNXBACKUP_TEST_S3_ENDPOINT/"; then
    echo "S3 server already answers on $CNXBACKUP_TEST_S3_ENDPOINT" >&2
    return 0
  fi
  # Test credentials only: this server listens on loopback and holds throwaway data.
  setsid "$bin" --host 127.0.0.1 --port "$port" \
    --access-key "$CNXBACKUP_TEST_S3_ACCESS_KEY" --secret-key "$CNXBACKUP_TEST_S3_SECRET_KEY" \
    "$dir/data" >"$dir/server.log" 2>&1 < /dev/null &
  wait_for_http "$CNXBACKUP_TEST_S3_ENDPOINT/" "$dir/server.log" s3s-fs || return 1
  echo "S3 server (s3s-fs) started on $CNXBACKUP_TEST_S3_ENDPOINT (data in $dir/data)" >&2
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

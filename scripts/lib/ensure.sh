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
}

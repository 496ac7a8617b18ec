# Shared set-up for infra/run, infra/test and infra/bench. Sourced, not executed.
# Installs what a fresh Debian 12 machine lacks, builds Kerb, and manages the embedded
# PostgreSQL cluster (infra/lib/pg.sh). Everything it creates lives under .kerb/ (git-ignored).
set -euo pipefail

KERB_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
KERB_STATE="${KERB_STATE:-$KERB_ROOT/.kerb}"
export KERB_ROOT KERB_STATE

say() { printf '\033[1mkerb:\033[0m %s\n' "$*" >&2; }
die() { printf 'kerb: %s\n' "$*" >&2; exit 1; }

# Runs a command as root: directly when we are root, through sudo otherwise.
as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"
  elif command -v sudo >/dev/null 2>&1; then sudo "$@"
  else die "need root to run: $* (install sudo or run as root)"; fi
}

# Debian packages Kerb needs to build, test and serve (openssl makes the cluster's TLS
# certificate). wrk is for infra/bench only.
KERB_APT_PACKAGES=(postgresql postgresql-contrib libpq-dev libargon2-dev liboath-dev libqrencode-dev libssl-dev openssl pkg-config curl ca-certificates)

ensure_packages() {
  local missing=() p
  for p in "${KERB_APT_PACKAGES[@]}" "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    say "installing ${missing[*]}"
    as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  fi
  command -v swift >/dev/null 2>&1 || die "Swift 6.2 or later is not on PATH (see https://www.swift.org/install/linux/)"
}

# The newest installed PostgreSQL's binaries (the Debian packages keep them off PATH).
pg_bindir() {
  local dir
  dir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
  [ -n "$dir" ] || die "PostgreSQL server binaries not found under /usr/lib/postgresql"
  echo "$dir"
}

# A free TCP port on loopback, starting from $1.
free_port() {
  local port=$1
  while (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; do port=$((port + 1)); done
  echo "$port"
}

# 32 random hex characters, for generated passwords.
random_secret() { head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n'; }

build_kerb() {
  local config=${1:-debug}
  say "building Kerb ($config); a clean build takes a few minutes"
  (cd "$KERB_ROOT" && swift build -c "$config" --product kerb "${@:2}") >&2
  KERB_BIN="$(cd "$KERB_ROOT" && swift build -c "$config" --show-bin-path)/kerb"
  export KERB_BIN
}

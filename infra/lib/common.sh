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
KERB_APT_PACKAGES=(postgresql postgresql-contrib libpq-dev libargon2-dev liboath-dev libqrencode-dev libssl-dev zlib1g-dev openssl pkg-config curl ca-certificates)

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

# schemathesis and GOV.UK Notify's own Python client (PyPI), pinned, in a virtualenv under .kerb/:
# infra/test's API and GOV.UK Pay fake contract checks run schemathesis (KERB_SCHEMATHESIS names
# it), and the Notify fake's contract check drives the fake with Notify's client
# (KERB_CONTRACT_PYTHON names the virtualenv's python). Reinstalled when a pin moves.
KERB_SCHEMATHESIS_VERSION=4.32.5
KERB_NOTIFY_CLIENT_VERSION=13.0.0

ensure_schemathesis() {
  local venv="$KERB_STATE/schemathesis" pins="schemathesis==$KERB_SCHEMATHESIS_VERSION notifications-python-client==$KERB_NOTIFY_CLIENT_VERSION"
  if [ "$(cat "$venv/.kerb-version" 2>/dev/null)" != "$pins" ] || [ ! -x "$venv/bin/schemathesis" ]; then
    command -v python3 >/dev/null 2>&1 || ensure_packages python3
    python3 -c 'import ensurepip, venv' 2>/dev/null || ensure_packages python3-venv
    say "installing $pins into $venv"
    rm -rf "$venv"
    mkdir -p "$KERB_STATE"
    python3 -m venv "$venv"
    # shellcheck disable=SC2086
    "$venv/bin/pip" install -q --disable-pip-version-check $pins >&2
    echo "$pins" >"$venv/.kerb-version"
  fi
  KERB_SCHEMATHESIS="$venv/bin/schemathesis"
  KERB_CONTRACT_PYTHON="$venv/bin/python"
  export KERB_SCHEMATHESIS KERB_CONTRACT_PYTHON
}

# selenium and axe-selenium-python (PyPI, pinned in Tests/Browser/requirements.txt), in a
# virtualenv under .kerb/, for the browser journeys (infra/lib/browser-journeys.sh). Reinstalled
# when the pins change. axe-selenium-python 3 (axe-core 4.10) needs Python 3.12 or later: the
# newest such python3.x on PATH or under pyenv; without one, the 3.11 pins (axe-core 3.1).
browser_python() {
  local py
  for py in python3.14 python3.13 python3.12 "${PYENV_ROOT:-$HOME/.pyenv}"/versions/3.1[2-9]*/bin/python3 python3; do
    py=$(command -v "$py" 2>/dev/null) || continue
    "$py" -c 'import sys, venv, ensurepip; assert sys.version_info >= (3, 11)' 2>/dev/null && { echo "$py"; return 0; }
  done
  return 1
}

ensure_browser_tools() {
  local venv="$KERB_STATE/browser-venv" py pins want
  py=$(browser_python) || { ensure_packages python3 python3-venv; py=$(browser_python) || die "no Python 3.11 or later"; }
  pins="$KERB_ROOT/Tests/Browser/requirements.txt"
  "$py" -c 'import sys; assert sys.version_info >= (3, 12)' 2>/dev/null || pins="$KERB_ROOT/Tests/Browser/requirements-py311.txt"
  want="$("$py" -c 'import sys; print(sys.version.split()[0])') $(sha1sum "$pins" | cut -c1-40)"
  if [ "$(cat "$venv/.kerb-version" 2>/dev/null)" != "$want" ] || [ ! -x "$venv/bin/python" ]; then
    say "installing selenium and axe-selenium-python ($(basename "$pins")) into $venv"
    rm -rf "$venv"
    mkdir -p "$KERB_STATE"
    "$py" -m venv "$venv"
    "$venv/bin/pip" install -q --disable-pip-version-check -r "$pins" >&2
    echo "$want" >"$venv/.kerb-version"
  fi
  KERB_BROWSER_VENV=$venv
  export KERB_BROWSER_VENV
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

# kerb-demo: the GOV.UK Pay and national Blue Badge service contract fakes for demo and offline
# runs, a product of its own so that the production `kerb` binary ships no fakes.
build_kerb_demo() {
  local config=${1:-debug}
  say "building kerb-demo ($config)"
  (cd "$KERB_ROOT" && swift build -c "$config" --product kerb-demo) >&2
  KERB_DEMO_BIN="$(cd "$KERB_ROOT" && swift build -c "$config" --show-bin-path)/kerb-demo"
  export KERB_DEMO_BIN
}

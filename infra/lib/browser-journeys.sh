#!/usr/bin/env bash
# Real-browser journeys with accessibility checks (Tests/Browser/journeys.py): headless Chromium
# (Debian's chromium and chromium-driver) driven by selenium, axe-core on every page visited, each
# page also checked at 320 px wide and for CSP errors in the console. Runs on its own throwaway
# PostgreSQL cluster and its own `kerb serve` on a free port, beside `kerb-demo fakes` (GOV.UK Pay
# and the national Blue Badge service): migrate, `kerb demo seed` (its set-up links go to a private
# file the journeys read, never to the log), serve, run the journeys, stop everything. Screenshots of every step: .kerb/browser-artefacts/ (kept).
# Run by infra/test (whole suite) and by `infra/test --browser` alone. KERB_BIN may name a built
# kerb binary; otherwise the debug one is built. Arguments go to pytest (e.g. -k "journey_a or b").
source "$(dirname "$0")/common.sh"
source "$KERB_ROOT/infra/lib/pg.sh"
source "$KERB_ROOT/infra/lib/demo-services.sh"

ensure_packages chromium chromium-driver
ensure_browser_tools
[ -n "${KERB_BIN:-}" ] && [ -x "$KERB_BIN" ] || build_kerb debug
[ -n "${KERB_DEMO_BIN:-}" ] && [ -x "$KERB_DEMO_BIN" ] || build_kerb_demo debug

started=$SECONDS
work="$KERB_STATE/browser-$$"
artefacts="$KERB_STATE/browser-artefacts"
cluster="browser-pg-$$"
serve_pid=
mkdir -p "$work"
chmod 700 "$work"
rm -rf "$artefacts"
mkdir -p "$artefacts"

cleanup() {
  local status=$?
  set +e
  trap - EXIT INT TERM
  if [ -n "$serve_pid" ] && kill -0 "$serve_pid" 2>/dev/null; then
    kill -TERM "$serve_pid"
    for _ in $(seq 1 40); do kill -0 "$serve_pid" 2>/dev/null || break; sleep 0.25; done
    kill -KILL "$serve_pid" 2>/dev/null
  fi
  [ "$status" -eq 0 ] || { cp "$work/serve.log" "$artefacts/serve.log" 2>/dev/null; say "browser: server log kept in $artefacts/serve.log"; }
  demo_services_stop
  pg_stop
  local real; real=$(readlink -f "$KERB_STATE/$cluster" 2>/dev/null || true)
  rm -rf "$work" "$KERB_STATE/$cluster" "${real:-/nonexistent}" "$KERB_STATE/$cluster.env" \
    "$KERB_STATE/$cluster.master.key" "$KERB_STATE/$cluster.documents"
  exit "$status"
}
trap cleanup EXIT INT TERM

pg_port=$(free_port 56700)
http_port=$(free_port 18180)
pg_prepare "$cluster"
pg_init "$pg_port" throwaway
pg_start
pg_bootstrap "$KERB_STATE/$cluster.env" "$pg_port"

export KERB_PORT=$http_port KERB_BASE_DOMAIN=kerb.localhost KERB_STATE_DIR="$work"
"$KERB_BIN" migrate >"$work/migrate.log" 2>&1 || { cat "$work/migrate.log" >&2; die "browser: kerb migrate failed"; }
# The seed prints one-time set-up links: kept in a private file for the journeys, not logged.
(umask 077; "$KERB_BIN" demo seed --port "$http_port" >"$work/seed.txt" 2>"$work/seed.err") ||
  { cat "$work/seed.err" >&2; die "browser: kerb demo seed failed"; }

say "browser: serving on port $http_port (PostgreSQL $pg_port)"
demo_services_start
"$KERB_BIN" serve --port "$http_port" --log-level warning >"$work/serve.log" 2>&1 &
serve_pid=$!
for _ in $(seq 1 120); do
  curl -fsS -o /dev/null --max-time 2 "http://127.0.0.1:$http_port/healthz" 2>/dev/null && break
  kill -0 "$serve_pid" 2>/dev/null || { tail -n 30 "$work/serve.log" >&2; die "browser: kerb serve ended"; }
  sleep 0.5
done
curl -fsS -o /dev/null --max-time 2 "http://127.0.0.1:$http_port/healthz" || die "browser: kerb serve did not answer"

say "browser: running the journeys (screenshots in $artefacts)"
cd "$KERB_ROOT"
KERB_BROWSER_BASE="http://localhost:$http_port" KERB_BROWSER_SEED="$work/seed.txt" KERB_BROWSER_ARTEFACTS="$artefacts" \
  KERB_BROWSER_PSQL="$PG_DIR/run:$pg_port" \
  "$KERB_BROWSER_VENV/bin/python" -m pytest -p no:cacheprovider --assert=plain --tb=short -x -v -s "$KERB_ROOT/Tests/Browser/journeys.py" "$@"
say "browser: journeys passed in $((SECONDS - started)) s; screenshots in $artefacts"

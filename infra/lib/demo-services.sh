# The demo's GOV.UK Pay, GOV.UK Notify and national Blue Badge service: `kerb-demo fakes` (not part of the
# production `kerb` binary) as a process beside `kerb serve`, which reaches it through its ordinary
# settings, as it would the real services. Sourced after common.sh, once build_kerb_demo has run.
#
# demo_services_start: starts the fakes for the demo councils (credentials under
# $KERB_STATE/demo-secrets, the register's numbering under $KERB_STATE) and exports
# KERB_NATIONAL_BB_URL, KERB_GOVUK_PAY_URL, KERB_NOTIFY_URL and KERB_SECRETS_DIR for `kerb serve`.
# demo_services_stop: stops them (a trap calls it).
DEMO_SERVICES_PID=

demo_services_start() {
  local env_file="$KERB_STATE/demo-services.env" tries
  mkdir -p "$KERB_STATE"
  rm -f "$env_file"
  "$KERB_DEMO_BIN" fakes --secrets-dir "$KERB_STATE/demo-secrets" --env-file "$env_file" --state-dir "$KERB_STATE" >/dev/null &
  DEMO_SERVICES_PID=$!
  for tries in $(seq 1 240); do
    [ -s "$env_file" ] && break
    kill -0 "$DEMO_SERVICES_PID" 2>/dev/null || { DEMO_SERVICES_PID=; die "kerb-demo fakes ended before listening"; }
    sleep 0.25
  done
  [ -s "$env_file" ] || die "kerb-demo fakes did not listen within 60 s"
  # shellcheck source=/dev/null
  source "$env_file"
  say "demo services (pid $DEMO_SERVICES_PID): national Blue Badge service fake at $KERB_NATIONAL_BB_URL, GOV.UK Pay fake at $KERB_GOVUK_PAY_URL, GOV.UK Notify fake at $KERB_NOTIFY_URL"
}

demo_services_stop() {
  local pid=${DEMO_SERVICES_PID:-}
  DEMO_SERVICES_PID=
  [ -n "$pid" ] || return 0
  kill -TERM "$pid" 2>/dev/null || return 0
  wait "$pid" 2>/dev/null || true
}

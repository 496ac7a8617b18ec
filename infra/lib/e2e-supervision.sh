#!/usr/bin/env bash
# End-to-end check of a crash, as an operator would meet it, on the real `infra/run` (its own
# cluster and port under a throwaway KERB_STATE): while a request is in flight, `kerb serve` is
# killed with SIGILL (what a Swift runtime trap raises). The log must show one JSON line naming
# that request's id and nothing of the request itself; infra/run must say it restarts the server
# and serve again; Ctrl-C (SIGINT) must then stop the server and PostgreSQL. Also checks the
# systemd unit with `systemd-analyze verify` where that tool exists. Run by infra/test.
source "$(dirname "$0")/common.sh"
source "$KERB_ROOT/infra/lib/pg.sh"

work="$KERB_STATE/e2e-$$"
mkdir -p "$work"
log="$work/run.log"
run_pid=

fail() {
  cp "$log" "$KERB_STATE/e2e-failed.log" 2>/dev/null || true
  printf 'kerb e2e: FAILED: %s\n--- last lines of the infra/run log (all of it: %s):\n' "$*" "$KERB_STATE/e2e-failed.log" >&2
  tail -n 40 "$log" >&2 2>/dev/null || true
  exit 1
}

cleanup() {
  local status=$?
  set +e
  trap - EXIT INT TERM
  if [ -n "$run_pid" ] && kill -0 "$run_pid" 2>/dev/null; then
    kill -INT "$run_pid"
    for _ in $(seq 1 60); do kill -0 "$run_pid" 2>/dev/null || break; sleep 1; done
  fi
  PG_DIR=$(readlink -f "$work/pg" 2>/dev/null)
  [ -n "$PG_DIR" ] && pg_stop
  rm -rf "$work" "${PG_DIR:-/nonexistent}"
  exit "$status"
}
trap cleanup EXIT INT TERM

# wait_for SECONDS DESCRIPTION COMMAND...: polls COMMAND every half second.
wait_for() {
  local seconds=$1 what=$2 tries
  shift 2
  for tries in $(seq 1 $((seconds * 2))); do
    if "$@" >/dev/null 2>&1; then return 0; fi
    [ -z "$run_pid" ] || kill -0 "$run_pid" 2>/dev/null || fail "infra/run ended while waiting for $what"
    sleep 0.5
  done
  fail "timed out after ${seconds}s waiting for $what"
}

healthy() { curl -fsS -o /dev/null --max-time 2 "http://127.0.0.1:$http_port/healthz"; }
logged() { grep -q -- "$1" "$log"; }
serve_pids() { sed -n 's/.*kerb serve started (pid \([0-9]*\)).*/\1/p' "$log"; }

# --- the systemd unit
if command -v systemd-analyze >/dev/null 2>&1; then
  for name in kerb.service kerb-backups.service kerb-cluster-backup.service kerb-cluster-backup.timer; do
    unit="$work/$name"
    # The units name the installed binaries; check them against one that exists here.
    sed -e "s#^ExecStart=/opt/kerb/bin/kerb #ExecStart=/bin/true #" -e "s#^ExecStart=/opt/kerb/bin/kerb\$#ExecStart=/bin/true#" \
      "$KERB_ROOT/infra/systemd/$name" >"$unit"
    out=$(cd "$work" && systemd-analyze verify "$unit" 2>&1) || fail "systemd-analyze verify $name: $out"
    [ -z "$out" ] || fail "systemd-analyze verify $name warned: $out"
  done
  say "e2e: infra/systemd's units pass systemd-analyze verify"
else
  say "e2e: systemd-analyze not installed; the unit is not verified"
fi

# --- infra/run, crash, restart, stop
http_port=$(free_port 18080)
pg_port=$(free_port 56600)
say "e2e: starting infra/run (HTTP $http_port, PostgreSQL $pg_port); log in $log"
# Job control on, so the background infra/run receives SIGINT like a terminal's Ctrl-C.
set -m
KERB_STATE="$work" KERB_PORT=$http_port KERB_PG_PORT=$pg_port "$KERB_ROOT/infra/run" >"$log" 2>&1 &
run_pid=$!
set +m
wait_for 900 "infra/run to serve" healthy
first=$(serve_pids | tail -n 1)
[ -n "$first" ] || fail "infra/run did not say which pid kerb serve has"

# A sign-in form post whose body never finishes: the request stays in flight, reading its body.
exec 7<>"/dev/tcp/127.0.0.1/$http_port"
printf 'POST /ops/sign-in?e2e=secret-query HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 4096\r\n\r\nemail=e2e.person%%40example.com&csrf=' >&7
# (JSON may write the path's slashes as \/.)
access='"hb\.request\.path":"\\?/ops\\?/sign-in"'
wait_for 30 "the slow request to be logged" grep -Eq "$access" "$log"
request_id=$(grep -E "$access" "$log" | tail -n 1 | sed -n 's/.*"hb.request.id":"\([0-9a-f]*\)".*/\1/p')
[ -n "$request_id" ] || fail "no request id in the access log line"
sleep 0.5

say "e2e: kill -ILL $first with request $request_id in flight"
kill -ILL "$first"
wait_for 60 "the crash report" logged '"msg":"Fatal signal'
crash=$(grep '"msg":"Fatal signal' "$log" | head -n 1)
for part in '"level":"critical"' '"signal":"SIGILL"' '"signal.number":4,' '"hb.request.ids":[' "\"$request_id\""; do
  grep -qF -- "$part" <<<"$crash" || fail "the crash line lacks $part: $crash"
done
if grep -q -e 'secret-query' -e 'e2e.person' -e 'sign-in' -e 'ops' <<<"$crash"; then
  fail "the crash line carries request data: $crash"
fi
wait_for 60 "infra/run to say it restarts" logged 'kerb serve exited (signal 4, SIGILL); restarting in 1 s — restart #1'
restarted() { [ "$(serve_pids | wc -l)" -ge 2 ]; }
wait_for 120 "a second kerb serve" restarted
wait_for 120 "the restarted server to serve" healthy
second=$(serve_pids | tail -n 1)
[ "$second" != "$first" ] || fail "the server was not restarted"
exec 7>&-

say "e2e: Ctrl-C (SIGINT) to infra/run"
kill -INT "$run_pid"
status=0
wait "$run_pid" || status=$?
run_pid=
[ "$status" -eq 0 ] || fail "infra/run exited $status after SIGINT"
! kill -0 "$second" 2>/dev/null || fail "kerb serve (pid $second) still runs after infra/run stopped"
logged 'stopping PostgreSQL' || fail "infra/run did not stop PostgreSQL"
logged 'kerb serve stopped (exit 0)' || fail "kerb serve did not stop cleanly (exit 0) on SIGINT"
PG_DIR=$(readlink -f "$work/pg")
! pg_as_owner "$(pg_bindir)/pg_ctl" -D "$PG_DIR/data" status >/dev/null 2>&1 || fail "PostgreSQL still runs"
if logged 'restart #2'; then fail "the server was restarted more than once"; fi
say "e2e: crash logged with its request id, server restarted, Ctrl-C stopped it and PostgreSQL: passed"

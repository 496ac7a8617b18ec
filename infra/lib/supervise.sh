# A small supervisor for `kerb serve` under infra/run (production uses systemd: see
# infra/systemd/kerb.service, which has the same policy). Sourced after common.sh.
#
# supervise CMD...: runs CMD in the background and waits for it. If it ends abnormally (killed by
# a signal, or a non-zero exit), says so and starts it again after a pause that doubles from 1 s
# to at most SUPERVISE_MAX_DELAY (30 s), back to 1 s once a run has lasted SUPERVISE_STABLE (60 s).
# A clean exit (0, e.g. after SIGTERM from elsewhere) ends supervision, as Restart=on-failure does.
# To stop on purpose, a trap calls supervise_stop, which interrupts CMD and waits for it.
# The running child's pid is in SUPERVISED_PID.

SUPERVISE_MAX_DELAY=${SUPERVISE_MAX_DELAY:-30}
SUPERVISE_STABLE=${SUPERVISE_STABLE:-60}
SUPERVISED_PID=
SUPERVISED_NAME=
SUPERVISE_PAUSE_PID=

supervise() {
  local name restarts=0 delay=1 started status how
  name="$(basename "$1")${2:+ $2}"
  SUPERVISED_NAME=$name
  while :; do
    started=$SECONDS
    "$@" &
    SUPERVISED_PID=$!
    say "$name started (pid $SUPERVISED_PID)"
    status=0
    wait "$SUPERVISED_PID" || status=$?
    SUPERVISED_PID=
    [ "$status" -ne 0 ] || { say "$name stopped (exit 0); not restarting"; return 0; }
    if [ "$status" -gt 128 ]; then
      how="signal $((status - 128)), SIG$(kill -l "$((status - 128))" 2>/dev/null || echo '?')"
    else
      how="exit $status"
    fi
    if [ $((SECONDS - started)) -ge "$SUPERVISE_STABLE" ]; then delay=1; fi
    restarts=$((restarts + 1))
    say "$name exited ($how); restarting in $delay s — restart #$restarts"
    # In the background, so a Ctrl-C during the pause is handled at once.
    sleep "$delay" &
    SUPERVISE_PAUSE_PID=$!
    wait "$SUPERVISE_PAUSE_PID" || true
    SUPERVISE_PAUSE_PID=
    delay=$((delay * 2))
    [ "$delay" -le "$SUPERVISE_MAX_DELAY" ] || delay=$SUPERVISE_MAX_DELAY
  done
}

# supervise_stop: interrupts the supervised command (its graceful shutdown), waits for it and
# says how it ended.
supervise_stop() {
  local pid=${SUPERVISED_PID:-} status=0
  SUPERVISED_PID=
  [ -z "$SUPERVISE_PAUSE_PID" ] || kill "$SUPERVISE_PAUSE_PID" 2>/dev/null || true
  [ -n "$pid" ] || return 0
  kill -INT "$pid" 2>/dev/null || return 0
  wait "$pid" 2>/dev/null || status=$?
  say "$SUPERVISED_NAME stopped (exit $status)"
}

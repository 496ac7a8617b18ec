#!/usr/bin/env bash
# Kerb's whole-service point-in-time recovery, end to end (issue 13, item 4): a throwaway
# cluster with production's durable settings and pgBackRest archiving into a repository beside
# it (infra/lib/pgbackrest.sh), the demo councils seeded by `kerb demo seed`, a full backup taken
# by `kerb backup cluster-backup`, the time T, then a deliberate DELETE of Westminster's case
# timeline. `kerb backup cluster-verify --target T` must recover a scratch cluster in which
# every council checks (tables counted, audit trail intact, anchored, and an earlier state of
# the live one) and Westminster's timeline is whole, while the live one stays empty.
#
# Run by infra/test (whole suite), or alone: infra/lib/cluster-recovery-check.sh. Prints the
# measured recovery point and time as key=value lines; exits non-zero with a one-line reason.
source "$(dirname "$0")/common.sh"
source "$KERB_ROOT/infra/lib/pg.sh"
source "$KERB_ROOT/infra/lib/pgbackrest.sh"

build_kerb debug
KERB_STATE=$(mktemp -d "${TMPDIR:-/tmp}/kerb-pitr-check.XXXXXX")
export KERB_STATE
PG_DIR=''
fail() { printf 'kerb cluster recovery: FAILED: %s\n' "$*" >&2; exit 1; }
cleanup() {
  local status=$?
  set +e
  trap - EXIT
  pg_stop
  [ -z "$PG_DIR" ] || rm -rf "$PG_DIR"
  rm -rf "$KERB_STATE"
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

pg_port=$(free_port 56532)
pg_prepare pg
pg_init "$pg_port"
pg_start
pg_bootstrap "$KERB_STATE/secrets.env" "$pg_port"
pgbr_enable kerb "$PG_DIR/repo"
# Scratch clusters go under KERB_BACKUP_DIR, which the server's OS user must reach: beside the
# cluster (PG_DIR may be a /var/tmp folder when KERB_STATE is private to root; see pg_prepare).
export KERB_BACKUP_DIR="$PG_DIR/backups"
pg_as_owner mkdir -p "$KERB_BACKUP_DIR"
export KERB_PGBACKREST_CONFIG="$PGBR_CONFIG" KERB_PGBACKREST_STANZA="$PGBR_STANZA"

"$KERB_BIN" migrate --quiet >/dev/null
"$KERB_BIN" demo seed >/dev/null
"$KERB_BIN" audit anchor --all >/dev/null
"$KERB_BIN" backup cluster-backup --type full >/dev/null || fail "kerb backup cluster-backup failed"

timeline="t_westminster.application_events"
before=$(pg_psql -d kerb -tAc "SELECT count(*) FROM $timeline")
[ "$before" -gt 0 ] || fail "the demo seed wrote no case timeline to delete"
pgbr_switch_wal >/dev/null
# pgBackRest picks a backup that stopped before the target, comparing whole seconds.
sleep 2
target=$(pg_psql -d kerb -tAc "SELECT now()")
target_at=$EPOCHREALTIME
sleep 1
deleted_at=$EPOCHREALTIME
pg_psql -d kerb -c "DELETE FROM $timeline" >/dev/null
pgbr_switch_wal >/dev/null

started=$EPOCHREALTIME
out=$("$KERB_BIN" backup cluster-verify --target "$target" --port "$(free_port 56632)") || {
  printf '%s\n' "$out" >&2
  pgbr info >&2
  fail "kerb backup cluster-verify did not pass"
}
finished=$EPOCHREALTIME
printf '%s\n' "$out" >&2
line=$(printf '%s\n' "$out" | grep '^westminster: ok') || fail "westminster did not check in the recovered cluster"
recovered=$(printf '%s\n' "$line" | grep -o 'application_events=[0-9]*' | cut -d= -f2)
[ "$recovered" = "$before" ] || fail "recovered $recovered timeline entries of $before"
[ "$(pg_psql -d kerb -tAc "SELECT count(*) FROM $timeline")" = 0 ] || fail "the live timeline was touched"
councils=$(printf '%s\n' "$out" | grep -c ': ok')
[ "$councils" -ge 5 ] || fail "only $councils councils checked"

awk -v t="$target_at" -v a="$deleted_at" -v b="$started" -v c="$finished" -v n="$before" -v k="$councils" 'BEGIN {
  printf "recovered_rows=%d\ncouncils_checked=%d\ntarget_seconds_before_delete=%.1f\ncluster_verify_seconds=%.1f\n", n, k, a - t, c - b }'
say "point-in-time recovery proved: $before timeline entries back from just before the DELETE"

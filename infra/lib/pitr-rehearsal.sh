#!/usr/bin/env bash
# Point-in-time recovery rehearsal with pgBackRest (infra/lib/pgbackrest.sh), on a throwaway
# cluster with production's durable settings, its repository beside it, under a throwaway
# KERB_STATE: a full backup, rows, a differential backup, more rows (in archived WAL only), the
# time T, then a deliberate DELETE of every row. The repository restored to T into a scratch
# cluster must hold every row, unchanged, while the live cluster still holds none.
#
# Run: infra/lib/pitr-rehearsal.sh (as root or as a user who can run PostgreSQL; installs
# pgbackrest if missing). Prints key=value figures on stdout, progress on stderr; exits non-zero
# with a one-line reason if the rows do not come back. Everything it made is removed on exit.
source "$(dirname "$0")/common.sh"
source "$KERB_ROOT/infra/lib/pg.sh"
source "$KERB_ROOT/infra/lib/pgbackrest.sh"

started=$EPOCHREALTIME
# Its own state folder: nothing it makes can touch the .kerb/ of a real infra/run.
KERB_STATE=$(mktemp -d "${TMPDIR:-/tmp}/kerb-pitr.XXXXXX")
export KERB_STATE
PG_DIR='' scratch=''

fail() { printf 'kerb pitr: FAILED: %s\n' "$*" >&2; exit 1; }

cleanup() {
  local status=$?
  set +e
  trap - EXIT
  [ -z "$scratch" ] || pgbr_stop_scratch "$scratch"
  pg_stop
  # PG_DIR may be /var/tmp/kerb-pg-* behind a symlink in KERB_STATE (see pg_prepare); the
  # repository and the scratch cluster live inside it.
  [ -z "$PG_DIR" ] || rm -rf "$PG_DIR"
  rm -rf "$KERB_STATE"
  exit "$status"
}
trap cleanup EXIT
# Interrupted: exit with the signal's status, and the EXIT trap cleans up.
trap 'exit 130' INT
trap 'exit 143' TERM

# seconds_since START: wall time since START (an $EPOCHREALTIME), to a tenth of a second.
seconds_since() { awk -v a="$1" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }'; }

# The row count and a digest of every row, to compare the live and the restored table.
digest_sql="SELECT count(*) || ' ' || coalesce(md5(string_agg(id || ':' || payload || ':' || inserted_at, ',' ORDER BY id)), '-') FROM rehearsal"

# insert N: N rows in one transaction, each stamped with the time it was written.
insert() {
  pg_psql -d pitr -c "INSERT INTO rehearsal (payload) SELECT md5(random()::text) FROM generate_series(1, $1)"
}

pg_port=$(free_port 57432)
scratch_port=$(free_port $((pg_port + 1)))
pg_prepare pitr
scratch="$PG_DIR/scratch"
say "PITR rehearsal: cluster in $PG_DIR on port $pg_port"
pg_init "$pg_port"
pg_start
pgbr_enable kerb "$PG_DIR/repo"

pg_psql -d postgres -c "CREATE DATABASE pitr"
pg_psql -d pitr -c "CREATE TABLE rehearsal (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  payload text NOT NULL, inserted_at timestamptz NOT NULL DEFAULT clock_timestamp())"
insert 1000

t=$EPOCHREALTIME
full=$(pgbr_backup full)
backup_full_seconds=$(seconds_since "$t")
say "full backup $full in ${backup_full_seconds}s"

insert 1000
t=$EPOCHREALTIME
diff=$(pgbr_backup diff)
backup_diff_seconds=$(seconds_since "$t")
say "differential backup $diff in ${backup_diff_seconds}s"

# These rows are in no backup: only replaying archived WAL brings them back.
insert 1000
pgbr_switch_wal 60
before=$(pg_psql -d pitr -tAc "$digest_sql")
target=$(pg_psql -d pitr -tAc "SELECT now()")
# Recovery to a time stops at the first commit after it, so the DELETE must commit visibly later.
sleep 1
deleted_at=$(pg_psql -d pitr -tA -c "DELETE FROM rehearsal" -c "SELECT clock_timestamp()")
say "deleted every row at $deleted_at; restoring to $target"
# Recovery must see a commit after the target (the DELETE's) in archived WAL, or it ends with
# "recovery ended before configured recovery target was reached".
pgbr_switch_wal 60

t=$EPOCHREALTIME
pgbr_restore_scratch "$target" "$scratch" "$scratch_port"
restore_seconds=$(seconds_since "$t")

recovered=$(pgbr_scratch_psql "$scratch" "$scratch_port" -d pitr -tAc "$digest_sql") ||
  fail "the restored cluster has no readable rehearsal table"
live=$(pg_psql -d pitr -tAc "SELECT count(*) FROM rehearsal")
rows_before=${before%% *} rows_recovered=${recovered%% *}
[ "$rows_recovered" = "$rows_before" ] || fail "recovered $rows_recovered rows of $rows_before"
[ "$recovered" = "$before" ] || fail "the $rows_recovered recovered rows differ from the ones deleted"
[ "$live" = 0 ] || fail "the live cluster has $live rows after the DELETE"
# The promoted scratch is on a new timeline; had it archived, its WAL would be in the repository.
pushed=$(find "$PGBR_REPO/archive" -name '00000002*' | head -n 1)
[ -z "$pushed" ] || fail "the restored cluster archived into the repository: $pushed"
# How far before the DELETE the recovered data ends: from the last recovered row's write to the
# DELETE's commit (the target T lies between them).
recovery_point_seconds=$(pgbr_scratch_psql "$scratch" "$scratch_port" -d pitr -tAc \
  "SELECT round(extract(epoch FROM '$deleted_at'::timestamptz - max(inserted_at))::numeric, 1) FROM rehearsal")

printf '%s\n' "recovery_point_seconds=$recovery_point_seconds" "restore_seconds=$restore_seconds" \
  "backup_full_seconds=$backup_full_seconds" "backup_diff_seconds=$backup_diff_seconds" \
  "rows_before=$rows_before" "rows_recovered=$rows_recovered" "total_seconds=$(seconds_since "$started")"
say "PITR rehearsal passed: $rows_recovered of $rows_before rows back from before the DELETE"

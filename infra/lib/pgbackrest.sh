# Point-in-time recovery for the embedded PostgreSQL cluster with pgBackRest (Debian's
# `pgbackrest`). Sourced after common.sh and pg.sh, with PG_DIR and PG_PORT set (pg_prepare,
# pg_init). Rehearsed end to end by infra/lib/pitr-rehearsal.sh.
#
#   pgbr_enable STANZA REPO_DIR        archive WAL into REPO_DIR, create the stanza, check it
#   pgbr_backup full|diff|incr         take a backup; prints its label
#   pgbr_info                          prints `pgbackrest info --output=json` for the stanza
#   pgbr_switch_wal [TIMEOUT]          closes the current WAL segment, waits until it is archived
#   pgbr_restore_scratch TIME DIR PORT restores the repository to TIME into a new cluster in DIR
#   pgbr_scratch_psql DIR PORT ARGS... psql as kerb_super on that scratch cluster
#   pgbr_stop_scratch DIR              stops the scratch cluster and deletes DIR
#
# pgBackRest runs as the server's OS user (pg_as_owner: `postgres` when we are root), since it
# reads the data folder and is also run by the server itself, as archive_command. So its config,
# log and lock folders live under PG_DIR (private to that user): nothing needs /var/log,
# /var/lib/pgbackrest or /tmp, and Debian's /etc/pgbackrest.conf is never read.
#
# In production REPO_DIR belongs on another disk (or machine) than PG_DIR: a repository beside
# the data it protects is lost with it. The rehearsal keeps it beside the cluster for cleanup.

# pgbr_enable STANZA REPO_DIR: call after pg_init, which rewrites kerb.conf without these
# settings on every start; before or after pg_start (the cluster is started or restarted here
# as needed, since archive_mode only changes on a restart). Idempotent. Exports PGBR_CONFIG,
# PGBR_STANZA and PGBR_REPO.
pgbr_enable() {
  local stanza=$1 repo=$2
  local bin; bin=$(pg_bindir)
  ensure_packages pgbackrest
  case "$PG_DIR$repo$stanza" in *"'"* | *'"'* | *' '*) die "pgbr_enable: no quotes or spaces in paths or the stanza, they go into archive_command" ;; esac
  PGBR_CONFIG="$PG_DIR/pgbackrest.conf" PGBR_STANZA=$stanza PGBR_REPO=$repo
  export PGBR_CONFIG PGBR_STANZA PGBR_REPO

  pg_as_owner mkdir -p "$repo" "$PG_DIR/pgbackrest/log" "$PG_DIR/pgbackrest/lock" ||
    die "pgbr_enable: $(pg_os_user) cannot create $repo (it must be able to write the repository)"
  pg_as_owner chmod 750 "$repo"

  # The fastest compression this build of pgBackRest links (Debian's has all three).
  local compress=gz libs; libs=$(ldd "$(command -v pgbackrest)" 2>/dev/null || true)
  case "$libs" in *libzstd*) compress=zst ;; *liblz4*) compress=lz4 ;; esac

  {
    echo "# Written by infra/lib/pgbackrest.sh (pgbr_enable); edits here are lost."
    echo "[global]"
    echo "repo1-path=$repo"
    # Two full backups and the WAL needed to replay from the older one to now; older ones expire.
    echo "repo1-retention-full=2"
    echo "log-path=$PG_DIR/pgbackrest/log"
    echo "lock-path=$PG_DIR/pgbackrest/lock"
    echo "log-level-console=warn"
    echo "log-level-file=info"
    # A backup starts with an immediate checkpoint instead of waiting for the next timed one.
    echo "start-fast=y"
    echo "compress-type=$compress"
    echo "process-max=2"
    echo
    echo "[$stanza]"
    echo "pg1-path=$PG_DIR/data"
    echo "pg1-socket-path=$PG_DIR/run"
    echo "pg1-port=$PG_PORT"
    echo "pg1-user=kerb_super"
  } | pg_as_owner tee "$PGBR_CONFIG" >/dev/null
  pg_as_owner chmod 640 "$PGBR_CONFIG"

  # Archiving settings, after the ones pg_init wrote (a later line wins). Earlier copies from a
  # previous pgbr_enable without a pg_init in between are dropped first.
  local conf="$PG_DIR/data/kerb.conf"
  local command
  command="$(command -v pgbackrest) --config=$PGBR_CONFIG --stanza=$stanza archive-push %p"
  pg_as_owner sed -i -e '/^# pgBackRest/d' -e '/^archive_mode\b/d' -e '/^archive_command\b/d' \
    -e '/^archive_timeout\b/d' -e '/^wal_level\b/d' "$conf"
  {
    echo "# pgBackRest (infra/lib/pgbackrest.sh): every WAL segment goes to the repository."
    echo "wal_level = replica"
    echo "archive_mode = on"
    echo "archive_command = '$command'"
    # A quiet server still closes and archives its segment after at most a minute, which bounds
    # how much committed work a lost machine can take with it.
    echo "archive_timeout = 60"
  } | pg_as_owner tee -a "$conf" >/dev/null

  if ! pg_as_owner "$bin/pg_ctl" -D "$PG_DIR/data" status >/dev/null 2>&1; then
    pg_start
  elif [ "$(pg_psql -d postgres -tAc "SELECT current_setting('archive_mode') = 'on'
        AND current_setting('wal_level') IN ('replica', 'logical')")" != t ]; then
    say "restarting PostgreSQL to turn on WAL archiving"
    pg_as_owner "$bin/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/server.log" -m fast -w -t 60 restart >/dev/null ||
      { tail -n 20 "$PG_DIR/server.log" >&2; die "PostgreSQL did not restart (log: $PG_DIR/server.log)"; }
  else
    # archive_command and archive_timeout only need a reload; wait until it has been read, so
    # that `check` below archives through the new command.
    pg_psql -d postgres -tAc "SELECT pg_reload_conf()" >/dev/null
    local _
    for _ in $(seq 1 50); do
      [ "$(pg_psql -d postgres -tAc "SHOW archive_command")" = "$command" ] && break
      sleep 0.1
    done
  fi

  # stanza-create does nothing if the stanza exists and matches this cluster; check switches
  # WAL and fails unless that segment reaches the repository.
  pgbr stanza-create >&2 || die "pgbackrest stanza-create failed (log: $PG_DIR/pgbackrest/log)"
  pgbr check >&2 || die "pgbackrest check failed: is WAL being archived? (log: $PG_DIR/pgbackrest/log, $PG_DIR/server.log)"
}

# pgbr ARGS...: pgbackrest with our config and stanza, as the server's OS user.
pgbr() {
  : "${PGBR_CONFIG:?run pgbr_enable first}"
  pg_as_owner pgbackrest --config="$PGBR_CONFIG" --stanza="$PGBR_STANZA" "$@"
}

# pgbr_backup full|diff|incr: a backup of the running cluster; prints its label (e.g.
# 20250101-120000F_20250101-120500D). pgBackRest's own output goes to stderr.
pgbr_backup() {
  local type=$1
  case "$type" in full | diff | incr) ;; *) die "pgbr_backup: full, diff or incr, not '$type'" ;; esac
  pgbr --type="$type" backup >&2 || die "pgbackrest $type backup failed (log: $PG_DIR/pgbackrest/log)"
  # The backups are listed oldest first, and only backups have a "label"; the lock pgBackRest
  # takes for a backup means the newest one is the one just taken.
  pgbr_info | grep -o '"label":"[^"]*"' | tail -n 1 | cut -d'"' -f4
}

# pgbr_info: the stanza's backups and WAL archive, as JSON.
pgbr_info() { pgbr info --output=json; }

# pgbr_switch_wal [TIMEOUT_SECONDS]: closes the current WAL segment and waits until the server
# has archived it, so that everything committed so far can be recovered from the repository.
# Fails if that takes longer than TIMEOUT_SECONDS (default 60).
pgbr_switch_wal() {
  local timeout=${1:-60} wal _
  # pg_switch_wal returns the end of the segment it closed (the last one, if nothing was
  # written since), whose file name is what pg_stat_archiver reports once it is archived.
  wal=$(pg_psql -d postgres -tAc "SELECT pg_walfile_name(pg_switch_wal())")
  for _ in $(seq 1 $((timeout * 10))); do
    # WAL file names sort in order within a timeline; a .history or .backup name sorts after.
    [ "$(pg_psql -d postgres -tAc "SELECT coalesce(last_archived_wal >= '$wal', false) FROM pg_stat_archiver")" = t ] && return 0
    sleep 0.1
  done
  pg_psql -d postgres -tAc "SELECT 'last archived: ' || coalesce(last_archived_wal, '-') || ', last failed: ' ||
    coalesce(last_failed_wal, '-') FROM pg_stat_archiver" >&2
  die "WAL segment $wal was not archived within ${timeout}s (log: $PG_DIR/server.log)"
}

# pgbr_restore_scratch TARGET_TIME SCRATCH_DIR PORT: restores the repository as it was at
# TARGET_TIME (a timestamp with its offset, e.g. from `SELECT now()`) into a new cluster in
# SCRATCH_DIR (data/, run/ for its socket, server.log), starts it on PORT and returns once
# recovery has finished and it accepts writes. pgBackRest picks the newest backup that ended
# before TARGET_TIME and replays archived WAL up to it; every transaction that committed after it
# is left out. The scratch listens on its socket only (no TLS, no TCP) and never archives, so it
# pushes nothing into the repository. Prints nothing on stdout; pgbr_stop_scratch removes it.
pgbr_restore_scratch() {
  local target=$1 dir=$2 port=$3 bin _
  bin=$(pg_bindir)
  : "${PGBR_CONFIG:?run pgbr_enable first}"
  [ -n "$dir" ] || die "pgbr_restore_scratch: no scratch folder given"
  [ ! -e "$dir/data" ] || die "pgbr_restore_scratch: $dir/data already exists"
  pg_as_owner mkdir -p "$dir/data" "$dir/run" || die "pgbr_restore_scratch: $(pg_os_user) cannot create $dir"
  pg_as_owner chmod 700 "$dir" "$dir/data" "$dir/run"

  # --target-timeline=current: replay along the backup's own timeline, not whichever newer one
  # a past promotion left in the archive. --archive-mode=off also in postgresql.auto.conf.
  pgbr restore --pg1-path="$dir/data" --type=time --target="$target" --target-action=promote \
    --target-timeline=current --archive-mode=off >&2 ||
    die "pgbackrest restore failed (log: $PG_DIR/pgbackrest/log)"
  local set
  set=$(pg_as_owner sed -n 's/.*restore backup set \([^,]*\),.*/\1/p' "$PG_DIR/pgbackrest/log/$PGBR_STANZA-restore.log" | tail -n 1) || true
  say "restored backup set ${set:-?} into $dir/data; replaying WAL to $target"

  # The restored kerb.conf is the live cluster's: later lines override its port, socket, TLS and
  # archiving. Its max_connections stays: recovery refuses a lower one than the primary had.
  {
    echo "# A scratch cluster restored by pgbr_restore_scratch, thrown away by pgbr_stop_scratch:"
    echo "# its own socket, no TCP (so no TLS), and it never archives into the repository."
    echo "listen_addresses = ''"
    echo "port = $port"
    echo "unix_socket_directories = '$dir/run'"
    echo "ssl = off"
    echo "archive_mode = off"
    echo "archive_command = ''"
  } | pg_as_owner tee -a "$dir/data/kerb.conf" >/dev/null
  # Socket only: the restored hostssl lines would only draw warnings with ssl off.
  printf '%s\n' "# Written by pgbr_restore_scratch: a scratch cluster, reached on its socket only." \
    "local all all trust" | pg_as_owner tee "$dir/data/pg_hba.conf" >/dev/null

  pg_as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 120 start >/dev/null ||
    { tail -n 20 "$dir/server.log" >&2; die "the restored cluster did not start (log: $dir/server.log)"; }
  # pg_ctl returns once the server is consistent and accepts read-only connections; the
  # recovery target may still be ahead. A target beyond the archived WAL stops the server.
  for _ in $(seq 1 1200); do
    [ "$(pgbr_scratch_psql "$dir" "$port" -d postgres -tAc "SELECT pg_is_in_recovery()" 2>/dev/null)" = f ] && return 0
    pg_as_owner "$bin/pg_ctl" -D "$dir/data" status >/dev/null 2>&1 ||
      { tail -n 20 "$dir/server.log" >&2; die "the restored cluster stopped during recovery (log: $dir/server.log)"; }
    sleep 0.1
  done
  die "recovery did not finish within 120s (log: $dir/server.log)"
}

# pgbr_scratch_psql SCRATCH_DIR PORT ARGS...: psql as kerb_super on a scratch cluster's socket.
pgbr_scratch_psql() {
  local dir=$1 port=$2
  shift 2
  pg_as_owner psql -X -q -v ON_ERROR_STOP=1 -h "$dir/run" -p "$port" -U kerb_super "$@"
}

# pgbr_stop_scratch SCRATCH_DIR: stops a scratch cluster (if it runs) and deletes SCRATCH_DIR.
pgbr_stop_scratch() {
  local dir=$1 bin
  bin=$(pg_bindir)
  [ -n "$dir" ] && [ "$dir" != / ] || return 0
  if [ -f "$dir/data/PG_VERSION" ]; then
    pg_as_owner "$bin/pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null 2>&1 || true
  fi
  rm -rf "$dir"
}

# The embedded PostgreSQL cluster: initdb, start, stop, bootstrap. Sourced after common.sh.
#
# PostgreSQL refuses to run as root, so as root the server runs as the unprivileged `postgres`
# user (created by the Debian package). If that user cannot reach the data folder (a checkout in
# a private home or mktemp folder), the data lives in /var/tmp/kerb-pg-<hash> and .kerb/ holds a
# symlink to it. Local socket connections (for bootstrap) are trusted and the socket folder is
# private to the server's user; TCP on loopback needs TLS and the generated passwords.
#
# TLS: each cluster has its own CA (PG_DIR/tls/ca.crt). Its key signs the server's certificate
# (localhost, 127.0.0.1) and is then deleted, so nothing else can ever be signed by it. Clients
# check the server with sslmode verify-full against that CA (KERB_DB_SSLROOTCERT).

pg_os_user() { if [ "$(id -u)" -eq 0 ]; then echo postgres; else id -un; fi; }

pg_as_owner() {
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

# pg_prepare NAME: sets PG_DIR for the cluster NAME under $KERB_STATE, creating it if needed.
pg_prepare() {
  local name=$1 link="$KERB_STATE/$1"
  mkdir -p "$KERB_STATE"
  if [ -L "$link" ]; then PG_DIR=$(readlink "$link"); mkdir -p "$PG_DIR"
  elif [ -d "$link" ]; then PG_DIR=$link
  else
    PG_DIR=$link
    mkdir -p "$PG_DIR"
    if [ "$(id -u)" -eq 0 ]; then
      chown postgres:postgres "$PG_DIR"
      if ! runuser -u postgres -- test -w "$PG_DIR"; then
        rmdir "$PG_DIR"
        PG_DIR="/var/tmp/kerb-pg-$(printf '%s' "$link" | sha1sum | cut -c1-12)"
        mkdir -p "$PG_DIR"
        ln -s "$PG_DIR" "$link"
      fi
    fi
  fi
  [ "$(id -u)" -ne 0 ] || chown postgres:postgres "$PG_DIR"
  chmod 700 "$PG_DIR"
  export PG_DIR
}

# pg_init PORT [throwaway]: initdb once, then (re)write the settings we own.
pg_init() {
  local port=$1 throwaway=${2:-}
  local bin; bin=$(pg_bindir)
  export PG_PORT=$port
  if [ ! -f "$PG_DIR/data/PG_VERSION" ]; then
    say "creating PostgreSQL cluster in $PG_DIR"
    pg_as_owner mkdir -p "$PG_DIR/data" "$PG_DIR/run"
    pg_as_owner "$bin/initdb" -D "$PG_DIR/data" -U kerb_super --auth-local=trust --auth-host=scram-sha-256 \
      --encoding=UTF8 --locale=C.UTF-8 >"$KERB_STATE/initdb.log" 2>&1 || { cat "$KERB_STATE/initdb.log" >&2; die "initdb failed"; }
  fi
  pg_tls
  local conf="$PG_DIR/data/kerb.conf"
  {
    echo "listen_addresses = '127.0.0.1'"
    echo "port = $port"
    echo "unix_socket_directories = '$PG_DIR/run'"
    echo "max_connections = 300"
    echo "shared_buffers = 256MB"
    echo "log_min_messages = warning"
    echo "password_encryption = 'scram-sha-256'"
    echo "ssl = on"
    echo "ssl_cert_file = '$PG_DIR/tls/server.crt'"
    echo "ssl_key_file = '$PG_DIR/tls/server.key'"
    echo "ssl_min_protocol_version = 'TLSv1.2'"
    if [ -n "$throwaway" ]; then
      # A test cluster is thrown away afterwards: durability costs time and buys nothing.
      echo "fsync = off"; echo "synchronous_commit = off"; echo "full_page_writes = off"
    fi
  } | pg_as_owner tee "$conf" >/dev/null
  grep -q "^include_if_exists = 'kerb.conf'" "$PG_DIR/data/postgresql.conf" ||
    echo "include_if_exists = 'kerb.conf'" | pg_as_owner tee -a "$PG_DIR/data/postgresql.conf" >/dev/null
  # Who may connect, and how: rewritten every time, like kerb.conf.
  {
    echo "# Written by infra/lib/pg.sh on every start; edits here are lost."
    echo "# TYPE    DATABASE USER ADDRESS       METHOD"
    echo "# The unix socket (its folder is private to the server's user): bootstrap as kerb_super."
    echo "local     all      all                trust"
    echo "# TCP only inside TLS, with a password; plain TCP is refused outright."
    echo "hostssl   all      all  127.0.0.1/32  scram-sha-256"
    echo "hostssl   all      all  ::1/128       scram-sha-256"
    echo "hostnossl all      all  0.0.0.0/0     reject"
    echo "hostnossl all      all  ::/0          reject"
  } | pg_as_owner tee "$PG_DIR/data/pg_hba.conf" >/dev/null
}

# pg_tls: a CA and a server certificate under PG_DIR/tls, made once and again when the server's
# certificate is within 30 days of expiry. The key files are mode 600, owned by the server's user.
pg_tls() {
  local dir="$PG_DIR/tls"
  if pg_as_owner test -f "$dir/server.key" && pg_as_owner test -f "$dir/ca.crt" &&
    pg_as_owner openssl x509 -checkend 2592000 -noout -in "$dir/server.crt" >/dev/null 2>&1; then
    return 0
  fi
  say "creating a local CA and PostgreSQL's TLS certificate in $dir"
  pg_as_owner mkdir -p "$dir"
  pg_as_owner chmod 700 "$dir"
  pg_as_owner rm -f "$dir"/*
  local ext="$dir/server.ext"
  printf '%s\n' "basicConstraints = critical, CA:FALSE" "keyUsage = critical, digitalSignature, keyEncipherment" \
    "extendedKeyUsage = serverAuth" "subjectAltName = DNS:localhost, IP:127.0.0.1" | pg_as_owner tee "$ext" >/dev/null
  (
    umask 077
    pg_as_owner openssl req -x509 -new -nodes -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -sha256 -days 3650 \
      -subj "/CN=Kerb local PostgreSQL CA" -keyout "$dir/ca.key" -out "$dir/ca.crt" &&
    pg_as_owner openssl req -new -nodes -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -sha256 \
      -subj "/CN=localhost" -keyout "$dir/server.key" -out "$dir/server.csr" &&
    pg_as_owner openssl x509 -req -in "$dir/server.csr" -CA "$dir/ca.crt" -CAkey "$dir/ca.key" -sha256 -days 825 \
      -set_serial "0x$(openssl rand -hex 16)" -extfile "$ext" -out "$dir/server.crt"
  ) >"$KERB_STATE/openssl.log" 2>&1 || { cat "$KERB_STATE/openssl.log" >&2; die "could not create PostgreSQL's TLS certificate"; }
  # The CA signs this one certificate and nothing else, ever.
  pg_as_owner rm -f "$dir/ca.key" "$dir/server.csr" "$ext"
  pg_as_owner chmod 600 "$dir/server.key"
  pg_as_owner chmod 644 "$dir/ca.crt" "$dir/server.crt"
}

pg_start() {
  local bin; bin=$(pg_bindir)
  if pg_as_owner "$bin/pg_ctl" -D "$PG_DIR/data" status >/dev/null 2>&1; then
    # Already running (another infra/run): pick up the settings pg_init just wrote.
    pg_as_owner "$bin/pg_ctl" -D "$PG_DIR/data" reload >/dev/null
    return 0
  fi
  pg_as_owner "$bin/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/server.log" -w -t 60 start >/dev/null ||
    { tail -n 20 "$PG_DIR/server.log" >&2; die "PostgreSQL did not start (log: $PG_DIR/server.log)"; }
}

pg_stop() {
  local bin; bin=$(pg_bindir)
  [ -n "${PG_DIR:-}" ] && [ -d "$PG_DIR/data" ] || return 0
  pg_as_owner "$bin/pg_ctl" -D "$PG_DIR/data" -m fast -w stop >/dev/null 2>&1 || true
}

pg_psql() { pg_as_owner psql -X -q -v ON_ERROR_STOP=1 -h "$PG_DIR/run" -p "$PG_PORT" -U kerb_super "$@"; }

# pg_bootstrap SECRETS_FILE PORT: creates the kerb database and roles once; exports KERB_DB_*
# settings (TLS verify-full against the cluster's CA) and writes them, less the passwords, to
# PG_DIR/client.env.
pg_bootstrap() {
  local secrets=$1 port=$2
  if [ ! -f "$secrets" ]; then
    umask 077
    printf 'KERB_DB_ADMIN_PASSWORD=%s\nKERB_DB_APP_PASSWORD=%s\n' "$(random_secret)" "$(random_secret)" >"$secrets"
  fi
  # shellcheck disable=SC1090
  set -a; . "$secrets"; set +a
  local exists
  exists=$(pg_psql -d postgres -tAc "SELECT count(*) FROM pg_database WHERE datname = 'kerb'") || die "cannot reach PostgreSQL"
  if [ "$exists" = 0 ]; then
    say "creating database kerb and its roles"
    pg_psql -d postgres -v admin_password="$KERB_DB_ADMIN_PASSWORD" -v app_password="$KERB_DB_APP_PASSWORD" \
      -f - <"$KERB_ROOT/infra/db/bootstrap.sql" >/dev/null
  fi
  # Clusters made before backups (issue 13): kerb_admin restores backups into scratch databases.
  pg_psql -d postgres -c "ALTER ROLE kerb_admin CREATEDB" >/dev/null
  # The master key that wraps every council's data key: a file beside the cluster, never in
  # it (a copy of the database alone opens no document), and the folder of document blobs.
  local base=${secrets%.env}
  if [ ! -f "$base.master.key" ]; then
    (umask 077; head -c 32 /dev/urandom | base64 >"$base.master.key")
  fi
  export KERB_MASTER_KEY_FILE="$base.master.key" KERB_DOCUMENTS_DIR="$base.documents" KERB_BACKUP_DIR="$base.backups"
  export KERB_DB_HOST=127.0.0.1 KERB_DB_PORT=$port KERB_DB_NAME=kerb
  export KERB_DB_SSLMODE=verify-full KERB_DB_SSLROOTCERT="$PG_DIR/tls/ca.crt"
  # The same settings, without the passwords, for kerb commands run from another shell.
  printf 'KERB_DB_HOST=%s\nKERB_DB_PORT=%s\nKERB_DB_NAME=%s\nKERB_DB_SSLMODE=%s\nKERB_DB_SSLROOTCERT=%s\nKERB_MASTER_KEY_FILE=%s\nKERB_DOCUMENTS_DIR=%s\nKERB_BACKUP_DIR=%s\n' \
    "$KERB_DB_HOST" "$KERB_DB_PORT" "$KERB_DB_NAME" "$KERB_DB_SSLMODE" "$KERB_DB_SSLROOTCERT" "$KERB_MASTER_KEY_FILE" \
    "$KERB_DOCUMENTS_DIR" "$KERB_BACKUP_DIR" >"$PG_DIR/client.env"
}

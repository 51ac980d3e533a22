# A throwaway PostgreSQL server on loopback for the tests and benchmarks. Sourced, not run.
#
#   start_postgres    installs Debian's postgresql if it is missing, makes a cluster in a new
#                     temporary folder, starts it on 127.0.0.1 at a free port and sets
#                     POSTGRES_URL (a superuser "aftercare", no password, database postgres).
#   stop_postgres     stops that server and removes its folder; safe to call twice.
#
# The cluster trades durability for speed (fsync off): it holds nothing worth keeping.

POSTGRES_DIR=""
POSTGRES_URL=""

_postgres_bin() {
  local found
  found=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
  if [ -z "$found" ] || [ ! -x "$found/initdb" ]; then
    echo "Installing Debian's postgresql for the PostgreSQL tests..." >&2
    as_root apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
    found=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
  fi
  echo "$found"
}

# PostgreSQL refuses to run as root: as root, the cluster belongs to Debian's postgres user.
_as_postgres_owner() {
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

start_postgres() {
  local bin port
  bin=$(_postgres_bin)
  POSTGRES_DIR=$(mktemp -d -t aftercare-postgres.XXXXXX)
  chmod 755 "$POSTGRES_DIR"
  [ "$(id -u)" -eq 0 ] && chown postgres: "$POSTGRES_DIR"
  port=$(.venv/bin/python -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  _as_postgres_owner "$bin/initdb" --pgdata "$POSTGRES_DIR/data" --username aftercare \
    --auth trust --encoding UTF8 --locale C.UTF-8 --no-sync >"$POSTGRES_DIR/initdb.log" 2>&1 || {
    cat "$POSTGRES_DIR/initdb.log" >&2
    return 1
  }
  local options="-c listen_addresses=127.0.0.1 -c port=$port"
  options+=" -c unix_socket_directories=$POSTGRES_DIR -c max_connections=300"
  options+=" -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
  _as_postgres_owner "$bin/pg_ctl" --pgdata "$POSTGRES_DIR/data" --wait --timeout 60 \
    --log "$POSTGRES_DIR/server.log" -o "$options" start >/dev/null || {
    cat "$POSTGRES_DIR/server.log" >&2
    return 1
  }
  POSTGRES_BIN="$bin"
  POSTGRES_URL="postgresql+psycopg://aftercare@127.0.0.1:$port/postgres"
  echo "PostgreSQL $("$bin/postgres" --version | awk '{print $3}') on 127.0.0.1:$port" >&2
}

stop_postgres() {
  if [ -n "$POSTGRES_DIR" ] && [ -d "$POSTGRES_DIR" ]; then
    _as_postgres_owner "$POSTGRES_BIN/pg_ctl" --pgdata "$POSTGRES_DIR/data" --mode immediate \
      stop >/dev/null 2>&1 || true
    rm -rf "$POSTGRES_DIR"
  fi
  POSTGRES_DIR=""
}

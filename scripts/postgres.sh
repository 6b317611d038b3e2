#!/usr/bin/env bash
# A project-owned PostgreSQL 15 cluster for the tests.
#
#   scripts/postgres.sh up       create the cluster once, start it, create hostflow_test once
#   scripts/postgres.sh down     stop it (pg_ctl with its data directory)
#   scripts/postgres.sh status   say whether it runs
#   scripts/postgres.sh url      print the SQLAlchemy URL of the test database
#
# The cluster lives in $HOSTFLOW_STATE_DIR/pg, owned by the postgres OS user,
# listens on 127.0.0.1:55432 only and trusts local connections: it is for
# tests on this machine, never for data that matters (fsync is off).
set -euo pipefail

STATE_DIR="${HOSTFLOW_STATE_DIR:-/var/lib/hostflow}"
PG_BIN="${HOSTFLOW_PG_BIN:-/usr/lib/postgresql/15/bin}"
PG_PORT="${HOSTFLOW_TEST_PG_PORT:-55432}"
PG_HOST=127.0.0.1
PG_DB=hostflow_test
PG_OS_USER=postgres
PGDATA_DIR="$STATE_DIR/pg"
PG_RUN_DIR="$STATE_DIR/pg-run"     # unix socket and server log
PG_LOG="$PG_RUN_DIR/postgres.log"

log() { printf 'postgres: %s\n' "$*"; }
die() { printf 'postgres: ERROR: %s\n' "$*" >&2; exit 1; }

# Run a command as the postgres OS user, from a directory it can read.
as_pg() { (cd / && runuser -u "$PG_OS_USER" -- "$@"); }

psql_admin() {
  "$PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$PG_HOST" -p "$PG_PORT" -U postgres -d postgres "$@"
}

# State letter of a process (R, S, D, Z, ...), empty if there is none.
proc_state() {
  local stat
  stat="$(cat "/proc/$1/stat" 2>/dev/null)" || return 0
  stat="${stat##*) }"
  printf '%s' "${stat%% *}"
}

postmaster_pid() {
  local pid=""
  [[ -f "$PGDATA_DIR/postmaster.pid" ]] && read -r pid <"$PGDATA_DIR/postmaster.pid"
  printf '%s' "$pid"
}

# A killed postmaster stays a zombie until PID 1 reaps it (which takes a few
# seconds on this machine); pg_ctl counts a zombie as a running server.
is_running() {
  local pid state
  [[ -f "$PGDATA_DIR/PG_VERSION" ]] || return 1
  as_pg "$PG_BIN/pg_ctl" -D "$PGDATA_DIR" status >/dev/null 2>&1 || return 1
  pid="$(postmaster_pid)"
  state="$(proc_state "$pid")"
  [[ -n "$state" && "$state" != Z ]]
}

# Wait (up to 30 s) until a dead postmaster's zombie is gone: postgres refuses
# to start while the pid in its lock file still exists.
wait_zombie_reaped() {
  local pid i
  pid="$(postmaster_pid)"
  [[ -n "$pid" ]] || return 0
  for ((i = 0; i < 300; i++)); do
    [[ "$(proc_state "$pid")" == Z ]] || return 0
    sleep 0.1
  done
  die "the dead postmaster $pid is still a zombie: cannot start"
}

init_cluster() {
  [[ -f "$PGDATA_DIR/PG_VERSION" ]] && return
  [[ -e "$PGDATA_DIR" ]] && die "$PGDATA_DIR exists but is not a cluster: move it away"
  ((EUID == 0)) || die "run as root (the cluster belongs to the $PG_OS_USER user)"
  [[ -x "$PG_BIN/initdb" ]] || die "no $PG_BIN/initdb: install postgresql (scripts/setup.sh)"
  mkdir -p "$STATE_DIR"
  as_pg test -x "$STATE_DIR" || die "$STATE_DIR is not traversable by $PG_OS_USER"
  # initdb into a scratch directory and move it into place, so that an
  # interrupted initdb never leaves a half-made cluster behind.
  local tmp="$STATE_DIR/pg.init"
  rm -rf "$tmp"
  install -d -o "$PG_OS_USER" -g "$PG_OS_USER" -m 0700 "$tmp"
  log "initdb $PGDATA_DIR"
  as_pg "$PG_BIN/initdb" -D "$tmp" -U postgres --auth-local=trust --auth-host=trust \
    --encoding=UTF8 --no-locale >"$STATE_DIR/pg.initdb.log" 2>&1 ||
    { tail -n 30 "$STATE_DIR/pg.initdb.log" >&2; die "initdb failed"; }
  cat >"$tmp/pg_hba.conf" <<'HBA'
# hostflow test cluster: trust, local socket and 127.0.0.1 only.
local   all          all                 trust
host    all          all   127.0.0.1/32  trust
local   replication  all                 trust
host    replication  all   127.0.0.1/32  trust
HBA
  printf "\ninclude_if_exists = 'hostflow.conf'\n" >>"$tmp/postgresql.conf"
  chown "$PG_OS_USER:$PG_OS_USER" "$tmp/pg_hba.conf"
  mv "$tmp" "$PGDATA_DIR"
  rm -f "$STATE_DIR/pg.initdb.log"
}

write_config() {
  install -d -o "$PG_OS_USER" -g "$PG_OS_USER" -m 0750 "$PG_RUN_DIR" # socket and log: postgres and root only
  local conf="$PGDATA_DIR/hostflow.conf"
  cat >"$conf.tmp" <<CONF
# Written by scripts/postgres.sh on every 'up': edit the script, not this file.
listen_addresses = '$PG_HOST'
port = $PG_PORT
unix_socket_directories = '$PG_RUN_DIR'
# A disposable test cluster: durability is not wanted, speed is.
fsync = off
synchronous_commit = off
full_page_writes = off
CONF
  chown "$PG_OS_USER:$PG_OS_USER" "$conf.tmp"
  mv "$conf.tmp" "$conf"
}

create_database() {
  local exists
  exists="$(psql_admin -tA -c "SELECT 1 FROM pg_database WHERE datname = '$PG_DB'")"
  if [[ "$exists" != 1 ]]; then
    log "creating database $PG_DB"
    psql_admin -c "CREATE DATABASE $PG_DB"
  fi
}

cmd_up() {
  init_cluster
  if is_running; then
    log "running (port $PG_PORT)"
  else
    wait_zombie_reaped
    write_config
    log "starting on $PG_HOST:$PG_PORT"
    if ! as_pg "$PG_BIN/pg_ctl" -D "$PGDATA_DIR" -l "$PG_LOG" -w -t 60 start >/dev/null; then
      printf -- '--- last lines of %s ---\n' "$PG_LOG" >&2
      tail -n 30 "$PG_LOG" >&2 || true
      die "PostgreSQL did not start"
    fi
  fi
  create_database
  log "ready: $(cmd_url)"
}

cmd_down() {
  if is_running; then
    log "stopping"
    as_pg "$PG_BIN/pg_ctl" -D "$PGDATA_DIR" -m fast -w -t 60 stop >/dev/null
  fi
  log "stopped"
}

cmd_status() {
  if is_running; then
    log "up ($PG_HOST:$PG_PORT, data $PGDATA_DIR)"
  else
    log "down"
    return 3
  fi
}

cmd_url() {
  printf 'postgresql+psycopg://postgres@%s:%s/%s\n' "$PG_HOST" "$PG_PORT" "$PG_DB"
}

case "${1:-}" in
  up) cmd_up ;;
  down) cmd_down ;;
  status) cmd_status ;;
  url) cmd_url ;;
  *) printf 'usage: %s up|down|status|url\n' "$0" >&2; exit 2 ;;
esac

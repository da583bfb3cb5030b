#!/usr/bin/env bash
# Local PostgreSQL, Redis and NATS JetStream on 127.0.0.1 for development, tests (TEST_SERVICES=1) and CI.
#
#   scripts/services.sh up     [postgres|redis|nats ...]   install (apt) and start what is missing or stopped
#   scripts/services.sh down   [postgres|redis|nats ...]   stop them
#   scripts/services.sh status [postgres|redis|nats ...]   one line each; exits non-zero if any is down
#
# A service counts as running when it answers on its port; a running service is left alone.
# Works without systemd. Prints one line per service; on failure, the reason and a log excerpt.
#
# Environment (all optional): SERVICES_WAIT_SECONDS (30), SERVICES_PG_CLUSTER (main),
# SERVICES_PG_PORT (5432), SERVICES_LOG_DIR (/tmp/blueprints-services).
set -euo pipefail

readonly HOST=127.0.0.1
readonly PG_PORT=${SERVICES_PG_PORT:-5432}
readonly PG_CLUSTER=${SERVICES_PG_CLUSTER:-main}
readonly PG_DATABASE=test
readonly REDIS_PORT=6379
readonly NATS_PORT=4222
readonly NATS_BIN=/usr/sbin/nats-server
readonly NATS_STORE=/var/lib/nats-server
readonly NATS_LOG=/var/log/nats-server.log
readonly WAIT_SECONDS=${SERVICES_WAIT_SECONDS:-30}
readonly LOG_DIR=${SERVICES_LOG_DIR:-/tmp/blueprints-services}
readonly ALL_SERVICES=(postgres redis nats)

export DEBIAN_FRONTEND=noninteractive
export PGCONNECT_TIMEOUT=3

if [[ $(id -u) -eq 0 ]]; then SUDO=(); else SUDO=(sudo -n); fi
# The login that gets a PostgreSQL role (the invoking user when run through sudo).
DEV_USER=${SUDO_USER:-$(id -un)}

die() {
  echo "services.sh: $*" >&2
  exit 1
}

# Run "$@" with output to a log file; on failure print the log's tail and return the status.
logged() {
  local log=$1
  shift
  mkdir -p "$LOG_DIR"
  if "$@" </dev/null >>"$LOG_DIR/$log" 2>&1; then return 0; else
    local rc=$?
    echo "services.sh: '$*' failed (exit $rc); last lines of $LOG_DIR/$log:" >&2
    tail -n 20 "$LOG_DIR/$log" >&2 || true
    return "$rc"
  fi
}

# Poll the command "$@" until it succeeds or WAIT_SECONDS pass.
wait_for() {
  local deadline=$((SECONDS + WAIT_SECONDS))
  until "$@"; do
    ((SECONDS < deadline)) || return 1
    sleep 0.5
  done
}

# ---------------------------------------------------------------------------- packages

APT_UPDATED=0
apt_install() {
  if ((!APT_UPDATED)); then
    logged apt.log "${SUDO[@]}" apt-get update -q || die "apt-get update failed"
    APT_UPDATED=1
  fi
  logged apt.log "${SUDO[@]}" apt-get install -y -q --no-install-recommends "$@" || die "apt-get install $* failed"
}

# The newest PostgreSQL server version installed (from /usr/lib/postgresql/<v>/bin/postgres), or empty.
pg_installed_version() {
  local bin
  for bin in /usr/lib/postgresql/*/bin/postgres; do
    if [[ -x $bin ]]; then basename "$(dirname "$(dirname "$bin")")"; fi
  done | sort -V | tail -n 1
}

ensure_installed() {
  case $1 in
  postgres)
    if [[ -z $(pg_installed_version) ]] || ! command -v pg_ctlcluster >/dev/null || ! command -v psql >/dev/null; then
      apt_install postgresql
    fi
    ;;
  redis)
    if ! command -v redis-server >/dev/null || ! command -v redis-cli >/dev/null; then apt_install redis-server; fi
    ;;
  nats) [[ -x $NATS_BIN ]] || apt_install nats-server ;;
  esac
}

# ---------------------------------------------------------------------------- probes

# A TCP connect to HOST:$1 (bounded), without any client installed.
tcp_open() {
  timeout 3 bash -c "exec 3<>/dev/tcp/$HOST/$1" 2>/dev/null
}

pg_up() {
  if command -v pg_isready >/dev/null; then
    pg_isready -q -h "$HOST" -p "$PG_PORT" -t 3
  else
    tcp_open "$PG_PORT"
  fi
}

# pg_isready exits 1 while the server is starting up (or shutting down): not up, but not to be started either.
pg_starting() {
  local rc=0
  pg_isready -q -h "$HOST" -p "$PG_PORT" -t 3 || rc=$?
  ((rc == 1))
}

redis_up() {
  if command -v redis-cli >/dev/null; then
    [[ $(timeout 3 redis-cli -h "$HOST" -p "$REDIS_PORT" ping 2>/dev/null) == PONG ]]
  else
    tcp_open "$REDIS_PORT"
  fi
}

# NATS greets every client with an `INFO {...}` line; read it (also tells JetStream is on).
nats_info() {
  timeout 3 bash -c "exec 3<>/dev/tcp/$HOST/$NATS_PORT && IFS= read -r -t 2 line <&3 && printf '%s\n' \"\$line\"" \
    2>/dev/null
}
nats_up() {
  local info
  info=$(nats_info) && [[ $info == INFO* ]]
}
nats_jetstream() {
  local info
  info=$(nats_info) && [[ $info == *'"jetstream":true'* ]]
}

is_up() {
  case $1 in
  postgres) pg_up ;;
  redis) redis_up ;;
  nats) nats_up ;;
  esac
}

where() {
  case $1 in
  postgres) echo "$HOST:$PG_PORT" ;;
  redis) echo "$HOST:$REDIS_PORT" ;;
  nats) echo "$HOST:$NATS_PORT" ;;
  esac
}

# ---------------------------------------------------------------------------- PostgreSQL

# The version of the cluster to run: the newest one configured, else the newest installed.
pg_version() {
  local v=''
  if [[ -d /etc/postgresql ]]; then
    v=$(find /etc/postgresql -mindepth 1 -maxdepth 1 -type d -printf '%f\n' | sort -V | tail -n 1)
  fi
  [[ -n $v && -x /usr/lib/postgresql/$v/bin/postgres ]] || v=$(pg_installed_version)
  [[ -n $v ]] || die "postgres: no PostgreSQL server installed"
  echo "$v"
}

as_postgres() {
  if [[ $(id -u) -eq 0 ]]; then runuser -u postgres -- "$@"; else sudo -n -u postgres -- "$@"; fi
}

# Dev-box settings: listen on 127.0.0.1:PG_PORT, trust local and loopback connections.
pg_configure() {
  local dir=$1 hba=$1/pg_hba.conf marker='# blueprints scripts/services.sh: trust local connections (dev box)'
  "${SUDO[@]}" mkdir -p "$dir/conf.d"
  printf "# written by scripts/services.sh\nlisten_addresses = '%s'\nport = %s\n" "$HOST" "$PG_PORT" |
    "${SUDO[@]}" tee "$dir/conf.d/95-blueprints-services.conf" >/dev/null
  if ! "${SUDO[@]}" grep -qxF "$marker" "$hba"; then
    # First match wins in pg_hba.conf, so these lines go on top.
    {
      printf '%s\n' "$marker" 'local all all trust' "host all all $HOST/32 trust" 'host all all ::1/128 trust'
      "${SUDO[@]}" cat "$hba"
    } >"$LOG_DIR/pg_hba.conf.new"
    "${SUDO[@]}" cp "$LOG_DIR/pg_hba.conf.new" "$hba"
    rm -f "$LOG_DIR/pg_hba.conf.new"
  fi
}

pg_start() {
  local v dir
  v=$(pg_version)
  dir=/etc/postgresql/$v/$PG_CLUSTER
  if [[ ! -f $dir/postgresql.conf ]]; then
    logged postgres.log "${SUDO[@]}" pg_createcluster "$v" "$PG_CLUSTER" -p "$PG_PORT" -- \
      --auth-local=trust --auth-host=trust || die "postgres: pg_createcluster $v $PG_CLUSTER failed"
  fi
  mkdir -p "$LOG_DIR"
  pg_configure "$dir"
  if "${SUDO[@]}" pg_ctlcluster --skip-systemctl-redirect "$v" "$PG_CLUSTER" status >/dev/null 2>&1; then
    # Running, but not answering on HOST:PG_PORT: restart it with the settings above.
    logged postgres.log "${SUDO[@]}" pg_ctlcluster --skip-systemctl-redirect "$v" "$PG_CLUSTER" restart ||
      die "postgres: could not restart cluster $v/$PG_CLUSTER"
  else
    logged postgres.log "${SUDO[@]}" pg_ctlcluster --skip-systemctl-redirect "$v" "$PG_CLUSTER" start ||
      die "postgres: could not start cluster $v/$PG_CLUSTER"
  fi
}

# Roles `postgres` and DEV_USER, and database `test`; creates only what is missing.
pg_provision() {
  if ! psql -X -w -h "$HOST" -p "$PG_PORT" -U postgres -d postgres -Atc 'select 1' >/dev/null 2>&1; then
    # Not trusted over TCP yet (a cluster we did not start): fix authentication and reload.
    local v dir
    v=$(pg_version)
    dir=/etc/postgresql/$v/$PG_CLUSTER
    [[ -f $dir/pg_hba.conf ]] || die "postgres: cannot connect as postgres to $HOST:$PG_PORT"
    mkdir -p "$LOG_DIR"
    pg_configure "$dir"
    logged postgres.log "${SUDO[@]}" pg_ctlcluster --skip-systemctl-redirect "$v" "$PG_CLUSTER" reload ||
      die "postgres: reload failed"
    sleep 1
  fi
  local sql
  sql=$(
    cat <<SQL
SELECT format('CREATE ROLE %I LOGIN SUPERUSER', r) FROM unnest(ARRAY['postgres', :'devuser']) AS r
 WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = r) \gexec
SELECT 'CREATE DATABASE $PG_DATABASE OWNER postgres'
 WHERE NOT EXISTS (SELECT 1 FROM pg_database WHERE datname = '$PG_DATABASE') \gexec
SQL
  )
  # Over TCP as `postgres` (trusted); fall back to the local socket as the postgres OS user.
  local admin=(psql -X -w -q -v ON_ERROR_STOP=1 -v devuser="$DEV_USER" -p "$PG_PORT" -d postgres)
  if ! printf '%s\n' "$sql" | "${admin[@]}" -h "$HOST" -U postgres >/dev/null 2>&1; then
    printf '%s\n' "$sql" | as_postgres "${admin[@]}" >/dev/null || die "postgres: could not create roles/database"
  fi
}

# ---------------------------------------------------------------------------- Redis and NATS

redis_start() {
  logged redis.log redis-server --daemonize yes --bind "$HOST" -::1 --port "$REDIS_PORT" --save "" \
    --appendonly no || die "redis: redis-server failed to start"
}

nats_start() {
  "${SUDO[@]}" mkdir -p "$NATS_STORE"
  logged nats.log "${SUDO[@]}" start-stop-daemon --start --oknodo --background --exec "$NATS_BIN" -- \
    -a "$HOST" -p "$NATS_PORT" -js -sd "$NATS_STORE" -l "$NATS_LOG" || die "nats: nats-server failed to start"
}

# ---------------------------------------------------------------------------- commands

up_one() {
  local s=$1 note='already running'
  if ! is_up "$s"; then
    ensure_installed "$s"
    # A fresh install may have started it already (postinst scripts do where they can).
    if ! is_up "$s"; then
      case $s in
      postgres)
        pg_starting || pg_start
        ;;
      redis) redis_start ;;
      nats) nats_start ;;
      esac
      wait_for is_up "$s" || die "$s: did not answer on $(where "$s") within ${WAIT_SECONDS}s (logs: $LOG_DIR)"
    fi
    note=started
  fi
  case $s in
  postgres) pg_provision ;;
  nats) nats_jetstream || die "nats: running on $(where nats) without JetStream (restart it: $0 down nats && $0 up nats)" ;;
  esac
  echo "$s: up ($(where "$s"), $note)"
}

down_one() {
  local s=$1
  if ! is_up "$s"; then
    echo "$s: down (was not running)"
    return 0
  fi
  case $s in
  postgres)
    local v
    v=$(pg_version)
    logged postgres.log "${SUDO[@]}" pg_ctlcluster --skip-systemctl-redirect "$v" "$PG_CLUSTER" stop ||
      die "postgres: could not stop cluster $v/$PG_CLUSTER"
    ;;
  redis) timeout 10 redis-cli -h "$HOST" -p "$REDIS_PORT" shutdown nosave >/dev/null 2>&1 || true ;;
  nats)
    logged nats.log "${SUDO[@]}" start-stop-daemon --stop --oknodo --retry TERM/10/KILL/5 --exec "$NATS_BIN" ||
      die "nats: could not stop nats-server"
    ;;
  esac
  local deadline=$((SECONDS + WAIT_SECONDS))
  while is_up "$s"; do
    ((SECONDS < deadline)) || die "$s: still answering on $(where "$s") after ${WAIT_SECONDS}s"
    sleep 0.5
  done
  echo "$s: down (stopped)"
}

status_one() {
  if [[ $1 == nats ]] && nats_up && ! nats_jetstream; then
    echo "nats: up ($(where nats), but JetStream is off)"
    return 1
  elif is_up "$1"; then
    echo "$1: up ($(where "$1"))"
  else
    echo "$1: down ($(where "$1"))"
    return 1
  fi
}

usage() {
  echo "usage: $0 up|down|status [postgres|redis|nats ...]" >&2
  exit 2
}

main() {
  (($# >= 1)) || usage
  local cmd=$1
  shift
  local services=() s
  for s in "$@"; do
    case $s in
    postgres | postgresql | pg) services+=(postgres) ;;
    redis | nats) services+=("$s") ;;
    *) die "unknown service '$s' (known: ${ALL_SERVICES[*]})" ;;
    esac
  done
  ((${#services[@]})) || services=("${ALL_SERVICES[@]}")
  case $cmd in
  up) for s in "${services[@]}"; do up_one "$s"; done ;;
  down) for s in "${services[@]}"; do down_one "$s"; done ;;
  status)
    local failed=0
    for s in "${services[@]}"; do status_one "$s" || failed=1; done
    return "$failed"
    ;;
  *) usage ;;
  esac
}

main "$@"

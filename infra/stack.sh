#!/usr/bin/env bash
# The local stack without Docker: real RabbitMQ (management plugin on), PostgreSQL and Azurite,
# bound to 127.0.0.1, with their data under one project-local folder.
#
#   infra/stack.sh up | down | status | env
#
# Settings (environment), so a test stack can run beside a developer's:
#   VISRL_STACK_NAME       dev                       node name, folder name
#   VISRL_STACK_DIR        <repo>/.visrl/stack-<name>
#   VISRL_RABBITMQ_PORT    5672    VISRL_RABBITMQ_MGMT_PORT 15672
#   VISRL_RABBITMQ_DIST_PORT 25672 VISRL_EPMD_PORT          4369
#   VISRL_POSTGRES_PORT    5432    VISRL_AZURITE_PORT       10000
#   VISRL_BROKER_FRESH     0       1: RabbitMQ starts with no queues (the test stacks: each test run
#                                  leaves its own queues, and a broker recovering thousands boots slowly)
# `up` twice is harmless; `down` stops every process by its PID file and leaves nothing listening (a
# server that will not stop fails `down`, naming it, after the others have stopped).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

name="${VISRL_STACK_NAME:-dev}"
dir="${VISRL_STACK_DIR:-$root/.visrl/stack-$name}"
rabbit_port="${VISRL_RABBITMQ_PORT:-5672}"
mgmt_port="${VISRL_RABBITMQ_MGMT_PORT:-15672}"
dist_port="${VISRL_RABBITMQ_DIST_PORT:-25672}"
epmd_port="${VISRL_EPMD_PORT:-4369}"
pg_port="${VISRL_POSTGRES_PORT:-5432}"
azurite_port="${VISRL_AZURITE_PORT:-10000}"

# Every replica keeps its own pool of connections (and a test run one per test database): 100, the
# default, ran out in the integration tests.
pg_max_connections=300

# Local development credentials: the only defaults in the project (loopback-only servers).
pg_user=visrl; pg_password=visrl; pg_db=visrl
azurite_account=devstoreaccount1
azurite_key='Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=='

log() { echo "stack[$name]: $*"; }
die() { echo "stack[$name]: error: $*" >&2; exit 1; }

pg_bin() {
  local b; b=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
  [ -n "$b" ] || die "PostgreSQL is not installed (run infra/install.sh)"
  echo "$b"
}

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

wait_port() { # port seconds what
  local i
  for ((i = 0; i < $2 * 10; i++)); do port_open "$1" && return 0; sleep 0.1; done
  die "$3 did not open 127.0.0.1:$1 within $2 s (logs under $dir)"
}

wait_closed() { # port seconds what
  local i
  for ((i = 0; i < $2 * 10; i++)); do port_open "$1" || return 0; sleep 0.1; done
  die "$3 still listens on 127.0.0.1:$1 after $2 s"
}

pid_alive() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

rabbit_env() {
  export RABBITMQ_NODENAME="visrl-$name@localhost"
  export RABBITMQ_NODE_PORT="$rabbit_port" RABBITMQ_DIST_PORT="$dist_port"
  export RABBITMQ_CONFIG_FILE="$dir/rabbitmq/rabbitmq" # .conf is appended
  export RABBITMQ_ENABLED_PLUGINS_FILE="$dir/rabbitmq/enabled_plugins"
  export RABBITMQ_MNESIA_BASE="$dir/rabbitmq/mnesia" RABBITMQ_LOG_BASE="$dir/rabbitmq/log"
  export RABBITMQ_PID_FILE="$dir/rabbitmq/run/rabbitmq.pid"
  export ERL_EPMD_ADDRESS=127.0.0.1 ERL_EPMD_PORT="$epmd_port"
  export RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS="-kernel inet_dist_use_interface {127,0,0,1}"
  export RABBITMQ_CTL_ERL_ARGS="-kernel inet_dist_use_interface {127,0,0,1}"
}

rabbit_up() {
  command -v rabbitmq-server >/dev/null || die "rabbitmq-server is not installed (run infra/install.sh)"
  rabbit_env
  if pid_alive "$RABBITMQ_PID_FILE" && port_open "$rabbit_port"; then log "rabbitmq already up on :$rabbit_port"; return; fi
  port_open "$rabbit_port" && die "port $rabbit_port is taken by another process; set VISRL_RABBITMQ_PORT"
  [ "${VISRL_BROKER_FRESH:-0}" = 1 ] && rm -rf "$dir/rabbitmq/mnesia"
  mkdir -p "$dir/rabbitmq/run" "$dir/rabbitmq/log" "$dir/rabbitmq/mnesia"
  # consumer_timeout: a delivery unacknowledged this long closes its channel and is redelivered. The
  # default (30 min) is shorter than a long TrainStage or Evaluate on the Trainer: 24 h, as compose.
  cat > "$dir/rabbitmq/rabbitmq.conf" <<CONF
listeners.tcp.default = 127.0.0.1:$rabbit_port
management.tcp.port = $mgmt_port
management.tcp.ip = 127.0.0.1
loopback_users = none
consumer_timeout = 86400000
CONF
  echo '[rabbitmq_management].' > "$dir/rabbitmq/enabled_plugins"
  chown -R rabbitmq:rabbitmq "$dir/rabbitmq"
  rabbitmq-server -detached >"$dir/rabbitmq/log/start.out" 2>&1 9>&-
  local i
  for ((i = 0; i < 100; i++)); do [ -s "$RABBITMQ_PID_FILE" ] && break; sleep 0.2; done
  timeout 90 rabbitmqctl wait "$RABBITMQ_PID_FILE" >/dev/null 2>&1 \
    || die "rabbitmq did not start (see $dir/rabbitmq/log)"
  wait_port "$rabbit_port" 30 rabbitmq
  wait_port "$mgmt_port" 30 "rabbitmq management"
  log "rabbitmq up on :$rabbit_port (management :$mgmt_port)"
}

rabbit_down() {
  rabbit_env
  if pid_alive "$RABBITMQ_PID_FILE"; then
    rabbitmqctl shutdown >/dev/null 2>&1 || kill "$(cat "$RABBITMQ_PID_FILE")" 2>/dev/null || true
    local i; for ((i = 0; i < 150; i++)); do pid_alive "$RABBITMQ_PID_FILE" || break; sleep 0.2; done
    pid_alive "$RABBITMQ_PID_FILE" && kill -9 "$(cat "$RABBITMQ_PID_FILE")" 2>/dev/null || true
    log "rabbitmq stopped"
  fi
  rm -f "$RABBITMQ_PID_FILE"
  # This stack's own epmd (its port is the stack's) goes with it.
  if port_open "$epmd_port"; then epmd -port "$epmd_port" -kill >/dev/null 2>&1 || true; fi
  wait_closed "$rabbit_port" 20 rabbitmq
  wait_closed "$epmd_port" 10 epmd
}

pg_up() {
  local bin; bin=$(pg_bin)
  local data="$dir/postgres/data"
  if [ -f "$data/postmaster.pid" ] && runuser -u postgres -- "$bin/pg_ctl" -D "$data" status >/dev/null 2>&1; then
    log "postgres already up on :$pg_port"; return
  fi
  port_open "$pg_port" && die "port $pg_port is taken by another process; set VISRL_POSTGRES_PORT"
  mkdir -p "$dir/postgres/run"
  chown postgres:postgres "$dir/postgres" "$dir/postgres/run"
  if [ ! -f "$data/PG_VERSION" ]; then
    local pw="$dir/postgres/pwfile"
    echo "postgres" > "$pw"; chown postgres "$pw"; chmod 600 "$pw"
    runuser -u postgres -- "$bin/initdb" -D "$data" -U postgres --auth=scram-sha-256 \
      --pwfile="$pw" -E UTF8 >"$dir/postgres/initdb.log" 2>&1 || die "initdb failed (see $dir/postgres/initdb.log)"
    rm -f "$pw"
  fi
  runuser -u postgres -- "$bin/pg_ctl" -D "$data" -w -t 60 -l "$dir/postgres/server.log" \
    -o "-k $dir/postgres/run -p $pg_port -c listen_addresses=127.0.0.1 -c max_connections=$pg_max_connections" start >/dev/null 9>&- \
    || die "postgres did not start (see $dir/postgres/server.log)"
  # The application role may create and drop databases (tests make throwaway ones).
  PGPASSWORD=postgres psql -h 127.0.0.1 -p "$pg_port" -U postgres -d postgres -v ON_ERROR_STOP=1 -q <<SQL >/dev/null
SELECT 'CREATE ROLE $pg_user LOGIN CREATEDB PASSWORD ''$pg_password'''
WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '$pg_user') \gexec
SELECT 'CREATE DATABASE $pg_db OWNER $pg_user'
WHERE NOT EXISTS (SELECT 1 FROM pg_database WHERE datname = '$pg_db') \gexec
SQL
  log "postgres up on :$pg_port"
}

pg_down() {
  local bin; bin=$(pg_bin)
  local data="$dir/postgres/data"
  if [ -f "$data/postmaster.pid" ]; then
    runuser -u postgres -- "$bin/pg_ctl" -D "$data" -m fast -w -t 60 stop >/dev/null 2>&1 || true
    log "postgres stopped"
  fi
  wait_closed "$pg_port" 20 postgres
}

azurite_up() {
  local bin="$root/infra/azurite/node_modules/.bin/azurite-blob"
  [ -x "$bin" ] || die "azurite is not installed (run infra/install.sh)"
  local pid="$dir/azurite/azurite.pid"
  if pid_alive "$pid" && port_open "$azurite_port"; then log "azurite already up on :$azurite_port"; return; fi
  port_open "$azurite_port" && die "port $azurite_port is taken by another process; set VISRL_AZURITE_PORT"
  mkdir -p "$dir/azurite/data"
  nohup "$bin" --blobHost 127.0.0.1 --blobPort "$azurite_port" --location "$dir/azurite/data" \
    --loose --skipApiVersionCheck --disableTelemetry >"$dir/azurite/azurite.log" 2>&1 9>&- &
  echo $! > "$pid"
  wait_port "$azurite_port" 30 azurite
  log "azurite up on :$azurite_port"
}

azurite_down() {
  local pid="$dir/azurite/azurite.pid"
  if pid_alive "$pid"; then
    kill "$(cat "$pid")" 2>/dev/null || true
    local i; for ((i = 0; i < 100; i++)); do pid_alive "$pid" || break; sleep 0.1; done
    pid_alive "$pid" && kill -9 "$(cat "$pid")" 2>/dev/null || true
    log "azurite stopped"
  fi
  rm -f "$pid"
  wait_closed "$azurite_port" 10 azurite
}

stack_env() { # the settings a VisRL process needs to use this stack
  cat <<ENV
VISRL__MESSAGING__HOST=127.0.0.1
VISRL__MESSAGING__PORT=$rabbit_port
VISRL__MESSAGING__MANAGEMENTPORT=$mgmt_port
VISRL__DATABASE__CONNECTIONSTRING=Host=127.0.0.1;Port=$pg_port;Database=$pg_db;Username=$pg_user;Password=$pg_password
VISRL__BLOBS__CONNECTIONSTRING=DefaultEndpointsProtocol=http;AccountName=$azurite_account;AccountKey=$azurite_key;BlobEndpoint=http://127.0.0.1:$azurite_port/$azurite_account;
ENV
}

status_line() { # what port pidfile
  if port_open "$2"; then echo "  $1: running on 127.0.0.1:$2${3:+ (pid $(cat "$3" 2>/dev/null || echo ?))}"
  else echo "  $1: stopped (port $2)"; return 1; fi
}

status() {
  rabbit_env
  local ok=0
  echo "stack[$name] in $dir"
  status_line rabbitmq "$rabbit_port" "$RABBITMQ_PID_FILE" || ok=1
  status_line "rabbitmq management" "$mgmt_port" || ok=1
  status_line postgres "$pg_port" || ok=1
  status_line azurite "$azurite_port" "$dir/azurite/azurite.pid" || ok=1
  return $ok
}

# Every server is stopped, side by side, even when another one will not stop; those that would not
# are named, and the exit is non-zero.
stack_down() {
  local server pids=() failed=()
  for server in rabbit azurite pg; do ( "${server}_down" ) & pids+=($!); done
  local names=(rabbitmq azurite postgres) i
  for i in "${!pids[@]}"; do wait "${pids[$i]}" || failed+=("${names[$i]}"); done
  [ ${#failed[@]} -eq 0 ] || die "not stopped: ${failed[*]}"
  log "down"
}

# Servers are started with fd 9 closed so that they do not inherit (and keep) the lock.
with_lock() { mkdir -p "$dir"; exec 9>"$dir/.lock"; flock -w 300 9 || die "another stack command holds $dir/.lock"; }

case "${1:-}" in
  up)     with_lock; pg_up; azurite_up; rabbit_up; stack_env > "$dir/stack.env"; log "ready ($dir/stack.env)" ;;
  down)   with_lock; stack_down ;;
  status) status ;;
  env)    stack_env ;;
  *)      echo "usage: infra/stack.sh up|down|status|env" >&2; exit 2 ;;
esac

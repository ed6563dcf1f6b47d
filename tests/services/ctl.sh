#!/usr/bin/env bash
# Control of the test services that tests/services/start.sh started, found through RETINASCREEN_TEST_SERVICES.
# The fault tests call it: "ctl.sh restart-postgres", "ctl.sh restart-rabbitmq", "ctl.sh rabbitmqctl ARGS…".
# start.sh and stop.sh source it for the functions.
set -euo pipefail

ctl_state() {
  if [ -z "${RETINASCREEN_TEST_SERVICES:-}" ] && [ -z "${state:-}" ]; then
    echo "RETINASCREEN_TEST_SERVICES is not set: start the services with tests/services/start.sh" >&2
    return 2
  fi
  echo "${state:-$RETINASCREEN_TEST_SERVICES}"
}

ctl_as() {
  local user=$1; shift
  if [ "$(id -un)" = "$user" ]; then "$@"; else runuser -u "$user" -- "$@"; fi
}

rabbitmq_ctl() {
  local dir; dir=$(ctl_state)
  # shellcheck disable=SC1091
  ( source "$dir/rabbitmq.env"; ctl_as rabbitmq env ERL_EPMD_PORT="$ERL_EPMD_PORT" ERL_EPMD_ADDRESS=127.0.0.1 \
      rabbitmqctl -n "$RABBITMQ_NODENAME" "$@" )
}

rabbitmq_start() {
  local dir; dir=$(ctl_state)
  # shellcheck disable=SC1091
  (
    source "$dir/rabbitmq.env"
    cd "$dir/rabbitmq"
    setsid rabbitmq-server >>"$dir/rabbitmq/out.log" 2>&1 &
    echo $! >"$dir/rabbitmq/server.pid"
  )
  local i
  for i in $(seq 1 90); do
    if ( source "$dir/rabbitmq.env"; ctl_as rabbitmq env ERL_EPMD_PORT="$ERL_EPMD_PORT" ERL_EPMD_ADDRESS=127.0.0.1 \
          rabbitmq-diagnostics -q -n "$RABBITMQ_NODENAME" check_port_connectivity ) >/dev/null 2>&1; then
      return 0
    fi
    sleep 1
  done
  echo "RabbitMQ did not start; see $dir/rabbitmq/out.log" >&2
  return 1
}

rabbitmq_stop() {
  local dir; dir=$(ctl_state)
  rabbitmq_ctl stop >/dev/null 2>&1 || true
  local pid
  pid=$(cat "$dir/rabbitmq/server.pid" 2>/dev/null || true)
  if [ -n "$pid" ]; then
    for _ in $(seq 1 30); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
    kill -9 -- "-$pid" 2>/dev/null || true
  fi
}

epmd_stop() {
  local dir; dir=$(ctl_state)
  # epmd was started by the broker on its own port; end exactly that one (found by its port argument).
  # shellcheck disable=SC1091
  local port; port=$(source "$dir/rabbitmq.env"; echo "$ERL_EPMD_PORT")
  local pid
  for pid in $(pgrep -x epmd || true); do
    if tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q -- "-port $port"; then kill "$pid" 2>/dev/null || true; fi
    if tr '\0' '\n' <"/proc/$pid/environ" 2>/dev/null | grep -qx "ERL_EPMD_PORT=$port"; then kill "$pid" 2>/dev/null || true; fi
  done
}

postgres_ctl() {
  local dir; dir=$(ctl_state)
  # shellcheck disable=SC1091
  source "$dir/postgres.env"
  local action=$1
  case "$action" in
    stop) ctl_as postgres "$pg_bin/pg_ctl" -D "$pg_data" -w -t 60 -m fast stop >/dev/null ;;
    start) ctl_as postgres "$pg_bin/pg_ctl" -D "$pg_data" -l "$dir/postgres/log" -w -t 60 \
             -o "-p $pg_port -k $pg_socket -c listen_addresses=127.0.0.1 -c max_connections=300" start >/dev/null ;;
    *) return 2 ;;
  esac
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
  case "${1:-}" in
    restart-postgres) postgres_ctl stop; postgres_ctl start ;;
    stop-postgres) postgres_ctl stop ;;
    start-postgres) postgres_ctl start ;;
    restart-rabbitmq) rabbitmq_stop; rabbitmq_start ;;
    stop-rabbitmq) rabbitmq_stop ;;
    start-rabbitmq) rabbitmq_start ;;
    rabbitmqctl) shift; rabbitmq_ctl "$@" ;;
    *) echo "usage: ctl.sh restart-postgres|restart-rabbitmq|stop-…|start-…|rabbitmqctl ARGS" >&2; exit 2 ;;
  esac
fi

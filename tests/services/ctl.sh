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
  # The broker opens its AMQP listener as the last step of its boot, so an open port means ready. Probing the port
  # costs nothing, where each rabbitmq-diagnostics call boots an Erlang VM: seconds of CPU on a loaded 2-core machine.
  local port i
  port=$(sed -n 's/^port=//p' "$dir/rabbitmq.port")
  for i in $(seq 1 600); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
      return 0
    fi
    sleep 0.2
  done
  echo "RabbitMQ did not start; see $dir/rabbitmq/out.log" >&2
  return 1
}

# The broker's processes under the pid that rabbitmq_start recorded: the server script switches user with su, which
# starts a new session, so beam.smp is not in the recorded process group and must be found by walking down the tree.
rabbitmq_tree() {
  local pid=$1 child
  echo "$pid"
  for child in $(pgrep -P "$pid" || true); do rabbitmq_tree "$child"; done
}

rabbitmq_stop() {
  local dir; dir=$(ctl_state)
  local pid
  pid=$(cat "$dir/rabbitmq/server.pid" 2>/dev/null || true)
  [ -n "$pid" ] || return 0
  local tree beam p
  tree=$(rabbitmq_tree "$pid")
  beam=""
  for p in $tree; do
    if [ "$(cat "/proc/$p/comm" 2>/dev/null)" = "beam.smp" ]; then beam=$p; fi
  done
  # SIGTERM is the broker's orderly stop (as rabbitmqctl stop, without booting a CLI VM first, which takes many
  # seconds on a loaded machine and would let the fault land after the work it is meant to interrupt).
  if [ -n "$beam" ]; then
    kill -TERM "$beam" 2>/dev/null || true
    for _ in $(seq 1 300); do kill -0 "$beam" 2>/dev/null || break; sleep 0.1; done
  fi
  # Whatever is left of the tree (a broker that did not stop in 30 s, its helpers) ends now, by pid.
  for p in $tree; do kill -9 "$p" 2>/dev/null || true; done
  for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
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

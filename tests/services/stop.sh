#!/usr/bin/env bash
# Stops what tests/services/start.sh started (PostgreSQL, RabbitMQ, s3rver; by its own pids and data folders) and removes the
# temporary folder.
set -uo pipefail
services_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
[ -n "${RETINASCREEN_TEST_SERVICES:-}" ] && [ -d "$RETINASCREEN_TEST_SERVICES" ] || exit 0
# shellcheck disable=SC1091
source "$services_dir/ctl.sh"
set +e
rabbitmq_stop
epmd_stop
postgres_ctl stop 2>/dev/null
if [ -f "$RETINASCREEN_TEST_SERVICES/s3/pid" ]; then
  s3_pid=$(cat "$RETINASCREEN_TEST_SERVICES/s3/pid")
  kill "$s3_pid" 2>/dev/null
  for _ in $(seq 1 50); do kill -0 "$s3_pid" 2>/dev/null || break; sleep 0.1; done
  kill -9 "$s3_pid" 2>/dev/null
fi
rm -rf "$RETINASCREEN_TEST_SERVICES"

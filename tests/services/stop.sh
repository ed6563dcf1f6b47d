#!/usr/bin/env bash
# Stops what tests/services/start.sh started (by its own pids and data folders) and removes the temporary folder.
set -uo pipefail
services_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
[ -n "${RETINASCREEN_TEST_SERVICES:-}" ] && [ -d "$RETINASCREEN_TEST_SERVICES" ] || exit 0
# shellcheck disable=SC1091
source "$services_dir/ctl.sh"
set +e
rabbitmq_stop
epmd_stop
postgres_ctl stop 2>/dev/null
rm -rf "$RETINASCREEN_TEST_SERVICES"

#!/usr/bin/env bash
# Starts the distributed mode's services for the tests: PostgreSQL 15, RabbitMQ 3.10 and s3rver (an S3-compatible
# server, installed by tests/run.sh under artifacts/tools) as plain processes, in one
# temporary folder, listening on 127.0.0.1 only, on free ports, with credentials made up now (no default passwords).
# Source it ("source tests/services/start.sh"): it exports RETINASCREEN_TEST_POSTGRES (an Npgsql connection string),
# RETINASCREEN_TEST_RABBITMQ (host=…;port=…;user=…;password=…), RETINASCREEN_TEST_S3 (url;bucket;accessKey;secret)
# and RETINASCREEN_TEST_SERVICES (the folder, which tests/services/ctl.sh uses to restart a service in the fault
# tests). tests/services/stop.sh ends them all.
set -euo pipefail

services_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
state=$(mktemp -d /tmp/retinascreen-services.XXXXXX)
chmod 755 "$state"
# Exported first, so that stop.sh cleans up even when a later step fails.
export RETINASCREEN_TEST_SERVICES="$state"

free_port() {
  /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}
secret() { head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n'; }

as_user() {
  local user=$1; shift
  if [ "$(id -un)" = "$user" ]; then "$@"; else runuser -u "$user" -- "$@"; fi
}

# ---- PostgreSQL ----------------------------------------------------------------------------------------------
pg_bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
pg_port=$(free_port)
pg_password=$(secret)
mkdir -p "$state/postgres"
chown postgres "$state/postgres"
printf '%s\n' "$pg_password" > "$state/postgres/pwfile"
chown postgres "$state/postgres/pwfile"
chmod 600 "$state/postgres/pwfile"
# scram-sha-256 on TCP: the password made above is the only way in; the socket folder is private to the run.
as_user postgres "$pg_bin/initdb" -D "$state/postgres/data" -U postgres --pwfile="$state/postgres/pwfile" \
  --auth-host=scram-sha-256 --auth-local=trust >"$state/postgres/initdb.log" 2>&1
rm -f "$state/postgres/pwfile"
cat >"$state/postgres.env" <<ENV
pg_bin=$pg_bin
pg_data=$state/postgres/data
pg_port=$pg_port
pg_socket=$state/postgres
ENV
as_user postgres "$pg_bin/pg_ctl" -D "$state/postgres/data" -l "$state/postgres/log" -w -t 60 \
  -o "-p $pg_port -k $state/postgres -c listen_addresses=127.0.0.1 -c max_connections=300 -c fsync=on" start >/dev/null

# ---- RabbitMQ ------------------------------------------------------------------------------------------------
rmq_port=$(free_port)
rmq_dist_port=$(free_port)
epmd_port=$(free_port)
rmq_user="retinascreen-$(secret | head -c 8)"
rmq_password=$(secret)
rmq_node="rstest$(secret | head -c 6)@localhost"
mkdir -p "$state/rabbitmq"
printf 'listeners.tcp.default = 127.0.0.1:%s\nloopback_users = none\n' "$rmq_port" >"$state/rabbitmq/rabbitmq.conf"
printf '[].\n' >"$state/rabbitmq/enabled_plugins"
cat >"$state/rabbitmq.env" <<ENV
export ERL_EPMD_ADDRESS=127.0.0.1
export ERL_EPMD_PORT=$epmd_port
export RABBITMQ_NODENAME=$rmq_node
export RABBITMQ_DIST_PORT=$rmq_dist_port
export RABBITMQ_MNESIA_BASE=$state/rabbitmq/mnesia
export RABBITMQ_LOG_BASE=$state/rabbitmq/log
export RABBITMQ_CONFIG_FILE=$state/rabbitmq/rabbitmq
export RABBITMQ_ENABLED_PLUGINS_FILE=$state/rabbitmq/enabled_plugins
export RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS='-kernel inet_dist_use_interface {127,0,0,1}'
ENV
chown -R rabbitmq:rabbitmq "$state/rabbitmq"
echo "port=$rmq_port" >"$state/rabbitmq.port"

# shellcheck disable=SC1091
source "$services_dir/ctl.sh"
rabbitmq_start

rabbitmq_ctl add_user "$rmq_user" "$rmq_password" >/dev/null
rabbitmq_ctl set_user_tags "$rmq_user" administrator >/dev/null
rabbitmq_ctl set_permissions -p / "$rmq_user" '.*' '.*' '.*' >/dev/null
rabbitmq_ctl delete_user guest >/dev/null

# ---- s3rver (S3-compatible object store) ----------------------------------------------------------------------
s3_modules="${RETINASCREEN_S3RVER_MODULES:-$(cd "$services_dir/../.." && pwd)/artifacts/tools/node_modules}"
if [ ! -d "$s3_modules/s3rver" ]; then
  echo "s3rver is not installed under $s3_modules: run tests/run.sh, or npm install --prefix artifacts/tools s3rver@3.7.1" >&2
  return 2 2>/dev/null || exit 2
fi
s3_port=$(free_port)
s3_bucket="retinascreen-test"
s3_access_key="rs$(secret | head -c 16)"
s3_secret_key=$(secret)
mkdir -p "$state/s3/data"
S3_ACCESS_KEY="$s3_access_key" S3_SECRET_KEY="$s3_secret_key" \
  setsid node "$services_dir/s3rver.js" "$s3_modules" "$state/s3/data" "$s3_port" "$s3_bucket" >"$state/s3/log" 2>&1 &
echo $! >"$state/s3/pid"
for _ in $(seq 1 100); do
  grep -q 'listening' "$state/s3/log" 2>/dev/null && break
  if ! kill -0 "$(cat "$state/s3/pid")" 2>/dev/null; then cat "$state/s3/log" >&2; break; fi
  sleep 0.1
done
grep -q 'listening' "$state/s3/log" || { echo "s3rver did not start" >&2; cat "$state/s3/log" >&2; return 1 2>/dev/null || exit 1; }

export RETINASCREEN_TEST_POSTGRES="Host=127.0.0.1;Port=$pg_port;Username=postgres;Password=$pg_password"
export RETINASCREEN_TEST_RABBITMQ="host=127.0.0.1;port=$rmq_port;user=$rmq_user;password=$rmq_password"
export RETINASCREEN_TEST_S3="http://127.0.0.1:$s3_port;$s3_bucket;$s3_access_key;$s3_secret_key"
echo "Test services up in $state: PostgreSQL on 127.0.0.1:$pg_port, RabbitMQ on 127.0.0.1:$rmq_port, s3rver on 127.0.0.1:$s3_port"

#!/usr/bin/env bash
# End-to-end latency, C-STORE answered -> prediction committed, p50/p95/p99 at steady rates, then either a burst from
# parallel senders (embedded) or a search for the maximum sustained rate (distributed).
#
#   embedded (default): the embedded host, one process (SQLite, in-memory bus, CPU inference).
#   --distributed:      ingest, BENCH_WORKERS (default 2) inference workers and the portal as separate processes
#                       over PostgreSQL and RabbitMQ, as docker-compose.yml runs them. Uses the services that
#                       tests/services/start.sh started (RETINASCREEN_TEST_POSTGRES/_RABBITMQ/_SERVICES set), or
#                       starts them itself (as root) and stops them at the end.
#
# usage: [BENCH_IMAGES=300] bench/pipeline-latency.sh [--distributed] [--rates 1,5] [--seconds 30] [--burst 100]
#        [--senders 4] [--search 6,8,10,12] [--search-seconds 20]
# needs: a Release build (dotnet build tests/RetinaScreen.Distributed.Tests -c Release builds every role), DCMTK,
#        python3; for --distributed also psql and the test services' packages (PostgreSQL, RabbitMQ).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
mode=embedded
if [[ "${1:-}" == "--distributed" ]]; then mode=distributed; shift; fi
bin() { echo "$root/src/$1/bin/Release/net10.0/$2"; }
cli_dll="$(bin RetinaScreen.Cli retinascreen.dll)"
roles=(RetinaScreen.Host)
[[ $mode == distributed ]] && roles=(RetinaScreen.Ingest RetinaScreen.Inference RetinaScreen.Portal)
for role in "${roles[@]}"; do
  [[ -f "$(bin "$role" "$role.dll")" ]] || { echo "build first: dotnet build tests/RetinaScreen.Distributed.Tests -c Release" >&2; exit 2; }
done
[[ -f "$cli_dll" ]] || { echo "build first: dotnet build src/RetinaScreen.Cli -c Release" >&2; exit 2; }

work="$(mktemp -d /tmp/retinascreen-bench-XXXXXX)"
chmod 755 "$work"
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
dicom_port="$(free_port)"
pids=()
started_services=""
bench_name="bench_$(date +%s)_$$"
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  if [[ $mode == distributed ]]; then
    psql -q -d postgres -c "DROP DATABASE IF EXISTS \"$bench_name\" WITH (FORCE)" >/dev/null 2>&1 || true
    bash "$root/tests/services/ctl.sh" rabbitmqctl delete_vhost "$bench_name" >/dev/null 2>&1 || true
    [[ -n "$started_services" ]] && bash "$root/tests/services/stop.sh"
  fi
  rm -rf "$work"
}
trap cleanup EXIT

wait_ready() { # port log
  for _ in $(seq 1 240); do
    curl -sf "http://127.0.0.1:$1/health/ready" >/dev/null && return 0
    sleep 0.5
  done
  cat "$2" >&2; exit 1
}

# Enough distinct images for every phase; raise BENCH_IMAGES for higher rates or longer runs.
dotnet "$cli_dll" synth --out "$work/images" --count "${BENCH_IMAGES:-300}" --seed 7000 >/dev/null
admin_password="Bench-Passphrase-$RANDOM-1!"

if [[ $mode == embedded ]]; then
  http_port="$(free_port)"
  (cd "$work" && Urls="http://127.0.0.1:$http_port" RetinaScreen__DataPath="$work/data" RetinaScreen__Dicom__Port="$dicom_port" \
    RetinaScreen__Dicom__BindAddress=127.0.0.1 RetinaScreen__Bootstrap__AdminEmail=bench@clinic.test \
    RetinaScreen__Bootstrap__AdminPassword="$admin_password" ASPNETCORE_ENVIRONMENT=Production \
    RetinaScreen__Ingest__RequireRegisteredDevices=false RetinaScreen__Dicom__MaxAssociationsPerPeer=1000 \
    exec dotnet "$(bin RetinaScreen.Host RetinaScreen.Host.dll)" >"$work/host.log" 2>&1) &
  pids+=($!)
  wait_ready "$http_port" "$work/host.log"
  database=(--database "$work/data/retinascreen.db")
else
  if [[ -z "${RETINASCREEN_TEST_POSTGRES:-}" ]]; then
    # shellcheck disable=SC1091
    source "$root/tests/services/start.sh"
    started_services=yes
  fi
  # libpq's variables from the Npgsql connection string (Host=…;Port=…;Username=…;Password=…).
  eval "$(python3 - <<'PY'
import os, shlex
parts = dict(p.split("=", 1) for p in os.environ["RETINASCREEN_TEST_POSTGRES"].split(";") if p)
for key, var in (("Host", "PGHOST"), ("Port", "PGPORT"), ("Username", "PGUSER"), ("Password", "PGPASSWORD")):
    print(f"export {var}={shlex.quote(parts[key])}")
parts = dict(p.split("=", 1) for p in os.environ["RETINASCREEN_TEST_RABBITMQ"].split(";") if p)
for key in ("host", "port", "user", "password"):
    print(f"export RMQ_{key.upper()}={shlex.quote(parts[key])}")
PY
)"
  psql -q -d postgres -c "CREATE DATABASE \"$bench_name\"" >/dev/null
  export PGDATABASE="$bench_name"
  bash "$root/tests/services/ctl.sh" rabbitmqctl add_vhost "$bench_name" >/dev/null
  bash "$root/tests/services/ctl.sh" rabbitmqctl set_permissions -p "$bench_name" "$RMQ_USER" '.*' '.*' '.*' >/dev/null
  connection="Host=$PGHOST;Port=$PGPORT;Username=$PGUSER;Password=$PGPASSWORD;Database=$bench_name"
  RetinaScreen__Database__Provider=PostgreSql ConnectionStrings__RetinaScreen="$connection" dotnet "$cli_dll" migrate >"$work/migrate.log" 2>&1 \
    || { cat "$work/migrate.log" >&2; exit 1; }

  start_role() { # name project
    local port; port="$(free_port)"
    mkdir -p "$work/$1"
    (cd "$work/$1" && Urls="http://127.0.0.1:$port" ASPNETCORE_ENVIRONMENT=Production DOTNET_ENVIRONMENT=Production \
      RetinaScreen__DataPath="$work/$1" RetinaScreen__Storage__Path="$work/objects" \
      RetinaScreen__Database__Provider=PostgreSql ConnectionStrings__RetinaScreen="$connection" \
      RetinaScreen__Bus__Transport=RabbitMq RetinaScreen__Bus__RabbitMq__Host="$RMQ_HOST" RetinaScreen__Bus__RabbitMq__Port="$RMQ_PORT" \
      RetinaScreen__Bus__RabbitMq__VirtualHost="$bench_name" RetinaScreen__Bus__RabbitMq__Username="$RMQ_USER" \
      RetinaScreen__Bus__RabbitMq__Password="$RMQ_PASSWORD" RetinaScreen__Dicom__Port="$dicom_port" RetinaScreen__Dicom__BindAddress=127.0.0.1 \
      RetinaScreen__Bootstrap__AdminEmail=bench@clinic.test RetinaScreen__Bootstrap__AdminPassword="$admin_password" \
      RetinaScreen__Ingest__RequireRegisteredDevices=false RetinaScreen__Dicom__MaxAssociationsPerPeer=1000 \
      Logging__LogLevel__Default=Warning exec dotnet "$(bin "$2" "$2.dll")" >"$work/$1.log" 2>&1) &
    pids+=($!)
    echo "$port" >"$work/$1.port"
  }
  start_role ingest RetinaScreen.Ingest
  for n in $(seq 1 "${BENCH_WORKERS:-2}"); do start_role "inference-$n" RetinaScreen.Inference; done
  start_role portal RetinaScreen.Portal
  for log in "$work"/*.port; do wait_ready "$(cat "$log")" "${log%.port}.log"; done
  database=(--postgres)
fi

# Warm-up: the first photographs load the models (in every worker); they are not part of any measurement.
# Seeds far from the measured set's (7000…): synth derives UIDs from seeds, and a re-sent UID is a duplicate.
dotnet "$cli_dll" synth --out "$work/warmup" --count 6 --seed 1000 >/dev/null
storescu -xy -aec RETINASCREEN 127.0.0.1 "$dicom_port" "$work/warmup"/*.dcm
sleep 5

echo "mode: $mode$([[ $mode == distributed ]] && echo " (ingest, ${BENCH_WORKERS:-2} inference workers, portal; PostgreSQL, RabbitMQ)")"
echo "machine: $(nproc) cores, $(uname -sr), load average $(cut -d' ' -f1-3 /proc/loadavg); $(date -u '+%Y-%m-%d %H:%M UTC')"
python3 "$root/bench/pipeline_latency.py" --port "$dicom_port" "${database[@]}" --images "$work/images" "$@"
echo "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"

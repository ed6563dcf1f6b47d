#!/usr/bin/env bash
# End-to-end latency, C-STORE answered -> prediction committed, p50/p95/p99 at steady rates, then a burst from
# parallel senders for the maximum sustained rate. Runs the embedded host (one process, SQLite, in-memory bus):
# the distributed mode's RabbitMQ/PostgreSQL harness (tests/services/start.sh) is not wired into this script yet,
# so its figures are the embedded ones (see docs/benchmarks.md).
#
# usage: [BENCH_IMAGES=300] bench/pipeline-latency.sh [--rates 1,5] [--seconds 30] [--burst 100] [--senders 4]
# needs: a Release build (dotnet build tests/RetinaScreen.Integration.Tests -c Release), DCMTK, python3.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
host_dll="$root/src/RetinaScreen.Host/bin/Release/net10.0/RetinaScreen.Host.dll"
cli_dll="$root/src/RetinaScreen.Cli/bin/Release/net10.0/retinascreen.dll"
[[ -f "$host_dll" && -f "$cli_dll" ]] || { echo "build first: dotnet build tests/RetinaScreen.Integration.Tests -c Release" >&2; exit 2; }

work="$(mktemp -d /tmp/retinascreen-bench-XXXXXX)"
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
http_port="$(free_port)"; dicom_port="$(free_port)"
host_pid=""
cleanup() { [[ -n "$host_pid" ]] && kill "$host_pid" 2>/dev/null && wait "$host_pid" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT

# Enough distinct images for every phase (defaults: 1/s and 5/s for 30 s, plus the burst); raise for higher rates.
dotnet "$cli_dll" synth --out "$work/images" --count "${BENCH_IMAGES:-300}" --seed 7000 >/dev/null

(cd "$work" && Urls="http://127.0.0.1:$http_port" RetinaScreen__DataPath="$work/data" RetinaScreen__Dicom__Port="$dicom_port" \
  RetinaScreen__Dicom__BindAddress=127.0.0.1 RetinaScreen__Bootstrap__AdminEmail=bench@clinic.test \
  RetinaScreen__Bootstrap__AdminPassword="Bench-Passphrase-$RANDOM-1!" ASPNETCORE_ENVIRONMENT=Production \
  exec dotnet "$host_dll" >"$work/host.log" 2>&1) &
host_pid=$!
for _ in $(seq 1 180); do
  curl -sf "http://127.0.0.1:$http_port/health/ready" >/dev/null && break
  sleep 0.5
done
curl -sf "http://127.0.0.1:$http_port/health/ready" >/dev/null || { cat "$work/host.log" >&2; exit 1; }

# Warm-up: the first photograph loads the models; it is not part of any measurement.
dotnet "$cli_dll" synth --out "$work/warmup" --count 1 --seed 6999 >/dev/null
storescu -xy -aec RETINASCREEN 127.0.0.1 "$dicom_port" "$work/warmup"/*.dcm
sleep 3

echo "machine: $(nproc) cores, $(uname -sr), load average $(cut -d' ' -f1-3 /proc/loadavg); $(date -u '+%Y-%m-%d %H:%M UTC')"
python3 "$root/bench/pipeline_latency.py" --port "$dicom_port" --database "$work/data/retinascreen.db" --images "$work/images" "$@"

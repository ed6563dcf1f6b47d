#!/usr/bin/env bash
# Ingest memory check (issue 4): peak RSS of the RetinaScreen embedded host while one VL Whole Slide Microscopy
# object of about SIZE_MB megabytes (native RGB tiles, bench/make_slide.py) is received over C-STORE from DCMTK
# storescu. The SCP streams each data set to a file as its PDVs arrive, so the peak should not grow with the object.
# The host's peak is reset (/proc/PID/clear_refs) once it is ready, so "receive" is the peak from the association
# request until the C-STORE was answered (stored, flushed and recorded); "after" adds the next 10 s, when the slide
# analysis starts on it. Goal: receive peak under 400 MB.
#
# usage: bench/ingest-slide-memory.sh [SIZE_MB=1024]
# env:   HOST_DLL (the host build to measure; the Release build by default)
set -euo pipefail

SIZE_MB=${1:-1024}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
HOST_DLL=${HOST_DLL:-$ROOT/src/RetinaScreen.Host/bin/Release/net10.0/RetinaScreen.Host.dll}
for tool in storescu curl sqlite3 python3; do
  command -v "$tool" >/dev/null || { echo "missing $tool" >&2; exit 2; }
done
[[ -f $HOST_DLL ]] || dotnet build "$ROOT/src/RetinaScreen.Host" -c Release -v q -nologo >/dev/null

WORK=$(mktemp -d "${TMPDIR:-/tmp}/ingest-slide.XXXXXX")
need_mb=$(( SIZE_MB * 3 + 1024 ))
free_mb=$(df -Pm "$WORK" | awk 'NR == 2 {print $4}')
if (( free_mb < need_mb )); then
  echo "need about $need_mb MB free in $WORK (the slide, its arrival file and the stored object), have $free_mb" >&2
  rm -rf "$WORK"; exit 2
fi
PIDS=()
cleanup() {
  # Only what this script started, by id.
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$WORK"
}
trap cleanup EXIT INT TERM

/usr/bin/python3 "$ROOT/bench/make_slide.py" "$WORK/slide.dcm" "$SIZE_MB" >&2
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
http=$(free_port); dicom=$(free_port)
mkdir -p "$WORK/rs"
(cd "$WORK/rs" && exec env Urls="http://127.0.0.1:$http" RetinaScreen__DataPath="$WORK/rs/data" RetinaScreen__Dicom__Port="$dicom" \
  RetinaScreen__Dicom__BindAddress=127.0.0.1 RetinaScreen__Bootstrap__AdminEmail=bench@localhost \
  RetinaScreen__Bootstrap__AdminPassword="Bench-$(python3 -c 'import secrets; print(secrets.token_hex(12))')-1!" \
  RetinaScreen__Ingest__RequireRegisteredDevices=false \
  DOTNET_ENVIRONMENT=Production ASPNETCORE_ENVIRONMENT=Production dotnet "$HOST_DLL" >"$WORK/rs/host.log" 2>&1) &
pid=$!; PIDS+=("$pid")
for _ in $(seq 1 360); do curl -fs -o /dev/null "http://127.0.0.1:$http/health/ready" && break; sleep 0.25; done
sleep 2
mb() { awk -v key="$1:" '$1 == key {printf "%.0f", $2/1024}' "/proc/$pid/status"; }
started_hwm=$(mb VmHWM)
echo 5 >"/proc/$pid/clear_refs"   # resets VmHWM to the current RSS
ready_rss=$(mb VmRSS)

start=$(date +%s.%N)
storescu -R -aec RETINASCREEN 127.0.0.1 "$dicom" "$WORK/slide.dcm" >"$WORK/storescu.log" 2>&1 || { cat "$WORK/storescu.log" >&2; exit 1; }
end=$(date +%s.%N)
receive_hwm=$(mb VmHWM)
stored=$(sqlite3 "file:$WORK/rs/data/retinascreen.db?mode=ro" "SELECT COUNT(*) FROM Instances")
sleep 10
after_hwm=$(mb VmHWM)
bytes=$(stat -c %s "$WORK/slide.dcm")

echo "slide $(python3 -c "print(f'{$bytes/1e6:.0f}')") MB, stored $stored, C-STORE $(python3 -c "print(f'{$end-$start:.1f}')") s, $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "| host peak at start MB | RSS when ready MB | peak while receiving MB | peak incl. 10 s after MB |"
echo "|---:|---:|---:|---:|"
echo "| $started_hwm | $ready_rss | $receive_hwm | $after_hwm |"

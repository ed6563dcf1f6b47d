#!/usr/bin/env bash
# Ingest benchmark (issue 4): K parallel DCMTK storescu senders, each sending M fundus-sized JPEG baseline
# Ophthalmic Photography files on one association, into RetinaScreen (embedded mode) and into Orthanc (SQLite
# index, storage in a temp folder on the same disk), in the same run. Prints instances/s, MB/s and RetinaScreen's
# peak RSS (VmHWM). Wall time is from the first association request until every storescu has exited, i.e. until every
# C-STORE was answered: what a sender sees. RetinaScreen grades what it receives in the same process (one photograph
# at a time, each waiting up to 2 s for a lull in arrivals: appsettings.json, RetinaScreen:Inference), so grading
# still shares the cores during that window; the count graded by its end is printed. Each target first receives WARMUP
# photographs on one association outside the timed window (peak RSS is reset after them), and RetinaScreen's window starts
# only once it has graded them, so that both archives start the window warm and idle.
#
# The photographs are `retinascreen synth --size 4096` re-encoded with sensor noise (bench/ingest_photos.py) so that
# they weigh what a real fundus camera's JPEG does (about 3 MB) instead of the 1 MB of the smooth synthetic picture.
#
# usage: bench/ingest-vs-orthanc.sh [K=1] [M=20]
# env:   SIZE=4096 (synthetic photograph edge in pixels), UNIQUE=4 (distinct pictures; the rest are copies with new UIDs),
#        NOISE=6.5 (sensor noise sigma in grey levels; 0 keeps the synthetic file as it is), WARMUP=40 (photographs
#        each target receives before the window),
#        HOST_DLL (the RetinaScreen host to measure), BASELINE_HOST_DLL (another build, e.g. before a change, measured
#        in the same run first), BASELINE_ENV (NAME=value words for that run, e.g. DOTNET_gcServer=1),
#        PERF_OUT (a path: RetinaScreen's window is sampled there by `perf record -g`, with the JIT's perf map on and W^X off so that perf can read the code pages, so
#        `perf report -i PERF_OUT` names managed frames), JIT_OUT (a path: the methods the JIT compiled during RetinaScreen's
#        window, with their tier, from DOTNET_JitDisasmSummary)
set -euo pipefail

K=${1:-1}
M=${2:-20}
SIZE=${SIZE:-4096}
UNIQUE=${UNIQUE:-4}
NOISE=${NOISE:-6.5}
WARMUP=${WARMUP:-40}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
HOST_DLL=${HOST_DLL:-$ROOT/src/RetinaScreen.Host/bin/Release/net10.0/RetinaScreen.Host.dll}
CLI_DLL=$ROOT/src/RetinaScreen.Cli/bin/Release/net10.0/retinascreen.dll
for tool in storescu dcmodify Orthanc curl sqlite3 python3; do
  command -v "$tool" >/dev/null || { echo "missing $tool" >&2; exit 2; }
done

WORK=$(mktemp -d "${TMPDIR:-/tmp}/ingest-bench.XXXXXX")
PIDS=()
cleanup() {
  # Only what this script started, by id.
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$WORK"
}
trap cleanup EXIT INT TERM

if [[ ! -f $HOST_DLL || ! -f $CLI_DLL ]]; then
  dotnet build "$ROOT/src/RetinaScreen.Host" -c Release -v q -nologo >/dev/null
  dotnet build "$ROOT/src/RetinaScreen.Cli" -c Release -v q -nologo >/dev/null
fi

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# Synthesis of a 4096 px photograph takes seconds, so a few distinct pictures are made and copied; every copy gets
# its own study, series and instance UIDs, so each store is a new instance for both archives.
n_unique=$(( UNIQUE < M ? UNIQUE : M ))
dotnet "$CLI_DLL" synth --out "$WORK/unique" --count "$n_unique" --size "$SIZE" --seed 4242 >/dev/null
mapfile -t uniques < <(ls "$WORK"/unique/*.dcm)
if [[ $NOISE != 0 ]]; then
  /usr/bin/python3 "$ROOT/bench/ingest_photos.py" "$NOISE" "${uniques[@]}"
fi
for s in $(seq 1 "$K"); do
  mkdir -p "$WORK/send/$s"
  for i in $(seq 1 "$M"); do
    cp "${uniques[$(( (i - 1) % n_unique ))]}" "$WORK/send/$s/$(printf '%04d' "$i").dcm"
  done
  dcmodify -q -nb -gin -gst -gse "$WORK"/send/"$s"/*.dcm
done
# Photographs each target receives before the timed window, so that both are measured warm, as a long-running archive
# is: for RetinaScreen, .NET compiles a method again, optimised, only after about 30 calls (tiered compilation), and
# EF Core builds each query and the model's accessors on first use; Orthanc fills its caches. One photograph was not
# enough: JIT compilation and the grading of that photograph then took a quarter of the host's CPU inside the window.
# They arrive over K associations at once, as the window's do, so that the paths taken only under concurrency (an
# await that does not complete at once, a writer waiting for SQLite's lock) are compiled before the window too.
for target in rs-baseline rs-grading orthanc; do
  for s in $(seq 1 "$K"); do mkdir -p "$WORK/warmup/$target/$s"; done
  for i in $(seq 1 "$WARMUP"); do
    cp "${uniques[$(( (i - 1) % n_unique ))]}" "$WORK/warmup/$target/$(( (i - 1) % K + 1 ))/$(printf '%04d' "$i").dcm"
  done
  dcmodify -q -nb -gin -gst -gse "$WORK"/warmup/"$target"/*/*.dcm
done
total_files=$(( K * M ))
# The copies above are ~1 GB of dirty page cache; written back while the first target runs, they would slow its
# fsyncs and not the later target's. Flushed now, every target starts with a quiet disk (and again before each).
sync
total_bytes=$(cat "$WORK"/send/*/*.dcm | wc -c)
avg_mb=$(python3 -c "print(f'{$total_bytes/$total_files/1e6:.2f}')")

warm_up() { # port aec folder (one subfolder per sender)
  local senders=() sender folder failed=0
  for folder in "$3"/*/; do
    storescu -xy -aec "$2" 127.0.0.1 "$1" "$folder"*.dcm >/dev/null 2>&1 &
    senders+=($!)
  done
  for sender in "${senders[@]}"; do wait "$sender" || failed=1; done
  [[ $failed == 0 ]] || { echo "warm-up store into $2 failed" >&2; return 1; }
}

# Waits until RetinaScreen has graded every warm-up photograph (at most 5 minutes), so that its window starts idle.
wait_graded() { # database expected
  for _ in $(seq 1 1200); do
    [[ $(sqlite3 "file:$1?mode=ro" "SELECT COUNT(*) FROM Predictions" 2>/dev/null || echo 0) -ge $2 ]] && return 0
    sleep 0.25
  done
  echo "warm-up photographs not graded in 5 minutes" >&2; return 1
}

# Runs the K senders against PORT/AE; prints "seconds failures".
send_all() {
  local port=$1 aec=$2 start end failures=0 pids=() pid
  start=$(date +%s.%N)
  for s in $(seq 1 "$K"); do
    storescu -xy -aec "$aec" 127.0.0.1 "$port" "$WORK"/send/"$s"/*.dcm >"$WORK/storescu-$aec-$s.log" 2>&1 &
    pids+=($!)
  done
  for pid in "${pids[@]}"; do wait "$pid" || failures=$((failures + 1)); done
  end=$(date +%s.%N)
  echo "$(python3 -c "print(f'{$end-$start:.3f}')") $failures"
}

wait_http() {
  for _ in $(seq 1 360); do curl -fs -o /dev/null "$1" && return 0; sleep 0.25; done
  echo "not ready: $1" >&2; return 1
}

# CPU seconds (user + system) a process has used so far, and the whole machine's busy seconds (all cores, from
# /proc/stat), so each row says how much of the window the target itself kept a core busy and how busy both were.
cpu_seconds() { awk -v t="$(getconf CLK_TCK)" '{print ($14 + $15) / t}' "/proc/$1/stat"; }
busy_seconds() { awk -v t="$(getconf CLK_TCK)" '/^cpu / {print ($2 + $3 + $4 + $7 + $8) / t}' /proc/stat; }

ROWS=()
row() { # name seconds stored hwm_mb target_cpu_s machine_busy_s
  ROWS+=("$(python3 -c "print(f'| $1 | $K | $M | $3 | $2 | {$3/$2:.1f} | {$total_bytes*$3/$total_files/1e6/$2:.1f} | $4 | {$5:.2f} | {$6/($2*$(nproc))*100:.0f} % |')")")
}

run_retinascreen() { # label host-dll extra-env...
  local label=$1 dll=$2; shift 2
  local dir=$WORK/rs-$label http dicom pid
  http=$(free_port); dicom=$(free_port)
  mkdir -p "$dir"
  (cd "$dir" && exec env Urls="http://127.0.0.1:$http" RetinaScreen__DataPath="$dir/data" RetinaScreen__Dicom__Port="$dicom" \
    RetinaScreen__Dicom__BindAddress=127.0.0.1 RetinaScreen__Bootstrap__AdminEmail=bench@localhost \
    RetinaScreen__Bootstrap__AdminPassword="Bench-$(python3 -c 'import secrets; print(secrets.token_hex(12))')-1!" \
    RetinaScreen__Ingest__RequireRegisteredDevices=false RetinaScreen__Dicom__MaxAssociationsPerPeer=1000 \
    DOTNET_ENVIRONMENT=Production ASPNETCORE_ENVIRONMENT=Production ${PERF_OUT:+DOTNET_PerfMapEnabled=1 DOTNET_EnableWriteXorExecute=0} \
    ${JIT_OUT:+DOTNET_JitDisasmSummary=1 DOTNET_JitStdOutFile=$dir/jit.txt} "$@" \
    dotnet "$dll" >"$dir/host.log" 2>&1) &
  pid=$!; PIDS+=("$pid")
  wait_http "http://127.0.0.1:$http/health/ready"
  warm_up "$dicom" RETINASCREEN "$WORK/warmup/rs-$label"
  wait_graded "$dir/data/retinascreen.db" "$WARMUP"
  kill -0 "$pid" 2>/dev/null || { echo "the RetinaScreen host exited during the warm-up:" >&2; tail -30 "$dir/host.log" >&2; exit 1; }
  sync
  local cpu0 busy0 cpu1 busy1
  # Peak RSS is the window's own: grading the warm-up photographs (4096 px frames) would otherwise set it.
  echo 5 >"/proc/$pid/clear_refs"
  local perf_pid=""
  if [[ -n ${PERF_OUT:-} ]]; then
    perf record -q -F 499 -g -p "$pid" -o "$PERF_OUT" >/dev/null 2>&1 &
    perf_pid=$!
    sleep 1
  fi
  local jit0=0
  [[ -z ${JIT_OUT:-} ]] || jit0=$(wc -l <"$dir/jit.txt")
  cpu0=$(cpu_seconds "$pid"); busy0=$(busy_seconds)
  read -r seconds failures < <(send_all "$dicom" RETINASCREEN)
  cpu1=$(cpu_seconds "$pid"); busy1=$(busy_seconds)
  [[ -z ${JIT_OUT:-} ]] || tail -n "+$((jit0 + 1))" "$dir/jit.txt" >"$JIT_OUT"
  if [[ -n $perf_pid ]]; then kill -INT "$perf_pid"; wait "$perf_pid" 2>/dev/null || true; fi
  local stored predicted hwm
  stored=$(sqlite3 "file:$dir/data/retinascreen.db?mode=ro" "SELECT COUNT(*) FROM Instances")
  predicted=$(sqlite3 "file:$dir/data/retinascreen.db?mode=ro" "SELECT COUNT(*) FROM Predictions")
  hwm=$(awk '/VmHWM/ {printf "%.0f", $2/1024}' "/proc/$pid/status")
  stored=$((stored - WARMUP))
  predicted=$((predicted - WARMUP))
  echo "retinascreen ($label): $stored stored, $predicted graded by the end of the window, $failures sender(s) failed" >&2
  row "RetinaScreen ($label)" "$seconds" "$stored" "$hwm" "$(python3 -c "print($cpu1-$cpu0)")" "$(python3 -c "print($busy1-$busy0)")"
  kill "$pid"; wait "$pid" 2>/dev/null || true
}

run_orthanc() {
  local dir=$WORK/orthanc http dicom pid stored
  http=$(free_port); dicom=$(free_port)
  mkdir -p "$dir/db"
  cat >"$dir/config.json" <<JSON
{ "Name": "bench", "StorageDirectory": "$dir/db", "IndexDirectory": "$dir/db", "HttpPort": $http, "DicomPort": $dicom,
  "DicomAet": "ORTHANC", "RemoteAccessAllowed": false, "AuthenticationEnabled": false, "Plugins": [] }
JSON
  Orthanc "$dir/config.json" >"$dir/orthanc.log" 2>&1 &
  pid=$!; PIDS+=("$pid")
  wait_http "http://127.0.0.1:$http/system"
  warm_up "$dicom" ORTHANC "$WORK/warmup/orthanc"
  sync
  local cpu0 busy0 cpu1 busy1
  cpu0=$(cpu_seconds "$pid"); busy0=$(busy_seconds)
  read -r seconds failures < <(send_all "$dicom" ORTHANC)
  cpu1=$(cpu_seconds "$pid"); busy1=$(busy_seconds)
  stored=$(curl -fs "http://127.0.0.1:$http/statistics" | python3 -c 'import json,sys; print(json.load(sys.stdin)["CountInstances"] - '"$WARMUP"')')
  echo "orthanc: $stored stored, $failures sender(s) failed" >&2
  row "Orthanc $(Orthanc --version 2>/dev/null | head -1 | awk '{print $NF}')" "$seconds" "$stored" "-" "$(python3 -c "print($cpu1-$cpu0)")" "$(python3 -c "print($busy1-$busy0)")"
  kill "$pid"; wait "$pid" 2>/dev/null || true
}

if [[ -n ${BASELINE_HOST_DLL:-} ]]; then
  # shellcheck disable=SC2086 # BASELINE_ENV is a list of NAME=value words
  run_retinascreen baseline "$BASELINE_HOST_DLL" ${BASELINE_ENV:-}
fi
run_retinascreen grading "$HOST_DLL"
run_orthanc

echo "K=$K senders x M=$M files, $total_files files, $avg_mb MB average (JPEG baseline OP, ${SIZE} px, noise $NOISE), $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "| target | K | M | stored | wall s | instances/s | MB/s | peak RSS MB | target CPU s | machine busy |"
echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
printf '%s\n' "${ROWS[@]}"

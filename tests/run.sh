#!/usr/bin/env bash
# RetinaScreen's one test command: installs what the tests need (as root, on Debian), starts the services they
# use on loopback, builds, runs every test project, and ends with one line: "N passed, N failed, N skipped".
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo"

# ---- what the tests need -------------------------------------------------------------------------------
# Debian packages: DCMTK, Orthanc and dicom3tools (the DICOM peers and validators), GDCM tools and pydicom
# (reference files), Chromium (portal tests), PostgreSQL and RabbitMQ (the distributed mode).
packages=(dcmtk libgdcm-tools python3-pydicom dicom3tools orthanc chromium postgresql rabbitmq-server python3-torch python3-onnx python3-numpy python3-pil)
commands=(echoscu storescu storescp dcmsend dcmodify dcmconv dcmdjpeg pdf2dcm img2dcm dcmdump dcm2json gdcmdump dciodvfy Orthanc chromium rabbitmq-server psql)
missing=()
for c in "${commands[@]}"; do command -v "$c" >/dev/null 2>&1 || missing+=("$c"); done
[ -d /usr/lib/python3/dist-packages/pydicom ] || missing+=(pydicom)
# The smoke training test needs Debian's PyTorch and ONNX for /usr/bin/python3.
/usr/bin/python3 -c 'import torch, onnx, PIL' >/dev/null 2>&1 || missing+=(python3-torch)
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "Installing test dependencies: ${packages[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -q >/dev/null
    apt-get install -y -q --no-install-recommends "${packages[@]}" >/dev/null
  else
    echo "Missing: ${missing[*]}" >&2
    echo "Install them first (Debian): sudo apt-get install -y ${packages[*]}" >&2
    exit 2
  fi
fi

# s3rver, an S3-compatible server for the object-store tests (test-only; see compliance/soup.md), from the npm
# registry into a git-ignored folder of the checkout, pinned. Node comes with the machine, else from Debian.
if ! command -v npm >/dev/null 2>&1; then
  if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -q >/dev/null
    apt-get install -y -q --no-install-recommends nodejs npm >/dev/null
  else
    echo "Missing: node and npm (Debian: sudo apt-get install -y nodejs npm)" >&2
    exit 2
  fi
fi
s3rver_version=3.7.1
tools="$repo/artifacts/tools"
if [ "$(cat "$tools/s3rver.version" 2>/dev/null)" != "$s3rver_version" ]; then
  npm install --no-save --no-audit --no-fund --loglevel=error --prefix "$tools" "s3rver@$s3rver_version" >/dev/null
  echo "$s3rver_version" >"$tools/s3rver.version"
fi

# ---- build and test ------------------------------------------------------------------------------------
results="$repo/artifacts/test-results"
rm -rf "$results"
mkdir -p "$results"

dotnet build RetinaScreen.sln -c Release -nologo -v quiet

# ---- services (PostgreSQL, RabbitMQ, s3rver) for the distributed-mode and object-store tests -----------------
# Started once for all test projects, on loopback with fresh credentials; stopped whatever happens.
trap 'bash "$repo/tests/services/stop.sh"' EXIT
# shellcheck disable=SC1091
source "$repo/tests/services/start.sh"

# One project at a time: the end-to-end tests time real services, and this machine may have two cores.
status=0
for project in tests/*/*.Tests.csproj; do
  name=$(basename "$project" .csproj)
  dotnet test "$project" -c Release --no-build -nologo \
    --logger "trx;LogFileName=$name.trx" --results-directory "$results" \
    -- RunConfiguration.TreatNoTestsAsError=true || status=$?
done

# ---- one countable line --------------------------------------------------------------------------------
passed=0; failed=0; skipped=0
shopt -s nullglob
for trx in "$results"/*.trx; do
  # Each test project writes one trx whose <Counters …/> element holds its totals.
  counters=$(grep -o '<Counters [^>]*>' "$trx" || true)
  value() { local v; v=$(echo "$counters" | sed -n "s/.* $1=\"\([0-9]*\)\".*/\1/p"); echo "${v:-0}"; }
  passed=$((passed + $(value passed)))
  failed=$((failed + $(value failed) + $(value error) + $(value timeout) + $(value aborted)))
  skipped=$((skipped + $(value notExecuted)))
done
echo "$passed passed, $failed failed, $skipped skipped"
if [ "$status" -ne 0 ] || [ "$failed" -ne 0 ] || [ "$passed" -eq 0 ]; then
  exit 1
fi

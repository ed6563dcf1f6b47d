#!/usr/bin/env bash
# Runs the DICOM parse benchmarks and pydicom's dcmread on the same corpus in one go; figures go to docs/benchmarks.md.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
corpus="${TMPDIR:-/tmp}/retinascreen-dicom-bench"
dotnet run -c Release --project "$here" -- corpus "$corpus" >/dev/null
dotnet run -c Release --project "$here" -- --filter '*DicomParseBenchmarks*' --job short --artifacts "$here/../../artifacts/bench-dicom" "$@"
/usr/bin/python3 "$here/pydicom_dcmread.py" "$corpus"
ls -l "$corpus"

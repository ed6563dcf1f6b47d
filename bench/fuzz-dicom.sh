#!/usr/bin/env bash
# Fuzzes the DICOM reader (tests/RetinaScreen.Dicom.Fuzz: read, JSON model, frame 0) with AFL++ and SharpFuzz for a
# fixed budget, then copies every crash and hang AFL++ found into tests/RetinaScreen.Dicom.Tests/FuzzRegressions/,
# where REQ_DCM_09 replays them in every test run.
#
#   bash bench/fuzz-dicom.sh [SECONDS]      (default 600)
#
# Needs (installed here when missing, as root on Debian): afl++ (Debian package) and the SharpFuzz.CommandLine
# dotnet tool 2.3.0, which instruments RetinaScreen.Dicom.dll for AFL++'s coverage map.
set -euo pipefail

seconds="${1:-600}"
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo"
work="$repo/artifacts/fuzz-dicom"
regressions="$repo/tests/RetinaScreen.Dicom.Tests/FuzzRegressions"

if ! command -v afl-fuzz >/dev/null 2>&1; then
  [ "$(id -u)" -eq 0 ] || { echo "afl-fuzz is missing: sudo apt-get install -y afl++" >&2; exit 2; }
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends afl++ >/dev/null
fi
export PATH="$PATH:$HOME/.dotnet/tools"
if ! command -v sharpfuzz >/dev/null 2>&1; then
  dotnet tool install --global SharpFuzz.CommandLine --version 2.3.0 >/dev/null
fi

rm -rf "$work"
mkdir -p "$work/seeds"
nice dotnet publish tests/RetinaScreen.Dicom.Fuzz/RetinaScreen.Dicom.Fuzz.csproj -c Release -o "$work/bin" -nologo -v quiet
# Only the library under test is instrumented: coverage of the toolkit's own branches guides AFL++.
sharpfuzz "$work/bin/RetinaScreen.Dicom.dll"

# Seeds: the committed corpus plus every earlier finding (so a fixed crash stays covered).
cp tests/RetinaScreen.Dicom.Fuzz/seeds/* "$work/seeds/"
find "$regressions" -maxdepth 1 -type f -size -64k ! -name '*.md' -exec cp {} "$work/seeds/" \;

# AFL_SKIP_BIN_CHECK: the target is dotnet running an instrumented assembly, not an instrumented ELF.
# AFL_NO_AFFINITY / AFL_SKIP_CPUFREQ / crash-pattern check: this is a shared VM, not a tuned fuzzing host.
export AFL_SKIP_BIN_CHECK=1 AFL_NO_AFFINITY=1 AFL_SKIP_CPUFREQ=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1 AFL_NO_UI=1
status=0
nice afl-fuzz -V "$seconds" -i "$work/seeds" -o "$work/findings" -t 5000 -m none -- dotnet "$work/bin/RetinaScreen.Dicom.Fuzz.dll" \
  > "$work/afl.log" 2>&1 || status=$?
tail -n 25 "$work/afl.log"
[ "$status" -eq 0 ] || { echo "afl-fuzz exited $status (log: $work/afl.log)" >&2; exit "$status"; }

new=0
for kind in crashes hangs; do
  for input in "$work"/findings/default/"$kind"/id:*; do
    [ -f "$input" ] || continue
    name="$kind-$(sha256sum "$input" | cut -c1-16).dcm"
    if [ ! -f "$regressions/$name" ]; then
      install -m 644 "$input" "$regressions/$name"
      new=$((new + 1))
    fi
  done
done

stats="$work/findings/default/fuzzer_stats"
if [ -f "$stats" ]; then
  grep -E '^(run_time|execs_done|execs_per_sec|corpus_count|saved_crashes|saved_hangs|bitmap_cvg)' "$stats"
fi
echo "fuzz-dicom: ${seconds}s budget, $new new finding(s) copied to $regressions"

#!/usr/bin/env bash
# Fuzzes the DICOM toolkit (tests/RetinaScreen.Dicom.Fuzz) with AFL++ and SharpFuzz for a fixed budget, split evenly
# between the targets named (all when none is), then copies every crash and hang AFL++ found into
# tests/RetinaScreen.Dicom.Tests/FuzzRegressions/, where REQ_DCM_09 replays them through the same target in every
# test run. Targets (tests/RetinaScreen.Dicom.Fuzz/FuzzTargets.cs):
#   dicom     any bytes as a Part 10 file: the reader, the JSON model, frame 0 at full and reduced size;
#   deflated  a data set, deflated behind file meta information and read by path with deferral and an inflation limit;
#   jpeg      a JPEG stream as a photograph's frame, through ImageSharp (full size) and libjpeg-turbo (reduced).
#
#   bash bench/fuzz-dicom.sh [SECONDS] [TARGET...]      (default 600 s, all targets)
#
# Needs (installed here when missing, as root on Debian): afl++ (Debian package) and the SharpFuzz.CommandLine
# dotnet tool 2.3.0, which instruments RetinaScreen.Dicom.dll and ImageSharp's JPEG decoder for AFL++'s coverage
# map (libjpeg-turbo is native and uninstrumented: AFL++ sees its crashes, not its coverage).
set -euo pipefail

seconds="${1:-600}"
shift || true
targets=("$@")
[ "${#targets[@]}" -gt 0 ] || targets=(dicom deflated jpeg)
per_target=$((seconds / ${#targets[@]}))
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
mkdir -p "$work"
nice dotnet publish tests/RetinaScreen.Dicom.Fuzz/RetinaScreen.Dicom.Fuzz.csproj -c Release -o "$work/bin" -nologo -v quiet
# Only the code under test is instrumented: the toolkit's own branches and ImageSharp's JPEG decoder guide AFL++.
sharpfuzz "$work/bin/RetinaScreen.Dicom.dll"
sharpfuzz "$work/bin/SixLabors.ImageSharp.dll" SixLabors.ImageSharp.Formats.Jpeg

# AFL_SKIP_BIN_CHECK: the target is dotnet running an instrumented assembly, not an instrumented ELF.
# AFL_NO_AFFINITY / AFL_SKIP_CPUFREQ / crash-pattern check: this is a shared VM, not a tuned fuzzing host.
export AFL_SKIP_BIN_CHECK=1 AFL_NO_AFFINITY=1 AFL_SKIP_CPUFREQ=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1 AFL_NO_UI=1
new=0
for target in "${targets[@]}"; do
  case "$target" in
    dicom) seed_dir=seeds ext=.dcm prefix="" ;;
    deflated) seed_dir=seeds-deflated ext=.dataset prefix="deflated-" ;;
    jpeg) seed_dir=seeds-jpeg ext=.jpg prefix="jpeg-" ;;
    *) echo "unknown fuzz target '$target' (dicom, deflated, jpeg)" >&2; exit 2 ;;
  esac

  # Seeds: the committed corpus plus every earlier finding of this target (so a fixed crash stays covered).
  mkdir -p "$work/seeds-$target"
  cp tests/RetinaScreen.Dicom.Fuzz/"$seed_dir"/* "$work/seeds-$target/"
  find "$regressions" -maxdepth 1 -type f -size -64k -name "${prefix}crashes-*$ext" -exec cp {} "$work/seeds-$target/" \;
  find "$regressions" -maxdepth 1 -type f -size -64k -name "${prefix}hangs-*$ext" -exec cp {} "$work/seeds-$target/" \;

  findings="$work/findings-$target"
  status=0
  nice afl-fuzz -V "$per_target" -i "$work/seeds-$target" -o "$findings" -t 5000 -m none -- \
    dotnet "$work/bin/RetinaScreen.Dicom.Fuzz.dll" "$target" > "$work/afl-$target.log" 2>&1 || status=$?
  tail -n 5 "$work/afl-$target.log"
  [ "$status" -eq 0 ] || { echo "afl-fuzz ($target) exited $status (log: $work/afl-$target.log)" >&2; exit "$status"; }

  for kind in crashes hangs; do
    for input in "$findings"/default/"$kind"/id:*; do
      [ -f "$input" ] || continue
      name="$prefix$kind-$(sha256sum "$input" | cut -c1-16)$ext"
      if [ ! -f "$regressions/$name" ]; then
        install -m 644 "$input" "$regressions/$name"
        new=$((new + 1))
      fi
    done
  done

  echo "== $target (${per_target}s)"
  stats="$findings/default/fuzzer_stats"
  if [ -f "$stats" ]; then
    grep -E '^(run_time|execs_done|execs_per_sec|corpus_count|saved_crashes|saved_hangs|bitmap_cvg)' "$stats"
  fi
done
echo "fuzz-dicom: ${seconds}s budget over ${targets[*]}, $new new finding(s) copied to $regressions"

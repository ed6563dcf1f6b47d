#!/usr/bin/env bash
# Makes the committed seed corpus (seeds/): tiny DICOM files made with DCMTK from an 8x8 picture, one per transfer
# syntax and structure the reader handles (implicit/explicit/big endian/deflated, RLE, JPEG, sequences).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
seeds="$here/seeds"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
mkdir -p "$seeds"
python3 - "$work/tiny.bmp" <<'PY'
import struct, sys
w = h = 8
pixels = b"".join(bytes(b for x in range(w) for b in ((x * 32) & 255, (y * 32) & 255, 128)) for y in range(h))
header = b"BM" + struct.pack("<IHHI", 54 + len(pixels), 0, 0, 54)
info = struct.pack("<IiiHHIIiiII", 40, w, h, 1, 24, 0, len(pixels), 2835, 2835, 0, 0)
open(sys.argv[1], "wb").write(header + info + pixels)
PY
img2dcm -q -i BMP "$work/tiny.bmp" "$work/base.dcm"
dcmodify -q -nb -i "PatientName=Fuzz^Seed" -i "AnatomicRegionSequence[0].CodeValue=T-AA610" \
  -i "AnatomicRegionSequence[0].CodingSchemeDesignator=SRT" -i "(0009,0010)=RETINASCREEN" "$work/base.dcm"
cp "$work/base.dcm" "$seeds/explicit-le.dcm"
dcmconv -q +ti "$work/base.dcm" "$seeds/implicit-le.dcm"
dcmconv -q +tb "$work/base.dcm" "$seeds/explicit-be.dcm"
dcmconv -q +td "$work/base.dcm" "$seeds/deflated.dcm"
dcmconv -q +te -e "$work/base.dcm" "$seeds/undefined-lengths.dcm"
dcmcrle -q "$work/base.dcm" "$seeds/rle.dcm"
dcmcjpeg -q +eb "$work/base.dcm" "$seeds/jpeg-baseline.dcm"
dcmconv -q -F +ti "$work/base.dcm" "$seeds/raw-dataset-implicit.dcm"
ls -l "$seeds"

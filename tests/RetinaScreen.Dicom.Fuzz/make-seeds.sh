#!/usr/bin/env bash
# Makes the committed seed corpora, one per fuzz target (FuzzTargets.cs), all made with DCMTK from tiny pictures:
#   seeds/           the "dicom" target: tiny DICOM files, one per transfer syntax and structure the reader handles
#                    (implicit/explicit/big endian/deflated, RLE, JPEG, sequences);
#   seeds-deflated/  the "deflated" target: bare data sets in explicit VR little endian (the target deflates them);
#   seeds-jpeg/      the "jpeg" target: JPEG streams (baseline 4:2:2, 4:4:4 and grey, progressive) of a 24x16 picture.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
seeds="$here/seeds"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
mkdir -p "$seeds" "$here/seeds-deflated" "$here/seeds-jpeg"
# A W x H 24-bit BMP of colour ramps.
make_bmp() {
  python3 - "$1" "$2" "$3" <<'PY'
import struct, sys
w, h = int(sys.argv[2]), int(sys.argv[3])
pixels = b"".join(bytes(b for x in range(w) for b in ((x * 32) & 255, (y * 32) & 255, 128)) for y in range(h))
header = b"BM" + struct.pack("<IHHI", 54 + len(pixels), 0, 0, 54)
info = struct.pack("<IiiHHIIiiII", 40, w, h, 1, 24, 0, len(pixels), 2835, 2835, 0, 0)
open(sys.argv[1], "wb").write(header + info + pixels)
PY
}
make_bmp "$work/tiny.bmp" 8 8
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

dcmconv -q -F +te "$work/base.dcm" "$here/seeds-deflated/explicit-le.dataset"
dcmconv -q -F +te -e "$work/base.dcm" "$here/seeds-deflated/undefined-lengths.dataset"

# The JPEG stream of a one-frame JPEG file: from its SOI to the last EOI.
extract_jpeg() {
  python3 - "$1" "$2" <<'PY'
import sys
data = open(sys.argv[1], "rb").read()
start, end = data.index(b"\xff\xd8\xff"), data.rindex(b"\xff\xd9") + 2
open(sys.argv[2], "wb").write(data[start:end])
PY
}
make_bmp "$work/wide.bmp" 24 16
img2dcm -q -i BMP "$work/wide.bmp" "$work/wide.dcm"
dcmcjpeg -q +eb "$work/wide.dcm" "$work/j422.dcm" && extract_jpeg "$work/j422.dcm" "$here/seeds-jpeg/baseline-422.jpg"
dcmcjpeg -q +eb +s4 "$work/wide.dcm" "$work/j444.dcm" && extract_jpeg "$work/j444.dcm" "$here/seeds-jpeg/baseline-444.jpg"
dcmcjpeg -q +eb +cm "$work/wide.dcm" "$work/jgrey.dcm" && extract_jpeg "$work/jgrey.dcm" "$here/seeds-jpeg/baseline-grey.jpg"
dcmcjpeg -q +ep "$work/wide.dcm" "$work/jprog.dcm" && extract_jpeg "$work/jprog.dcm" "$here/seeds-jpeg/progressive.jpg"
ls -l "$seeds" "$here/seeds-deflated" "$here/seeds-jpeg"

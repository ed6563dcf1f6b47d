#!/usr/bin/python3
"""Writes a VL Whole Slide Microscopy Image of about SIZE_MB megabytes: native RGB 256x256 tiles, explicit VR little
endian, for the ingest memory check (bench/ingest-slide-memory.sh). Uncompressed frames reach a gigabyte quickly,
which is what a scanner's largest level looks like on the wire. The pixel data is streamed to the file after the
attributes, so writing it takes no memory either.

usage: make_slide.py OUT.dcm SIZE_MB
Needs Debian's python3-pydicom (run with /usr/bin/python3).
"""
import os
import struct
import sys

from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.uid import ExplicitVRLittleEndian, generate_uid

WSM = "1.2.840.10008.5.1.4.1.1.77.1.6"
TILE = 256


def main() -> None:
    out, size_mb = sys.argv[1], int(sys.argv[2])
    frame_bytes = TILE * TILE * 3
    across = 64
    down = max(1, size_mb * 1024 * 1024 // frame_bytes // across)
    frames = across * down

    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = WSM
    meta.MediaStorageSOPInstanceUID = generate_uid()
    meta.TransferSyntaxUID = ExplicitVRLittleEndian

    ds = Dataset()
    ds.file_meta = meta
    ds.SOPClassUID = WSM
    ds.SOPInstanceUID = meta.MediaStorageSOPInstanceUID
    ds.StudyInstanceUID = generate_uid()
    ds.SeriesInstanceUID = generate_uid()
    ds.PatientID = "BENCH-SLIDE"
    ds.PatientName = "Bench^Slide"
    ds.Modality = "SM"
    ds.ImageType = ["ORIGINAL", "PRIMARY", "VOLUME", "NONE"]
    ds.SamplesPerPixel = 3
    ds.PhotometricInterpretation = "RGB"
    ds.PlanarConfiguration = 0
    ds.BitsAllocated = 8
    ds.BitsStored = 8
    ds.HighBit = 7
    ds.PixelRepresentation = 0
    ds.Rows = TILE
    ds.Columns = TILE
    ds.NumberOfFrames = frames
    ds.TotalPixelMatrixColumns = across * TILE
    ds.TotalPixelMatrixRows = down * TILE
    ds.DimensionOrganizationType = "TILED_FULL"
    ds.is_little_endian = True
    ds.is_implicit_VR = False
    ds.save_as(out, write_like_original=False)

    # Pixel Data (7FE0,0010) OB, explicit length, appended as the last element.
    length = frames * frame_bytes
    pattern = os.urandom(1 << 20)
    with open(out, "ab") as f:
        f.write(struct.pack("<HH2sHI", 0x7FE0, 0x0010, b"OB", 0, length))
        left = length
        while left:
            n = min(left, len(pattern))
            f.write(pattern[:n])
            left -= n
    print(f"{out}: {frames} frames of {TILE}x{TILE} RGB, {os.path.getsize(out) / 1e6:.0f} MB")


if __name__ == "__main__":
    main()

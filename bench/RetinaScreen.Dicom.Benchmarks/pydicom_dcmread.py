#!/usr/bin/env python3
"""pydicom's dcmread on the same corpus and cases as DicomParseBenchmarks, for docs/benchmarks.md (same machine, same run).

usage: python3 pydicom_dcmread.py CORPUS_DIR
"""
import os
import sys
import timeit

import pydicom

folder = sys.argv[1]
fundus = os.path.join(folder, "fundus-20mb.dcm")
others = [os.path.join(folder, n) for n in ["CT_small.dcm", "MR_small.dcm", "rtplan.dcm", "rtstruct.dcm", "test-SR.dcm", "image_dfl.dcm"]]


def full(path):
    ds = pydicom.dcmread(path, force=True)
    ds.PixelData if "PixelData" in ds else None  # dcmread defers nothing for files; touch it anyway
    return ds


cases = {
    "FundusHeader": lambda: pydicom.dcmread(fundus, stop_before_pixels=True),
    "FundusFull": lambda: full(fundus),
    "CorpusHeaders": lambda: [pydicom.dcmread(p, stop_before_pixels=True, force=True) for p in others],
    "CorpusFull": lambda: [full(p) for p in others],
}
print(f"pydicom {pydicom.__version__}, Python {sys.version.split()[0]}")
for name, case in cases.items():
    case()  # warm the page cache and imports
    runs = timeit.repeat(case, number=5, repeat=5)
    best = min(runs) / 5
    print(f"{name}: {best * 1e6:.1f} us per call (best of 5x5)")

#!/usr/bin/python3
"""Re-encodes synthetic fundus photographs (retinascreen synth, JPEG baseline) to the size of a real camera's file.

The synthetic fundus is smooth, so at 4096 px it compresses to about 1 MB, while a real fundus camera's JPEG of the
same size is about 3 MB: what a real file carries is sensor noise and fine texture, which JPEG cannot discard at the
quality cameras use. This adds Gaussian sensor noise (stronger in bright areas, as shot noise is) and re-encodes with
baseline JPEG at quality 92, 4:2:2, keeping every other attribute. SIGMA sets the noise; 5 gives about 3 MB at 4096 px.

usage: ingest_photos.py SIGMA FILE...   (files are rewritten in place)
Needs Debian's python3-numpy, python3-pil and python3-pydicom (run with /usr/bin/python3).
"""
import io
import sys

import numpy as np
import pydicom
from PIL import Image
from pydicom.encaps import encapsulate, generate_pixel_data_frame


def reencode(path: str, sigma: float, rng: np.random.Generator) -> int:
    ds = pydicom.dcmread(path)
    frame = next(generate_pixel_data_frame(ds.PixelData))
    rgb = np.asarray(Image.open(io.BytesIO(frame)).convert("RGB"), dtype=np.float32)
    noise = rng.normal(0.0, 1.0, rgb.shape).astype(np.float32)
    noisy = rgb + noise * (sigma * (0.4 + 0.6 * rgb / 255.0))
    out = io.BytesIO()
    Image.fromarray(np.clip(noisy, 0, 255).astype(np.uint8), "RGB").save(out, "JPEG", quality=92, subsampling=1, optimize=False, progressive=False)
    ds.PixelData = encapsulate([out.getvalue()])
    ds["PixelData"].is_undefined_length = True
    ds.PhotometricInterpretation = "YBR_FULL_422"
    ds.save_as(path, write_like_original=False)
    return len(out.getvalue())


def main() -> None:
    sigma = float(sys.argv[1])
    rng = np.random.default_rng(4242)
    for path in sys.argv[2:]:
        reencode(path, sigma, rng)


if __name__ == "__main__":
    main()

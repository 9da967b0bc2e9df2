"""The README's before/after pair: ``python -m bench.readme_pictures``.

scikit-learn's china.jpg at k = 16, the default (``--space rgb``) and
``--space oklab --dither``, the same crop (sky and the pagoda's roof) enlarged
2x by pixel repetition, written to ``docs/``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image

from compress import quantize

CROP = (20, 200, 160, 240)  # top, left, height, width
ZOOM = 2
K = 16
DOCS = Path(__file__).resolve().parent.parent / "docs"


def _save(pixels: np.ndarray, name: str) -> Path:
    top, left, height, width = CROP
    crop = pixels[top:top + height, left:left + width]
    crop = np.repeat(np.repeat(crop, ZOOM, axis=0), ZOOM, axis=1)
    path = DOCS / name
    Image.fromarray(np.ascontiguousarray(crop)).save(path, optimize=True)
    return path


def main() -> None:
    """Write the original crop, the default and the perceptual result."""
    from sklearn.datasets import load_sample_image

    image = load_sample_image("china.jpg")
    DOCS.mkdir(exist_ok=True)
    written = [
        _save(image, "china-original.png"),
        _save(quantize(image, K).image, "china-k16-rgb.png"),
        _save(quantize(image, K, space="oklab", dither=True).image,
              "china-k16-oklab-dither.png"),
    ]
    for path in written:
        print(f"{path}: {path.stat().st_size:,} bytes")


if __name__ == "__main__":
    main()

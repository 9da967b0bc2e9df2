"""The benchmark images: American Gothic, scikit-learn's photos, a generated one.

Every image is a file on disk (the CLI and pngquant read files) plus its pixels
as :func:`compress.load_image` decodes that file, so that every method sees
exactly the same pixels.  pngquant reads only PNG, so a lossless PNG copy is
made once, outside all timings.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

from compress import load_image

REPO = Path(__file__).resolve().parent.parent
AMERICAN_GOTHIC = REPO.parent / "shared" / "data" / "american_gothic.jpg"
GENERATED_SEED = 20240  # fixed: the generated image is the same on every run


@dataclass
class ImageCase:
    """One benchmark image: its file, its pixels and a PNG copy for pngquant."""

    name: str
    path: Path
    pixels: np.ndarray  # (H, W, 3) uint8
    workdir: Path
    _png: Path | None = None

    @property
    def n_pixels(self) -> int:
        """Pixels in the image."""
        return self.pixels.shape[0] * self.pixels.shape[1]

    def png_path(self) -> Path:
        """A lossless PNG of the same pixels (made on first use)."""
        if self.path.suffix.lower() == ".png":
            return self.path
        if self._png is None:
            self._png = self.workdir / f"{self.name}.png"
            Image.fromarray(self.pixels).save(self._png, compress_level=1)
        return self._png


def _from_file(name: str, path: Path, workdir: Path) -> ImageCase:
    return ImageCase(name, path, load_image(path).pixels, workdir)


def _from_array(name: str, pixels: np.ndarray, workdir: Path,
                jpeg_quality: int | None = None) -> ImageCase:
    """Write ``pixels`` (PNG, or JPEG when a quality is given) and reload it."""
    if jpeg_quality is None:
        path = workdir / f"{name}.png"
        Image.fromarray(pixels).save(path, compress_level=1)
    else:
        path = workdir / f"{name}.jpg"
        Image.fromarray(pixels).save(path, quality=jpeg_quality)
    return _from_file(name, path, workdir)


def american_gothic(workdir: Path) -> ImageCase | None:
    """American Gothic from ``../shared/data``, or None when it is absent."""
    if not AMERICAN_GOTHIC.is_file():
        return None
    return _from_file("american_gothic", AMERICAN_GOTHIC, workdir)


def sklearn_sample(name: str, workdir: Path, shrink: int = 1) -> ImageCase | None:
    """``china.jpg`` or ``flower.jpg`` from scikit-learn (None without sklearn).

    ``shrink`` keeps every ``shrink``-th row and column (tiny smoke images).
    """
    try:
        from sklearn.datasets import load_sample_image
    except ImportError:
        return None
    pixels = np.ascontiguousarray(load_sample_image(name)[::shrink, ::shrink])
    stem = Path(name).stem + (f"_1of{shrink}" if shrink > 1 else "")
    return _from_array(stem, pixels, workdir)


def photo_like(height: int, width: int, seed: int = GENERATED_SEED) -> np.ndarray:
    """A deterministic photo-like RGB image (see :func:`photo_like_rows`)."""
    return photo_like_rows(height, width, 0, height, seed)


def photo_like_rows(height: int, width: int, y0: int, y1: int,
                    seed: int = GENERATED_SEED) -> np.ndarray:
    """Rows ``y0:y1`` of a deterministic photo-like ``height x width`` RGB image.

    Low-frequency cosine fields per channel (sky-like gradients), soft-edged
    ellipses of random colour (objects), a vignette and Gaussian sensor noise,
    so that it has millions of distinct colours like a real photograph.  The
    scene depends only on ``seed``; the grain of a band only on ``seed`` and
    ``y0``, so an image too large to hold can be written band by band.

    Returns
    -------
    pixels : ndarray of shape (y1 - y0, width, 3), uint8
    """
    rng = np.random.default_rng(seed)  # the same scene for every band
    y = np.linspace(0.0, 1.0, height, dtype=np.float32)[y0:y1, None]  # (h, 1)
    x = np.linspace(0.0, 1.0, width, dtype=np.float32)[None, :]  # (1, W)
    band = np.empty((y1 - y0, width, 3), dtype=np.float32)
    for c in range(3):
        field = 40.0 * y + 20.0 * x * rng.uniform(-1, 1)  # (h, W) gradient
        for _ in range(4):
            fy, fx = rng.uniform(0.3, 3.0, size=2)
            phase = rng.uniform(0, 2 * np.pi)
            field = field + 25.0 * np.cos(2 * np.pi * (fy * y + fx * x) + phase)
        band[:, :, c] = 110.0 + field
    for _ in range(14):
        cy, cx = rng.uniform(0, 1, size=2)
        ry, rx = rng.uniform(0.04, 0.25, size=2)
        colour = rng.uniform(10, 245, size=3).astype(np.float32)
        # Only the rows and columns the ellipse covers, within this band.
        r0 = max(int(max(cy - ry, 0) * height), y0) - y0
        r1 = min(int(min(cy + ry, 1) * height), y1) - y0
        c0, c1 = int(max(cx - rx, 0) * width), int(min(cx + rx, 1) * width)
        if r1 <= r0 or c1 <= c0:
            continue
        d = ((y[r0:r1] - cy) / ry) ** 2 + ((x[:, c0:c1] - cx) / rx) ** 2
        alpha = np.clip((1.0 - d) * 8.0, 0.0, 1.0)[:, :, None]  # soft edge
        shade = 1.0 - 0.35 * d[:, :, None]  # rounded, lit from the centre
        patch = band[r0:r1, c0:c1]
        patch += alpha * (colour * shade - patch)
    band *= (1.0 - 0.35 * ((y - 0.5) ** 2 + (x - 0.5) ** 2))[:, :, None]  # vignette
    grain = np.random.default_rng([seed, y0])  # this band's sensor noise
    for c in range(3):  # one channel at a time: keeps the noise buffer small
        band[:, :, c] += grain.normal(0.0, 3.0, size=band.shape[:2]).astype(
            np.float32)
    return np.clip(np.rint(band), 0, 255).astype(np.uint8)


def generated(workdir: Path, height: int, width: int) -> ImageCase:
    """The generated photo-like image, saved as a quality-92 JPEG."""
    megapixels = height * width / 1e6
    name = f"generated_{megapixels:.0f}mp" if megapixels >= 1 else \
        f"generated_{height}x{width}"
    return _from_array(name, photo_like(height, width), workdir, jpeg_quality=92)

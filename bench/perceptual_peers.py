"""The methods of the perceptual benchmark, each giving an image and its bytes.

Ours: :func:`compress.quantize` on the pixels (what ``python -m compress``
writes, with ``--space`` / ``--dither``), encoded by
:func:`compress.encode_palette_png`.  pngquant: the ``pngquant`` program,
``--nofs`` (no dithering) and its default (Floyd-Steinberg dithering, reduced
near edges and noise), reading a lossless PNG of the same pixels.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

from compress import encode_palette_png, quantize


@dataclass
class Output:
    """One method's result on one image and k."""

    method: str
    pixels: np.ndarray  # (H, W, 3) uint8
    n_bytes: int


def ours(space: str, dither: bool) -> Callable:
    """A method running :func:`compress.quantize` with these options."""

    def run(pixels: np.ndarray, k: int, workdir: Path) -> tuple[np.ndarray, int]:
        q = quantize(pixels, k, space=space, dither=dither)
        return q.image, len(encode_palette_png(q.index_map, q.palette))

    return run


def ours_dither_variant(**options) -> Callable:
    """Weighted-OKLab palette, dithered with
    :func:`compress.quantization.dither.dither` options.

    The same steps as ``quantize(..., space="oklab", dither=True)``, with the
    damping rules' settings (``damping``, ``clamp_scale``, ``contrast_ratio``)
    given: the ablation of :mod:`compress.quantization._dither_kernel`'s rules.
    """
    from compress.quantization.colour import to_fit
    from compress.quantization.dither import dither, map_colors
    from compress.quantization.fit_input import prepare

    def run(pixels: np.ndarray, k: int, workdir: Path) -> tuple[np.ndarray, int]:
        prepared = prepare(pixels, ks=(k,), space="oklab", dither=True)
        q = quantize(pixels, k, space="oklab", prepared=prepared)
        palette = to_fit(q.palette, "oklab")  # (k, 3)
        _, sq_dist = map_colors(prepared.X, palette)
        weights = prepared.weights
        mean_sq = float(np.dot(sq_dist, weights) / weights.sum())
        index_map = dither(prepared.X, prepared.inverse, pixels.shape[:2], palette,
                           mean_sq_error=mean_sq, **options).astype(np.uint8)
        return q.palette[index_map], len(encode_palette_png(index_map, q.palette))

    return run


def has_pngquant() -> bool:
    """Whether the ``pngquant`` program is on the PATH."""
    return shutil.which("pngquant") is not None


def pngquant(dither: bool) -> Callable:
    """A method running ``pngquant [--nofs] K`` on a PNG of the pixels."""

    def run(pixels: np.ndarray, k: int, workdir: Path) -> tuple[np.ndarray, int]:
        source = workdir / "pngquant-in.png"
        Image.fromarray(pixels).save(source, compress_level=1)
        out = workdir / f"pngquant-k{k}{'' if dither else '-nofs'}.png"
        argv = [shutil.which("pngquant") or "pngquant", "--force", "--output",
                str(out), *([] if dither else ["--nofs"]), str(k), "--",
                str(source)]
        subprocess.run(argv, check=True, capture_output=True, timeout=300)
        with Image.open(out) as im:
            return np.asarray(im.convert("RGB")), out.stat().st_size

    return run


OURS_RGB = "ours rgb"
OURS_OKLAB = "ours --space oklab"
OURS_DITHER = "ours --space oklab --dither"
PNGQUANT_NOFS = "pngquant --nofs"
PNGQUANT = "pngquant (dithered)"


def methods(with_pngquant: bool) -> dict[str, Callable]:
    """The compared methods, by name, in report order."""
    table = {OURS_RGB: ours("rgb", False), OURS_OKLAB: ours("oklab", False),
             OURS_DITHER: ours("oklab", True)}
    if with_pngquant:
        table[PNGQUANT_NOFS] = pngquant(False)
        table[PNGQUANT] = pngquant(True)
    return table


# The damping rules one at a time (compress.quantization._dither_kernel): same space,
# same palette; only the diffusion differs.
_OFF = float("inf")
ABLATION = {
    "FS, undamped": ours_dither_variant(damping=1.0, clamp_scale=1.0,
                                        contrast_ratio=_OFF),
    "FS + leak": ours_dither_variant(clamp_scale=1.0, contrast_ratio=_OFF),
    "FS + leak + clamp (the prototype)": ours_dither_variant(contrast_ratio=_OFF),
    "FS + leak + contrast": ours_dither_variant(clamp_scale=1.0),
    "FS + leak + clamp + contrast (shipped)": ours_dither_variant(),
    "FS + leak 1/2 + clamp + contrast 2 (rejected)": ours_dither_variant(
        damping=0.5, contrast_ratio=2.0),
}

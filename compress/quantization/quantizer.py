"""Colour quantization with k-means: :func:`quantize` and :func:`count_colors`.

Design notes: docs/internals.md, ``compress/quantization/quantizer.py``.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from ..io.inputs import is_array, read_input
from .colour import to_fit
from .fit_input import PIXEL_FIT_FRACTION, FitInput, as_pixels, prepare
from .histogram import count_distinct
from .metrics import Pairs, pair_counts
from .palette import DEFAULT_SEED, fit_palette
from .result import QuantizeResult

__all__ = ["PIXEL_FIT_FRACTION", "FitInput", "QuantizeResult",
           "count_colors", "inertia_curve", "prepare", "quantize", "quantize_each"]

def count_colors(image: np.ndarray) -> int:
    """Count the distinct colours (distinct pixel values) of an image.

    Parameters
    ----------
    image : ndarray of shape (H, W) or (H, W, C), uint8

    Returns
    -------
    n_colors : int
    """
    pixels = as_pixels(image)
    return count_distinct(pixels.reshape(-1, pixels.shape[2]))


def as_given(image) -> np.ndarray:
    """Read ``image`` (see :func:`~compress.io.inputs.read_input`) into uint8 pixels.

    2-D for a grey image given as a 2-D array, a file or a Pillow image (as
    ``np.asarray(PIL.Image.open(path))`` is): the shape of
    :attr:`QuantizeResult.image`.
    """
    pixels = read_input(image).pixels  # (H, W, C)
    if pixels.shape[2] == 1 and not (is_array(image) and np.ndim(image) == 3):
        return pixels[:, :, 0]
    return pixels


def quantize(
    image: np.ndarray,
    k: int,
    *,
    seed: int = DEFAULT_SEED,
    n_init: int = 1,
    max_iter: int = 300,
    tol: float = 1e-4,
    prepared: FitInput | None = None,
    space: str = "rgb",
    dither: bool = False,
) -> QuantizeResult:
    """Reduce an image to at most ``k`` colours with k-means.

    Parameters
    ----------
    image : str, path-like, PIL.Image.Image or ndarray
        A file, an http(s) URL, a Pillow image, or an array of shape (H, W)
        or (H, W, C) with C in 1..4 (:func:`compress.io.inputs.read_input`).
        Alpha is clustered with the colour: one alpha per palette entry.
    k : int
        Number of colours, at least 1.  When the image has at most ``k``
        distinct colours, they are all kept and the result is exact.
    seed : int, default=0
        Seed of the k-means++ initialisation; fixed so reruns are identical.
    n_init : int, default=1
        Number of k-means runs; the one of lowest inertia is kept.
    max_iter : int, default=300
        Maximum Lloyd iterations per run.
    tol : float, default=1e-4
        Relative tolerance on the centre shift (see :func:`kmeans_core.kmeans`)
        of an ``"rgb"`` fit; other spaces stop at the same shift counted in
        sRGB steps (:func:`compress.quantization.fit_input.engine_tolerance`).
    prepared : FitInput, optional
        ``prepare(image, ks=..., space=..., dither=...)``, if already computed
        (e.g. to quantize one image for several k).
    space : {"rgb", "oklab"}, default="rgb"
        Where k-means measures distance (and the inertia's units): ``"rgb"``,
        sRGB values over 255 (best PSNR); ``"oklab"``, weighted OKLab (lower
        CIEDE2000; :mod:`compress.quantization.colour`).
    dither : bool, default=False
        Map the pixels by damped Floyd-Steinberg error diffusion in the
        fitting space (:mod:`compress.quantization.dither`): no bands in
        gradients, but grain and larger files.  No effect on an exact result.

    Returns
    -------
    result : QuantizeResult
    """
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < 1:
        raise ValueError(f"k must be an integer >= 1, got {k!r}.")
    image = as_given(image)
    grey2d = image.ndim == 2
    pixels = as_pixels(image)
    height, width, n_channels = pixels.shape
    if prepared is None:
        prepared = prepare(pixels, ks=(k,), space=space, dither=dither)
    if prepared.space != space or (dither and prepared.inverse is None):
        raise ValueError(f"prepared is for space={prepared.space!r}"
                         f"{'' if prepared.inverse is not None else ' on pixels'}; "
                         f"call prepare(image, ks=..., space={space!r}, "
                         f"dither={dither}).")
    if k >= prepared.n_colors and prepared.inverse is None:
        prepared = prepare(pixels, ks=(k,))  # an exact result lists the colours
    fitted = fit_palette(prepared, k, seed=seed, n_init=n_init, max_iter=max_iter,
                         tol=tol, dither=dither)
    palette = fitted.palette
    if dither and not fitted.exact:
        from .dither import dither as diffuse

        index_map = diffuse(prepared.X, prepared.inverse, (height, width),
                            to_fit(palette, space), mean_sq_error=fitted.mean_sq_error,
                            nearest=fitted.slots).astype(fitted.slots.dtype)  # (H, W)
        pairs = pair_counts(prepared.colors, prepared.inverse, index_map,
                            palette.shape[0])
    else:
        # The same pairs for every k: their CIELAB is converted once.
        pairs = Pairs(prepared.colors, fitted.slots, prepared.weights,
                      prepared.kept_lab)
        if prepared.inverse is not None:
            index_map = fitted.slots[prepared.inverse].reshape(height, width)  # (H, W)
        else:
            index_map = fitted.slots.reshape(height, width)  # rows are the pixels
    return QuantizeResult(palette, index_map, fitted.fit, int(k), prepared.n_colors,
                          fitted.fit_seconds, fitted.exact, pairs.mse(palette),
                          pixels, grey2d, space, bool(dither and not fitted.exact),
                          pairs)


def quantize_each(
    image: np.ndarray,
    ks,
    *,
    seed: int = DEFAULT_SEED,
    n_init: int = 1,
    max_iter: int = 300,
    tol: float = 1e-4,
    prepared: FitInput | None = None,
    space: str = "rgb",
    dither: bool = False,
) -> Iterator[QuantizeResult]:
    """Quantize one image for each k in turn, sharing one :func:`prepare`.

    The one loop over k of the package.  A generator, so a caller can keep
    what it needs of each result and drop its index map before the next k.

    Parameters
    ----------
    image : str, path-like, PIL.Image.Image or ndarray
        As in :func:`quantize`.
    ks : iterable of int
        The values of k, fitted in the order given.
    seed, n_init, max_iter, tol, prepared, space, dither
        As in :func:`quantize` (``prepared`` for these ``ks``).

    Yields
    ------
    result : QuantizeResult
        One per k.
    """
    ks = list(ks)
    image = as_given(image)
    if prepared is None:
        prepared = prepare(image, ks=ks, space=space, dither=dither)
    for k in ks:
        yield quantize(image, k, seed=seed, n_init=n_init, max_iter=max_iter,
                       tol=tol, prepared=prepared, space=space, dither=dither)


def inertia_curve(image: np.ndarray, ks, **options) -> list[QuantizeResult]:
    """Quantize one image for each k: ``list(quantize_each(image, ks, **options))``.

    Each result holds its index map: for many k of a large image, iterate
    :func:`quantize_each` instead.
    """
    return list(quantize_each(image, ks, **options))

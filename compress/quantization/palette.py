"""The palette of one k: k-means on a :class:`FitInput`, entries in luminance order.

:func:`fit_palette` is the one fit of the package: the in-memory image and the
image streamed in bands both come here with their colour histogram, so the
same histogram, k and options give the same palette and the same entry for
every colour, whatever way the pixels are read.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from .colour import from_fit, to_fit
from .fit_input import FitInput, engine_tolerance, rescaled

# Default seed: fixed so that reruns give identical palettes and files.
DEFAULT_SEED = 0

# Palette order.  Entries are sorted by luminance (Rec. 601 luma, then alpha),
# not by frequency or left in fit order.  Measured palette PNG bytes
# (compress.io.png.encode_palette_png, Pillow 13), luminance / frequency / fit order:
#   american_gothic.jpg k=5   107,861 / 128,622 / 121,686
#                       k=16  251,854 / 285,403 / 299,253
#                       k=64  446,800 / 446,773 / 446,966
#   sklearn china.jpg   k=5    29,442 /  34,263 /  36,449
#                       k=16   60,597 /  64,635 /  66,757
#   grace_hopper.jpg    k=16   48,755 /  51,365 /  53,405
# Luminance is 4-16% smaller for k <= 16 and ties (within 0.03%) at k = 64:
# neighbouring pixels have similar brightness, so with luminance order their
# indices are numerically close, which the packed sub-byte rows and zlib reward.
_LUMA = np.array([0.299, 0.587, 0.114])


def _index_dtype(n_colors: int) -> np.dtype:
    """Smallest unsigned dtype that holds indices ``0 .. n_colors - 1``."""
    for dtype in (np.uint8, np.uint16, np.uint32):
        if n_colors - 1 <= np.iinfo(dtype).max:
            return np.dtype(dtype)
    return np.dtype(np.uint64)



@dataclass
class PaletteFit:
    """One k's palette and the entry of every row of the fit input.

    Attributes
    ----------
    palette : ndarray of shape (n_out, n_channels), uint8
        Sorted by luminance; ``n_out = min(k, n_colors)``.
    slots : ndarray of shape (n_rows,), smallest unsigned dtype
        Palette entry of every row of the :class:`FitInput` (distinct colours
        or pixels): its k-means cluster for ``"rgb"``, else the entry nearest
        in the fitting space to the palette as stored (rounded).
    fit : kmeans_core.KMeansResult
        The engine's result, in fit order; for ``"rgb"`` in [0, 1] units.
    fit_seconds : float
        Wall time of the fit (without the first run's compilation).
    exact : bool
        ``k >= n_colors``: every colour kept.
    mean_sq_error : float
        Mean squared fitting-space distance of a pixel to its entry when the
        entries are nearest-mapped (what dithering scales its rules by); 0
        when they are not.
    """

    palette: np.ndarray
    slots: np.ndarray
    fit: object
    fit_seconds: float
    exact: bool
    mean_sq_error: float = 0.0


def fit_palette(prepared: FitInput, k: int, *, seed: int = DEFAULT_SEED,
                n_init: int = 1, max_iter: int = 300, tol: float = 1e-4,
                dither: bool = False) -> PaletteFit:
    """Fit ``k`` colours to ``prepared`` and give every row its palette entry.

    Parameters
    ----------
    prepared : FitInput
        A colour histogram (``weights`` given) or pixels; an exact fit
        (``k >= prepared.n_colors``) needs the histogram.
    k : int
        Number of colours, at least 1.
    seed, n_init, max_iter, tol, dither
        As in :func:`compress.quantize`.

    Returns
    -------
    palette_fit : PaletteFit
    """
    from kmeans_core import KMeansResult, kmeans  # imports Numba: only when fitting

    space = prepared.space
    start = time.perf_counter()
    exact = k >= prepared.n_colors
    if exact:
        # Every colour is its own cluster: nothing to fit, inertia 0.
        fit = KMeansResult(centers=prepared.X, inertia=0.0, n_iter=0, converged=True,
                           labels=np.arange(prepared.n_colors, dtype=np.int32))
        centers = prepared.colors  # the colours themselves, not a round trip
    else:
        # RGB fits the 8-bit values themselves: with pixel counts as weights
        # the engine keeps its cluster sums as exact integers.
        X, scale = ((prepared.colors, 255.0) if space == "rgb"
                    else (prepared.X, prepared.scale))
        fit = kmeans(X, int(k), sample_weight=prepared.weights,
                     n_init=n_init, max_iter=max_iter,
                     tol=engine_tolerance(prepared, tol), random_state=seed,
                     algorithm="auto")
        fit = rescaled(fit, scale)
        centers = from_fit(fit.centers, space)  # (k, C) uint8: clipped, rounded
    # Without the first run's kernel compilation (kmeans_core measures it).
    fit_seconds = fit.seconds if not exact else time.perf_counter() - start
    order = luminance_order(centers)  # palette slot -> fit cluster
    rank = np.empty_like(order)
    rank[order] = np.arange(order.size)  # fit cluster -> palette slot
    labels, mean_sq = fit.labels, 0.0
    if not exact and (space != "rgb" or dither):
        # Each colour takes the entry nearest in the fitting space to the
        # palette as stored (rounded), not to the unrounded centre.
        from .dither import map_colors

        labels, sq_dist = map_colors(prepared.X, to_fit(centers, space))
        mean_sq = float(np.dot(sq_dist, prepared.weights) / prepared.weights.sum())
    slots = rank.astype(_index_dtype(order.size))[labels]  # (n_rows,)
    return PaletteFit(centers[order], slots, fit, fit_seconds, exact, mean_sq)


def luminance_order(palette: np.ndarray) -> np.ndarray:
    """Return indices that sort palette entries by luma, then alpha, index."""
    n_colors, n_channels = palette.shape
    has_alpha = n_channels in (2, 4)
    colour = palette[:, : n_channels - 1] if has_alpha else palette
    luma = colour[:, 0].astype(np.float64) if colour.shape[1] == 1 else colour @ _LUMA
    alpha = palette[:, -1] if has_alpha else np.zeros(n_colors)
    return np.lexsort((np.arange(n_colors), alpha, luma)).astype(np.intp)

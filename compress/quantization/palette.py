"""The palette of one k: k-means on a :class:`FitInput`, entries in luminance order.

:func:`fit_palette` is the one fit of the package, for in-memory and streamed
images alike: the same histogram, k and options give the same palette.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from .colour import colour_channels, from_fit, to_fit
from .fit_input import FitInput, engine_tolerance, rescaled

DEFAULT_SEED = 0  # fixed: reruns give identical palettes and files

# Entries are sorted by luminance (Rec. 601 luma, then alpha): PNGs 4-16%
# smaller than frequency or fit order (docs/internals.md, palette.py).
_LUMA = np.array([0.299, 0.587, 0.114])


@dataclass
class PaletteFit:
    """One k's palette and the entry of every row of the fit input.

    Attributes
    ----------
    palette : ndarray of shape (n_out, n_channels), uint8
        Sorted by luminance; ``n_out = min(k, n_colors)``.
    slots : ndarray of shape (n_rows,), smallest unsigned dtype
        Palette entry of every row of the :class:`FitInput`: its cluster, or
        (``"oklab"``, dithering) the entry nearest to it as stored.
    fit : kmeans_core.KMeansResult
        The engine's result, in fit order; for ``"rgb"`` in [0, 1] units.
    fit_seconds : float
        Wall time of the fit (without the first run's compilation).
    exact : bool
        ``k >= n_colors``: every colour kept.
    mean_sq_error : float
        Mean squared fitting-space distance of a pixel to its nearest entry
        (dithering's scale); 0 when not nearest-mapped.
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
        # RGB fits the 8-bit values: the engine's weighted sums stay exact.
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
    slots = rank.astype(np.min_scalar_type(order.size - 1))[labels]  # (n_rows,)
    return PaletteFit(centers[order], slots, fit, fit_seconds, exact, mean_sq)


def luminance_order(palette: np.ndarray) -> np.ndarray:
    """Return indices that sort palette entries by luma, then alpha, index."""
    n_colors, n_channels = palette.shape
    n_colour = colour_channels(n_channels)
    luma = (palette[:, 0].astype(np.float64) if n_colour == 1
            else palette[:, :3] @ _LUMA)
    alpha = palette[:, -1] if n_colour < n_channels else np.zeros(n_colors)
    return np.lexsort((np.arange(n_colors), alpha, luma)).astype(np.intp)

"""Quality measures: MSE and PSNR against the original image, and of a palette."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

PEAK = 255.0  # largest value of an 8-bit channel
# Elements converted to float64 at a time: 8 MiB temporaries, not image-sized.
MSE_CHUNK = 1 << 20


def mse(reference: np.ndarray, test: np.ndarray) -> float:
    """Mean squared error over all pixels and channels, in 8-bit units.

    Parameters
    ----------
    reference, test : ndarray of the same shape
        Images as integers in ``[0, 255]`` (any shape, any numeric dtype).

    Returns
    -------
    mse : float
        ``mean((reference - test)^2)``, computed in float64 one chunk of
        ``MSE_CHUNK`` elements at a time; NaN for empty images.
    """
    if reference.shape != test.shape:
        raise ValueError(f"images differ in shape: {reference.shape} and "
                         f"{test.shape}.")
    reference, test = reference.reshape(-1), test.reshape(-1)
    if reference.size == 0:
        return math.nan
    # For 8-bit images every partial sum is an integer below 2**53, so the
    # chunked float64 sum is exact and equals the one-shot mean.
    total = 0.0
    for start in range(0, reference.size, MSE_CHUNK):
        stop = start + MSE_CHUNK
        diff = reference[start:stop].astype(np.float64) - test[start:stop]
        total += float((diff * diff).sum())
    return total / reference.size


def psnr(reference: np.ndarray, test: np.ndarray) -> float:
    """Peak signal-to-noise ratio in dB, ``10 log10(255^2 / MSE)``.

    Parameters
    ----------
    reference, test : ndarray of the same shape
        Images as integers in ``[0, 255]``.

    Returns
    -------
    psnr : float
        ``math.inf`` for identical images.
    """
    return psnr_from_mse(mse(reference, test))


def psnr_from_mse(err: float) -> float:
    """PSNR in dB from an MSE already computed (``math.inf`` when it is 0)."""
    if err == 0:
        return math.inf
    return 10.0 * math.log10(PEAK * PEAK / err)


# Rows differenced at a time by Pairs.mse: 0.5 MiB int64 temporaries.
ERROR_CHUNK_ROWS = 1 << 16


@dataclass
class Pairs:
    """The output's histogram against the input: MSE and CIEDE2000 follow exactly.

    Attributes
    ----------
    colors : ndarray of shape (n_pairs, n_channels), uint8
        Input colour of each pair (the pixels themselves on the pixel route).
    entries : ndarray of shape (n_pairs,), integer
        Palette entry of each pair.
    counts : ndarray of shape (n_pairs,) or None
        Pixels of each pair; None when each pair is one pixel.
    colors_lab : callable or None
        Returns the CIELAB of ``colors``, converted once for every k
        (:meth:`FitInput.kept_lab`); None to convert at each :meth:`delta_e`.
    """

    colors: np.ndarray
    entries: np.ndarray
    counts: np.ndarray | None
    colors_lab: Callable[[], np.ndarray] | None = None

    def mse(self, palette: np.ndarray) -> float:
        """MSE in 8-bit units of the output drawn with ``palette``, exactly.

        ``sum_u n_u ||u - palette[entry_u]||^2 / (n_pixels * n_channels)`` over
        the pairs ``u`` with counts ``n_u``: :func:`mse` of the two images,
        without drawing one, summed in int64 (docs/internals.md, ``metrics.py``).
        """
        rows, weights = self.colors, self.counts
        total = 0
        for start in range(0, rows.shape[0], ERROR_CHUNK_ROWS):
            stop = start + ERROR_CHUNK_ROWS
            entry = palette[self.entries[start:stop]]  # (chunk, C) uint8
            sq = np.zeros(entry.shape[0], dtype=np.int64)  # (chunk,)
            for c in range(rows.shape[1]):  # a channel at a time: no (chunk, C) copy
                diff = rows[start:stop, c].astype(np.int64) - entry[:, c]
                sq += diff * diff
            total += int(sq.sum() if weights is None
                         else sq @ weights[start:stop].astype(np.int64, copy=False))
        n_pixels = rows.shape[0] if weights is None else int(weights.sum())
        return total / (n_pixels * rows.shape[1])

    def delta_e(self, palette: np.ndarray) -> tuple[float, float]:
        """Mean and 95th-percentile CIEDE2000 of the output drawn with ``palette``."""
        from .delta_e import delta_e_to_palette  # imports Numba: on first use

        lab = self.colors_lab() if self.colors_lab is not None else None
        return delta_e_to_palette(self.colors, self.entries, palette, self.counts, lab)


def pair_counts(colors: np.ndarray, inverse: np.ndarray, index_map: np.ndarray,
                n_entries: int, weights: np.ndarray | None = None) -> Pairs:
    """Distinct (colour, palette entry) pairs of a mapped image, sorted, counted.

    ``inverse`` and ``index_map`` give every pixel's histogram row and entry;
    ``colors[row]`` is what a row stands for (a colour, or a row number to
    merge parts); ``weights`` the pixels each element stands for (None: 1).
    """
    keys = inverse.reshape(-1).astype(np.int64) * n_entries + index_map.reshape(-1)
    keys, where = np.unique(keys, return_inverse=True)
    counts = np.bincount(where.reshape(-1), weights).astype(np.int64)
    return Pairs(colors[keys // n_entries],
                 (keys % n_entries).astype(index_map.dtype), counts)

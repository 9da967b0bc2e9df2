"""The mean and 95th percentile of CIEDE2000 over an image, for the report.

CIEDE2000 (CIE 142-2001; about 1 is a just-noticeable difference) is computed
by ``_delta_e_kernel`` from Sharma, Wu & Dalal (2005); its NumPy reference,
which the tests compare it with, is ``tests/naive_delta_e.py``.
"""

from __future__ import annotations

import math

import numpy as np

from .colour import D65, LINEAR_LUT, RGB_TO_XYZ, colour_channels, srgb8_to_cielab
from .kernel_input import kernel_input

# Rows converted at a time: bounds the float64 temporaries to a few MB.
DELTA_E_CHUNK = 1 << 18
# Most colours whose CIELAB is kept for every palette: the kept array (6 MiB)
# is then no larger than one chunk's temporaries.
MAX_KEPT_LAB_ROWS = DELTA_E_CHUNK

P95 = 0.95  # the reported percentile
# The report reads it from a histogram of ΔE in bins of width 1 / P95_RESOLUTION
# over [0, 128): CIEDE2000 between sRGB colours stays below (black-white is 100).
P95_RESOLUTION = 1024
P95_BINS = 128 * P95_RESOLUTION
_TO_XYZ = np.ascontiguousarray(RGB_TO_XYZ / D65[:, None])  # (3, 3), over the white


def colors_to_cielab(colors: np.ndarray) -> np.ndarray:
    """CIELAB ``(n_rows, 3)`` of 8-bit colours (alpha ignored), to reuse per palette.

    Converted by the report's kernel: :func:`delta_e_to_palette` given it
    returns bitwise what it computes from the colours.
    """
    from ._delta_e_kernel import colors_to_lab

    lab = np.empty((colors.shape[0], 3), dtype=np.float64)  # (n_rows, 3)
    colors_to_lab(kernel_input(colors, np.uint8), colour_channels(colors.shape[1]),
                  LINEAR_LUT, _TO_XYZ, lab)
    return lab


def delta_e_to_palette(colors: np.ndarray, index: np.ndarray, palette: np.ndarray,
                       counts: np.ndarray | None = None,
                       colors_lab: np.ndarray | None = None) -> tuple[float, float]:
    """Mean and 95th-percentile CIEDE2000 of colours against their palette entries.

    Compiled, in bounded memory: the mean is exact (float64, chunks in
    order), the 95th percentile is rounded up to the next
    ``1 / P95_RESOLUTION`` (design notes:
    docs/internals.md, ``compress/quantization/delta_e.py``).

    Parameters
    ----------
    colors, index, palette, counts
        Pixels or colours (n_rows, C) uint8, alpha ignored; each one's entry
        of ``palette`` (n_entries, C); pixels per row (None: 1 each).
    colors_lab : ndarray of shape (n_rows, 3), optional
        ``colors_to_cielab(colors)``, kept for several palettes: the same
        result, faster.

    Returns
    -------
    mean, p95 : float
    """
    from ._delta_e_kernel import delta_e_colors_to_entries, delta_e_to_entries

    n_rows, n_channels = colors.shape
    n_colour = colour_channels(n_channels)
    palette_lab = srgb8_to_cielab(palette[:, :n_colour])  # (n_entries, 3)
    index = np.ascontiguousarray(index).reshape(-1)
    chunk = np.empty(min(n_rows, DELTA_E_CHUNK), dtype=np.float64)
    hist = np.zeros(P95_BINS, dtype=np.int64)  # pixels per ΔE bin
    total = 0.0
    for start in range(0, n_rows, DELTA_E_CHUNK):
        stop = min(start + DELTA_E_CHUNK, n_rows)
        part = chunk[: stop - start]
        entries = kernel_input(index[start:stop], np.intp)
        if colors_lab is None:
            delta_e_colors_to_entries(kernel_input(colors[start:stop], np.uint8),
                                      n_colour, entries, palette_lab, LINEAR_LUT,
                                      _TO_XYZ, part)
        else:
            delta_e_to_entries(kernel_input(colors_lab[start:stop], np.float64),
                               entries, palette_lab, part)
        # bin b holds values in ((b - 1) / R, b / R]: ceil, so 0 has a bin
        bins = np.minimum(np.ceil(part * P95_RESOLUTION), P95_BINS - 1).astype(
            np.intp)
        weights = None if counts is None else counts[start:stop]
        # Not np.dot: BLAS threads change the bits (docs/internals.md).
        total += float(part.sum() if weights is None else (part * weights).sum())
        hist += np.bincount(bins, weights=weights, minlength=P95_BINS).astype(np.int64)
    n_pixels = n_rows if counts is None else int(counts.sum())
    rank = max(1, math.ceil(P95 * n_pixels - 1e-9))
    top_bin = int(np.searchsorted(np.cumsum(hist), rank))
    return total / n_pixels, top_bin / P95_RESOLUTION

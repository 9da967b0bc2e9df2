"""Rate-aware remapping: a little PSNR spent on a smaller PNG (``--optimize``).

Deflate, with or without PNG row filters, compresses an index map best where a
pixel repeats the index of its left or upper neighbour.  The plain mapping
gives every pixel its nearest palette entry; here a pixel takes its left
neighbour's entry instead (else its upper neighbour's) when that entry's
squared error is at most ``slack`` above the nearest one's:

    a = out[y, x-1],  b = out[y-1, x],  j = index_map[y, x]
    out[y, x] = a  if |x_yx - p_a|^2 <= |x_yx - p_j|^2 + slack
              = b  else if |x_yx - p_b|^2 <= |x_yx - p_j|^2 + slack
              = j  otherwise,

in raster order, so runs grow along rows and down columns.  This is the
greedy special case of rate-distortion optimised quantization (choose the
index minimising distortion + lambda * rate, with the rate of a repeat taken
as zero and every other index as equal; Ortega & Ramchandran 1998,
"Rate-distortion methods for image and video compression", IEEE Signal
Processing Magazine 15(6), 23-50).  ``slack`` is set by bisection to the
largest value that keeps the mean squared error within ``MAX_PSNR_LOSS_DB``
of the plain mapping's (and, when asked, above a PSNR floor).  Errors are
measured in 8-bit channel units, the units of the reported PSNR.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from kmeans_core import jit  # the project's one compile policy (cache, IEEE math)

from .histogram import color_histogram
from .kernel_input import kernel_input
from .metrics import PEAK, Pairs, pair_counts

# PSNR given up for bytes.  Measured (python -m bench.png_size; the remap then
# oxipng as in compress.io.png; bytes / `pngquant --nofs` bytes at the same k),
# no remap | loss bound 0 / 0.1 / 0.15 / 0.2 / 0.25 dB; PSNR at 0.1 (pngquant's):
#   american_gothic k=64   0.860 | 0.871 / 0.854 / 0.837 / 0.837 / 0.825  34.76 (34.63)
#                   k=256  0.838 | 0.827 / 0.815 / 0.818 / 0.817 / 0.807  39.05 (38.95)
#   china           k=64   0.917 | 0.913 / 0.863 / 0.852 / 0.851 / 0.847  32.31 (31.94)
#                   k=256  0.901 | 0.895 / 0.844 / 0.835 / 0.833 / 0.829  36.46 (36.10)
#   flower          k=64   0.884 | 0.844 / 0.737 / 0.717 / 0.702 / 0.694  34.04 (33.70)
#                   k=256  0.847 | 0.825 / 0.749 / 0.723 / 0.714 / 0.696  38.42 (37.97)
# 0.1 dB is the smallest bound tried that meets 0.88x everywhere; it keeps our
# PSNR >= 0.10 dB above pngquant's (at 0.25 dB, american_gothic k=256 falls below).
MAX_PSNR_LOSS_DB = 0.1
# Bisection of slack / (n_channels * plain MSE) over [0, SLACK_MAX], to
# SLACK_MAX / 2**N_STEPS: the fractions chosen above at 0.1 dB were 0.39-0.63.
# 1 + N_STEPS passes took 0.04 s on china, 0.2 s on american_gothic (1 MP).
SLACK_MAX = 2.0
N_STEPS = 7


@jit(inline=True)
def _sq_error(pixels, palette, y, x, j):  # IN (H, W, C) uint8, IN (K, C) uint8
    """``|pixels[y, x] - palette[j]|^2`` in 8-bit units."""
    total = 0.0
    for c in range(pixels.shape[2]):
        diff = float(pixels[y, x, c]) - float(palette[j, c])
        total += diff * diff
    return total


@jit()
def _remap(
    pixels,  # IN (height, width, n_channels) uint8: the input image
    palette,  # IN (n_entries, n_channels) uint8
    index_map,  # IN (height, width): the plain mapping
    slack,  # IN float: squared error a repeat may add to a pixel
    out,  # OUT (height, width): the remapped index map
    row_sse,  # OUT (height,) float64: squared error of each remapped row
):
    """Apply the repeat-a-neighbour rule of the module docstring, in raster order.

    Rows depend on the row above, so the scan is serial.  Every squared error
    is an integer, and so is each row's sum (below 2**53): exact in float64.
    """
    height, width = index_map.shape
    for y in range(height):
        sse = 0.0
        for x in range(width):
            j = index_map[y, x]
            cost = _sq_error(pixels, palette, y, x, j)
            limit = cost + slack
            choice = j
            if x > 0 and out[y, x - 1] == j:
                pass  # the run goes on at no cost
            elif x > 0 and _sq_error(pixels, palette, y, x, out[y, x - 1]) <= limit:
                choice = out[y, x - 1]
            elif y > 0 and _sq_error(pixels, palette, y, x, out[y - 1, x]) <= limit:
                choice = out[y - 1, x]
            if choice != j:
                cost = _sq_error(pixels, palette, y, x, choice)
            out[y, x] = choice
            sse += cost
        row_sse[y] = sse


def remap_index_map(pixels: np.ndarray, palette: np.ndarray, index_map: np.ndarray,
                    max_mse: float, base_mse: float) -> np.ndarray:
    """Remap with the largest bisected slack whose MSE is <= ``max_mse``.

    ``pixels`` (H, W, C) uint8, ``palette`` (K, C) uint8, ``index_map`` (H, W)
    the plain mapping, ``base_mse`` its MSE (the slack's unit), all MSEs in
    8-bit units.  At worst the remap at slack 0 (ties, and entries nearer in
    RGB than the fit's choice).
    """
    pixels = kernel_input(pixels)  # one kernel type, writable or not
    palette = np.ascontiguousarray(palette)
    index_map = np.ascontiguousarray(index_map)
    height, width, n_channels = pixels.shape
    row_sse = np.empty(height)
    best = np.empty_like(index_map)
    _remap(pixels, palette, index_map, 0.0, best, row_sse)
    trial = np.empty_like(index_map)
    lo, hi = 0.0, SLACK_MAX
    for _ in range(N_STEPS):
        mid = (lo + hi) / 2
        _remap(pixels, palette, index_map, mid * n_channels * base_mse, trial, row_sse)
        if row_sse.sum() / (height * width * n_channels) <= max_mse:
            lo = mid
            best, trial = trial, best
        else:
            hi = mid
    return best


def _pairs(pixels: np.ndarray, index_map: np.ndarray, n_entries: int) -> Pairs:
    """Distinct (colour, entry) pairs and their counts, for MSE and CIEDE2000."""
    colors, _, inverse = color_histogram(pixels.reshape(-1, pixels.shape[2]))
    return pair_counts(colors, inverse, index_map, n_entries)


def remap_for_size(result, min_psnr: float | None = None):
    """Remap ``result`` by the neighbour rule for a smaller PNG: a new result.

    The same palette and fit; its own index map, MSE and pairs (so PSNR and
    CIEDE2000 describe it), and a PSNR of at least ``min_psnr`` when given.
    Lossless and dithered results come back unchanged: nothing to spend, or
    an error-diffusion pattern that repeats would undo.
    """
    if result.exact or result.dithered or result.mse == 0:
        return result
    max_mse = result.mse * 10 ** (MAX_PSNR_LOSS_DB / 10)
    if min_psnr is not None:
        max_mse = min(max_mse, PEAK ** 2 / 10 ** (min_psnr / 10))
    index_map = remap_index_map(result.original, result.palette, result.index_map,
                                max_mse, result.mse)
    pairs = _pairs(result.original, index_map, result.n_colors_out)
    return dataclasses.replace(result, index_map=index_map,
                               mse=pairs.mse(result.palette), pairs=pairs)

"""Rate-aware remapping: a little PSNR spent on a smaller PNG (``--optimize``).

Deflate compresses an index map best where a pixel repeats its left or upper
neighbour's index.  So a pixel takes its left neighbour's entry instead of its
nearest one (else its upper neighbour's) when that costs at most ``slack``:

    a = out[y, x-1],  b = out[y-1, x],  j = index_map[y, x]
    out[y, x] = a  if |x_yx - p_a|^2 <= |x_yx - p_j|^2 + slack
              = b  else if |x_yx - p_b|^2 <= |x_yx - p_j|^2 + slack
              = j  otherwise,

in raster order: greedy rate-distortion optimised quantization with the rate of
a repeat taken as zero (Ortega & Ramchandran 1998, "Rate-distortion methods for
image and video compression", IEEE Signal Processing Magazine 15(6), 23-50).
``slack`` is the largest, by bisection, that keeps the MSE (8-bit units) within
``MAX_PSNR_LOSS_DB`` of the plain mapping's and above a PSNR floor if asked.
Design notes: docs/internals.md, ``compress/quantization/remap.py``.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from kmeans_core import jit  # the project's one compile policy (cache, IEEE math)

from .histogram import color_histogram
from .kernel_input import kernel_input
from .metrics import PEAK, pair_counts

# PSNR given up for bytes: the smallest bound tried that makes the PNG at most
# 0.88x pngquant's everywhere, with PSNR still above pngquant's.
MAX_PSNR_LOSS_DB = 0.1
# Bisection of slack / (n_channels * plain MSE) over [0, SLACK_MAX], to
# SLACK_MAX / 2**N_STEPS (the fractions chosen at 0.1 dB were 0.39-0.63).
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


def remap_for_size(result, min_psnr: float | None = None):
    """Return :meth:`QuantizeResult.for_smaller_png` of ``result``.

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
    original = result.original
    colors, _, inverse = color_histogram(original.reshape(-1, original.shape[2]))
    pairs = pair_counts(colors, inverse, index_map, result.n_colors_out)
    return dataclasses.replace(result, index_map=index_map,
                               mse=pairs.mse(result.palette), pairs=pairs)

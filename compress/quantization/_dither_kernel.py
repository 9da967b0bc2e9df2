"""Compiled kernels of the palette mapping: nearest entry, local contrast, dithering.

Error diffusion (Floyd & Steinberg 1976, "An adaptive algorithm for spatial
grey scale", Proc. SID 17(2), 75-77) adds each pixel's error ``e = x - p`` to
the neighbours not yet visited, so the local mean of the output follows the
input and smooth gradients show no bands.  With ``*`` the current pixel and
the scan moving right,

    .      *     7/16
    3/16  5/16   1/16

Rows are scanned in serpentine order (the weights mirrored on right-to-left
rows), which avoids diagonal "worms" (Ulichney 1987, "Digital Halftoning",
section 8.3).  The error is carried, and the nearest entry chosen, in the
fitting space; three rules damp plain Floyd-Steinberg (leak, clamp, contrast:
:func:`dither_serpentine`).  Their settings and measured effects:
docs/internals.md, ``compress/quantization/_dither_kernel.py``.
"""

from __future__ import annotations

import numba
import numpy as np

from kmeans_core import jit  # the project's one compile policy (cache, IEEE math)

# Floyd & Steinberg (1976) weights: ahead, behind-below, below, ahead-below.
FS_AHEAD, FS_BEHIND_BELOW, FS_BELOW, FS_AHEAD_BELOW = 7 / 16, 3 / 16, 5 / 16, 1 / 16


@jit(inline=True)
def _sq_dist(target, palette, j):  # IN (n_channels,), IN (n_entries, n_channels)
    """``sum_c (target_c - palette_jc)^2``."""
    sq = 0.0
    for c in range(palette.shape[1]):
        diff = target[c] - palette[j, c]
        sq += diff * diff
    return sq


@jit()
def _nearest(target, palette):  # IN (n_channels,), IN (n_entries, n_channels)
    """Index of the palette entry nearest to ``target`` (ties: lowest index).

    ``argmin_j sum_c (target_c - palette_jc)^2``, by brute force: for k <= 256
    entries and 3 channels this is a few hundred flops per pixel.
    """
    best = 0
    best_sq = np.inf
    for j in range(palette.shape[0]):
        sq = _sq_dist(target, palette, j)
        if sq < best_sq:
            best_sq = sq
            best = j
    return best


@jit()
def _nearest_from(
    target,  # IN (n_channels,) float64
    palette,  # IN (n_entries, n_channels) float64
    guess,  # IN int, an entry likely to be nearest
    order,  # IN (n_entries, n_entries) int32: entries by distance from each entry
    spread,  # IN (n_entries, n_entries) float64: those distances (not squared)
):
    """:func:`_nearest`, scanning outwards from ``guess`` and stopping early.

    Entries are visited in increasing distance from ``g = guess``.  By the
    triangle inequality, ``|t - p_j| >= |p_g - p_j| - |t - p_g|``, so once
    ``|p_g - p_j| > |t - p_g| + best`` no later entry can beat the best
    distance found (Elkan 2003, "Using the triangle inequality to accelerate
    k-means", ICML, lemma 1).  Ties go to the lowest index; the relative
    margin of 1e-9 keeps rounding in the square roots from skipping a tie.
    """
    best, best_sq = guess, _sq_dist(target, palette, guess)
    reach = np.sqrt(best_sq)  # |t - p_g|
    for rank in range(1, order.shape[1]):
        if spread[guess, rank] > (reach + np.sqrt(best_sq)) * (1.0 + 1e-9):
            break
        j = order[guess, rank]
        sq = _sq_dist(target, palette, j)
        if sq < best_sq or (sq == best_sq and j < best):
            best, best_sq = j, sq
    return best


@jit(parallel=True)
def nearest_entries(
    X,  # IN (n_rows, n_channels) float64, fitting-space colours
    palette,  # IN (n_entries, n_channels) float64, fitting-space palette
    labels,  # OUT (n_rows,) int32
    sq_dist,  # OUT (n_rows,) float64
):
    """Nearest palette entry of every row, and its squared distance."""
    for i in numba.prange(X.shape[0]):
        j = _nearest(X[i], palette)
        labels[i] = j
        sq_dist[i] = _sq_dist(X[i], palette, j)


@jit(parallel=True)
def local_contrast(
    colors,  # IN (n_colors, n_channels) float64, fitting-space colours
    inverse,  # IN (height * width,) uint32, colour of every pixel
    height,  # IN int
    width,  # IN int
    contrast,  # OUT (height, width) float64
):
    """Largest squared fitting-space difference to the 8 neighbours.

    ``contrast[y, x] = max_{|dy|,|dx| <= 1} ||c(y, x) - c(y + dy, x + dx)||^2``
    over the neighbours inside the image: large at edges (one big step) and in
    noise or texture (many steps); 0 in a flat area.
    """
    for y in numba.prange(height):  # rows are independent: any thread count
        for x in range(width):
            here = colors[inverse[y * width + x]]
            largest = 0.0
            for yy in range(max(y - 1, 0), min(y + 2, height)):
                for xx in range(max(x - 1, 0), min(x + 2, width)):
                    sq = _sq_dist(here, colors, inverse[yy * width + xx])
                    largest = max(largest, sq)
            contrast[y, x] = largest


@jit()
def dither_serpentine(
    colors,  # IN (n_colors, n_channels) float64, fitting-space colours
    inverse,  # IN (height * width,) uint32, colour of every pixel
    palette,  # IN (n_entries, n_channels) float64, fitting-space palette
    guess,  # IN (n_colors,) int32, entry nearest to each colour
    order,  # IN (n_entries, n_entries) int32, see _nearest_from
    spread,  # IN (n_entries, n_entries) float64, see _nearest_from
    strength,  # IN (height, width) float64 in [0, 1], rule 3
    damping,  # IN float, rule 1
    clamp_sq,  # IN float, rule 2 threshold
    clamp_scale,  # IN float, rule 2 factor
    y_start,  # IN int, image row of the first row here (serpentine parity)
    carry,  # INOUT (width + 2, n_channels) float64, error into the first row
    index_map,  # OUT (height, width) integer, palette entry of every pixel
):
    """Damped serpentine Floyd-Steinberg error diffusion (module docstring).

    For pixel ``x`` with received error ``r``, colour ``c`` and strength ``s``:

        r' = damping * r,  and r' *= clamp_scale  if ||r'||^2 > clamp_sq
        p  = argmin_j ||c + r' - palette_j||^2
        e  = s * (c + r' - palette_p)   -> 7/16, 3/16, 5/16, 1/16 onwards

    Rule 1 (leak) bounds the carried error, rule 2 (clamp) tames the rare
    large errors, rule 3 (contrast, ``s < 1`` where the image varies more than
    the palette's error) keeps grain out of texture and error off edges.
    Serial, so the same bits on any thread count.  ``carry`` holds the error
    the band above passed down, and on return what this band passes on.
    """
    height, width = index_map.shape
    n_channels = palette.shape[1]
    # Two error rows with one pixel of padding each side: current and next.
    here = carry.copy()  # (width + 2, n_channels)
    below = np.zeros((width + 2, n_channels))
    target = np.empty(n_channels)
    err = np.empty(n_channels)
    for y in range(height):
        step = 1 if (y_start + y) % 2 == 0 else -1  # serpentine: even rows go right
        x = 0 if step == 1 else width - 1
        for _ in range(width):
            col = x + 1  # column in the padded error rows
            colour = inverse[y * width + x]
            # Rule 1 (leak), then rule 2 (clamp) on the received error.
            sq = 0.0
            for c in range(n_channels):
                err[c] = damping * here[col, c]
                sq += err[c] * err[c]
            scale = clamp_scale if sq > clamp_sq else 1.0
            for c in range(n_channels):
                target[c] = colors[colour, c] + scale * err[c]
            p = _nearest_from(target, palette, guess[colour], order, spread)
            index_map[y, x] = p
            # Rule 3 (contrast) on the error passed on, then the FS weights.
            s = strength[y, x]
            for c in range(n_channels):
                e = s * (target[c] - palette[p, c])
                here[col + step, c] += FS_AHEAD * e
                below[col - step, c] += FS_BEHIND_BELOW * e
                below[col, c] += FS_BELOW * e
                below[col + step, c] += FS_AHEAD_BELOW * e
            x += step
        here, below = below, here
        below[:, :] = 0.0
    carry[:, :] = here

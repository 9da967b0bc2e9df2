"""Lloyd's assignment tile by tile, among few candidate centres (Kanungo et al. 2002).

Kanungo, Mount, Netanyahu, Piatko, Silverman & Wu (2002), "An efficient
k-means clustering algorithm: analysis and implementation", IEEE TPAMI 24(7),
sec. 2.1 (the filtering algorithm): for a box of samples and a reference
centre ``c_a``, a centre ``c_j`` that is farther than ``c_a`` from every
point of the box can be nearest to none of its samples; when only ``c_a``
is left, every sample in the box has label ``a`` and none needs a distance.
Here the boxes are the cells of a fixed grid over integer data (uint8/uint16
colours): the samples are sorted once by grid cell, and each non-empty cell
is a *tile* with its tight bounding box ``[lo_t, hi_t]``.

``c_j`` is farther than ``c_a`` from the whole box when the difference of
squares, which is linear in ``x``,

    ||x - c_j||^2 - ||x - c_a||^2 = sum_f (c_af - c_jf) (2 x_f - c_af - c_jf),

is positive at the box's vertex farthest towards ``c_j`` (per feature,
``x_f = lo_f`` where ``c_af > c_jf`` and ``hi_f`` elsewhere).  Two
shortcuts come first, as in Hamerly (2010): with ``U`` the distance from
``c_a`` to the box's farthest corner, no other centre is left when
``U < s_a`` (half the distance from ``c_a`` to its nearest other centre),
and a centre with ``||c_j - c_a|| / 2 > U`` is dropped unseen (the centres
are visited by their distance from ``c_a``).  The test has the margin of
Hamerly's skip test (:func:`kmeans_core._hamerly.skip_margin`), so a dropped
centre can neither win nor tie: the nearest candidate, ties to the lowest
index, is Lloyd's label, and with the exact integer sums the centres stay
bitwise those of Lloyd.

Because settled tiles compute no distance, the pass yields no inertia; the
integer moments ``Q_j = sum_{l_i = j} c_i ||x_i||^2`` kept with the sums give
it per iteration (:meth:`kmeans_core._exact_sums.IntegerSums.moment_inertia`),
and the final inertia is summed exactly as Lloyd sums it
(:func:`kmeans_core._kernels.label_inertia`).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numba import prange

from ._config import jit
from ._exact_sums import add_integer_sample
from ._kernels import block_bounds, sq_dist
from ._validation import kernel_weights

GRID_BITS = 15  # edge 8 for uint8 RGB; k = 20: 33 ms, edge 4: 49, 16: 43 (see below)
MAX_FEATURES = 4  # grids of 2^15 cells are too coarse beyond (measured on RGB only)
# Above 128 centres the tiles have many candidates: American Gothic's colour
# histogram, one thread, shared host: k = 20 / 128 / 192 / 256 took 33 / 112 /
# 186 / 166 ms with tiles, 61 / 137 / 177 / 153 ms with Hamerly alone.
MAX_CLUSTERS = 128
MAX_SAMPLES = 2**21  # the tiled copy: 11-19 bytes a sample (RGB), 40 MB at most


class Tiling(NamedTuple):
    """Samples sorted by grid cell, and the tiles (non-empty cells) they form."""

    X: np.ndarray  # (n_samples, n_features) the samples, tile by tile
    c: np.ndarray  # (n_samples,) int64 their integer weights
    index: np.ndarray  # (n_samples,) int32 their rows in the original data
    start: np.ndarray  # (n_tiles + 1,) int64 tile t is rows start[t]:start[t + 1]
    lo: np.ndarray  # (n_tiles, n_features) float64 lowest value per feature
    hi: np.ndarray  # (n_tiles, n_features) float64 highest value per feature


class TileState(NamedTuple):
    """What the tile pass keeps between iterations."""

    label: np.ndarray  # (n_tiles,) int32 a when all its samples have label a, else -1
    labels: np.ndarray  # (n_samples,) int32 labels in tile order, -1 at first

    @classmethod
    def empty(cls, tiling: Tiling) -> TileState:
        """No labels yet."""
        n_samples, n_tiles = tiling.X.shape[0], tiling.lo.shape[0]
        return cls(np.full(n_tiles, -1, dtype=np.int32),
                   np.full(n_samples, -1, dtype=np.int32))

    def copy(self) -> TileState:
        """Copy every array."""
        return TileState(*(a.copy() for a in self))


def tiles_pay(X: np.ndarray, integer_weight: np.ndarray, n_clusters: int) -> bool:
    """Whether to filter tiles: few features, centres, samples; ``Q_j`` in int64.

    ``Q_j <= sum_i c_i n_features max(x)^2``; the float total is within
    ``n eps`` of the exact one, which the factor 2 covers.
    """
    n_samples, n_features = X.shape
    if (n_features > MAX_FEATURES or n_clusters > MAX_CLUSTERS
            or n_samples > MAX_SAMPLES):
        return False
    if integer_weight.strides[0] == 0:
        total = float(integer_weight[0]) * n_samples
    else:
        total = float(integer_weight.sum())
    top = float(np.iinfo(X.dtype).max)
    return 2.0 * total * n_features * top * top < 2.0**63


@jit()
def sort_by_cell(
    X,  # IN (n_samples, n_features) uint8 or uint16
    shift,  # IN int, a value's cell coordinate is x >> shift
    bits,  # IN int, bits per cell coordinate
    index,  # OUT (n_samples,) int32, rows in cell order (stable)
    cell_start,  # OUT (2^(bits n_features) + 1,) int64, cell q's rows start here
):
    """Sort the rows by cell ``q_i = sum_f (x_if >> shift) 2^(bits f)``, stably."""
    n_samples, n_features = X.shape
    cell = np.empty(n_samples, dtype=np.int64)  # (n_samples,) q_i
    cell_start[:] = 0
    for i in range(n_samples):
        q = 0
        for f in range(n_features):
            q |= (np.int64(X[i, f]) >> shift) << (bits * f)
        cell[i] = q
        cell_start[q + 1] += 1
    for q in range(1, cell_start.shape[0]):
        cell_start[q] += cell_start[q - 1]
    fill = cell_start[:-1].copy()
    for i in range(n_samples):
        index[fill[cell[i]]] = i
        fill[cell[i]] += 1


@jit()
def tile_boxes(
    X,  # IN (n_samples, n_features) uint8 or uint16
    index,  # IN (n_samples,) int32, rows in cell order
    cell_start,  # IN (n_cells + 1,) int64, from sort_by_cell
    Xt,  # OUT (n_samples, n_features) the rows in cell order
    start,  # OUT (n_tiles + 1,) int64, tile t is rows start[t]:start[t + 1]
    lo,  # OUT (n_tiles, n_features) float64
    hi,  # OUT (n_tiles, n_features) float64
):
    """Gather the rows tile by tile (tiles: the non-empty cells) and their boxes."""
    n_features = X.shape[1]
    t = 0
    for q in range(cell_start.shape[0] - 1):
        if cell_start[q + 1] == cell_start[q]:
            continue
        start[t] = cell_start[q]
        lo[t, :] = np.inf
        hi[t, :] = -np.inf
        for r in range(cell_start[q], cell_start[q + 1]):
            for f in range(n_features):
                x = X[index[r], f]
                Xt[r, f] = x
                lo[t, f] = min(lo[t, f], np.float64(x))
                hi[t, f] = max(hi[t, f], np.float64(x))
        t += 1
    start[t] = X.shape[0]


def make_tiling(X: np.ndarray, integer_weight: np.ndarray) -> Tiling:
    """Sort the rows of integer ``X`` into the tiles of a ``2^GRID_BITS``-cell grid."""
    n_samples, n_features = X.shape
    bits = GRID_BITS // n_features
    shift = max(8 * X.dtype.itemsize - bits, 0)
    index = np.empty(n_samples, dtype=np.int32)
    cell_start = np.empty((1 << (bits * n_features)) + 1, dtype=np.int64)
    sort_by_cell(X, shift, bits, index, cell_start)
    n_tiles = int(np.count_nonzero(np.diff(cell_start)))
    Xt = np.empty_like(X)  # (n_samples, n_features)
    start = np.empty(n_tiles + 1, dtype=np.int64)
    lo, hi = np.empty((n_tiles, n_features)), np.empty((n_tiles, n_features))
    tile_boxes(X, index, cell_start, Xt, start, lo, hi)
    c = integer_weight if integer_weight.strides[0] == 0 else integer_weight[index]
    return Tiling(Xt, kernel_weights(c), index, start, lo, hi)  # one kernel type


@jit(inline=True)
def tile_candidates(lo, hi, t, centers, a, s, cc, order, rel, abs_slack, out):
    """Write into ``out`` the centres that may be nearest to a point of tile ``t``.

    Kanungo's filter with ``c_a`` as the reference: ``c_j`` is dropped when
    for every ``x`` of the box ``||x - c_j|| > U (1 + rel) + abs_slack =: R``
    with ``U >= ||x - c_a||`` (the margin of Hamerly's skip test), i.e. when
    ``min_box (||x - c_j||^2 - ||x - c_a||^2) > R^2 - U^2``; the computed
    difference of squares is off by far less than ``rel`` times the sum of
    its terms' magnitudes, which is added to the margin.  Returns how many
    were written, ``a`` first; 1 means the tile lies in ``c_a``'s cell.
    """
    n_features = centers.shape[1]
    out[0] = a
    U2 = 0.0
    for f in range(n_features):
        far = max(abs(lo[t, f] - centers[a, f]), abs(hi[t, f] - centers[a, f]))
        U2 += far * far
    reach = np.sqrt(U2) * (1.0 + rel) + abs_slack
    if reach < s[a]:
        return 1
    margin = reach * reach - U2
    n = 1
    for r in range(1, centers.shape[0]):  # order[a, 0] is a itself
        j = order[a, r]
        if 0.5 * cc[a, j] > reach:
            break  # this and every farther centre's bisector misses the box
        gap = 0.0  # min over the box of ||x - c_j||^2 - ||x - c_a||^2
        size = 0.0  # sum of the magnitudes of its terms
        for f in range(n_features):
            v = centers[a, f] - centers[j, f]
            x = lo[t, f] if v > 0.0 else hi[t, f]
            gap += v * (2.0 * x - centers[a, f] - centers[j, f])
            size += abs(v) * (2.0 * abs(x) + abs(centers[a, f]) + abs(centers[j, f]))
        if not gap > margin + rel * size:
            out[n] = j
            n += 1
    return n


@jit(inline=True)
def first_guess(lo, hi, t, centers):
    """Return the centre nearest the middle of tile ``t``'s box (ties: lowest index)."""
    best, best_j = np.inf, 0
    for j in range(centers.shape[0]):
        d = 0.0
        for f in range(centers.shape[1]):
            diff = 0.5 * (lo[t, f] + hi[t, f]) - centers[j, f]
            d += diff * diff
        if d < best:
            best, best_j = d, j
    return best_j


@jit(inline=True)
def move_sample(X, i, c, old, new, b, block_moves, block_weights, block_squares):
    """Move sample ``i`` (weight ``c``) from cluster ``old`` (-1: none) to ``new``."""
    square = np.int64(0)
    for f in range(X.shape[1]):
        square += np.int64(X[i, f]) * np.int64(X[i, f])
    if old >= 0:
        add_integer_sample(X, i, -c, old, b, block_moves, block_weights)
        block_squares[b, old] -= c * square
    add_integer_sample(X, i, c, new, b, block_moves, block_weights)
    block_squares[b, new] += c * square


@jit(parallel=True)
def assign_tiles(
    tiling,  # IN Tiling
    centers,  # IN (n_clusters, n_features) float64
    s,  # IN (n_clusters,) float64, half distance to the nearest other centre
    cc,  # IN (n_clusters, n_clusters) float64, centre-to-centre distances
    order,  # IN (n_clusters, n_clusters) int, row j: centres by distance from c_j
    rel,  # IN float, relative slack of the filter
    abs_slack,  # IN float, absolute slack of the filter
    tile_label,  # INOUT (n_tiles,) int32, TileState.label
    labels_tiled,  # INOUT (n_samples,) int32, TileState.labels
    labels,  # INOUT (n_samples,) int32, labels in the original order
    candidates,  # OUT (n_blocks, n_clusters) int64, scratch
    block_moves,  # OUT (n_blocks, n_clusters, n_features) int64
    block_weights,  # OUT (n_blocks, n_clusters) int64
    block_squares,  # OUT (n_blocks, n_clusters) int64
    block_changed,  # OUT (n_blocks,) int64, labels per block that changed
):
    """Lloyd's assignment step, tile by tile, among the tile's candidate centres.

    The same labels and integer sum changes as
    :func:`kmeans_core._hamerly.assign_hamerly_moves`, plus the changes of
    ``Q_j``, and no inertia.  Blocks are runs of consecutive tiles.  The
    reference centre of a tile is its samples' label when they share one,
    else the centre nearest the box's middle; a tile whose only candidate is
    its samples' label is skipped.  Otherwise every sample takes the nearest
    candidate, ties to the lowest index, as Lloyd's full search would.
    """
    X, c, index, start = tiling.X, tiling.c, tiling.index, tiling.start
    n_tiles = start.shape[0] - 1
    n_blocks = block_moves.shape[0]
    for b in prange(n_blocks):
        block_moves[b, :, :] = 0
        block_weights[b, :] = 0
        block_squares[b, :] = 0
        changed = 0
        cand = candidates[b]
        t0, t1 = block_bounds(n_tiles, n_blocks, b)
        for t in range(t0, t1):
            a = tile_label[t]
            if a < 0:
                a = first_guess(tiling.lo, tiling.hi, t, centers)
            n = tile_candidates(tiling.lo, tiling.hi, t, centers, a, s, cc, order,
                                rel, abs_slack, cand)
            if n == 1 and tile_label[t] == a:
                continue  # every sample keeps label a
            one_label = -1  # the tile's label if all its samples share one
            for i in range(start[t], start[t + 1]):
                best_j = cand[0]
                best = sq_dist(X, i, centers, best_j)
                for r in range(1, n):
                    j = cand[r]
                    d = sq_dist(X, i, centers, j)
                    if d < best or (d == best and j < best_j):
                        best, best_j = d, j
                one_label = best_j if i == start[t] or one_label == best_j else -1
                old = labels_tiled[i]
                if old == best_j:
                    continue
                labels_tiled[i] = best_j
                labels[index[i]] = best_j
                changed += 1
                move_sample(X, i, c[i], old, best_j, b, block_moves, block_weights,
                            block_squares)
            tile_label[t] = one_label
        block_changed[b] = changed

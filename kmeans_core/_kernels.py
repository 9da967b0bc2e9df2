"""Compiled kernels of Lloyd's algorithm: assignment, update and inertia.

Lloyd's algorithm (Lloyd 1982, "Least squares quantization in PCM", IEEE Trans.
Inf. Theory 28(2)) alternates two steps that each lower the weighted objective

    J(c, l) = sum_i w_i * ||x_i - c_{l_i}||^2 .

* assignment (E-step): with the centres fixed, J is smallest when every sample
  takes its nearest centre, ``l_i = argmin_j ||x_i - c_j||^2``;
* update (M-step): with the labels fixed, J is smallest when every centre is the
  weighted mean of its samples, ``c_j = sum_{l_i = j} w_i x_i / sum_{l_i = j} w_i``.

Kernels only do arithmetic: they write into buffers the driver allocated once
and return nothing.  Arguments are labelled ``# IN``, ``# OUT`` or ``# INOUT``,
inputs first.  Names follow scikit-learn: ``n_samples``, ``n_features``,
``n_clusters``; ``i`` indexes samples, ``j`` clusters, ``f`` features.

Determinism: every parallel reduction splits the samples into ``N_BLOCKS``
fixed, contiguous blocks (see :mod:`kmeans_core._config`), sums each block
serially, then merges the blocks in block order.  The thread count only decides
who computes which block, never the order of any floating-point addition.
"""

from __future__ import annotations

import numpy as np
from numba import prange

from ._config import jit


@jit(inline=True)
def block_bounds(n_samples, n_blocks, b):
    """Return the half-open sample range ``[start, stop)`` of block ``b``.

    Blocks are as equal as integer division allows and depend only on
    ``n_samples`` and ``n_blocks``, never on the number of threads.
    """
    start = (b * n_samples) // n_blocks
    stop = ((b + 1) * n_samples) // n_blocks
    return start, stop


# Fast paths by dimension.  For 3 (RGB) and 4 (RGBA) features the inner loops
# of sq_dist and add_to_block are written out: with the width known at compile
# time LLVM keeps the row in registers and drops the loop.  Measured on
# American Gothic pixels (966,600 x 3, k = 20, one thread): a Hamerly pass went
# from 7.6 to 6.2 ms.  The sums are formed in the same order as the loop.
FIXED_WIDTHS = (3, 4)


@jit(inline=True)
def sq_dist(X, i, centers, j):
    """Squared Euclidean distance ``||x_i - c_j||^2``, in the dtype of the centres.

    The centres have the dtype of ``X`` for float data and are float64 for
    integer data (uint8 pixels), which is read as it is and converted per term.
    """
    if X.shape[1] == 3:  # RGB, written out: see FIXED_WIDTHS
        d0 = X[i, 0] - centers[j, 0]
        d1 = X[i, 1] - centers[j, 1]
        d2 = X[i, 2] - centers[j, 2]
        return d0 * d0 + d1 * d1 + d2 * d2
    if X.shape[1] == 4:  # RGBA
        d0 = X[i, 0] - centers[j, 0]
        d1 = X[i, 1] - centers[j, 1]
        d2 = X[i, 2] - centers[j, 2]
        d3 = X[i, 3] - centers[j, 3]
        return d0 * d0 + d1 * d1 + d2 * d2 + d3 * d3
    d = centers.dtype.type(0.0)
    for f in range(X.shape[1]):
        diff = X[i, f] - centers[j, f]
        d += diff * diff
    return d


@jit(inline=True)
def nearest_center(X, i, centers):
    """``(argmin_j ||x_i - c_j||^2, min_j ||x_i - c_j||^2)``, ties to the lowest j."""
    best = sq_dist(X, i, centers, 0)
    best_j = 0
    for j in range(1, centers.shape[0]):
        d = sq_dist(X, i, centers, j)
        if d < best:
            best = d
            best_j = j
    return best_j, best


@jit(parallel=True)
def assign_labels(
    X,  # IN (n_samples, n_features)
    centers,  # IN (n_clusters, n_features)
    labels,  # OUT (n_samples,) int32
    min_sq_dist,  # OUT (n_samples,) dtype of the centres
):
    """Assign every sample to its nearest centre (the E-step).

    ``labels[i] = argmin_j ||x_i - c_j||^2`` and ``min_sq_dist[i]`` the
    minimum itself (Lloyd 1982, step 1).  The distance is computed as the sum of
    squared differences, not as ``||x||^2 - 2 x.c + ||c||^2``: the expanded form
    cancels catastrophically when ``x`` is close to ``c`` and is only worth its
    error where BLAS does the work (many features).  Ties go to the lowest
    centre index (strict ``<``), as in scikit-learn.  No ``n_samples x
    n_clusters`` matrix exists: each sample keeps only its running minimum.
    """
    for i in prange(X.shape[0]):
        labels[i], min_sq_dist[i] = nearest_center(X, i, centers)


@jit(inline=True)
def add_to_block(
    X,  # IN (n_samples, n_features)
    i,  # IN sample index
    w,  # IN float64 weight of sample i
    j,  # IN its cluster
    d,  # IN its squared distance to c_j
    b,  # IN its block
    block_sums,  # INOUT (n_blocks, n_clusters, n_features) float64
    block_weights,  # INOUT (n_blocks, n_clusters) float64
    block_inertia,  # INOUT (n_blocks,) float64
):
    """Add sample ``i`` to the partial sums of block ``b`` (update step, in float64)."""
    block_weights[b, j] += w
    block_inertia[b] += w * np.float64(d)
    if X.shape[1] == 3:  # RGB, written out: see FIXED_WIDTHS
        block_sums[b, j, 0] += w * X[i, 0]
        block_sums[b, j, 1] += w * X[i, 1]
        block_sums[b, j, 2] += w * X[i, 2]
        return
    if X.shape[1] == 4:  # RGBA
        block_sums[b, j, 0] += w * X[i, 0]
        block_sums[b, j, 1] += w * X[i, 1]
        block_sums[b, j, 2] += w * X[i, 2]
        block_sums[b, j, 3] += w * X[i, 3]
        return
    for f in range(X.shape[1]):
        block_sums[b, j, f] += w * X[i, f]


@jit(parallel=True)
def assign_accumulate(
    X,  # IN (n_samples, n_features)
    sample_weight,  # IN (n_samples,) float64
    centers,  # IN (n_clusters, n_features)
    labels,  # INOUT (n_samples,) int32
    block_sums,  # OUT (n_blocks, n_clusters, n_features) float64
    block_weights,  # OUT (n_blocks, n_clusters) float64
    block_inertia,  # OUT (n_blocks,) float64
    block_changed,  # OUT (n_blocks,) int64
):
    """One Lloyd pass: assignment step fused with the per-block sums.

    Does what :func:`assign_labels` then :func:`accumulate_blocks` and
    :func:`weighted_sum_blocks` do, in one parallel region and one pass over
    ``X``: ``labels[i] = argmin_j ||x_i - c_j||^2`` (ties to the lowest ``j``),
    and for every block ``b`` the weighted sums, weights and inertia
    ``sum_{i in b} w_i ||x_i - c_{l_i}||^2`` of its samples, and how many of
    its labels changed (strict convergence is a pass where none did).
    """
    n_samples = X.shape[0]
    n_blocks = block_sums.shape[0]
    for b in prange(n_blocks):
        block_sums[b, :, :] = 0.0
        block_weights[b, :] = 0.0
        block_inertia[b] = 0.0
        block_changed[b] = 0
        start, stop = block_bounds(n_samples, n_blocks, b)
        for i in range(start, stop):
            best_j, best = nearest_center(X, i, centers)
            if labels[i] != best_j:
                labels[i] = best_j
                block_changed[b] += 1
            add_to_block(X, i, sample_weight[i], best_j, best, b,
                         block_sums, block_weights, block_inertia)


@jit(parallel=True)
def accumulate_blocks(
    X,  # IN (n_samples, n_features)
    sample_weight,  # IN (n_samples,) float64
    labels,  # IN (n_samples,) int32
    block_sums,  # OUT (n_blocks, n_clusters, n_features) float64
    block_weights,  # OUT (n_blocks, n_clusters) float64
):
    """Update step, part 1: weighted sums per cluster, one partial per block.

    For block ``b``: ``block_sums[b, j] = sum_{i in b, l_i = j} w_i x_i`` and
    ``block_weights[b, j] = sum_{i in b, l_i = j} w_i``, accumulated in float64
    whatever the dtype of ``X`` (float32 sums of a million pixels lose digits).
    """
    n_samples, n_features = X.shape
    n_blocks = block_sums.shape[0]
    for b in prange(n_blocks):
        block_sums[b, :, :] = 0.0
        block_weights[b, :] = 0.0
        start, stop = block_bounds(n_samples, n_blocks, b)
        for i in range(start, stop):
            j = labels[i]
            w = sample_weight[i]
            block_weights[b, j] += w
            for f in range(n_features):
                block_sums[b, j, f] += w * X[i, f]


@jit()
def merge_blocks(
    block_sums,  # IN (n_blocks, n_clusters, n_features) float64
    block_weights,  # IN (n_blocks, n_clusters) float64
    sums,  # OUT (n_clusters, n_features) float64
    weights,  # OUT (n_clusters,) float64
):
    """Update step, part 2: merge the block partials in block order (serial)."""
    sums[:, :] = 0.0
    weights[:] = 0.0
    for b in range(block_sums.shape[0]):
        for j in range(sums.shape[0]):
            weights[j] += block_weights[b, j]
            for f in range(sums.shape[1]):
                sums[j, f] += block_sums[b, j, f]


@jit()
def average_centers(
    sums,  # IN (n_clusters, n_features) float64
    weights,  # IN (n_clusters,) float64
    centers_old,  # IN (n_clusters, n_features)
    centers_new,  # OUT (n_clusters, n_features)
    center_shift,  # OUT (n_clusters,) float64
):
    """Update step, part 3: ``c_j = sums_j / weights_j`` and how far it moved.

    A cluster with zero weight keeps its old centre (the driver relocates empty
    clusters before this, so that only happens when every sample already sits
    on a centre).  ``center_shift[j] = ||c_j^new - c_j^old||``, computed from the
    centres as stored (after rounding to the dtype of the data).
    """
    n_clusters, n_features = sums.shape
    for j in range(n_clusters):
        shift = 0.0
        for f in range(n_features):
            if weights[j] > 0.0:
                centers_new[j, f] = sums[j, f] / weights[j]
            else:
                centers_new[j, f] = centers_old[j, f]
            diff = np.float64(centers_new[j, f]) - np.float64(centers_old[j, f])
            shift += diff * diff
        center_shift[j] = np.sqrt(shift)


@jit(parallel=True)
def weighted_sum_blocks(
    values,  # IN (n_samples,)
    sample_weight,  # IN (n_samples,) float64
    block_out,  # OUT (n_blocks,) float64
):
    """Per-block ``sum_i w_i v_i`` in float64; the caller adds the blocks in order.

    With ``values = min_sq_dist`` this is the inertia
    ``sum_i w_i ||x_i - c_{l_i}||^2`` of the current assignment.
    """
    n_samples = values.shape[0]
    n_blocks = block_out.shape[0]
    for b in prange(n_blocks):
        start, stop = block_bounds(n_samples, n_blocks, b)
        acc = 0.0
        for i in range(start, stop):
            acc += sample_weight[i] * np.float64(values[i])
        block_out[b] = acc


@jit(parallel=True)
def farthest_samples(
    X,  # IN (n_samples, n_features)
    sample_weight,  # IN (n_samples,) float64
    centers,  # IN (n_clusters, n_features)
    labels,  # IN (n_samples,) int32
    on_centre,  # IN float, (64 eps)^2: d_i <= on_centre ||x_i||^2 means "on its centre"
    cand_dist,  # OUT (n_blocks, m) float64, farthest first; -1 where none
    cand_index,  # OUT (n_blocks, m) int64, their sample indices; -1 where none
):
    """Per block, the ``m`` samples farthest from their own centre.

    ``d_i = ||x_i - c_{l_i}||^2``; only samples of positive weight that are
    not on their centre compete.  Each block keeps its candidates sorted by
    distance, ties to the lower index (samples arrive in index order and only a
    strictly larger distance moves ahead), so the caller finds the ``m``
    farthest of all among ``n_blocks * m`` candidates.  Only the empty-cluster
    rule needs this, rarely; no ``n_samples``-sized array is made.
    """
    n_samples = X.shape[0]
    n_blocks, m = cand_dist.shape
    for b in prange(n_blocks):
        cand_dist[b, :] = -1.0
        cand_index[b, :] = -1
        start, stop = block_bounds(n_samples, n_blocks, b)
        for i in range(start, stop):
            if sample_weight[i] <= 0.0:
                continue
            d = np.float64(sq_dist(X, i, centers, labels[i]))
            if d <= cand_dist[b, m - 1]:
                continue
            norm = 0.0
            for f in range(X.shape[1]):
                norm += np.float64(X[i, f]) * np.float64(X[i, f])
            if d <= on_centre * norm:
                continue
            t = m - 1  # insertion into the sorted candidates
            while t > 0 and cand_dist[b, t - 1] < d:
                cand_dist[b, t] = cand_dist[b, t - 1]
                cand_index[b, t] = cand_index[b, t - 1]
                t -= 1
            cand_dist[b, t] = d
            cand_index[b, t] = i


@jit(parallel=True)
def all_distances(
    X,  # IN (n_samples, n_features)
    centers,  # IN (n_clusters, n_features)
    out,  # OUT (n_samples, n_clusters)
):
    """``out[i, j] = ||x_i - c_j||`` (not squared), for ``transform``."""
    for i in prange(X.shape[0]):
        for j in range(centers.shape[0]):
            out[i, j] = np.sqrt(sq_dist(X, i, centers, j))


@jit()
def nearest_from_products(
    dots,  # IN (n_clusters, n_chunk) x_i . c_j, one row per centre
    half_c_sq,  # IN (n_clusters,) ||c_j||^2 / 2
    x_sq,  # IN (n_chunk,) ||x_i||^2
    best,  # SCRATCH (n_chunk,) dtype of dots
    best_j,  # SCRATCH (n_chunk,) int32
    labels,  # INOUT (n_chunk,) int32
    min_sq_dist,  # OUT (n_chunk,)
    changed,  # INOUT (1,) int64, incremented for every label that changes
):
    """Nearest centre from matrix products (the ``"blas"`` E-step).

    ``||x - c||^2 = ||x||^2 - 2 (x.c - ||c||^2 / 2)`` and ``||x||^2`` is the
    same for every centre, so the nearest centre maximises
    ``x.c_j - ||c_j||^2 / 2``; ``||x||^2`` is added back for the winner only
    (clipped at 0, which the expanded form can undershoot by rounding).  The
    loop runs centre by centre over a contiguous row of samples, so each step
    is an element-wise compare-and-select that LLVM vectorises; a strict
    ``>`` keeps the lowest index on ties.  Serial on purpose: right after a
    product OpenBLAS's threads still spin, and a parallel region next to them
    was 3-10x slower (measured).
    """
    n_clusters, n = dots.shape
    for i in range(n):
        best[i] = dots[0, i] - half_c_sq[0]
        best_j[i] = 0
    for j in range(1, n_clusters):
        h = half_c_sq[j]
        for i in range(n):
            v = dots[j, i] - h
            better = v > best[i]
            best[i] = v if better else best[i]
            best_j[i] = j if better else best_j[i]
    for i in range(n):
        if labels[i] != best_j[i]:
            labels[i] = best_j[i]
            changed[0] += 1
        min_sq_dist[i] = max(x_sq[i] - 2.0 * best[i], 0.0)


@jit(parallel=True)
def weighted_column_sums(
    X,  # IN (n_samples, n_features)
    sample_weight,  # IN (n_samples,) float64
    shift,  # IN (n_features,) float64
    square,  # IN bool
    block_out,  # OUT (n_blocks, n_features) float64
):
    """Per block, ``sum_i w_i (x_if - shift_f)`` or, with ``square``, its square.

    The two passes of a weighted variance (mean first, then squared
    deviations), in float64, one row at a time: no ``(n_samples, n_features)``
    temporary and no strided column scans.
    """
    n_samples, n_features = X.shape
    n_blocks = block_out.shape[0]
    for b in prange(n_blocks):
        block_out[b, :] = 0.0
        start, stop = block_bounds(n_samples, n_blocks, b)
        for i in range(start, stop):
            w = sample_weight[i]
            for f in range(n_features):
                v = np.float64(X[i, f]) - shift[f]
                block_out[b, f] += w * (v * v if square else v)

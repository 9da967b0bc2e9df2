"""Compiled kernels of Lloyd's algorithm: the E-step, the M-step, and helpers.

Lloyd's algorithm (Lloyd 1982, "Least squares quantization in PCM", IEEE Trans.
Inf. Theory 28(2)) alternates two steps that each lower the weighted objective

    J(c, l) = sum_i w_i * ||x_i - c_{l_i}||^2 .

* E-step (assignment): with the centres fixed, J is smallest when every sample
  takes its nearest centre, ``l_i = argmin_j ||x_i - c_j||^2``
  (:func:`assign_labels`);
* M-step (update): with the labels fixed, J is smallest when every centre is the
  weighted mean of its samples, ``c_j = sum_{l_i = j} w_i x_i / sum_{l_i = j} w_i``
  (:func:`accumulate_blocks`, :func:`merge_blocks`, :func:`average_centers`).

Kernels only do arithmetic: they write into buffers the driver allocated once
and return nothing.  Arguments are labelled ``# IN``, ``# OUT`` or ``# INOUT``,
inputs first.  Names follow scikit-learn: ``n_samples``, ``n_features``,
``n_clusters``; ``i`` indexes samples, ``j`` clusters, ``f`` features, ``b``
blocks.

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


@jit(inline=True)
def sq_dist(X, i, Y, j):
    """Squared Euclidean distance ``||x_i - y_j||^2`` between two rows.

    Computed as a sum of squared differences, feature by feature in order, in
    the dtype of ``Y`` (float32 for float32 data; uint8/uint16 pixels are read
    as they are and computed in float64 against float64 centres).  The expanded
    form ``||x||^2 - 2 x.y + ||y||^2`` would cancel catastrophically when ``x``
    is close to ``y``; only the ``"blas"`` E-step uses it, where BLAS pays for
    the error.

    For 3 features (RGB) the sum is written out: with the width known LLVM
    keeps the row in registers (measured on 966,600 RGB pixels, k = 20, one
    thread: a Lloyd E-step 30 -> 19 ms, a Hamerly one 4.6 -> 4.5 ms).  The
    terms are added in the same order as the loop and no fused multiply-add
    is allowed, so both give the same bits (``tests/kmeans_core/test_kernels.py`` checks
    it).
    """
    if X.shape[1] == 3:
        d0 = X[i, 0] - Y[j, 0]
        d1 = X[i, 1] - Y[j, 1]
        d2 = X[i, 2] - Y[j, 2]
        return d0 * d0 + d1 * d1 + d2 * d2
    d = Y.dtype.type(0.0)
    for f in range(X.shape[1]):
        diff = X[i, f] - Y[j, f]
        d += diff * diff
    return d


@jit(inline=True)
def nearest_center(X, i, centers):
    """``(argmin_j ||x_i - c_j||^2, min_j ||x_i - c_j||^2)``, ties to the lowest j."""
    best = sq_dist(X, i, centers, 0)
    best_j = 0
    for j in range(1, centers.shape[0]):
        d = sq_dist(X, i, centers, j)
        if d < best:  # strict: the lowest index wins a tie, as in scikit-learn
            best = d
            best_j = j
    return best_j, best


@jit(parallel=True)
def assign_labels(
    X,  # IN (n_samples, n_features)
    sample_weight,  # IN (n_samples,) float64
    centers,  # IN (n_clusters, n_features)
    labels,  # INOUT (n_samples,) int32
    block_inertia,  # OUT (n_blocks,) float64
    block_changed,  # OUT (n_blocks,) int64
):
    """Give every sample its nearest centre: the E-step (Lloyd 1982, step 1).

    ``labels[i] = argmin_j ||x_i - c_j||^2``, ties to the lowest ``j``.  Per
    block ``b`` it also records the objective of this assignment,
    ``block_inertia[b] = sum_{i in b} w_i ||x_i - c_{l_i}||^2``, and how many
    labels changed (an iteration in which none did has converged).  No
    ``n_samples x n_clusters`` matrix exists: each sample keeps only its
    running minimum.
    """
    n_samples = X.shape[0]
    n_blocks = block_inertia.shape[0]
    for b in prange(n_blocks):
        start, stop = block_bounds(n_samples, n_blocks, b)
        inertia = 0.0
        changed = 0
        for i in range(start, stop):
            j, d = nearest_center(X, i, centers)
            if labels[i] != j:
                labels[i] = j
                changed += 1
            inertia += sample_weight[i] * np.float64(d)
        block_inertia[b] = inertia
        block_changed[b] = changed


@jit(parallel=True)
def label_inertia(
    X,  # IN (n_samples, n_features)
    sample_weight,  # IN (n_samples,) float64
    centers,  # IN (n_clusters, n_features)
    labels,  # IN (n_samples,) int32
    block_inertia,  # OUT (n_blocks,) float64
):
    """``block_inertia[b] = sum_{i in b} w_i ||x_i - c_{l_i}||^2`` for given labels.

    The same terms in the same order as :func:`assign_labels` adds them, so
    for the labels it gives the bits of its inertia.
    """
    n_samples = X.shape[0]
    n_blocks = block_inertia.shape[0]
    for b in prange(n_blocks):
        start, stop = block_bounds(n_samples, n_blocks, b)
        inertia = 0.0
        for i in range(start, stop):
            inertia += sample_weight[i] * np.float64(sq_dist(X, i, centers, labels[i]))
        block_inertia[b] = inertia


@jit(inline=True)
def add_sample(
    X,  # IN (n_samples, n_features)
    i,  # IN sample index
    w,  # IN float64 weight of sample i
    j,  # IN its cluster
    b,  # IN its block
    block_sums,  # INOUT (n_blocks, n_clusters, n_features) float64
    block_weights,  # INOUT (n_blocks, n_clusters) float64
):
    """Add ``w_i x_i`` and ``w_i`` to cluster ``j``'s partial sums in block ``b``."""
    block_weights[b, j] += w
    if X.shape[1] == 3:  # written out, as in sq_dist
        block_sums[b, j, 0] += w * X[i, 0]
        block_sums[b, j, 1] += w * X[i, 1]
        block_sums[b, j, 2] += w * X[i, 2]
        return
    for f in range(X.shape[1]):
        block_sums[b, j, f] += w * X[i, f]


@jit(parallel=True)
def accumulate_blocks(
    X,  # IN (n_samples, n_features)
    sample_weight,  # IN (n_samples,) float64
    labels,  # IN (n_samples,) int32
    block_sums,  # OUT (n_blocks, n_clusters, n_features) float64
    block_weights,  # OUT (n_blocks, n_clusters) float64
):
    """M-step, part 1: weighted sums per cluster, one partial per block.

    For block ``b``: ``block_sums[b, j] = sum_{i in b, l_i = j} w_i x_i`` and
    ``block_weights[b, j] = sum_{i in b, l_i = j} w_i``, accumulated in float64
    whatever the dtype of ``X`` (float32 sums of a million pixels lose digits).
    """
    n_samples = X.shape[0]
    n_blocks = block_sums.shape[0]
    for b in prange(n_blocks):
        block_sums[b, :, :] = 0.0
        block_weights[b, :] = 0.0
        start, stop = block_bounds(n_samples, n_blocks, b)
        for i in range(start, stop):
            add_sample(X, i, sample_weight[i], labels[i], b, block_sums,
                       block_weights)


@jit()
def merge_blocks(
    block_sums,  # IN (n_blocks, n_clusters, n_features) float64
    block_weights,  # IN (n_blocks, n_clusters) float64
    sums,  # OUT (n_clusters, n_features) float64
    weights,  # OUT (n_clusters,) float64
):
    """M-step, part 2: add the block partials in block order (serial)."""
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
    """M-step, last part: ``c_j = sums_j / weights_j`` and how far it moved.

    The driver gives every empty cluster a sample first (see
    :mod:`kmeans_core._lloyd`), so every ``weights_j > 0`` and every centre is
    a weighted mean of samples.  ``center_shift[j] = ||c_j^new - c_j^old||``,
    from the centres as stored (after rounding to the dtype of the data).
    """
    n_clusters, n_features = sums.shape
    for j in range(n_clusters):
        shift = 0.0
        for f in range(n_features):
            centers_new[j, f] = sums[j, f] / weights[j]
            diff = np.float64(centers_new[j, f]) - np.float64(centers_old[j, f])
            shift += diff * diff
        center_shift[j] = np.sqrt(shift)


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
    temporary and no strided column scans.  Serial: it runs twice per fit
    (1e6 x 3 float64 rows: 6 ms a pass), and a parallel version cost 0.4 s
    more to compile on every first run.
    """
    n_samples, n_features = X.shape
    n_blocks = block_out.shape[0]
    for b in range(n_blocks):
        block_out[b, :] = 0.0
        start, stop = block_bounds(n_samples, n_blocks, b)
        for i in range(start, stop):
            w = sample_weight[i]
            for f in range(n_features):
                v = np.float64(X[i, f]) - shift[f]
                block_out[b, f] += w * (v * v if square else v)

"""The ``"blas"`` E-step: distances from matrix products, for many features.

``||x - c_j||^2 = ||x||^2 - 2 (x.c_j - ||c_j||^2 / 2)`` and ``||x||^2`` is the
same for every centre, so the nearest centre maximises ``x.c_j - ||c_j||^2 / 2``:
one matrix product per chunk of samples (BLAS, many features at once) and a
compare-and-select.  The expanded form loses digits when ``x`` is close to
``c_j``, so near-ties may be broken differently from Lloyd (same clustering up
to rounding, not bitwise); the winner's distance, which the inertia sums, is
then computed exactly as a sum of squared differences.
"""

from __future__ import annotations

import numpy as np

from . import _kernels as K
from ._config import jit
from ._kernels import sq_dist

# Rows per matrix product.  Measured on 1e6 x 32 float32 rows, k = 256, one
# E-step: 1024 rows 0.232 s, 2048 0.223 s, 4096 0.215 s, 8192 0.217 s (a
# 4096 x 256 block is 4 MiB: the argmax reads it from cache).
BLAS_CHUNK = 4096


@jit()
def nearest_from_products(
    dots,  # IN (n_clusters, n_chunk) x_i . c_j, one row per centre
    half_c_sq,  # IN (n_clusters,) ||c_j||^2 / 2
    X,  # IN (n_chunk, n_features) the samples of the chunk
    centers,  # IN (n_clusters, n_features)
    sample_weight,  # IN (n_chunk,) float64
    best,  # SCRATCH (n_chunk,) dtype of dots
    best_j,  # SCRATCH (n_chunk,) int32
    labels,  # INOUT (n_chunk,) int32
    totals,  # INOUT (2,) float64: inertia, labels changed
):
    """Nearest centre from matrix products, ties to the lowest index.

    The loop runs centre by
    centre over a contiguous row of samples, so each step is an element-wise
    compare-and-select that LLVM vectorises; a strict ``>`` keeps the lowest
    index on ties.  Serial on purpose: right after a product OpenBLAS's
    threads still spin, and a parallel region next to them was 3-10x slower
    (measured).
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
            totals[1] += 1.0
        totals[0] += sample_weight[i] * np.float64(sq_dist(X, i, centers, best_j[i]))


class BlasAssign:
    """Chunked ``argmax_j (x.c_j - ||c_j||^2 / 2)`` with NumPy's matrix product.

    The product is taken as ``centers @ X_chunk.T`` (one row per centre), so
    that :func:`nearest_from_products` scans contiguous rows and vectorises:
    at k = 256 on 1e6 x 32 float32 rows a per-sample argmin loop took twice as
    long as the products, NumPy's row-wise argmax 60 ms per pass.
    """

    def __init__(self, X: np.ndarray, sample_weight: np.ndarray, n_clusters: int):
        self.X = X  # float32 or float64 (kmeans() converts integer data for BLAS)
        self.w = sample_weight
        chunk = min(BLAS_CHUNK, X.shape[0])
        self.dots = np.empty(n_clusters * chunk, X.dtype)  # x_i . c_j, flat
        self.best = np.empty(chunk, X.dtype)
        self.best_j = np.empty(chunk, np.int32)

    def __call__(self, centers, center_shift, first, labels, blocks):
        half_c_sq = 0.5 * np.einsum("ij,ij->i", centers, centers)  # (n_clusters,)
        blocks.inertia[:] = 0.0
        blocks.changed[:] = 0
        totals = np.zeros(2)  # inertia, labels changed
        for start in range(0, self.X.shape[0], BLAS_CHUNK):
            stop = min(start + BLAS_CHUNK, self.X.shape[0])
            dots = self.dots[: len(centers) * (stop - start)].reshape(len(centers), -1)
            np.dot(centers, self.X[start:stop].T, out=dots)  # (n_clusters, chunk)
            nearest_from_products(dots, half_c_sq, self.X[start:stop], centers,
                                  self.w[start:stop], self.best, self.best_j,
                                  labels[start:stop], totals)
        blocks.inertia[0] = totals[0]
        blocks.changed[0] = int(totals[1])
        K.accumulate_blocks(self.X, self.w, labels, blocks.sums, blocks.weights)

"""Compiled kernels of greedy k-means++ seeding, with exact box pruning.

Greedy k-means++ (Arthur & Vassilvitskii 2007, "k-means++: the advantages of
careful seeding", SODA, sec. 2.2; the greedy variant keeps, of several sampled
candidates, the one that lowers the potential most) needs, for every candidate
centre ``x_c``, the potential it would leave,

    phi(c) = sum_i w_i min(D(x_i)^2, ||x_i - x_c||^2),

where ``D(x_i)^2`` is the squared distance from ``x_i`` to the nearest centre
chosen so far.  Done naively that is a pass over all samples per candidate.

Pruning (exact).  Samples are cut into fixed blocks of ``SEED_BLOCK``
consecutive rows, each with its bounding box ``[lo_b, hi_b]`` and the largest
``D(x_i)^2`` inside it, ``m_b``.  Every sample of block ``b`` is at least
``dist(x_c, box_b)`` from ``x_c``; if ``dist(x_c, box_b)^2 >= m_b`` then no
sample of the block gets closer, and the block contributes exactly its current
potential ``sum_{i in b} w_i D(x_i)^2``, known without a pass.  Late in the
seeding ``m_b`` is small and most blocks are skipped; rows that are sorted
(a colour histogram is) make the boxes tight.  A relative margin of 1e-12
keeps the test on the safe side of rounding, so pruned and unpruned runs give
bitwise the same numbers.
"""

from __future__ import annotations

import numpy as np
from numba import prange

from ._config import jit
from ._kernels import sq_dist

# Rows per pruning block: small enough for tight boxes, large enough that the
# per-block bookkeeping (box test, n_features * 2 bounds) stays negligible.
SEED_BLOCK = 256

# A block is skipped only if its box distance beats m_b by this relative margin.
PRUNE_MARGIN = 1.0 - 1e-12


@jit(inline=True)
def _box_sq_dist(C, t, lo, hi, b):
    """Squared distance from the row ``c_t`` of ``C`` to the box ``[lo_b, hi_b]``."""
    d = 0.0
    for f in range(C.shape[1]):
        v = np.float64(C[t, f])
        if v < lo[b, f]:
            d += (lo[b, f] - v) * (lo[b, f] - v)
        elif v > hi[b, f]:
            d += (v - hi[b, f]) * (v - hi[b, f])
    return d


@jit(parallel=True)
def block_boxes(
    X,  # IN (n_samples, n_features)
    lo,  # OUT (n_seed_blocks, n_features) float64
    hi,  # OUT (n_seed_blocks, n_features) float64
):
    """Bounding box of every block of ``SEED_BLOCK`` consecutive rows."""
    n_samples, n_features = X.shape
    for b in prange(lo.shape[0]):
        start = b * SEED_BLOCK
        stop = min(start + SEED_BLOCK, n_samples)
        for f in range(n_features):
            lo[b, f] = np.inf
            hi[b, f] = -np.inf
        for i in range(start, stop):
            for f in range(n_features):
                v = np.float64(X[i, f])
                lo[b, f] = min(lo[b, f], v)
                hi[b, f] = max(hi[b, f], v)


@jit(parallel=True)
def candidate_potentials(
    X,  # IN (n_samples, n_features)
    sample_weight,  # IN (n_samples,) float64
    closest,  # IN (n_samples,) float64, D(x_i)^2
    block_pot,  # IN (n_seed_blocks,) float64, sum_{i in b} w_i D(x_i)^2
    block_max,  # IN (n_seed_blocks,) float64, max_{i in b} D(x_i)^2
    lo,  # IN (n_seed_blocks, n_features) float64
    hi,  # IN (n_seed_blocks, n_features) float64
    candidates,  # IN (n_candidates, n_features) the candidate rows of X
    pot,  # OUT (n_seed_blocks, n_candidates) float64
):
    """Per block, ``sum_{i in b} w_i min(D(x_i)^2, ||x_i - x_c||^2)`` per candidate.

    The caller adds the blocks in order.  Blocks the box test proves unchanged
    copy ``block_pot`` (see the module docstring).
    """
    n_samples = X.shape[0]
    for b in prange(pot.shape[0]):
        start = b * SEED_BLOCK
        stop = min(start + SEED_BLOCK, n_samples)
        for t in range(candidates.shape[0]):
            if _box_sq_dist(candidates, t, lo, hi, b) * PRUNE_MARGIN >= block_max[b]:
                pot[b, t] = block_pot[b]
                continue
            acc = 0.0
            for i in range(start, stop):
                d = np.float64(sq_dist(X, i, candidates, t))
                acc += sample_weight[i] * min(closest[i], d)
            pot[b, t] = acc


@jit(parallel=True)
def update_closest(
    X,  # IN (n_samples, n_features)
    sample_weight,  # IN (n_samples,) float64
    center,  # IN (1, n_features) the row of X just chosen as a centre
    lo,  # IN (n_seed_blocks, n_features) float64
    hi,  # IN (n_seed_blocks, n_features) float64
    closest,  # INOUT (n_samples,) float64, D(x_i)^2
    block_pot,  # INOUT (n_seed_blocks,) float64
    block_max,  # INOUT (n_seed_blocks,) float64
):
    """``D(x_i)^2 <- min(D(x_i)^2, ||x_i - c||^2)`` and the block summaries."""
    n_samples = X.shape[0]
    for b in prange(block_pot.shape[0]):
        if _box_sq_dist(center, 0, lo, hi, b) * PRUNE_MARGIN >= block_max[b]:
            continue
        start = b * SEED_BLOCK
        stop = min(start + SEED_BLOCK, n_samples)
        acc = 0.0
        largest = 0.0
        for i in range(start, stop):
            d = np.float64(sq_dist(X, i, center, 0))
            if d < closest[i]:
                closest[i] = d
            acc += sample_weight[i] * closest[i]
            largest = max(largest, closest[i])
        block_pot[b] = acc
        block_max[b] = largest

"""Cluster sums kept exactly in integers, updated only where labels change.

On integer data (uint8/uint16 pixels or colours) with integer weights (pixel
counts, or none), every term of the M-step's sums is an integer:

    S_j = sum_{l_i = j} c_i x_i,    W_j = sum_{l_i = j} c_i,

with ``c_i = w_i 2^-w_exp`` the weights before :class:`~kmeans_core._memory.InMemory`
scaled them.  Integer addition is associative, so ``S_j`` and ``W_j`` can be
kept between iterations and patched for the samples whose label changed
(:func:`kmeans_core._hamerly.assign_hamerly_moves`), in any order and on any
number of threads, and still be exactly the sums a full recomputation gives.

Why the centres are bitwise those of the float path: when
``sum_i c_i max(x) <= 2^53`` every partial sum the float path adds is an
integer multiple of ``2^w_exp`` below ``2^53 2^w_exp``, so float64 represents
it exactly; the float sums equal ``S_j 2^w_exp`` exactly, and the one division
``c_j = S_j / W_j`` then gives the same bits.  :func:`integer_weights`
refuses data beyond that bound (the float path runs instead), which no image
reaches: 2^53 / 65535 is 1.4e11 pixels of uint16.

What it buys (American Gothic, k = 20, alternating fits in one process on a
shared 2-core host): 0.87-0.90x the fit time on the 966,600 uint8 pixels,
0.90-0.98x on the 114,571 weighted uint8 colours, where the Hamerly searches
dominate; bitwise the same fit.
"""

from __future__ import annotations

import copy

import numpy as np

from ._config import N_BLOCKS, jit
from ._lloyd import ClusterSums

EXACT_LIMIT = 2.0**53  # float64 integers are exact up to here


def integer_weights(X: np.ndarray, sample_weight: np.ndarray,
                    w_exp: int) -> np.ndarray | None:
    """Return ``c_i = w_i 2^-w_exp`` as int64 when the sums can be kept exactly.

    ``None`` (use the float path) unless ``X`` is uint8 or uint16, every
    ``c_i`` is an integer, and ``sum_i c_i max(x) <= 2^53`` with ``max(x)``
    the dtype's largest value (no pass over ``X``).  Unit weights stay a
    stride-0 view, as :func:`kmeans_core._validation.kernel_weights` lays
    weights out.
    """
    if X.dtype not in (np.uint8, np.uint16) or X.shape[0] == 0:
        return None
    n_samples = X.shape[0]
    if sample_weight.strides[0] == 0:  # one weight for all: no n_samples array
        c0 = float(np.ldexp(sample_weight[0], -w_exp))
        exact, total = c0.is_integer(), c0 * n_samples
        c = np.broadcast_to(np.int64(c0), (n_samples,))
    else:
        counts = np.ldexp(sample_weight, -w_exp)  # exact: only the exponent changes
        exact, total = bool((counts == np.floor(counts)).all()), float(counts.sum())
        c = np.empty(n_samples, dtype=np.int64)[::-1]  # kernel_weights' layout
        c[:] = counts
        c.flags.writeable = False  # read-only too: the kernels compile once
    # The float total is within n eps of the exact one: the factor 2 covers it.
    if not exact or 2.0 * total * np.iinfo(X.dtype).max > EXACT_LIMIT:
        return None
    return c


@jit(inline=True)
def add_integer_sample(
    X,  # IN (n_samples, n_features) uint8 or uint16
    i,  # IN sample index
    c,  # IN int64 weight of sample i (negative: remove it)
    j,  # IN its cluster
    b,  # IN its block
    block_moves,  # INOUT (n_blocks, n_clusters, n_features) int64
    block_weights,  # INOUT (n_blocks, n_clusters) int64
):
    """Add ``c x_i`` and ``c`` to cluster ``j``'s changes in block ``b``."""
    block_weights[b, j] += c
    for f in range(X.shape[1]):
        block_moves[b, j, f] += c * np.int64(X[i, f])


@jit()
def apply_moves(
    block_moves,  # IN (n_blocks, n_clusters, n_features) int64
    block_weights,  # IN (n_blocks, n_clusters) int64
    scale,  # IN float64, 2^w_exp
    sums,  # INOUT (n_clusters, n_features) int64, S_j
    weights,  # INOUT (n_clusters,) int64, W_j
    sums_out,  # OUT (n_clusters, n_features) float64, S_j 2^w_exp
    weights_out,  # OUT (n_clusters,) float64, W_j 2^w_exp
):
    """``S_j += sum_b moves[b, j]`` (exact), then the float64 sums the M-step reads.

    ``S_j`` and ``W_j`` are below ``2^53`` (:func:`integer_weights`), so the
    conversion is exact, and so is the product by a power of two.
    """
    n_clusters, n_features = sums.shape
    for b in range(block_moves.shape[0]):
        for j in range(n_clusters):
            weights[j] += block_weights[b, j]
            for f in range(n_features):
                sums[j, f] += block_moves[b, j, f]
    for j in range(n_clusters):
        weights_out[j] = np.float64(weights[j]) * scale
        for f in range(n_features):
            sums_out[j, f] = np.float64(sums[j, f]) * scale


@jit()
def moment_inertia(
    squares,  # IN (n_clusters,) int64, Q_j
    sums,  # IN (n_clusters, n_features) int64, S_j
    weights,  # IN (n_clusters,) int64, W_j
    centers,  # IN (n_clusters, n_features) float64
):
    """Return ``sum_j max(Q_j - 2 c_j . S_j + W_j ||c_j||^2, 0)`` in float64.

    Each term is ``sum_{l_i = j} c_i ||x_i - c_j||^2`` expanded (never
    negative; rounding could make it so when it is near zero).
    """
    total = 0.0
    for j in range(centers.shape[0]):
        cross, norm = 0.0, 0.0
        for f in range(centers.shape[1]):
            cross += centers[j, f] * np.float64(sums[j, f])
            norm += centers[j, f] * centers[j, f]
        term = np.float64(squares[j]) - 2.0 * cross + np.float64(weights[j]) * norm
        total += max(term, 0.0)
    return total


class IntegerSums:
    """``S_j`` and ``W_j`` of the current labels, and the per-block changes.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features), uint8 or uint16
    integer_weight : ndarray of shape (n_samples,), int64
        From :func:`integer_weights`.
    w_exp : int
        The weights the kernels read are ``c_i 2^w_exp``; so are the sums
        handed to the M-step.
    n_clusters : int
    squares : bool, default=False
        Also keep ``Q_j = sum_{l_i = j} c_i ||x_i||^2`` (for
        :meth:`moment_inertia`; the caller checks it fits in int64).
    """

    def __init__(self, X: np.ndarray, integer_weight: np.ndarray, w_exp: int,
                 n_clusters: int, squares: bool = False):
        n_features = X.shape[1]
        self.X = X
        self.c = integer_weight
        self.scale = float(np.ldexp(1.0, w_exp))
        self.sums = np.zeros((n_clusters, n_features), dtype=np.int64)  # S_j
        self.weights = np.zeros(n_clusters, dtype=np.int64)  # W_j
        self.block_moves = np.zeros((N_BLOCKS, n_clusters, n_features), dtype=np.int64)
        self.block_weights = np.zeros((N_BLOCKS, n_clusters), dtype=np.int64)
        self.squares = np.zeros(n_clusters, dtype=np.int64) if squares else None  # Q_j
        self.block_squares = (np.zeros((N_BLOCKS, n_clusters), dtype=np.int64)
                              if squares else None)

    def apply(self, inertia: float, changed: int) -> ClusterSums:
        """Add the blocks' changes to the sums; return them as the M-step reads them."""
        n_clusters, n_features = self.sums.shape
        sums, weights = np.empty((n_clusters, n_features)), np.empty(n_clusters)
        apply_moves(self.block_moves, self.block_weights, self.scale,
                    self.sums, self.weights, sums, weights)
        if self.squares is not None:
            self.squares += self.block_squares.sum(axis=0)  # exact: int64
        return ClusterSums(sums, weights, inertia, changed)

    def moment_inertia(self, centers: np.ndarray) -> float:
        """``sum_i w_i ||x_i - c_{l_i}||^2`` from the kept moments, in float64.

        Per cluster ``Q_j - 2 c_j . S_j + W_j ||c_j||^2`` (the expansion of the
        square), scaled by ``2^w_exp``: the same objective as a sum over the
        samples, rounded differently, with an error of a few ``eps Q_j``.
        Lloyd's rounding needs every sample (see :mod:`kmeans_core._tiles`).
        """
        inertia = moment_inertia(self.squares, self.sums, self.weights, centers)
        return inertia * self.scale

    def moved(self, labels: np.ndarray, moves: dict[int, int]) -> ClusterSums:
        """Return the sums with sample ``i`` moved from ``labels[i]`` to ``moves[i]``.

        The kept sums do not change: the labels stay as assigned.
        """
        sums, weights = self.sums.copy(), self.weights.copy()
        for i, j in moves.items():
            x = self.X[i].astype(np.int64) * self.c[i]  # (n_features,)
            sums[labels[i]] -= x
            weights[labels[i]] -= self.c[i]
            sums[j] += x
            weights[j] += self.c[i]
        return ClusterSums(sums * self.scale, weights * self.scale, 0.0, 0)

    def copy(self) -> IntegerSums:
        """Copy, so that the sums can change without changing these."""
        other = copy.copy(self)
        other.sums, other.weights = self.sums.copy(), self.weights.copy()
        other.block_moves = np.zeros_like(self.block_moves)
        other.block_weights = np.zeros_like(self.block_weights)
        if self.squares is not None:
            other.squares = self.squares.copy()
            other.block_squares = np.zeros_like(self.block_squares)
        return other

"""Initial centres: greedy k-means++, random samples, or given by the caller."""

from __future__ import annotations

import numpy as np

from . import _seeding_kernels as SK
from ._config import center_dtype


def _weighted_pick(cumulative: np.ndarray, u: float) -> int:
    """Index ``i`` drawn with probability proportional to its increment.

    ``cumulative`` is a running sum of non-negative masses and ``u`` is uniform
    on [0, 1).  ``side="right"`` never returns an entry of zero mass (its
    cumulative value equals its predecessor's).  Because only the running sum
    matters, a sample of weight 2 is drawn like two copies of it.
    """
    i = int(np.searchsorted(cumulative, u * cumulative[-1], side="right"))
    return min(i, cumulative.shape[0] - 1)


class _Potential:
    """``D(x_i)^2`` for every sample, with the per-block sums and maxima."""

    def __init__(self, X: np.ndarray, sample_weight: np.ndarray):
        self.X = X
        self.w = sample_weight
        n_blocks = -(-X.shape[0] // SK.SEED_BLOCK)
        self.lo = np.empty((n_blocks, X.shape[1]))
        self.hi = np.empty((n_blocks, X.shape[1]))
        SK.block_boxes(X, self.lo, self.hi)
        self.closest = np.full(X.shape[0], np.inf)  # (n_samples,) D(x_i)^2
        self.block_pot = np.full(n_blocks, np.inf)  # (n_blocks,)
        self.block_max = np.full(n_blocks, np.inf)  # (n_blocks,)

    def rows(self, rows) -> np.ndarray:
        """``X[rows]`` as centres (float64 for integer data)."""
        return self.X[rows].astype(center_dtype(self.X))  # (len(rows), n_features)

    def add_center(self, row: int) -> None:
        SK.update_closest(self.X, self.w, self.rows([row]), self.lo, self.hi,
                          self.closest, self.block_pot, self.block_max)

    def sample(self, u: float) -> int:
        """Draw a row with probability ``w_i D(x_i)^2 / phi``, in two levels.

        First a block by its share of the potential, then a row inside it:
        the same distribution as one running sum over all rows, without an
        ``O(n_samples)`` cumulative sum per draw.
        """
        cum_blocks = np.cumsum(self.block_pot)  # (n_blocks,)
        v = u * cum_blocks[-1]
        b = min(int(np.searchsorted(cum_blocks, v, side="right")), len(cum_blocks) - 1)
        v -= cum_blocks[b - 1] if b > 0 else 0.0
        start = b * SK.SEED_BLOCK
        stop = min(start + SK.SEED_BLOCK, self.X.shape[0])
        mass = self.w[start:stop] * self.closest[start:stop]
        i = int(np.searchsorted(np.cumsum(mass), v, side="right"))
        if i >= mass.shape[0]:  # v rounded past the block's total
            i = int(np.flatnonzero(mass > 0)[-1])
        return start + i


def kmeans_plusplus_rows(
    X: np.ndarray,
    n_clusters: int,
    sample_weight: np.ndarray,
    rng: np.random.Generator,
    n_local_trials: int | None = None,
) -> np.ndarray:
    """Rows of ``X`` chosen by greedy k-means++ (Arthur & Vassilvitskii 2007).

    The first centre is drawn with probability ``w_i / sum w``.  Each next
    centre: draw ``n_local_trials`` candidates with probability proportional to
    ``w_i D(x_i)^2`` and keep the one that leaves the smallest potential
    (``2 + int(ln k)`` trials by default, as scikit-learn does).  The
    potentials come from :mod:`kmeans_core._seeding_kernels`, which skips
    blocks of rows that provably cannot change.

    Returns
    -------
    rows : ndarray of shape (n_clusters,), int64
    """
    if n_local_trials is None:
        n_local_trials = 2 + int(np.log(n_clusters))
    rows = np.empty(n_clusters, dtype=np.int64)
    rows[0] = _weighted_pick(np.cumsum(sample_weight), rng.random())
    state = _Potential(X, sample_weight)
    state.add_center(int(rows[0]))
    pot = np.empty((state.block_pot.shape[0], n_local_trials))
    candidates = np.empty(n_local_trials, dtype=np.int64)
    for c in range(1, n_clusters):
        if not state.block_pot.sum() > 0.0:
            # Every sample already sits on a centre: any row will do.
            draws = rng.random(n_local_trials)
            rows[c] = _weighted_pick(np.cumsum(sample_weight), draws[0])
            continue
        for t, u in enumerate(rng.random(n_local_trials)):
            candidates[t] = state.sample(u)
        SK.candidate_potentials(X, sample_weight, state.closest, state.block_pot,
                                state.block_max, state.lo, state.hi,
                                state.rows(candidates), pot)
        potentials = pot.sum(axis=0)  # (n_local_trials,), blocks in fixed order
        rows[c] = candidates[int(np.argmin(potentials))]
        state.add_center(int(rows[c]))
    return rows


def random_rows(
    n_clusters: int, sample_weight: np.ndarray, rng: np.random.Generator
) -> np.ndarray:
    """``n_clusters`` distinct rows drawn with probability proportional to weight.

    When fewer than ``n_clusters`` samples have positive weight, all of them are
    taken and the rest are drawn uniformly from the zero-weight samples.
    """
    positive = np.flatnonzero(sample_weight > 0)
    if positive.size >= n_clusters:
        p = sample_weight[positive] / sample_weight[positive].sum()
        return rng.choice(positive, size=n_clusters, replace=False, p=p)
    zero = np.flatnonzero(sample_weight <= 0)
    extra = rng.choice(zero, size=n_clusters - positive.size, replace=False)
    return np.concatenate([positive, extra])

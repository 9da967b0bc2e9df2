"""Initial centres: greedy k-means++, random samples, or given by the caller."""

from __future__ import annotations

import numpy as np

from . import _kernels as K
from ._config import N_BLOCKS


def _weighted_pick(cumulative: np.ndarray, u: float) -> int:
    """Index ``i`` drawn with probability proportional to its increment.

    ``cumulative`` is a running sum of non-negative masses and ``u`` is uniform
    on [0, 1).  ``side="right"`` never returns an entry of zero mass (its
    cumulative value equals its predecessor's).  Because only the running sum
    matters, a sample of weight 2 is drawn exactly like two copies of it.
    """
    total = cumulative[-1]
    i = int(np.searchsorted(cumulative, u * total, side="right"))
    return min(i, cumulative.shape[0] - 1)


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
    (``2 + int(ln k)`` trials by default, as scikit-learn does).

    Returns
    -------
    rows : ndarray of shape (n_clusters,), int64
    """
    n_samples = X.shape[0]
    if n_local_trials is None:
        n_local_trials = 2 + int(np.log(n_clusters))
    rows = np.empty(n_clusters, dtype=np.int64)
    rows[0] = _weighted_pick(np.cumsum(sample_weight), rng.random())

    closest = np.full(n_samples, np.inf)  # (n_samples,) D(x_i)^2
    K.update_closest(X, rows[0], closest)
    block_pot = np.empty((N_BLOCKS, n_local_trials))
    candidates = np.empty(n_local_trials, dtype=np.int64)
    mass = np.empty(n_samples)  # (n_samples,) w_i D(x_i)^2
    for c in range(1, n_clusters):
        np.multiply(sample_weight, closest, out=mass)
        cumulative = np.cumsum(mass)
        if cumulative[-1] <= 0.0:
            # Every sample already sits on a centre: any row will do.
            cumulative = np.cumsum(sample_weight)
        for t, u in enumerate(rng.random(n_local_trials)):
            candidates[t] = _weighted_pick(cumulative, u)
        K.candidate_potentials(X, sample_weight, closest, candidates, block_pot)
        potentials = block_pot.sum(axis=0)  # (n_local_trials,), fixed order
        rows[c] = candidates[int(np.argmin(potentials))]
        K.update_closest(X, rows[c], closest)
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

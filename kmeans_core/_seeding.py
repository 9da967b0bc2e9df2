"""Initial centres: greedy k-means++, random samples, or given by the caller."""

from __future__ import annotations

import numpy as np

from . import _seeding_kernels as SK
from . import _validation as V
from ._config import center_dtype


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
    (``2 + int(ln k)`` trials by default, as scikit-learn does).  The loop is
    :func:`kmeans_core._seeding_kernels.greedy_kmeanspp`, which skips blocks of
    rows that provably cannot change.

    Returns
    -------
    rows : ndarray of shape (n_clusters,), int64
    """
    X, sample_weight = V.read_only(X), V.kernel_weights(sample_weight)
    if n_local_trials is None:
        n_local_trials = 2 + int(np.log(n_clusters))
    first_u = rng.random()
    trial_u = rng.random((n_clusters - 1, n_local_trials))  # the same stream
    n_blocks = -(-X.shape[0] // SK.SEED_BLOCK)
    lo = np.empty((n_blocks, X.shape[1]))  # (n_blocks, n_features) block boxes
    hi = np.empty((n_blocks, X.shape[1]))
    SK.block_boxes(X, lo, hi)
    candidates = np.empty((n_local_trials, X.shape[1]), center_dtype(X))
    rows = np.empty(n_clusters, dtype=np.int64)
    SK.greedy_kmeanspp(X, sample_weight, first_u, trial_u, lo, hi, candidates, rows)
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

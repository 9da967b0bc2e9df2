"""General data: Gaussian blobs (float32), our KMeans("auto") vs scikit-learn."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

import kmeans_core

from . import labels
from .measure import Plan, Row, time_call
from .peers import has_module

SEED = 0
# k-means++ for the shared initial centres runs on this many rows at most: on
# 1,000,000 x 32 at k = 256 it would otherwise take longer than the fits.
INIT_SAMPLE = 100_000


def make_data(n_samples: int, n_features: int, k: int) -> np.ndarray:
    """``make_blobs`` with ``k`` centres, as float32 (deterministic)."""
    from sklearn.datasets import make_blobs

    X, _ = make_blobs(n_samples=n_samples, n_features=n_features, centers=k,
                      random_state=SEED)
    return np.ascontiguousarray(X, dtype=np.float32)  # (n_samples, n_features)


def shared_init(X: np.ndarray, k: int) -> np.ndarray:
    """k-means++ (seed 0) on a fixed random subsample of at most INIT_SAMPLE rows."""
    rng = np.random.default_rng(SEED)
    rows = rng.choice(X.shape[0], size=min(INIT_SAMPLE, X.shape[0]), replace=False)
    centers, _ = kmeans_core.kmeans_plusplus(X[np.sort(rows)], k, random_state=SEED)
    return centers  # (k, n_features) float32


def run_blobs(n_samples: int, dims: tuple[int, ...], ks: tuple[int, ...], plan: Plan,
              log: Callable[[str], None]) -> tuple[list[Row], list[str]]:
    """Every (n_features, k): our fit and scikit-learn's from the same centres."""
    if not has_module("sklearn"):  # make_blobs and the baseline both need it
        return [], ["scikit-learn not installed: blobs skipped"]
    from sklearn.cluster import KMeans as SKKMeans

    rows: list[Row] = []
    for d in dims:
        for k in ks:
            log(f"  blobs n={n_samples:,} d={d} k={k}")
            X = make_data(n_samples, d, k)
            init = shared_init(X, k)
            case = f"n={n_samples:,}, d={d}"
            # untimed: loads this (dtype, n_features) specialisation of the kernels
            kmeans_core.KMeans(k, init=init, n_init=1, algorithm="auto",
                               max_iter=2).fit(X[:5000])

            def ours(X=X, k=k, init=init):
                return kmeans_core.KMeans(k, init=init, n_init=1,
                                          algorithm="auto").fit(X)

            def theirs(X=X, k=k, init=init):
                return SKKMeans(k, init=init, n_init=1, random_state=SEED).fit(X)

            t_sk, sk = time_call(theirs, plan)
            rows.append(Row("blobs", case, k, labels.BLOBS_SKLEARN, t_sk,
                            float(sk.inertia_), n_iter=int(sk.n_iter_)))
            t_us, us = time_call(ours, plan)
            rows.append(Row("blobs", case, k, labels.BLOBS_OURS, t_us,
                            float(us.inertia_), n_iter=int(us.n_iter_)))
    return rows, []

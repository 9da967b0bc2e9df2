"""Functional API: :func:`kmeans` and :func:`kmeans_plusplus`.

:func:`kmeans` is the one place where a fit is set up, for an array in memory
and for a Dask array alike: check the input, seed, run Lloyd ``n_init`` times
(:func:`kmeans_core._lloyd.lloyd`), keep the best run.
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Callable

import numpy as np

from . import _validation as V
from ._config import center_dtype, compile_seconds
from ._lloyd import IterationRecord, KMeansResult, lloyd
from ._memory import InMemory
from ._params import (
    KMeansWarning,
    check_algorithm,
    is_dask_array,
    make_rng,
    resolve_n_init,
)
from ._seeding import kmeans_plusplus_rows


def _initial_centers(data, n_clusters, init, rng) -> np.ndarray:
    """Return initial centres from ``init`` (a name, an array or a callable).

    ``"k-means++"`` is greedy k-means++ over the data's candidates: all rows
    in memory, the k-means|| sample for Dask data (weighted by the samples
    nearest to each candidate).
    """
    if isinstance(init, str):
        if init == "k-means++":
            candidates, weights = data.seed_candidates(n_clusters, rng)
            rows = kmeans_plusplus_rows(candidates, n_clusters, weights, rng)
            return candidates[rows].astype(data.center_dtype)
        if init == "random":
            return data.random_centers(n_clusters, rng)
        raise ValueError(
            f"init must be 'k-means++', 'random', an array or a callable, got "
            f"{init!r}."
        )
    centers = init(data.X, n_clusters, rng) if callable(init) else init
    if hasattr(centers, "compute"):  # a Dask array
        centers = centers.compute()
    centers = V.check_array(centers, name="init", dtype=data.center_dtype.type)
    if centers.shape != (n_clusters, data.shape[1]):
        raise ValueError(
            f"init has shape {centers.shape}, expected ({n_clusters}, "
            f"{data.shape[1]}) = (n_clusters, n_features)."
        )
    return np.array(centers)  # writable, as the centres of every other init


def _as_data(X, sample_weight):
    """Check the input: :class:`InMemory`, or chunks for a Dask array."""
    if is_dask_array(X):
        from ._dask import DaskData

        return DaskData.from_input(X, sample_weight)
    return InMemory.from_input(X, sample_weight)


def kmeans(
    X,
    n_clusters: int,
    *,
    sample_weight=None,
    init: str | np.ndarray | Callable = "k-means++",
    n_init: int | str = "auto",
    max_iter: int = 300,
    tol: float = 1e-4,
    verbose: int = 0,
    random_state=None,
    algorithm: str = "auto",
) -> KMeansResult:
    """Cluster ``X`` into ``n_clusters`` groups with exact k-means.

    Parameters are those of :class:`kmeans_core.KMeans`.

    Returns
    -------
    result : KMeansResult
        The run of lowest inertia among the ``n_init`` runs.  For a Dask array
        ``X`` (see :mod:`kmeans_core._dask`), ``labels`` is a Dask array.
    """
    started, compiled = time.perf_counter(), compile_seconds()
    max_iter = V.check_int_param(max_iter, "max_iter", 1)
    tol = V.check_tol(tol)
    data = _as_data(X, sample_weight)
    n_clusters = V.check_n_clusters(n_clusters, data.shape[0])
    algorithm = check_algorithm(algorithm, data.shape[1])
    runs = resolve_n_init(n_init, init)
    rng = make_rng(random_state)
    abs_tol = data.weighted_tolerance(tol)

    best: KMeansResult | None = None
    for r in range(runs):
        centers0 = _initial_centers(data, n_clusters, init, rng)
        if verbose:
            print(f"Initialization {r + 1}/{runs} complete")
        run = lloyd(data, centers0, max_iter=max_iter, tol=abs_tol,
                    algorithm=algorithm, verbose=verbose)
        if best is None or run.inertia < best.inertia:
            best = run
    assert best is not None
    _warn_if_empty(data, best, n_clusters)
    history = [
        IterationRecord(float(np.ldexp(h.inertia, -data.w_exp)), h.center_shift,
                        h.seconds)
        for h in best.history
    ]
    seconds = time.perf_counter() - started - (compile_seconds() - compiled)
    return KMeansResult(
        best.centers, best.labels, float(np.ldexp(best.inertia, -data.w_exp)),
        best.n_iter, best.converged, history, runs, seconds,
    )


def _warn_if_empty(data, best: KMeansResult, n_clusters: int) -> None:
    """Warn when some clusters ended empty, saying truthfully why."""
    sizes = data.cluster_sizes(best.labels, n_clusters)
    n_used = int(np.count_nonzero(sizes))
    if n_used == n_clusters:
        return
    distinct = data.distinct_points()
    few = (f"the data has {distinct} distinct point(s) of positive weight, fewer "
           "than n_clusters")
    early = (f"the fit stopped after {best.n_iter} iteration(s), before the empty "
             "clusters were given samples again; raise max_iter or lower tol")
    if distinct is None:  # not counted on Dask data
        why = ("the data has fewer distinct points of positive weight than "
               f"n_clusters, or {early}")
    else:
        why = few if distinct < n_clusters else early
    warnings.warn(
        f"Found {n_used} non-empty clusters, fewer than n_clusters={n_clusters}: "
        f"{why}.",
        KMeansWarning,
        stacklevel=3,
    )


def kmeans_plusplus(
    X,
    n_clusters: int,
    *,
    sample_weight=None,
    random_state=None,
    n_local_trials: int | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Choose initial centres by greedy k-means++ (Arthur & Vassilvitskii 2007).

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
        The data.
    n_clusters : int
        Number of centres to choose.
    sample_weight : array-like of shape (n_samples,), default=None
        Weights; a sample is drawn with probability proportional to
        ``w_i D(x_i)^2``.
    random_state : None, int or numpy.random.Generator, default=None
        Source of randomness.
    n_local_trials : int, default=None
        Candidates tried per centre; ``2 + int(ln n_clusters)`` when None.

    Returns
    -------
    centers : ndarray of shape (n_clusters, n_features)
        The chosen rows of ``X`` (float64 for integer ``X``).
    indices : ndarray of shape (n_clusters,)
        Their row indices.
    """
    X = V.check_array(X)
    n_clusters = V.check_n_clusters(n_clusters, X.shape[0])
    w = V.check_sample_weight(sample_weight, X.shape[0])
    if n_local_trials is not None:
        n_local_trials = V.check_int_param(n_local_trials, "n_local_trials", 1)
    rng = make_rng(random_state)
    rows = kmeans_plusplus_rows(X, n_clusters, w, rng, n_local_trials)
    return X[rows].astype(center_dtype(X)), rows

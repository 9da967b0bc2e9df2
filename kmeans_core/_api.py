"""Functional API: :func:`kmeans` and :func:`kmeans_plusplus`."""

from __future__ import annotations

import numbers
import time
import warnings
from collections.abc import Callable

import numpy as np

from . import _validation as V
from ._assign import resolve_algorithm
from ._config import center_dtype, compile_seconds
from ._lloyd import IterationRecord, KMeansResult, lloyd, weighted_tolerance
from ._seeding import kmeans_plusplus_rows, random_rows

ALGORITHMS = ("auto", "lloyd", "hamerly", "blas")


class KMeansWarning(UserWarning):
    """Raised for fits that succeed with a caveat (e.g. fewer distinct points)."""


def _make_rng(random_state) -> np.random.Generator:
    """Build the one source of randomness, a Generator, from ``random_state``."""
    if isinstance(random_state, np.random.Generator):
        return random_state
    if isinstance(random_state, np.random.RandomState):
        return np.random.default_rng(random_state.randint(2**31 - 1))
    if random_state is None or isinstance(random_state, numbers.Integral):
        return np.random.default_rng(random_state)
    raise TypeError(
        "random_state must be None, an int or a numpy.random.Generator, got "
        f"{random_state!r}."
    )


def resolve_n_init(n_init, init) -> int:
    """``n_init="auto"``: 1 for k-means++ or explicit centres, 10 otherwise."""
    if isinstance(n_init, str):
        if n_init != "auto":
            raise ValueError(
                f"n_init must be a positive int or 'auto', got {n_init!r}."
            )
        is_random = isinstance(init, str) and init == "random"
        return 10 if is_random or callable(init) else 1
    n = V.check_int_param(n_init, "n_init", 1)
    if not isinstance(init, str) and not callable(init) and n != 1:
        warnings.warn(
            f"Explicit initial centres given: running one init instead of n_init={n}.",
            RuntimeWarning,
            stacklevel=3,
        )
        return 1
    return n


def _initial_centers(X, n_clusters, sample_weight, init, rng) -> np.ndarray:
    """Return initial centres from ``init`` (a name, an array or a callable)."""
    if isinstance(init, str):
        if init == "k-means++":
            rows = kmeans_plusplus_rows(X, n_clusters, sample_weight, rng)
        elif init == "random":
            rows = random_rows(n_clusters, sample_weight, rng)
        else:
            raise ValueError(
                f"init must be 'k-means++', 'random', an array or a callable, got "
                f"{init!r}."
            )
        return X[rows].astype(center_dtype(X))
    if callable(init):
        centers = init(X, n_clusters, rng)
    else:
        centers = init
    centers = V.check_array(centers, name="init", dtype=center_dtype(X).type)
    if centers.shape != (n_clusters, X.shape[1]):
        raise ValueError(
            f"init has shape {centers.shape}, expected ({n_clusters}, {X.shape[1]}) "
            "= (n_clusters, n_features)."
        )
    return centers


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
        The run of lowest inertia among the ``n_init`` runs.
    """
    started, compiled = time.perf_counter(), compile_seconds()
    X = V.check_array(X)
    n_clusters = V.check_n_clusters(n_clusters, X.shape[0])
    w = V.check_sample_weight(sample_weight, X.shape[0])
    max_iter = V.check_int_param(max_iter, "max_iter", 1)
    tol = V.check_tol(tol)
    if algorithm not in ALGORITHMS:
        raise ValueError(f"algorithm must be one of {ALGORITHMS}, got {algorithm!r}.")
    algorithm = resolve_algorithm(algorithm, X.shape[1])
    if algorithm == "blas" and X.dtype.kind != "f":
        X = X.astype(np.float64)  # BLAS multiplies floats: one copy for all runs
    runs = resolve_n_init(n_init, init)
    rng = _make_rng(random_state)
    # Scale the weights by a power of two so the largest lies in [1, 2): exact
    # (only the exponent changes), and it keeps w_i x_i from underflowing for
    # tiny weights or overflowing for huge ones.  Inertia is scaled back.
    w_exp = -int(np.floor(np.log2(w.max())))
    if w_exp != 0:
        # w * 2**w_exp without overflowing 2**w_exp itself
        w = V.kernel_weights(np.ldexp(w, w_exp))
    abs_tol = weighted_tolerance(X, w, tol)

    best: KMeansResult | None = None
    for r in range(runs):
        centers0 = _initial_centers(X, n_clusters, w, init, rng)
        if verbose:
            print(f"Initialization {r + 1}/{runs} complete")
        run = lloyd(
            X, w, centers0, max_iter=max_iter, tol=abs_tol, algorithm=algorithm,
            verbose=verbose,
        )
        if best is None or run.inertia < best.inertia:
            best = run
    assert best is not None
    _warn_if_empty(X, w, best.labels, n_clusters, best.n_iter)
    history = [
        IterationRecord(float(np.ldexp(h.inertia, -w_exp)), h.center_shift, h.seconds)
        for h in best.history
    ]
    seconds = time.perf_counter() - started - (compile_seconds() - compiled)
    return KMeansResult(
        best.centers, best.labels, float(np.ldexp(best.inertia, -w_exp)), best.n_iter,
        best.converged, history, runs, seconds,
    )


def _warn_if_empty(X, sample_weight, labels, n_clusters: int, n_iter: int) -> None:
    """Warn when some clusters ended empty, saying truthfully why."""
    n_used = np.count_nonzero(np.bincount(labels, minlength=n_clusters))
    if n_used == n_clusters:
        return
    distinct = np.unique(X[sample_weight > 0], axis=0).shape[0]  # rare path
    if distinct < n_clusters:
        why = (f"the data has {distinct} distinct point(s) of positive weight, "
               "fewer than n_clusters")
    else:
        why = (f"the fit stopped after {n_iter} iteration(s), before the empty "
               "clusters were given samples again; raise max_iter or lower tol")
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
    rng = _make_rng(random_state)
    rows = kmeans_plusplus_rows(X, n_clusters, w, rng, n_local_trials)
    return X[rows].astype(center_dtype(X)), rows

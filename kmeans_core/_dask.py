"""Lloyd's algorithm on Dask arrays: the rows stay in chunks on the workers.

:func:`kmeans_core.kmeans` and :class:`kmeans_core.KMeans` come here when ``X``
is a ``dask.array.Array`` (rows in chunks; a chunked feature axis is joined).
The maths is that of the in-memory driver (:mod:`kmeans_core._lloyd`); only
where the sums are formed changes:

* one iteration = one task per chunk (its labels against the current centres
  and its partial sums ``sum_{l_i = j} w_i x_i``, ``sum w_i``, inertia, label
  changes; see :mod:`kmeans_core._dask_chunks`) and one reduction of those
  ``(n_clusters, n_features)`` partials in float64, merged left to right in
  chunk order by a tree whose shape depends only on the number of chunks.  The
  result is the same bits whatever the number of workers or the order in
  which tasks finish; only the partials and the centres travel, the chunk
  labels stay on the workers (persisted) for the next iteration;
* empty clusters: each chunk proposes its ``m`` samples farthest from their
  centre, and the in-memory rule runs on the joined proposals;
* the stopping rules, the weight scaling and the tolerance are those of
  :func:`kmeans_core.kmeans`.

Compared with the in-memory fit from the same initial centres, the sums are
added in another order, so centres agree to rounding (1e-12 relative in the
tests), labels and iteration counts are the same.  If ``X`` is computed (read
from files, generated), every pass recomputes it: persist it first when it fits
in the cluster's memory.
"""

from __future__ import annotations

import operator
import time
import warnings

import dask
import dask.array as da
import numpy as np
from dask import delayed

from . import _validation as V
from ._api import ALGORITHMS, KMeansResult, KMeansWarning, resolve_n_init
from ._assign import resolve_algorithm
from ._dask_chunks import (
    chunk_column_sums,
    chunk_distances,
    chunk_labels,
    chunk_partials,
    merge_partials,
    new_centers,
)
from ._dask_data import DaskData, _dask_weights, check_dask_data, rows_as
from ._dask_relocate import choose_moves, chunk_farthest, chunk_resum
from ._lloyd import IterationRecord

# Partials merged per reduction task.  The tree's shape depends only on the
# number of chunks, so the order of every addition is fixed; 16 keeps the
# tree shallow (two levels up to 256 chunks) with small merge tasks.
MERGE_FANIN = 16


def ordered_sum(parts: list):
    """Merge delayed partials in chunk order with a tree of fixed shape."""
    if len(parts) == 1:
        return delayed(merge_partials, pure=True)(parts[0])
    while len(parts) > 1:
        parts = [delayed(merge_partials, pure=True)(*parts[i:i + MERGE_FANIN])
                 for i in range(0, len(parts), MERGE_FANIN)]
    return parts[0]


def assign_pass(data: DaskData, centers: np.ndarray, prev: list, algorithm: str,
                center_shift: np.ndarray | None = None):
    """One assignment pass: the persisted chunk steps and the merged partials.

    A chunk's step is its ``(labels, partials, lower bounds or None)``; it
    stays on its worker and is the next pass's ``prev`` (one task per chunk and
    pass, plus the merges).  ``center_shift`` is how far each centre moved in
    the last update (Hamerly's bounds need it).
    """
    c, shift = delayed(centers), delayed(center_shift)
    steps = [delayed(chunk_partials, pure=True)(x, w, data.w_exp, p, c, shift,
                                                algorithm)
             for x, w, p in zip(data.x_blocks, data.w_blocks, prev, strict=True)]
    steps, total = dask.persist(steps, ordered_sum(steps))
    return steps, total.compute()


def relocate_pass(data: DaskData, centers, steps, total) -> int:
    """Apply the empty-cluster rule over all chunks to ``total``'s sums.

    Returns how many clusters were empty (as the in-memory rule does).
    """
    empty = np.flatnonzero(total.weights <= 0.0)
    c = delayed(centers)
    found = dask.compute(*[
        delayed(chunk_farthest, pure=True)(x, w, data.w_exp, st, c, int(off))
        for x, w, st, off in zip(data.x_blocks, data.w_blocks, steps,
                                  data.offsets[:-1], strict=True)])
    moves, copies = choose_moves(list(found), empty, total.members)
    if moves:  # the sums again, with the moved samples in their new clusters
        parts = [delayed(chunk_resum, pure=True)(x, w, data.w_exp, st, moves,
                                                  int(off), len(centers))
                 for x, w, st, off in zip(data.x_blocks, data.w_blocks, steps,
                                           data.offsets[:-1], strict=True)]
        resum = ordered_sum(parts).compute()
        total.sums[:], total.weights[:] = resum.sums, resum.weights
    host = int(np.argmax(total.weights > 0.0))  # the first cluster with samples
    for j in copies:  # no sample left to take: share the host's centre
        total.sums[j], total.weights[j] = total.sums[host], total.weights[host]
    return int(empty.size)


def weighted_tolerance_dask(data: DaskData, tol: float) -> float:
    """:func:`kmeans_core._lloyd.weighted_tolerance` as two passes over chunks."""
    if tol == 0:
        return 0.0
    n_features = data.X.shape[1]

    def column_pass(shift, square):
        parts = dask.compute(*[
            delayed(chunk_column_sums, pure=True)(x, w, data.w_exp, shift, square)
            for x, w in zip(data.x_blocks, data.w_blocks, strict=True)])
        return np.sum(parts, axis=0)  # (n_features,), chunks in order

    total = data.weight_total
    mean = column_pass(np.zeros(n_features), False) / total
    var = column_pass(mean, True) / total
    return float(var.mean() * tol)


def lloyd_dask(data: DaskData, centers_init: np.ndarray, *, max_iter: int,
               tol: float, algorithm: str,
               verbose: int) -> tuple[KMeansResult, np.ndarray]:
    """:func:`kmeans_core._lloyd.lloyd` with the passes over chunks.

    Returns the run (its labels a lazy Dask array of persisted chunks) and the
    number of samples per cluster of the final assignment.
    """
    centers = np.array(centers_init, dtype=data.center_dtype, order="C")
    steps: list = [None] * len(data.x_blocks)
    center_shift = None  # (n_clusters,) for Hamerly's bounds, after a pass
    history = []
    strict = False
    n_iter = 0
    for it in range(max_iter):
        t0 = time.perf_counter()
        # E-step on every chunk, its partial sums merged in chunk order.
        steps, total = assign_pass(data, centers, steps, algorithm, center_shift)
        # M-step: weighted means, with empty clusters given samples first.
        moved = 0
        if (total.weights <= 0.0).any():
            moved = relocate_pass(data, centers, steps, total)
        centers, center_shift = new_centers(total.sums, total.weights, centers)
        shift = float((center_shift**2).sum())
        n_iter = it + 1
        history.append(IterationRecord(total.inertia, shift, time.perf_counter() - t0))
        if verbose:
            print(f"Iteration {it}: inertia {total.inertia:.6g}, centre shift "
                  f"{shift:.3g}")
        if moved == 0 and total.changed == 0:
            strict = True
            break
        if shift <= tol:
            break
    converged = strict or history[-1].center_shift <= tol
    if not strict:
        # Labels must belong to the centres we return.
        steps, total = assign_pass(data, centers, steps, algorithm, center_shift)
    # Keep only the labels on the workers (the steps also hold the bounds).
    labels = dask.persist(*[delayed(operator.getitem, pure=True)(st, 0)
                            for st in steps])
    label_array = da.concatenate([
        da.from_delayed(lab, shape=(int(n),), dtype=np.int32)
        for lab, n in zip(labels, np.diff(data.offsets), strict=True)])
    run = KMeansResult(centers=centers, labels=label_array, inertia=total.inertia,
                       n_iter=n_iter, converged=converged, history=history)
    return run, total.counts


def kmeans_dask(X, n_clusters, *, sample_weight, init, n_init, max_iter, tol,
                verbose, random_state, algorithm) -> KMeansResult:
    """:func:`kmeans_core.kmeans` for a Dask array ``X`` (same parameters)."""
    from ._api import _make_rng
    from ._dask_init import initial_centers_dask  # it imports this module

    if algorithm not in ALGORITHMS:
        raise ValueError(f"algorithm must be one of {ALGORITHMS}, got {algorithm!r}.")
    max_iter = V.check_int_param(max_iter, "max_iter", 1)
    tol = V.check_tol(tol)
    data = check_dask_data(X, sample_weight)
    n_clusters = V.check_n_clusters(n_clusters, data.X.shape[0])
    algorithm = resolve_algorithm(algorithm, data.X.shape[1])
    runs = resolve_n_init(n_init, init)
    rng = _make_rng(random_state)
    abs_tol = weighted_tolerance_dask(data, tol)

    best: KMeansResult | None = None
    counts = None
    for r in range(runs):
        centers0 = initial_centers_dask(data, n_clusters, init, rng)
        if verbose:
            print(f"Initialization {r + 1}/{runs} complete")
        run, run_counts = lloyd_dask(data, centers0, max_iter=max_iter, tol=abs_tol,
                                     algorithm=algorithm, verbose=verbose)
        if best is None or run.inertia < best.inertia:
            best, counts = run, run_counts
    assert best is not None
    n_used = int(np.count_nonzero(counts))
    if n_used < n_clusters:
        warnings.warn(
            f"Found {n_used} non-empty clusters, fewer than n_clusters="
            f"{n_clusters}: the data has fewer distinct points of positive weight "
            f"than n_clusters, or the fit stopped after {best.n_iter} iteration(s), "
            "before the empty clusters were given samples again (then raise "
            "max_iter or lower tol).",
            KMeansWarning,
            stacklevel=3,
        )
    scale = -data.w_exp  # weights were scaled by 2**w_exp: scale inertia back
    best.inertia = float(np.ldexp(best.inertia, scale))
    best.history = [IterationRecord(float(np.ldexp(h.inertia, scale)),
                                    h.center_shift, h.seconds)
                    for h in best.history]
    best.n_init = runs
    return best


# -- using fitted centres on Dask arrays (lazy) ------------------------------
def predict_dask(X, centers: np.ndarray):
    """Lazy labels (int32) of the nearest centre of every row of ``X``."""
    X = rows_as(X, centers)
    return X.map_blocks(lambda x: chunk_labels(_finite(x), None, centers)[0],
                        drop_axis=1, dtype=np.int32)


def score_dask(X, centers: np.ndarray, sample_weight=None) -> float:
    """``-sum_i w_i min_j ||x_i - c_j||^2`` over the chunks of ``X``."""
    X = rows_as(X, centers)
    w = _dask_weights(sample_weight, X)
    x_blocks = X.to_delayed(optimize_graph=False).ravel()
    w_blocks = ([None] * len(x_blocks) if w is None
                else w.to_delayed(optimize_graph=False).ravel())
    parts = dask.compute(*[
        delayed(lambda x, w: chunk_labels(_finite(x), w, centers)[1])(x, w)
        for x, w in zip(x_blocks, w_blocks, strict=True)])
    return -float(np.sum(parts))


def transform_dask(X, centers: np.ndarray):
    """Lazy ``(n_samples, n_clusters)`` distances of every row to every centre."""
    X = rows_as(X, centers)
    return X.map_blocks(lambda x: chunk_distances(_finite(x), centers),
                        chunks=(X.chunks[0], (centers.shape[0],)),
                        dtype=centers.dtype)


def _finite(x: np.ndarray) -> np.ndarray:
    """Refuse a chunk with NaN or infinity, as the in-memory checks do."""
    if x.size and not np.isfinite(x.min() + x.max()):
        raise ValueError("Input X contains NaN or infinity; k-means needs finite "
                         "values (drop or impute the NaN/inf entries first).")
    return x

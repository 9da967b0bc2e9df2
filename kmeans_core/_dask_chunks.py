"""What one Dask task does to one chunk of rows: the engine's kernels, per chunk.

These functions are the only place where the Dask driver
(:mod:`kmeans_core._dask`) touches the engine's internals.  Each takes one
chunk of rows as a NumPy array (plus its weights and the small shared arrays:
centres, candidates) and returns small results: partial sums of shape
``(n_clusters, n_features)``, a few candidate rows, or the chunk's labels.
They are plain functions of their arguments, so a chunk gives the same bits on
any worker.

Weights arrive unscaled; every function scales them by ``2**w_exp`` exactly
as :func:`kmeans_core.kmeans` does in memory (only the exponent changes), so
that the weighted sums are the in-memory ones.  ``w is None`` means unit
weights (``w_exp`` is then 0).

Threads: Dask runs one task per worker thread, so each task runs the kernels
on one Numba thread (``numba.set_num_threads`` is per calling thread), and
one task at a time per process (``_KERNEL_LOCK``).  The kernels reduce over
fixed blocks, so the result does not depend on either.
"""

from __future__ import annotations

import threading
from contextlib import contextmanager
from dataclasses import dataclass

import numba
import numpy as np

from . import _kernels as K
from ._assign import BlockBuffers, make_assigner
from ._config import N_BLOCKS, center_dtype
from ._lloyd import relocate_empty_clusters

# One kernel call at a time per process.  Numba's workqueue threading layer
# (the "forksafe" default without TBB, see kmeans_core._config) aborts the
# process when parallel kernels are launched from two Python threads at once,
# as Dask's threaded scheduler would do.  Worker processes with one thread each
# (the recommended setup) never wait on it.  Drop it once the kernels are safe
# to launch concurrently.
_KERNEL_LOCK = threading.Lock()


@contextmanager
def one_numba_thread():
    """Run this task's kernels on one thread (and alone), then restore."""
    with _KERNEL_LOCK:
        before = numba.get_num_threads()
        numba.set_num_threads(1)
        try:
            yield
        finally:
            numba.set_num_threads(before)


def scaled_weights(w: np.ndarray | None, n_samples: int, w_exp: int) -> np.ndarray:
    """``w * 2**w_exp`` in float64, or a stride-0 view of ones for ``None``."""
    if w is None:
        return np.broadcast_to(np.ldexp(1.0, w_exp), (n_samples,))
    return np.ldexp(np.asarray(w, dtype=np.float64), w_exp)


@dataclass
class Partials:
    """Sums of one chunk (or of consecutive chunks, once merged), all float64."""

    sums: np.ndarray  # (n_clusters, n_features) sum_{l_i = j} w_i x_i
    weights: np.ndarray  # (n_clusters,) sum_{l_i = j} w_i
    counts: np.ndarray  # (n_clusters,) int64, samples with l_i = j
    inertia: float  # sum_i w_i ||x_i - c_{l_i}||^2
    changed: int  # labels that differ from the previous pass


def merge_partials(*parts: Partials | tuple) -> Partials:
    """Add partials left to right: the caller passes them in chunk order.

    A part is a :class:`Partials` or a chunk's ``(labels, partials)`` step.
    """
    parts = tuple(p[1] if isinstance(p, tuple) else p for p in parts)
    sums = parts[0].sums.copy()
    weights = parts[0].weights.copy()
    counts = parts[0].counts.copy()
    inertia, changed = parts[0].inertia, parts[0].changed
    for p in parts[1:]:
        sums += p.sums
        weights += p.weights
        counts += p.counts
        inertia += p.inertia
        changed += p.changed
    return Partials(sums, weights, counts, inertia, changed)


def chunk_partials(
    X: np.ndarray,  # (n_chunk, n_features)
    w: np.ndarray | None,  # (n_chunk,) or None
    w_exp: int,
    prev: tuple | None,  # this chunk's previous step; None on the first pass
    centers: np.ndarray,  # (n_clusters, n_features)
    center_shift: np.ndarray | None,  # (n_clusters,) ||c_j - c_j^prev||, or None
    algorithm: str,
) -> tuple[np.ndarray, Partials, np.ndarray | None]:
    """One assignment pass over a chunk: its labels and its partial sums.

    The engine's own assignment step: ``"lloyd"``, ``"blas"``, or
    ``"hamerly"``, whose per-sample lower bounds travel in the step from one
    pass to the next, with the centres' shifts (bitwise Lloyd's labels).
    Labels that differ from those of ``prev`` are counted as changed.  Returns
    the step ``(labels, partials, lower_bounds)``, which stays on its worker as
    the next pass's ``prev``.
    """
    X = np.ascontiguousarray(X)
    if algorithm == "blas" and X.dtype.kind != "f":
        X = X.astype(np.float64)  # as kmeans() does in memory
    n_clusters, n_features = centers.shape
    weights_in = scaled_weights(w, X.shape[0], w_exp)
    labels = (np.full(X.shape[0], -1, dtype=np.int32) if prev is None
              else prev[0].copy())  # (n_chunk,) int32
    first = prev is None or center_shift is None or prev[2] is None
    blocks = BlockBuffers.empty(n_clusters, n_features)
    assign = make_assigner(algorithm, X, weights_in, n_clusters)
    if algorithm == "hamerly" and not first:
        assign.lower[:] = prev[2]  # the bounds of the previous pass
    shift = np.zeros(n_clusters) if center_shift is None else center_shift
    with one_numba_thread():
        assign(centers, shift, first, labels, blocks)
    sums = np.empty((n_clusters, n_features))
    weights = np.empty(n_clusters)
    K.merge_blocks(blocks.sums, blocks.weights, sums, weights)
    counts = np.bincount(labels, minlength=n_clusters).astype(np.int64)
    partial = Partials(sums, weights, counts, float(blocks.inertia.sum()),
                       int(blocks.changed.sum()))
    return labels, partial, (assign.lower if algorithm == "hamerly" else None)


@dataclass
class Farthest:
    """Candidates for the empty-cluster rule from one chunk (or several, joined)."""

    rows: np.ndarray  # (m, n_features) the samples, as stored
    weights: np.ndarray  # (m,) their scaled weights
    labels: np.ndarray  # (m,) int32, their clusters
    index: np.ndarray  # (m,) int64, their global row indices


def chunk_farthest(
    X: np.ndarray,  # (n_chunk, n_features)
    w: np.ndarray | None,
    w_exp: int,
    step: tuple,  # this chunk's (labels, partials) from chunk_partials
    centers: np.ndarray,  # (n_clusters, n_features)
    m: int,
    offset: int,
) -> Farthest:
    """Find the ``m`` samples of the chunk farthest from their own centre.

    Uses the engine's search (:func:`kmeans_core._kernels.farthest_samples`)
    and keeps the ``m`` best, farthest first, ties to the lower index, so that
    the candidates of all chunks, joined in chunk order, contain the ``m``
    farthest samples of the whole array in the order the in-memory rule
    ranks them.
    """
    X = np.ascontiguousarray(X)
    labels = step[0]  # (n_chunk,) int32
    weights_in = scaled_weights(w, X.shape[0], w_exp)
    eps = float(np.finfo(centers.dtype).eps)
    cand_dist = np.empty((N_BLOCKS, m))
    cand_index = np.empty((N_BLOCKS, m), dtype=np.int64)
    with one_numba_thread():
        K.farthest_samples(X, weights_in, centers, labels, (64.0 * eps) ** 2,
                           cand_dist, cand_index)
    found = cand_index >= 0
    dist, index = cand_dist[found], cand_index[found]
    keep = index[np.lexsort((index, -dist))[:m]]  # farthest first, ties: lower index
    return Farthest(X[keep].copy(), np.array(weights_in[keep]),
                    labels[keep].astype(np.int32), keep + offset)


def relocate_from_candidates(
    found: list[Farthest],  # in chunk order
    centers: np.ndarray,
    sums: np.ndarray,  # INOUT (n_clusters, n_features)
    weights: np.ndarray,  # INOUT (n_clusters,)
) -> int:
    """Apply the in-memory empty-cluster rule to the joined chunk candidates.

    Every sample that the rule could pick over the whole array is among the
    candidates, in global index order for equal distances, so running the
    rule itself (:func:`kmeans_core._lloyd.relocate_empty_clusters`) on them
    makes the same moves.
    """
    rows = np.concatenate([f.rows for f in found])
    if rows.shape[0] == 0:
        return 0
    return relocate_empty_clusters(
        np.ascontiguousarray(rows), np.concatenate([f.weights for f in found]),
        centers, np.concatenate([f.labels for f in found]), sums, weights,
    )


def new_centers(
    sums: np.ndarray, weights: np.ndarray, centers: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Run the update step on merged sums: new centres and each one's shift."""
    centers_new = np.empty_like(centers)
    shift = np.empty(centers.shape[0])  # (n_clusters,) ||c_j^new - c_j^old||
    K.average_centers(sums, weights, centers, centers_new, shift)
    return centers_new, shift


def chunk_column_sums(
    X: np.ndarray, w: np.ndarray | None, w_exp: int, shift: np.ndarray, square: bool
) -> np.ndarray:
    """Per chunk ``sum_i w_i (x_if - shift_f)`` (or squared), float64 ``(n_features,)``.

    The two passes of the weighted variance behind ``tol``
    (:func:`kmeans_core._lloyd.weighted_tolerance`).
    """
    X = np.ascontiguousarray(X)
    blocks = np.empty((N_BLOCKS, X.shape[1]))
    with one_numba_thread():
        K.weighted_column_sums(X, scaled_weights(w, X.shape[0], w_exp), shift,
                               square, blocks)
    return blocks.sum(axis=0)


def chunk_nearest(X: np.ndarray, centers: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Labels and squared distances of a chunk's rows to their nearest centre."""
    X = np.ascontiguousarray(X)
    labels = np.empty(X.shape[0], dtype=np.int32)
    sq_dist = np.empty(X.shape[0], dtype=center_dtype(X))
    with one_numba_thread():
        K.assign_labels(X, centers, labels, sq_dist)
    return labels, sq_dist


def chunk_distances(X: np.ndarray, centers: np.ndarray) -> np.ndarray:
    """``||x_i - c_j||`` for every row of the chunk and every centre (``transform``)."""
    X = np.ascontiguousarray(X)
    out = np.empty((X.shape[0], centers.shape[0]), dtype=center_dtype(X))
    with one_numba_thread():
        K.all_distances(X, centers, out)
    return out

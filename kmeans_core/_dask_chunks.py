"""What one Dask task does to one chunk of rows: the engine's kernels, per chunk.

These functions (and the empty-cluster ones in :mod:`kmeans_core._dask_relocate`)
are the only place where the Dask driver (:mod:`kmeans_core._dask`) touches
the engine's internals.  Each takes one chunk of rows as a NumPy array (plus
its weights and the small shared arrays: centres, candidates) and returns
small results: partial sums of shape ``(n_clusters, n_features)``, distances,
or the chunk's labels.
They are plain functions of their arguments, so a chunk gives the same bits on
any worker.

Weights arrive unscaled; every function scales them by ``2**w_exp`` exactly
as :func:`kmeans_core.kmeans` does in memory (only the exponent changes), so
that the weighted sums are the in-memory ones.  ``w is None`` means unit
weights (``w_exp`` is then 0).

Threads: Dask runs one task per worker thread, so each task runs the kernels
on one Numba thread (``numba.set_num_threads`` is per calling thread).  Tasks
on several threads of one process are safe: the engine launches one parallel
kernel at a time (:class:`kmeans_core._config.ParallelKernel`).  The kernels
reduce over fixed blocks, so the result depends on neither.
"""

from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass

import numba
import numpy as np

from . import _kernels as K
from . import _validation as V
from ._assign import BlockBuffers, make_assigner
from ._config import N_BLOCKS, center_dtype


@contextmanager
def one_numba_thread():
    """Run this task's kernels on one Numba thread, then restore."""
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
    return V.kernel_weights(np.ldexp(np.asarray(w, dtype=np.float64), w_exp))


@dataclass
class Partials:
    """Sums of one chunk (or of consecutive chunks, once merged), all float64."""

    sums: np.ndarray  # (n_clusters, n_features) sum_{l_i = j} w_i x_i
    weights: np.ndarray  # (n_clusters,) sum_{l_i = j} w_i
    counts: np.ndarray  # (n_clusters,) int64, samples with l_i = j
    members: np.ndarray  # (n_clusters,) int64, samples of positive weight
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
    members = parts[0].members.copy()
    inertia, changed = parts[0].inertia, parts[0].changed
    for p in parts[1:]:
        sums += p.sums
        weights += p.weights
        counts += p.counts
        members += p.members
        inertia += p.inertia
        changed += p.changed
    return Partials(sums, weights, counts, members, inertia, changed)


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
    members = np.bincount(labels[weights_in > 0], minlength=n_clusters)
    partial = Partials(sums, weights, counts, members.astype(np.int64),
                       float(blocks.inertia.sum()), int(blocks.changed.sum()))
    return labels, partial, (assign.lower if algorithm == "hamerly" else None)


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


def chunk_labels(X: np.ndarray, w: np.ndarray | None,
                 centers: np.ndarray) -> tuple[np.ndarray, float]:
    """Nearest centre of every row of a chunk, and the chunk's weighted inertia."""
    X = np.ascontiguousarray(X)
    labels = np.full(X.shape[0], -1, dtype=np.int32)
    inertia = np.empty(N_BLOCKS)
    changed = np.empty(N_BLOCKS, dtype=np.int64)
    with one_numba_thread():
        K.assign_labels(X, scaled_weights(w, X.shape[0], 0), centers, labels,
                        inertia, changed)
    return labels, float(inertia.sum())


# Rows per call of all_distances in chunk_min_sq_dist: bounds its
# (rows, n_candidates) buffer (64 MiB at 1024 candidates in float64).
MIN_DIST_ROWS = 8192


def chunk_min_sq_dist(X: np.ndarray, candidates: np.ndarray) -> np.ndarray:
    """``min_c ||x_i - c||^2`` in float64 for every row (k-means|| sampling).

    From the engine's distances (``sqrt`` then squared again: within an ulp,
    which is all a sampling probability needs), a block of rows at a time.
    """
    X = np.ascontiguousarray(X)
    out = np.empty(X.shape[0])
    buffer = np.empty((min(MIN_DIST_ROWS, X.shape[0]), candidates.shape[0]),
                      dtype=center_dtype(X))
    with one_numba_thread():
        for start in range(0, X.shape[0], MIN_DIST_ROWS):
            rows = X[start:start + MIN_DIST_ROWS]
            dist = buffer[: rows.shape[0]]
            K.all_distances(rows, candidates, dist)
            out[start:start + rows.shape[0]] = np.square(
                dist.min(axis=1).astype(np.float64))
    return out


def chunk_distances(X: np.ndarray, centers: np.ndarray) -> np.ndarray:
    """``||x_i - c_j||`` for every row of the chunk and every centre (``transform``)."""
    X = np.ascontiguousarray(X)
    out = np.empty((X.shape[0], centers.shape[0]), dtype=center_dtype(X))
    with one_numba_thread():
        K.all_distances(X, centers, out)
    return out

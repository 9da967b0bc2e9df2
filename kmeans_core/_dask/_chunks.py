"""What one Dask task does to one chunk of rows.

A chunk is fitted as in memory: its state is a
:class:`kmeans_core._memory.InMemory` (rows, scaled weights, labels, Hamerly's
bounds) that stays on its worker between passes; a pass returns a new state
(labels and bounds copied, so a task never changes its input) holding the
chunk's sums.  Only ``(n_clusters, n_features)`` sums and the centres travel.

Weights arrive unscaled; they are scaled by ``2**w_exp`` exactly as
:func:`kmeans_core.kmeans` scales them in memory.  ``w is None`` means unit
weights.  Dask runs one task per worker thread, so each task runs the kernels
on one Numba thread (the kernels reduce over fixed blocks: the same bits).
"""

from __future__ import annotations

from contextlib import contextmanager

import numba
import numpy as np

from .. import _kernels as K
from .. import _validation as V
from .._config import N_BLOCKS, center_dtype
from .._lloyd import ClusterSums, Farthest
from .._memory import InMemory


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
    """``w * 2**w_exp`` in float64, or a stride-0 view for ``None``."""
    if w is None:
        return np.broadcast_to(np.ldexp(1.0, w_exp), (n_samples,))
    return V.kernel_weights(np.ldexp(np.asarray(w, dtype=np.float64), w_exp))


def chunk_stats(x: np.ndarray, w: np.ndarray | None) -> dict:
    """Check and summarise a chunk in one task: ranges and weighted moments.

    The range of ``x`` and of ``w``, and the chunk's weight total, weighted
    mean and weighted variance per feature.

    The moments use the chunk's own weight scale (variance does not depend
    on it); :meth:`DaskData.from_input` merges them in chunk order.
    """
    x = V.read_only(np.ascontiguousarray(x))
    ww = np.ones(x.shape[0]) if w is None else np.asarray(w, dtype=np.float64)
    out = {"lo": float(x.min()) if x.size else np.inf,
           "hi": float(x.max()) if x.size else -np.inf,
           "w_lo": float(ww.min()) if ww.size else np.inf,
           "w_hi": float(ww.max()) if ww.size else -np.inf,
           "total": float(ww.sum()),
           "mean": np.zeros(x.shape[1]), "var": np.zeros(x.shape[1])}
    if not (out["w_hi"] > 0 and np.isfinite(out["w_hi"]) and np.isfinite(out["total"])):
        return out  # nothing to weigh, or refused by the caller
    ws = V.kernel_weights(np.ldexp(ww, -int(np.floor(np.log2(out["w_hi"])))))
    blocks = np.empty((N_BLOCKS, x.shape[1]))
    with one_numba_thread():
        total = ws.sum()
        K.weighted_column_sums(x, ws, np.zeros(x.shape[1]), False, blocks)
        out["mean"] = blocks.sum(axis=0) / total  # (n_features,)
        K.weighted_column_sums(x, ws, out["mean"], True, blocks)
        out["var"] = blocks.sum(axis=0) / total
    return out


def chunk_start(x, w, w_exp: int, n_clusters: int, algorithm: str) -> InMemory:
    """Make the chunk in-memory data, at the start of a run."""
    x = np.ascontiguousarray(x)
    data = InMemory(x, scaled_weights(w, x.shape[0], w_exp), w_exp)
    data.start(n_clusters, algorithm)
    return data


def chunk_e_step(state: InMemory, centers, center_shift) -> InMemory:
    """Run the E-step on the chunk; the new state keeps its sums as ``last``."""
    state = state.fork()
    with one_numba_thread():
        state.last = state.e_step(centers, center_shift)
    state.last.counts = np.bincount(state.labels(), minlength=centers.shape[0])
    return state


def merge_sums(*parts: ClusterSums) -> ClusterSums:
    """Add the sums left to right: the caller passes them in chunk order."""
    sums, weights = parts[0].sums.copy(), parts[0].weights.copy()
    inertia, changed, counts = parts[0].inertia, parts[0].changed, parts[0].counts
    for p in parts[1:]:
        sums += p.sums
        weights += p.weights
        inertia += p.inertia
        changed += p.changed
        counts = None if counts is None else counts + p.counts
    return ClusterSums(sums, weights, inertia, changed, counts)


def chunk_farthest(state: InMemory, centers, offset: int) -> Farthest:
    """Propose the chunk's candidates for the empty-cluster rule (global indices)."""
    with one_numba_thread():
        found = state.farthest(centers)
    found.index = found.index + offset
    return found


def merge_farthest(found: list[Farthest], m: int) -> Farthest:
    """Keep the ``m`` farthest of all chunks, in the in-memory order."""
    dist = np.concatenate([f.dist for f in found])
    index = np.concatenate([f.index for f in found])
    cluster = np.concatenate([f.cluster for f in found])
    top = np.lexsort((index, -dist))[:m]  # farthest first, ties: lower index
    members = np.sum([f.members for f in found], axis=0)
    return Farthest(dist[top], index[top], cluster[top], members)


def chunk_resum(state: InMemory, moves: dict[int, int], offset: int) -> ClusterSums:
    """Sum the chunk again, with its moved samples in their new clusters."""
    mine = {i - offset: j for i, j in moves.items()
            if offset <= i < offset + state.shape[0]}
    state = state.fork()
    with one_numba_thread():
        return state.resum(mine)


# Rows per call of all_distances in chunk_min_sq_dist: bounds its
# (rows, n_candidates) buffer (64 MiB at 1024 candidates in float64).
MIN_DIST_ROWS = 8192


def chunk_min_sq_dist(x: np.ndarray, candidates: np.ndarray) -> np.ndarray:
    """``min_c ||x_i - c||^2`` in float64 for every row (k-means|| sampling).

    From the engine's distances (``sqrt`` then squared: within an ulp).
    """
    x, candidates = V.read_only(np.ascontiguousarray(x)), _writable(candidates)
    out = np.empty(x.shape[0])
    buffer = np.empty((min(MIN_DIST_ROWS, x.shape[0]), candidates.shape[0]),
                      dtype=center_dtype(x))
    with one_numba_thread():
        for start in range(0, x.shape[0], MIN_DIST_ROWS):
            rows = x[start:start + MIN_DIST_ROWS]
            dist = buffer[: rows.shape[0]]
            K.all_distances(rows, candidates, dist)
            out[start:start + rows.shape[0]] = np.square(
                dist.min(axis=1).astype(np.float64))
    return out


def finite(x: np.ndarray) -> np.ndarray:
    """Refuse a chunk with NaN or infinity, as the in-memory checks do."""
    if x.size and not np.isfinite(x.min() + x.max()):
        raise ValueError("Input X contains NaN or infinity; k-means needs finite "
                         "values (drop or impute the NaN/inf entries first).")
    return V.read_only(np.ascontiguousarray(x))


def _writable(centers: np.ndarray) -> np.ndarray:
    """Centres as the in-memory fit passes them: a writable C-ordered copy.

    Arrays sent to a worker process arrive read-only, a different argument
    type for Numba: without the copy (``n_clusters`` rows) each kernel would
    compile a second time.
    """
    return np.array(centers, order="C")


def chunk_labels(x: np.ndarray, w, centers: np.ndarray) -> tuple[np.ndarray, float]:
    """Nearest centre of every row of a chunk, and the chunk's weighted inertia."""
    x, centers = finite(x), _writable(centers)
    labels = np.full(x.shape[0], -1, dtype=np.int32)
    inertia = np.empty(N_BLOCKS)
    with one_numba_thread():
        K.assign_labels(x, scaled_weights(w, x.shape[0], 0), centers, labels,
                        inertia, np.empty(N_BLOCKS, dtype=np.int64))
    return labels, float(inertia.sum())


def chunk_distances(x: np.ndarray, centers: np.ndarray) -> np.ndarray:
    """``||x_i - c_j||`` for every row of the chunk and every centre."""
    x, centers = finite(x), _writable(centers)
    out = np.empty((x.shape[0], centers.shape[0]), dtype=center_dtype(x))
    with one_numba_thread():
        K.all_distances(x, centers, out)
    return out

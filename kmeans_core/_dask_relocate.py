"""The empty-cluster rule of :mod:`kmeans_core._lloyd`, over chunks of rows.

In memory (``relocate_empty_clusters``), each empty cluster, in index order,
takes the sample of positive weight farthest from its own centre (farthest
first, ties to the lower index; not one sitting on its centre) whose cluster
keeps another sample of positive weight; the cluster sums are then recomputed
with the taken samples in their new clusters; clusters still empty copy the
sums of the first cluster (by index) that has samples.

Over chunks: each chunk proposes its ``n_clusters`` farthest samples
(:func:`chunk_farthest`).  The rule never looks past the ``n_clusters``
farthest samples of the whole array (each look either takes a sample, at
most one per empty cluster, or passes over the last member of a cluster, at
most one per non-empty cluster), and those are among the proposals, in the
same order; so :func:`choose_moves` makes the in-memory moves.  The sums are
then recomputed chunk by chunk (:func:`chunk_resum`) and merged in chunk
order.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import _kernels as K
from ._assign import BlockBuffers
from ._config import N_BLOCKS
from ._dask_chunks import Partials, one_numba_thread, scaled_weights


@dataclass
class Farthest:
    """What one chunk proposes to the rule."""

    dist: np.ndarray  # (m,) float64 ||x_i - c_{l_i}||^2, farthest first
    index: np.ndarray  # (m,) int64 global row indices
    labels: np.ndarray  # (m,) int32 their clusters


def chunk_farthest(
    X: np.ndarray,  # (n_chunk, n_features)
    w: np.ndarray | None,
    w_exp: int,
    step: tuple,  # this chunk's step from chunk_partials: labels first
    centers: np.ndarray,  # (n_clusters, n_features)
    offset: int,  # global index of the chunk's first row
) -> Farthest:
    """Propose the chunk's ``n_clusters`` samples farthest from their centre.

    The engine's search (:func:`kmeans_core._kernels.farthest_samples`, which
    skips zero weights and samples on their centre), kept in the rule's order.
    """
    X = np.ascontiguousarray(X)
    labels = step[0]  # (n_chunk,) int32
    weights_in = scaled_weights(w, X.shape[0], w_exp)
    m = min(centers.shape[0], X.shape[0])
    eps = float(np.finfo(centers.dtype).eps)
    cand_dist = np.empty((N_BLOCKS, m))
    cand_index = np.empty((N_BLOCKS, m), dtype=np.int64)
    with one_numba_thread():
        K.farthest_samples(X, weights_in, centers, labels, (64.0 * eps) ** 2,
                           cand_dist, cand_index)
    found = cand_index >= 0
    dist, index = cand_dist[found], cand_index[found]
    order = np.lexsort((index, -dist))[:m]  # farthest first, ties: lower index
    return Farthest(dist[order], index[order] + offset, labels[index[order]])


def choose_moves(found: list[Farthest], empty: np.ndarray, members: np.ndarray,
                 ) -> tuple[dict[int, int], list[int]]:
    """Apply the rule to the proposals of all chunks (in chunk order).

    Parameters
    ----------
    found : list of Farthest
        One per chunk, in chunk order.
    empty : ndarray of int
        The empty clusters, in index order.
    members : ndarray of shape (n_clusters,), int64
        Samples of positive weight per cluster (all chunks).

    Returns
    -------
    moves : dict of int to int
        Global row index -> the empty cluster it moves to.
    copies : list of int
        Empty clusters left without a sample (they copy the sums of the first
        cluster with samples, once the sums are recomputed).
    """
    dist = np.concatenate([f.dist for f in found])
    index = np.concatenate([f.index for f in found])
    labels = np.concatenate([f.labels for f in found])
    order = np.lexsort((index, -dist))  # the in-memory order, over all chunks
    members = members.copy()
    candidates = iter(order)
    moves: dict[int, int] = {}
    copies: list[int] = []
    for j in empty:
        c = next((c for c in candidates if members[labels[c]] > 1), None)
        if c is None:
            copies.append(int(j))
            continue
        members[labels[c]] -= 1
        moves[int(index[c])] = int(j)
    return moves, copies


def chunk_resum(
    X: np.ndarray,  # (n_chunk, n_features)
    w: np.ndarray | None,
    w_exp: int,
    step: tuple,  # this chunk's step: labels first
    moves: dict[int, int],  # global row index -> new cluster
    offset: int,
    n_clusters: int,
) -> Partials:
    """Sum the chunk's clusters again, moved samples in their new clusters."""
    X = np.ascontiguousarray(X)
    labels = step[0].copy()
    for i, j in moves.items():
        if offset <= i < offset + X.shape[0]:
            labels[i - offset] = j
    blocks = BlockBuffers.empty(n_clusters, X.shape[1])
    sums = np.empty((n_clusters, X.shape[1]))
    weights = np.empty(n_clusters)
    with one_numba_thread():
        K.accumulate_blocks(X, scaled_weights(w, X.shape[0], w_exp), labels,
                            blocks.sums, blocks.weights)
        K.merge_blocks(blocks.sums, blocks.weights, sums, weights)
    zeros = np.zeros(n_clusters, dtype=np.int64)
    return Partials(sums, weights, zeros, zeros, 0.0, 0)

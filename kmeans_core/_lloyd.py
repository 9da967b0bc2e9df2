"""The Lloyd driver: allocate buffers once, iterate the kernels, decide when to stop.

Stopping rules (the same as scikit-learn's, so results can be compared):

* strict convergence: the labels did not change during an iteration;
* tolerance: the squared centre shift summed over clusters,
  ``sum_j ||c_j^new - c_j^old||^2``, is at most ``tol * mean_f var_w(X[:, f])``
  where ``var_w`` is the *weighted* variance of feature ``f``.  With unit
  weights this is scikit-learn's rule; with weights it makes a fit on a
  weighted colour histogram stop exactly where the fit on all pixels stops;
* ``max_iter`` iterations.

Unless the labels converged strictly, a final assignment step runs so that the
returned labels are those of the returned centres.

Empty clusters.  An M-step must give every cluster a centre that is the
weighted mean of some samples.  After the E-step, each cluster of zero weight
(in index order) takes a sample from another cluster: the sample of positive
weight that is farthest from its own centre (farthest first, ties to the lower
sample index), among those that do not sit on their centre (within 64 ulps of
their norm) and whose cluster keeps at least one other sample.  The sample
moves: the cluster sums are recomputed with it in its new cluster (not
patched by subtraction, whose rounding residue divided by itself once put a
centre far outside the data).  When no such sample is left, the data has fewer
distinct points than clusters, and the empty cluster gets a copy of the sums
of the first cluster (by index) that has samples: the two centres are then
the same bits, and ties send samples to the lower index.
An iteration that relocated a cluster never counts as converged by unchanged
labels: its centres moved after the assignment.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np

from . import _kernels as K
from ._assign import BlockBuffers, make_assigner
from ._config import N_BLOCKS, center_dtype, compile_seconds


@dataclass(frozen=True)
class IterationRecord:
    """What one Lloyd iteration did.

    Attributes
    ----------
    inertia : float
        ``sum_i w_i ||x_i - c_{l_i}||^2`` after this iteration's assignment
        (against the centres the iteration started from).
    center_shift : float
        ``sum_j ||c_j^new - c_j^old||^2``, the quantity compared with ``tol``.
    seconds : float
        Wall time of the iteration, without Numba compiling kernels (the first
        run on a machine).
    """

    inertia: float
    center_shift: float
    seconds: float


@dataclass
class KMeansResult:
    """What :func:`kmeans_core.kmeans` returns (and one Lloyd run).

    Attributes
    ----------
    centers : ndarray of shape (n_clusters, n_features)
        Final centres: float32 for float32 data, float64 otherwise.
    labels : ndarray of shape (n_samples,), int32
        Index of the nearest centre of every sample.
    inertia : float
        ``sum_i w_i ||x_i - c_{l_i}||^2`` for the returned centres and labels.
    n_iter : int
        Iterations of the best run.
    converged : bool
        Whether the best run stopped by the labels or ``tol``, not ``max_iter``.
    history : list of IterationRecord
        Per-iteration inertia, centre shift and seconds of the best run.
    n_init : int
        How many runs were made.
    seconds : float
        Wall time of the whole fit (seeding and every run), without the time
        Numba spent compiling kernels (the first run on a machine).
    """

    centers: np.ndarray
    labels: np.ndarray
    inertia: float
    n_iter: int
    converged: bool
    history: list[IterationRecord] = field(default_factory=list)
    n_init: int = 1
    seconds: float = 0.0


def weighted_tolerance(X: np.ndarray, sample_weight: np.ndarray, tol: float) -> float:
    """``tol`` times the mean over features of the weighted variance of ``X``.

    ``var_w(f) = sum_i w_i (x_if - mean_w(f))^2 / sum_i w_i``, in float64.
    """
    if tol == 0:
        return 0.0
    total = sample_weight.sum()
    blocks = np.empty((N_BLOCKS, X.shape[1]))
    K.weighted_column_sums(X, sample_weight, np.zeros(X.shape[1]), False, blocks)
    mean = blocks.sum(axis=0) / total  # (n_features,)
    K.weighted_column_sums(X, sample_weight, mean, True, blocks)
    var = blocks.sum(axis=0) / total  # (n_features,)
    return float(var.mean() * tol)


def relocate_empty_clusters(
    X: np.ndarray,
    sample_weight: np.ndarray,
    centers: np.ndarray,
    labels: np.ndarray,
    blocks: BlockBuffers,
    sums: np.ndarray,
    weights: np.ndarray,
) -> int:
    """Give every empty cluster a sample (the rule is in the module docstring).

    ``centers`` are those the assignment ``labels`` was made against; ``sums``
    and ``weights`` are its merged cluster sums, updated in place.  ``labels``
    are left as the assignment wrote them.  Returns how many clusters were
    empty.
    """
    empty = np.flatnonzero(weights <= 0.0)
    if empty.size == 0:
        return 0
    n_clusters = weights.shape[0]
    # Rare path: counting members costs a pass over the labels.
    members = np.bincount(labels[sample_weight > 0], minlength=n_clusters)
    # A sample within rounding of its centre (64 ulps of its own norm) counts
    # as sitting on it: the mean of identical rows can be an ulp off, and
    # moving such a row would only make clusters trade it back and forth.
    eps = float(np.finfo(centers.dtype).eps)
    # Each taken sample may leave its cluster with one member, whose last
    # sample must then be passed over: n_clusters candidates per block are
    # always enough to find the len(empty) farthest that may move.
    m = min(n_clusters, X.shape[0])
    cand_dist = np.empty((N_BLOCKS, m))
    cand_index = np.empty((N_BLOCKS, m), dtype=np.int64)
    K.farthest_samples(X, sample_weight, centers, labels, (64.0 * eps) ** 2,
                       cand_dist, cand_index)
    found = cand_index >= 0
    dist, index = cand_dist[found], cand_index[found]
    candidates = iter(index[np.lexsort((index, -dist))])  # farthest first
    moved = []  # (sample, its old cluster)
    copies = []  # empty clusters left without a sample to take
    for j in empty:
        i = next((i for i in candidates if members[labels[i]] > 1), None)
        if i is None:
            copies.append(j)
            continue
        members[labels[i]] -= 1
        moved.append((i, labels[i]))
        labels[i] = j
    if moved:
        # The sums again, with the moved samples in their new clusters.
        K.accumulate_blocks(X, sample_weight, labels, blocks.sums, blocks.weights)
        K.merge_blocks(blocks.sums, blocks.weights, sums, weights)
    # Clusters left empty share the centre of the first cluster with samples
    # (by cluster index: the choice must not depend on the order of the rows).
    host = int(np.argmax(weights > 0.0))
    for j in copies:
        sums[j], weights[j] = sums[host], weights[host]
    for i, old in moved:
        labels[i] = old
    return int(empty.size)


def lloyd(
    X: np.ndarray,
    sample_weight: np.ndarray,
    centers_init: np.ndarray,
    *,
    max_iter: int,
    tol: float,
    algorithm: str = "lloyd",
    verbose: int = 0,
) -> KMeansResult:
    """Run Lloyd's algorithm from ``centers_init``.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features), float32, float64 or uint8/uint16
        Validated data, C-contiguous.  Integer data is read as it is and
        computed in float64 (centres are float64).
    sample_weight : ndarray of shape (n_samples,), float64
        Validated non-negative weights.
    centers_init : ndarray of shape (n_clusters, n_features)
        Initial centres (copied, cast to :func:`center_dtype` of ``X``).
    max_iter : int
        Maximum number of iterations.
    tol : float
        Absolute tolerance on the summed squared centre shift (already scaled,
        see :func:`weighted_tolerance`).
    algorithm : {"lloyd", "hamerly", "blas"}, default="lloyd"
        How the assignment step is computed (see :mod:`kmeans_core._assign`).
        "lloyd" and "hamerly" give bitwise identical results.
    verbose : int, default=0
        Print one line per iteration when positive.

    Returns
    -------
    run : KMeansResult
    """
    n_samples, n_features = X.shape
    n_clusters = centers_init.shape[0]
    # Buffers, allocated once; the loop below allocates nothing of size n_samples.
    centers = np.array(centers_init, dtype=center_dtype(X), order="C")
    centers_new = np.empty_like(centers)
    labels = np.full(n_samples, -1, dtype=np.int32)
    blocks = BlockBuffers.empty(n_clusters, n_features)
    sums = np.empty((n_clusters, n_features))
    weights = np.empty(n_clusters)
    center_shift = np.zeros(n_clusters)
    assign = make_assigner(algorithm, X, sample_weight, n_clusters)

    history: list[IterationRecord] = []
    strict = False
    n_iter = 0
    for it in range(max_iter):
        t0, compiled = time.perf_counter(), compile_seconds()
        # E-step: nearest centre of every sample; per block, the cluster sums.
        assign(centers, center_shift, it == 0, labels, blocks)
        inertia = float(blocks.inertia.sum())  # the same 64 blocks every time
        changed = int(blocks.changed.sum())
        # M-step: every centre moves to the weighted mean of its samples.
        K.merge_blocks(blocks.sums, blocks.weights, sums, weights)
        moved = relocate_empty_clusters(X, sample_weight, centers, labels, blocks,
                                        sums, weights)
        K.average_centers(sums, weights, centers, centers_new, center_shift)
        centers, centers_new = centers_new, centers
        shift = float((center_shift**2).sum())
        n_iter = it + 1
        seconds = time.perf_counter() - t0 - (compile_seconds() - compiled)
        history.append(IterationRecord(inertia, shift, seconds))
        if verbose:
            print(f"Iteration {it}: inertia {inertia:.6g}, centre shift {shift:.3g}")
        if moved == 0 and changed == 0:
            strict = True
            if verbose:
                print(f"Converged at iteration {it}: labels did not change.")
            break
        if shift <= tol:
            if verbose:
                print(f"Converged at iteration {it}: shift {shift:.3g} <= {tol:.3g}.")
            break
    converged = strict or (n_iter > 0 and history[-1].center_shift <= tol)
    if not strict:
        # Labels must belong to the centres we return.
        assign(centers, center_shift, n_iter == 0, labels, blocks)
    inertia = float(blocks.inertia.sum())
    return KMeansResult(centers, labels, inertia, n_iter, converged, history)

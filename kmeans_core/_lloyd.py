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

Empty clusters: after the weighted sums are formed, every cluster of zero
weight takes the sample of positive weight that is farthest from its own
centre (the ``m`` empty clusters, in index order, take the ``m`` farthest
samples, farthest first, ties to the lower sample index); that sample's
contribution moves from its old cluster to the empty one.  If every sample
already sits on its centre (within 64 ulps of its norm), empty clusters keep
their centre.  An iteration that relocated a cluster never counts as converged
by unchanged labels: its centres moved after the assignment.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np

from . import _kernels as K
from ._assign import BlockBuffers, make_assigner
from ._config import N_BLOCKS, center_dtype


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
        Wall time of the iteration.
    """

    inertia: float
    center_shift: float
    seconds: float


@dataclass
class LloydRun:
    """Result of one Lloyd run from one set of initial centres."""

    centers: np.ndarray
    labels: np.ndarray
    inertia: float
    n_iter: int
    converged: bool
    history: list[IterationRecord] = field(default_factory=list)


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
    sums: np.ndarray,
    weights: np.ndarray,
) -> int:
    """Give each empty cluster the farthest sample (see module docstring).

    ``centers`` are those the assignment ``labels`` was made against.
    Modifies ``sums`` and ``weights`` in place and returns how many clusters
    were relocated.  ``labels`` are left as the assignment step wrote them.
    """
    empty = np.flatnonzero(weights <= 0.0)
    if empty.size == 0:
        return 0
    # A sample within rounding of its centre (64 ulps of its own norm) counts
    # as sitting on it: the mean of identical rows can be an ulp off, and
    # moving such a row would only make clusters trade it back and forth.
    eps = float(np.finfo(centers.dtype).eps)
    m = min(empty.size, X.shape[0])
    cand_dist = np.empty((N_BLOCKS, m))
    cand_index = np.empty((N_BLOCKS, m), dtype=np.int64)
    K.farthest_samples(X, sample_weight, centers, labels, (64.0 * eps) ** 2,
                       cand_dist, cand_index)
    found = cand_index >= 0
    dist, index = cand_dist[found], cand_index[found]
    order = np.lexsort((index, -dist))[:m]  # farthest first, ties: lower index
    moved = 0
    for j, i, d in zip(empty, index[order], dist[order], strict=False):
        if d <= 0.0:
            break
        old, w = labels[i], sample_weight[i]
        x = X[i].astype(np.float64)
        sums[old] -= w * x
        weights[old] -= w
        sums[j] = w * x
        weights[j] = w
        moved += 1
    return moved


def lloyd(
    X: np.ndarray,
    sample_weight: np.ndarray,
    centers_init: np.ndarray,
    *,
    max_iter: int,
    tol: float,
    algorithm: str = "lloyd",
    verbose: int = 0,
) -> LloydRun:
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
    run : LloydRun
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
        t0 = time.perf_counter()
        # E-step: nearest centre of every sample, and its per-block sums.
        assign(centers, center_shift, it == 0, labels, blocks)
        inertia = float(blocks.inertia.sum())  # 64 blocks, in order
        changed = int(blocks.changed.sum())
        # M-step: weighted means, with empty clusters relocated first.
        K.merge_blocks(blocks.sums, blocks.weights, sums, weights)
        moved = relocate_empty_clusters(X, sample_weight, centers, labels, sums,
                                        weights)
        K.average_centers(sums, weights, centers, centers_new, center_shift)
        centers, centers_new = centers_new, centers
        shift = float((center_shift**2).sum())
        n_iter = it + 1
        history.append(IterationRecord(inertia, shift, time.perf_counter() - t0))
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
    return LloydRun(centers, labels, inertia, n_iter, converged, history)

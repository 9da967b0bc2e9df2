"""The Lloyd driver, written once for data in memory and data in Dask chunks.

One iteration, as in the textbook (Lloyd 1982):

1. E-step: every sample takes its nearest centre; the same pass adds up, per
   cluster, the weighted sums ``sum_{l_i = j} w_i x_i`` and ``sum_{l_i = j} w_i``
   (:meth:`Data.e_step`; the labels stay with the data);
2. empty clusters get a sample (:func:`relocate_empty_clusters`);
3. M-step: every centre becomes the weighted mean of its samples
   (:func:`m_step`);
4. stop when no label changed, when the centres barely moved, or after
   ``max_iter`` iterations.

The data is anything with the methods of :class:`Data`:
:class:`kmeans_core._memory.InMemory` (one array, the compiled kernels) or
:class:`kmeans_core._dask.DaskData` (one task per chunk, sums merged in chunk
order).

Stopping rules (scikit-learn's, so results can be compared): strict
convergence when the labels did not change; or the squared centre shift
``sum_j ||c_j^new - c_j^old||^2`` at most ``tol * mean_f var_w(X[:, f])``
(``var_w`` the *weighted* variance: a fit on a weighted colour histogram stops
where the fit on all pixels stops); or ``max_iter``.  Unless the labels
converged strictly, a final E-step makes the labels those of the returned
centres.

Empty clusters.  Each cluster of zero weight (in index order) takes a sample
from another cluster: the sample of positive weight farthest from its own
centre (ties to the lower sample index), among those that do not sit on their
centre (within 64 ulps of their norm) and whose cluster keeps at least one
other sample.  The cluster sums are then recomputed with the moved samples in
their new clusters (not patched by subtraction, whose rounding residue divided
by itself once put a centre far outside the data; on integer data with
integer weights, whose sums Hamerly keeps in int64, the patch is exact and is
what :meth:`kmeans_core._memory.InMemory.resum` does).  When no such sample is
left, the data has fewer distinct points than clusters, and the empty cluster
copies the sums of the first cluster (by index) that has samples.  An
iteration that relocated a cluster never counts as converged by unchanged
labels: its centres moved after the assignment.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np

from . import _kernels as K
from ._config import compile_seconds


@dataclass(frozen=True)
class IterationRecord:
    """What one Lloyd iteration did.

    Attributes
    ----------
    inertia : float
        ``sum_i w_i ||x_i - c_{l_i}||^2`` after this iteration's assignment
        (against the centres the iteration started from).  Where ``"hamerly"``
        filters tiles (uint8/uint16 data, integer weights, at most 4 features
        and 128 centres: :mod:`kmeans_core._tiles`) it comes from exact
        per-cluster moments: the same objective, rounded differently from
        ``"lloyd"``'s per-sample sum (relative difference ~1e-13).  The
        result's inertia always has Lloyd's bits.
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
        Index of the nearest centre of every sample (a Dask array for Dask
        input).
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


@dataclass
class ClusterSums:
    """What an E-step hands to the M-step, all float64."""

    sums: np.ndarray  # (n_clusters, n_features) sum_{l_i = j} w_i x_i
    weights: np.ndarray  # (n_clusters,) sum_{l_i = j} w_i
    inertia: float  # sum_i w_i ||x_i - c_{l_i}||^2
    changed: int  # labels that differ from the previous E-step
    counts: np.ndarray | None = None  # (n_clusters,) samples per cluster, Dask only
    inertia_is_lloyds: bool = True  # False: the same objective, rounded differently


@dataclass
class Farthest:
    """Candidates for the empty-cluster rule: farthest from their centre first."""

    dist: np.ndarray  # (m,) float64 ||x_i - c_{l_i}||^2, farthest first
    index: np.ndarray  # (m,) int64 sample indices (ties: lower index first)
    cluster: np.ndarray  # (m,) int32 their clusters
    members: np.ndarray  # (n_clusters,) int64 samples of positive weight per cluster


class Data(Protocol):
    """What the driver needs from the data (in memory or in Dask chunks)."""

    center_dtype: np.dtype

    def start(self, n_clusters: int, algorithm: str) -> None:
        """Begin a run: forget labels and bounds of any previous run."""

    def e_step(self, centers: np.ndarray, center_shift: np.ndarray) -> ClusterSums:
        """Label every sample by its nearest centre and sum the clusters."""

    def farthest(self, centers: np.ndarray) -> Farthest:
        """Find the ``n_clusters`` samples farthest from their centre (see above)."""

    def resum(self, moves: dict[int, int]) -> ClusterSums:
        """Sum the clusters again, sample ``i`` counted in cluster ``moves[i]``."""

    def lloyd_inertia(self, centers: np.ndarray) -> float:
        """Return the last E-step's inertia summed as Lloyd's E-step sums it."""

    def finish(self) -> np.ndarray:
        """End the run: return the labels of the last E-step, free the buffers."""


def m_step(sums: np.ndarray, weights: np.ndarray, centers: np.ndarray):
    """Every centre becomes the weighted mean of its samples.

    Returns the new centres (dtype of ``centers``) and how far each moved,
    ``||c_j^new - c_j^old||`` (float64, what Hamerly's bounds need).
    """
    centers_new = np.empty_like(centers)
    center_shift = np.empty(centers.shape[0])  # (n_clusters,)
    K.average_centers(sums, weights, centers, centers_new, center_shift)
    return centers_new, center_shift


def choose_moves(found: Farthest, empty: np.ndarray):
    """Apply the empty-cluster rule to the candidates: which sample goes where.

    Returns ``moves`` (sample index -> the empty cluster it joins) and the
    empty clusters left without a sample (they copy another cluster's sums).
    """
    members = found.members.copy()
    candidates = iter(range(found.index.shape[0]))  # farthest first
    moves: dict[int, int] = {}
    copies: list[int] = []
    for j in empty:
        c = next((c for c in candidates if members[found.cluster[c]] > 1), None)
        if c is None:
            copies.append(int(j))
            continue
        members[found.cluster[c]] -= 1
        moves[int(found.index[c])] = int(j)
    return moves, copies


def relocate_empty_clusters(data: Data, centers: np.ndarray, step: ClusterSums) -> int:
    """Give every empty cluster a sample; update ``step``'s sums in place.

    ``centers`` are those the E-step assigned against.  Returns how many
    clusters were empty.  The labels are not changed: the moved samples count
    in their new clusters only in the sums.
    """
    empty = np.flatnonzero(step.weights <= 0.0)
    if empty.size == 0:
        return 0
    moves, copies = choose_moves(data.farthest(centers), empty)
    if moves:
        again = data.resum(moves)
        step.sums[:], step.weights[:] = again.sums, again.weights
    host = int(np.argmax(step.weights > 0.0))  # first cluster with samples
    for j in copies:
        step.sums[j], step.weights[j] = step.sums[host], step.weights[host]
    return int(empty.size)


def lloyd(
    data: Data,
    centers_init: np.ndarray,
    *,
    max_iter: int,
    tol: float,
    algorithm: str = "lloyd",
    verbose: int = 0,
) -> KMeansResult:
    """Run Lloyd's algorithm on ``data`` from ``centers_init``.

    Parameters
    ----------
    data : Data
        Validated data (:class:`kmeans_core._memory.InMemory` or
        :class:`kmeans_core._dask.DaskData`).
    centers_init : ndarray of shape (n_clusters, n_features)
        Initial centres (copied, cast to the centre dtype of the data).
    max_iter : int
        Maximum number of iterations.
    tol : float
        Absolute tolerance on the summed squared centre shift (already scaled
        by the weighted variance).
    algorithm : {"lloyd", "hamerly", "blas"}, default="lloyd"
        The E-step (see :mod:`kmeans_core._assign`); "lloyd" and "hamerly"
        give bitwise identical results.
    verbose : int, default=0
        Print one line per iteration when positive.

    Returns
    -------
    run : KMeansResult
    """
    centers = np.array(centers_init, dtype=data.center_dtype, order="C")
    center_shift = np.zeros(centers.shape[0])  # (n_clusters,) float64
    data.start(centers.shape[0], algorithm)
    history: list[IterationRecord] = []
    strict = False
    for it in range(max_iter):
        t0, compiled = time.perf_counter(), compile_seconds()
        # E-step: nearest centres, and the weighted sums of every cluster.
        step = data.e_step(centers, center_shift)
        assigned = centers
        moved = relocate_empty_clusters(data, centers, step)
        # M-step: every centre moves to the weighted mean of its samples.
        centers, center_shift = m_step(step.sums, step.weights, centers)
        shift = float((center_shift**2).sum())
        seconds = time.perf_counter() - t0 - (compile_seconds() - compiled)
        history.append(IterationRecord(step.inertia, shift, seconds))
        if verbose:
            print(f"Iteration {it}: inertia {step.inertia:.6g}, centre shift "
                  f"{shift:.3g}")
        if moved == 0 and step.changed == 0:
            strict = True
            if verbose:
                print(f"Converged at iteration {it}: labels did not change.")
            break
        if shift <= tol:
            if verbose:
                print(f"Converged at iteration {it}: shift {shift:.3g} <= {tol:.3g}.")
            break
    converged = strict or history[-1].center_shift <= tol
    if not strict:
        step = data.e_step(centers, center_shift)  # labels of the returned centres
        assigned = centers
    # The result's inertia has Lloyd's bits whatever the E-step summed.
    inertia = step.inertia if step.inertia_is_lloyds else data.lloyd_inertia(assigned)
    return KMeansResult(centers, data.finish(), inertia, len(history), converged,
                        history)

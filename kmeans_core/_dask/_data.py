"""Data in Dask chunks of rows: the driver's interface, one task per chunk.

:class:`DaskData` has the methods :func:`kmeans_core._lloyd.lloyd` calls
(:class:`kmeans_core._lloyd.Data`).  A pass is one task per chunk
(:mod:`kmeans_core._dask._chunks`) and one reduction of their
``(n_clusters, n_features)`` float64 sums, merged left to right in chunk order
by a tree whose shape depends only on the number of chunks: the same bits
whatever the number of workers or the order in which tasks finish.
"""

from __future__ import annotations

import numbers
from operator import attrgetter, methodcaller

import dask
import dask.array as da
import numpy as np
from dask import delayed

from .. import _validation as V
from .._config import center_dtype
from .._lloyd import ClusterSums, Farthest
from . import _chunks as C

# Sums merged per reduction task: a tree of fixed shape, two levels up to 256
# chunks, with small merge tasks.
MERGE_FANIN = 16


def ordered_sum(parts: list):
    """Merge delayed sums in chunk order with a tree of fixed shape."""
    if len(parts) == 1:
        return delayed(C.merge_sums, pure=True)(parts[0])
    while len(parts) > 1:
        parts = [delayed(C.merge_sums, pure=True)(*parts[i:i + MERGE_FANIN])
                 for i in range(0, len(parts), MERGE_FANIN)]
    return parts[0]


class DaskData:
    """Validated chunked data, and the chunk states of the current run."""

    def __init__(self, X: da.Array, w: da.Array | None, stats: list[dict]):
        self.X = X  # (n_samples, n_features), rows in chunks, features in one
        self.shape = X.shape
        self.center_dtype = center_dtype(X)
        self.x_blocks = list(X.to_delayed(optimize_graph=False).ravel())
        self.w_blocks = ([None] * len(self.x_blocks) if w is None
                         else list(w.to_delayed(optimize_graph=False).ravel()))
        sizes = np.array(X.chunks[0], dtype=np.int64)
        self.offsets = np.concatenate([[0], np.cumsum(sizes)])  # (n_chunks + 1,)
        self.chunk_weights = np.array([s["total"] for s in stats])  # unscaled
        w_hi = max(s["w_hi"] for s in stats)
        self.w_exp = -int(np.floor(np.log2(w_hi)))  # as kmeans() scales in memory
        # Weighted variance from the chunks' moments, merged in chunk order:
        # var = sum_c W_c (var_c + (mean_c - mean)^2) / W.
        total = self.chunk_weights.sum()
        mean = np.sum([s["total"] * s["mean"] for s in stats], axis=0) / total
        self.variance = float((np.sum(
            [s["total"] * (s["var"] + (s["mean"] - mean) ** 2) for s in stats],
            axis=0) / total).mean())
        self.states: list = []
        self.counts: dict = {}  # labels' name -> samples per cluster

    @classmethod
    def from_input(cls, X: da.Array, sample_weight) -> DaskData:
        """Validate ``X`` and ``sample_weight`` as :func:`kmeans_core.kmeans` does.

        One task per chunk (:func:`_chunks.chunk_stats`) finds the range of
        ``X`` and of the weights and the weighted moments behind ``tol``.  It
        runs on the same per-chunk keys as the fit's passes, so data that is
        not persisted is computed the same way in every pass.
        """
        X = as_rows(X, V.kernel_dtype(X.dtype))
        w = dask_weights(sample_weight, X)
        w_parts = ([None] * X.numblocks[0] if w is None
                   else w.to_delayed(optimize_graph=False).ravel())
        stats = dask.compute(*[
            delayed(C.chunk_stats, pure=True)(x, wb)
            for x, wb in zip(X.to_delayed(optimize_graph=False).ravel(), w_parts,
                             strict=True)])
        if w is not None:
            lo = min(s["w_lo"] for s in stats)
            hi = max(s["w_hi"] for s in stats)
            if np.isnan([s["w_lo"] + s["total"] for s in stats]).any() or not (
                    np.isfinite(lo) and np.isfinite(hi)):
                raise ValueError("sample_weight contains NaN or infinity.")
            if lo < 0:
                raise ValueError(f"Negative values in sample_weight (minimum {lo}); "
                                 "weights must be >= 0.")
            if not hi > 0:
                raise ValueError("All sample_weight values are zero; at least one "
                                 "must be > 0.")
        lo = np.array([s["lo"] for s in stats])
        hi = np.array([s["hi"] for s in stats])
        if not (np.isfinite(lo).all() and np.isfinite(hi).all()):
            what = "NaN" if np.isnan(lo).any() or np.isnan(hi).any() else "infinity"
            raise ValueError(f"Input X contains {what}; k-means needs finite values "
                             "(drop or impute the NaN/inf entries first).")
        V._check_magnitude(X, max(-float(lo.min()), float(hi.max())), "X")
        return cls(X, w, list(stats))

    # -- what the driver calls ------------------------------------------------
    def start(self, n_clusters: int, algorithm: str) -> None:
        """Begin a run: every chunk as in-memory data without labels."""
        self.states = [delayed(C.chunk_start, pure=True)(x, w, self.w_exp,
                                                         n_clusters, algorithm)
                       for x, w in zip(self.x_blocks, self.w_blocks, strict=True)]

    def e_step(self, centers: np.ndarray, center_shift: np.ndarray) -> ClusterSums:
        """One task per chunk; the states stay on the workers, the sums come back."""
        c, shift = delayed(centers), delayed(center_shift)
        states = [delayed(C.chunk_e_step, pure=True)(st, c, shift)
                  for st in self.states]
        sums = [delayed(attrgetter("last"), pure=True)(st)  # only the sums travel
                for st in states]
        self.states, total = dask.persist(states, ordered_sum(sums))
        self.last = total.compute()
        return self.last

    def farthest(self, centers: np.ndarray) -> Farthest:
        """Every chunk proposes its ``n_clusters`` farthest; keep the farthest of all.

        The rule never looks past the ``n_clusters`` farthest samples of the
        whole array (each look takes a sample for an empty cluster or passes
        over a cluster's last member), and those are among the proposals.
        """
        c = delayed(centers)
        found = dask.compute(*[
            delayed(C.chunk_farthest, pure=True)(st, c, int(off))
            for st, off in zip(self.states, self.offsets[:-1], strict=True)])
        return C.merge_farthest(list(found), min(centers.shape[0], self.shape[0]))

    def lloyd_inertia(self, centers: np.ndarray) -> float:
        """Return the last E-step's inertia: the chunks sum it as Lloyd does."""
        return self.last.inertia

    def resum(self, moves: dict[int, int]) -> ClusterSums:
        """Sum again, chunk by chunk, with the moved samples moved."""
        parts = [delayed(C.chunk_resum, pure=True)(st, moves, int(off))
                 for st, off in zip(self.states, self.offsets[:-1], strict=True)]
        return ordered_sum(parts).compute()

    def finish(self) -> da.Array:
        """End the run: its labels, persisted on the workers, without the bounds."""
        labels = dask.persist(*[delayed(methodcaller("labels"), pure=True)(st)
                                for st in self.states])
        array = da.concatenate([
            da.from_delayed(lab, shape=(int(n),), dtype=np.int32)
            for lab, n in zip(labels, np.diff(self.offsets), strict=True)])
        self.counts[array.name] = self.last.counts
        self.states = []  # the run is over: release the chunks' bounds
        return array

    # -- what kmeans() calls --------------------------------------------------
    def weighted_tolerance(self, tol: float) -> float:
        """``tol`` times the mean weighted variance (from the checking pass)."""
        return 0.0 if tol == 0 else self.variance * tol

    def seed_candidates(self, n_clusters: int, rng):
        """k-means|| candidates and weights (:mod:`kmeans_core._dask._init`)."""
        from ._init import kmeans_parallel

        return kmeans_parallel(self, n_clusters, rng)

    def random_centers(self, n_clusters: int, rng) -> np.ndarray:
        """Distinct rows drawn with probability proportional to weight."""
        from ._init import random_centers

        return random_centers(self, n_clusters, rng)

    def cluster_sizes(self, labels: da.Array, n_clusters: int) -> np.ndarray:
        """Count the samples per cluster (from the E-step that made ``labels``)."""
        return self.counts[labels.name]

    def distinct_points(self) -> None:
        """Return None: not counted on Dask data (it would take a shuffle)."""


def as_rows(X: da.Array, dtype: np.dtype, name: str = "X") -> da.Array:
    """2-D, known chunk sizes, one chunk of features, the kernels' dtype."""
    if X.ndim != 2:
        raise ValueError(f"Expected a 2-D array for {name}, got {X.ndim}-D with "
                         f"shape {X.shape}.")
    if any(np.isnan(c) for c in X.chunks[0]):
        X = X.compute_chunk_sizes()
    if X.shape[0] == 0 or X.shape[1] == 0:
        raise ValueError(f"Found array with shape {X.shape}: {name} needs at "
                         "least 1 sample and 1 feature.")
    if len(X.chunks[1]) > 1:
        X = X.rechunk({1: -1})
    return X.astype(dtype) if X.dtype != dtype else X


def dask_weights(sample_weight, X: da.Array) -> da.Array | None:
    """Weights as a float64 Dask array chunked like the rows (checked later)."""
    if sample_weight is None:
        return None
    n_samples = X.shape[0]
    if isinstance(sample_weight, da.Array):
        if sample_weight.dtype.kind not in "fiub":
            raise TypeError(f"sample_weight must be numeric, got dtype "
                            f"{sample_weight.dtype}.")
        if sample_weight.shape != (n_samples,):
            raise ValueError(f"sample_weight.shape == {sample_weight.shape}, "
                             f"expected ({n_samples},): one weight per sample.")
        return sample_weight.astype(np.float64).rechunk((X.chunks[0],))
    if isinstance(sample_weight, numbers.Number):
        sample_weight = np.full(n_samples, sample_weight)
    w = V.check_sample_weight(sample_weight, n_samples)
    return da.from_array(w, chunks=(X.chunks[0],))


def rows_as(X, centers: np.ndarray, owner: str = "KMeans") -> da.Array:
    """``X`` checked against fitted ``centers``, in their dtype (for predict)."""
    V.kernel_dtype(X.dtype)  # refuses non-numeric data
    X = as_rows(X, centers.dtype)
    V.check_n_features(X, centers.shape[1], owner)
    return X

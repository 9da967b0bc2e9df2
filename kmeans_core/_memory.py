"""Data in one NumPy array: the E-step kernels run on it directly.

:class:`InMemory` is what :func:`kmeans_core.kmeans` fits for an ordinary
array, and what each Dask task fits for its chunk of rows
(:mod:`kmeans_core._dask`): the labels, Hamerly's bounds and the buffers live
here, between the driver's calls.
"""

from __future__ import annotations

import copy

import numpy as np

from . import _kernels as K
from . import _tiles as T
from . import _validation as V
from ._assign import BlockBuffers, make_assigner
from ._config import N_BLOCKS, center_dtype
from ._exact_sums import IntegerSums, integer_weights
from ._lloyd import ClusterSums, Farthest
from ._seeding import random_rows


class InMemory:
    """Validated rows and weights, and the state of the run on them.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
        Validated, C-contiguous (float32, float64, uint8 or uint16).
    sample_weight : ndarray of shape (n_samples,), float64
        Validated weights, already scaled by ``2**w_exp``.
    w_exp : int, default=0
        The exponent the weights were scaled by (inertia is scaled back).
    tiles : bool, default=False
        Let Hamerly's integer path filter tiles (:mod:`kmeans_core._tiles`);
        its per-iteration inertia is then not Lloyd's rounding, so the driver
        asks :meth:`lloyd_inertia` for the final one.
    """

    def __init__(self, X: np.ndarray, sample_weight: np.ndarray, w_exp: int = 0,
                 tiles: bool = False):
        self.X = V.read_only(X)
        self.w = V.kernel_weights(sample_weight)
        self.w_exp = w_exp
        self.tiles = tiles
        self.center_dtype = center_dtype(X)
        self._labels = np.empty(0, dtype=np.int32)
        self.exact: IntegerSums | None = None
        self.tiling: T.Tiling | None = None

    @classmethod
    def from_input(cls, X, sample_weight) -> InMemory:
        """Check ``X`` and the weights; scale the weights by a power of two.

        The largest weight is brought into [1, 2): exact (only the exponent
        changes), and it keeps ``w_i x_i`` from underflowing for tiny weights
        or overflowing for huge ones.
        """
        X = V.check_array(X)
        w = V.check_sample_weight(sample_weight, X.shape[0])
        w_exp = -int(np.floor(np.log2(w.max())))
        if w_exp != 0:
            w = V.kernel_weights(np.ldexp(w, w_exp))  # without overflowing 2**w_exp
        return cls(X, w, w_exp, tiles=True)

    @property
    def shape(self) -> tuple[int, int]:
        """``(n_samples, n_features)``."""
        return self.X.shape

    def __setstate__(self, state: dict) -> None:
        """Unpickle with the weights laid out as the kernels read them.

        Dask moves chunk states between processes.  Pickling stores a
        reversed or stride-0 view as a plain array, which unpickles writable
        and C-contiguous: another argument type, for which every kernel
        would compile again.
        """
        self.__dict__.update(state)
        self.w = V.kernel_weights(self.w)
        if "assign" in state:
            self.assign.w = self.w
        if self.exact is not None:
            self.exact.c = V.kernel_weights(self.exact.c)

    # -- what the driver calls ------------------------------------------------
    def start(self, n_clusters: int, algorithm: str) -> None:
        """Begin a run: labels unknown (-1), no bounds yet."""
        X = self.X
        if algorithm == "blas" and X.dtype.kind != "f":
            X = self.X = X.astype(np.float64)  # BLAS multiplies floats
        self._labels = np.full(X.shape[0], -1, dtype=np.int32)
        # Integer data and weights: Hamerly keeps exact int64 sums and
        # touches only the samples that change label.
        c = integer_weights(X, self.w, self.w_exp) if algorithm == "hamerly" else None
        tiled = c is not None and self.tiles and T.tiles_pay(X, c, n_clusters)
        self.exact = None if c is None else IntegerSums(X, c, self.w_exp, n_clusters,
                                                        squares=tiled)
        if tiled and self.tiling is None:  # sorted once for every run
            self.tiling = T.make_tiling(X, c)
        self.assign = make_assigner(algorithm, X, self.w, n_clusters, self.exact,
                                    self.tiling if tiled else None)
        self.blocks = BlockBuffers.empty(n_clusters, X.shape[1])
        self.first = True

    def e_step(self, centers: np.ndarray, center_shift: np.ndarray) -> ClusterSums:
        """Nearest centres (the chosen E-step), then the block sums merged in order."""
        blocks = self.blocks
        self.assign(centers, center_shift, self.first, self._labels, blocks)
        self.first = False
        inertia, changed = float(blocks.inertia.sum()), int(blocks.changed.sum())
        if self.exact is None:
            return self._merged(blocks, inertia, changed)
        step = self.exact.apply(inertia, changed)
        if self.exact.squares is not None:  # the tile filter sums no distances
            step.inertia = self.exact.moment_inertia(centers)
            step.inertia_is_lloyds = False
        return step

    def lloyd_inertia(self, centers: np.ndarray) -> float:
        """Return the inertia of the last labels, summed as Lloyd sums it."""
        block_inertia = np.empty(N_BLOCKS)
        K.label_inertia(self.X, self.w, centers, self._labels, block_inertia)
        return float(block_inertia.sum())

    def farthest(self, centers: np.ndarray) -> Farthest:
        """Find the ``n_clusters`` samples farthest from their centre; the members."""
        labels, w = self._labels, self.w
        n_clusters = centers.shape[0]
        m = min(n_clusters, self.X.shape[0])
        eps = float(np.finfo(centers.dtype).eps)
        cand_dist = np.empty((N_BLOCKS, m))  # (n_blocks, m) per block, sorted
        cand_index = np.empty((N_BLOCKS, m), dtype=np.int64)
        K.farthest_samples(self.X, w, centers, labels, (64.0 * eps) ** 2,
                           cand_dist, cand_index)
        found = cand_index >= 0
        dist, index = cand_dist[found], cand_index[found]
        top = np.lexsort((index, -dist))[:m]  # farthest first, ties: lower index
        # Rare path: counting members costs a pass over the labels.
        members = np.bincount(labels[w > 0], minlength=n_clusters).astype(np.int64)
        return Farthest(dist[top], index[top], labels[index[top]], members)

    def resum(self, moves: dict[int, int]) -> ClusterSums:
        """Sum the clusters again with sample ``i`` in cluster ``moves[i]``."""
        if self.exact is not None:
            return self.exact.moved(self._labels, moves)  # exact: patched
        labels = self._labels.copy()  # rare path: the run's labels stay as assigned
        for i, j in moves.items():
            labels[i] = j
        blocks = self.blocks
        K.accumulate_blocks(self.X, self.w, labels, blocks.sums, blocks.weights)
        return self._merged(blocks, 0.0, 0)

    def labels(self) -> np.ndarray:
        """Return the labels of the last E-step (a new array every run)."""
        return self._labels

    def finish(self) -> np.ndarray:
        """End the run: return its labels, release its bounds and buffers.

        Released before the caller allocates anything else (on 16.7 M pixels,
        134 MB of Hamerly bounds: the CLI's peak RSS 553 -> 480 MiB).
        """
        self.assign = self.blocks = self.exact = None
        return self._labels

    # -- what kmeans() calls --------------------------------------------------
    def weighted_tolerance(self, tol: float) -> float:
        """``tol`` times the mean over features of the weighted variance of ``X``.

        ``var_w(f) = sum_i w_i (x_if - mean_w(f))^2 / sum_i w_i``, in float64.
        """
        return weighted_tolerance(self.X, self.w, tol)

    def seed_candidates(self, n_clusters: int, rng):
        """Return the rows greedy k-means++ chooses from: all, with their weights."""
        return self.X, self.w

    def random_centers(self, n_clusters: int, rng) -> np.ndarray:
        """Draw ``n_clusters`` distinct rows with probability w_i / sum w."""
        return self.X[random_rows(n_clusters, self.w, rng)].astype(self.center_dtype)

    def cluster_sizes(self, labels: np.ndarray, n_clusters: int) -> np.ndarray:
        """Count the samples per cluster (zero weights included)."""
        return np.bincount(labels, minlength=n_clusters)

    def distinct_points(self) -> int | None:
        """Count distinct rows of positive weight (rare: some clusters ended empty)."""
        return np.unique(self.X[self.w > 0], axis=0).shape[0]

    # -- for Dask chunks --------------------------------------------------------
    def __sizeof__(self) -> int:
        """Bytes held: Dask's scheduler weighs moving a chunk's state by this.

        Without it (``sys.getsizeof`` of a plain object is ~50 bytes) tasks
        were moved away from their state, which then travelled: 2x slower.
        """
        lower = getattr(getattr(self, "assign", None), "lower", None)
        return (self.X.nbytes + self.w.nbytes + self._labels.nbytes
                + (0 if lower is None else lower.nbytes))

    def fork(self) -> InMemory:
        """Copy, so that labels and bounds can change without changing these."""
        other = copy.copy(self)
        other._labels = self._labels.copy()
        other.assign = copy.copy(self.assign)
        if hasattr(self.assign, "lower"):
            other.assign.lower = self.assign.lower.copy()
        if hasattr(self.assign, "state"):
            other.assign.state = self.assign.state.copy()
        other.blocks = BlockBuffers.empty(*self.blocks.sums.shape[1:])
        if self.exact is not None:
            other.exact = other.assign.exact = self.exact.copy()
        return other

    def _merged(self, blocks: BlockBuffers, inertia: float,
                changed: int) -> ClusterSums:
        n_clusters, n_features = blocks.sums.shape[1:]
        sums = np.empty((n_clusters, n_features))
        weights = np.empty(n_clusters)
        K.merge_blocks(blocks.sums, blocks.weights, sums, weights)
        return ClusterSums(sums, weights, inertia, changed)


def weighted_tolerance(X: np.ndarray, sample_weight: np.ndarray, tol: float) -> float:
    """``tol`` times the mean over features of the weighted variance of ``X``."""
    if tol == 0:
        return 0.0
    total = sample_weight.sum()
    blocks = np.empty((N_BLOCKS, X.shape[1]))
    K.weighted_column_sums(X, sample_weight, np.zeros(X.shape[1]), False, blocks)
    mean = blocks.sum(axis=0) / total  # (n_features,)
    K.weighted_column_sums(X, sample_weight, mean, True, blocks)
    var = blocks.sum(axis=0) / total  # (n_features,)
    return float(var.mean() * tol)

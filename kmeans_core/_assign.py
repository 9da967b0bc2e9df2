"""E-step strategies: who computes the assignment, behind one small interface.

Each strategy is a callable ``assign(centers, center_shift, first, labels,
blocks)`` that writes the label of the nearest centre of every sample and
fills ``blocks`` (a :class:`BlockBuffers`) with what the M-step needs: per
block, the weighted sums and weights of every cluster, the inertia of the new
assignment and how many labels changed.  The in-memory data
(:class:`kmeans_core._memory.InMemory`) runs the one chosen; the driver
(:mod:`kmeans_core._lloyd`) does not care which.

* ``"lloyd"``: the textbook: every distance (:func:`_kernels.assign_labels`),
  then the cluster sums (:func:`_kernels.accumulate_blocks`).
* ``"hamerly"``: the same labels, skipping samples whose bounds prove their
  label cannot change, and the sums in the same pass
  (:mod:`kmeans_core._hamerly`).  Bitwise the same result.  On integer data
  and weights the sums are kept in int64 between iterations and only the
  samples that change label touch them (:mod:`kmeans_core._exact_sums`);
  on few features the samples are also sorted into tiles, and a tile that
  lies in one centre's cell is settled without reading its samples
  (:mod:`kmeans_core._tiles`).
* ``"blas"``: for many features, distances from matrix products
  (:mod:`kmeans_core._blas`).  Same clustering up to rounding, not bitwise.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import _hamerly as H
from . import _kernels as K
from . import _tiles as T
from ._blas import BlasAssign
from ._config import N_BLOCKS
from ._exact_sums import IntegerSums


@dataclass
class BlockBuffers:
    """Per-block partial results of one assignment, merged in block order."""

    sums: np.ndarray  # (N_BLOCKS, n_clusters, n_features) float64
    weights: np.ndarray  # (N_BLOCKS, n_clusters) float64
    inertia: np.ndarray  # (N_BLOCKS,) float64
    changed: np.ndarray  # (N_BLOCKS,) int64, labels that changed

    @classmethod
    def empty(cls, n_clusters: int, n_features: int) -> BlockBuffers:
        """Allocate the buffers once per run."""
        return cls(
            np.empty((N_BLOCKS, n_clusters, n_features)),
            np.empty((N_BLOCKS, n_clusters)),
            np.empty(N_BLOCKS),
            np.zeros(N_BLOCKS, dtype=np.int64),
        )


def make_assigner(
    algorithm: str, X: np.ndarray, sample_weight: np.ndarray, n_clusters: int,
    exact: IntegerSums | None = None, tiling: T.Tiling | None = None,
):
    """Build the E-step callable for ``algorithm`` on data ``X``.

    ``exact``: integer sums for ``"hamerly"`` to keep instead of filling the
    blocks' float sums (see :mod:`kmeans_core._exact_sums`); with ``tiling``
    (and ``exact``), the tile filter runs first (see :mod:`kmeans_core._tiles`).
    """
    if algorithm == "lloyd":
        return LloydAssign(X, sample_weight)
    if algorithm == "hamerly" and tiling is not None:
        return TileAssign(X, tiling, n_clusters, exact)
    if algorithm == "hamerly":
        return HamerlyAssign(X, sample_weight, n_clusters, exact)
    if algorithm == "blas":
        return BlasAssign(X, sample_weight, n_clusters)
    raise ValueError(f"unknown assignment algorithm {algorithm!r}")


class LloydAssign:
    """The textbook E-step, then the per-block sums of the M-step."""

    def __init__(self, X: np.ndarray, sample_weight: np.ndarray):
        self.X = X
        self.w = sample_weight

    def __call__(self, centers, center_shift, first, labels, blocks):
        K.assign_labels(self.X, self.w, centers, labels, blocks.inertia,
                        blocks.changed)
        K.accumulate_blocks(self.X, self.w, labels, blocks.sums, blocks.weights)


class CenterGaps:
    """The centres' geometry that Hamerly's test and the tile filter read.

    ``s_j`` (half the distance from ``c_j`` to its nearest other centre), the
    centre-to-centre distances ``cc``, and the margin of the skip test
    (:func:`kmeans_core._hamerly.skip_margin`); :meth:`update` refreshes them
    for new centres.
    """

    def __init__(self, X: np.ndarray, n_clusters: int):
        self.s = np.empty(n_clusters)  # (n_clusters,) s_j
        self.cc = np.empty((n_clusters, n_clusters))  # centre-to-centre distances
        self.rel, self.abs = H.skip_margin(X)

    def update(self, centers: np.ndarray) -> np.ndarray:
        """Refresh ``s`` and ``cc``; return each row's centres by distance from it."""
        H.center_distances(centers, self.cc, self.s)
        return np.argsort(self.cc, axis=1)  # (k, k), row j: by ||c - c_j||


class HamerlyAssign:
    """Hamerly (2010) assignment with its per-sample lower bounds.

    What it buys: 11.1 -> 7.0 ms per iteration on American Gothic's 966,600
    pixels, k = 20, bitwise the same fit (``bench/RESULTS_engine.md``).
    With ``exact`` (integer data and weights) only the samples whose label
    changed touch the sums, which ``exact`` keeps; ``blocks.sums`` and
    ``blocks.weights`` are then not written.
    """

    def __init__(self, X: np.ndarray, sample_weight: np.ndarray, n_clusters: int,
                 exact: IntegerSums | None = None):
        self.X = X
        self.w = sample_weight
        self.exact = exact
        self.lower = np.zeros(X.shape[0])  # (n_samples,) l_i
        self.gaps = CenterGaps(X, n_clusters)

    def __call__(self, centers, center_shift, first, labels, blocks):
        g, exact = self.gaps, self.exact
        order = g.update(centers)
        if exact is not None:
            H.assign_hamerly_moves(
                self.X, centers, g.s, g.cc, order, center_shift, first,
                g.rel, g.abs, self.w, exact.c, labels, self.lower,
                exact.block_moves, exact.block_weights, blocks.inertia,
                blocks.changed,
            )
            return
        H.assign_hamerly(
            self.X, centers, g.s, g.cc, order, center_shift, first, g.rel,
            g.abs, self.w, labels, self.lower,
            blocks.sums, blocks.weights, blocks.inertia, blocks.changed,
        )


class TileAssign:
    """Kanungo's tile filter; in an unsettled tile, each sample's nearest candidate.

    Integer data and weights only (``exact`` keeps the sums and ``Q_j``);
    writes no float sums and no inertia (``blocks.inertia`` is zero).  What
    it buys is measured in :mod:`kmeans_core._tiles`.
    """

    def __init__(self, X: np.ndarray, tiling: T.Tiling, n_clusters: int,
                 exact: IntegerSums):
        self.tiling = tiling
        self.exact = exact
        self.state = T.TileState.empty(tiling)
        self.candidates = np.empty((N_BLOCKS, n_clusters), dtype=np.int64)
        self.gaps = CenterGaps(X, n_clusters)

    def __call__(self, centers, center_shift, first, labels, blocks):
        g, exact = self.gaps, self.exact
        order = g.update(centers)
        T.assign_tiles(self.tiling, centers, g.s, g.cc, order, g.rel, g.abs,
                       *self.state, labels, self.candidates,
                       exact.block_moves, exact.block_weights, exact.block_squares,
                       blocks.changed)
        blocks.inertia[:] = 0.0

"""Lloyd's algorithm on Dask arrays: the rows stay in chunks on the workers.

:func:`kmeans_core.kmeans` and :class:`kmeans_core.KMeans` fit a
``dask.array.Array`` (rows in chunks; a chunked feature axis is joined) with
the same driver as an array in memory (:func:`kmeans_core._lloyd.lloyd`); only
the data differs (:class:`DaskData`, :mod:`kmeans_core._dask._data`): each
chunk is fitted by the in-memory kernels in one task, and the sums are merged
in chunk order.  Seeding with ``"k-means++"`` means k-means|| here
(:mod:`kmeans_core._dask._init`): the sequential k-means++ would need
``n_clusters`` passes over the data.

Compared with the in-memory fit from the same initial centres, the sums are
added in another order, so centres agree to rounding (1e-12 relative in the
tests); labels and iteration counts are the same.  The chunks' rows are held
on the workers during a fit: persist ``X`` first when it is computed (read
from files, generated), so that it is computed once.
"""

from __future__ import annotations

import dask
import numpy as np
from dask import delayed

from . import _chunks as C
from ._data import DaskData, dask_weights, rows_as

__all__ = ["DaskData", "predict_dask", "score_dask", "transform_dask"]


def predict_dask(X, centers: np.ndarray):
    """Lazy labels (int32) of the nearest centre of every row of ``X``."""
    X = rows_as(X, centers)
    return X.map_blocks(lambda x: C.chunk_labels(x, None, centers)[0],
                        drop_axis=1, dtype=np.int32)


def score_dask(X, centers: np.ndarray, sample_weight=None) -> float:
    """``-sum_i w_i min_j ||x_i - c_j||^2`` over the chunks of ``X``."""
    X = rows_as(X, centers)
    w = dask_weights(sample_weight, X)
    x_blocks = X.to_delayed(optimize_graph=False).ravel()
    w_blocks = ([None] * len(x_blocks) if w is None
                else w.to_delayed(optimize_graph=False).ravel())
    parts = dask.compute(*[
        delayed(lambda x, w: C.chunk_labels(x, w, centers)[1])(x, w)
        for x, w in zip(x_blocks, w_blocks, strict=True)])
    return -float(np.sum(parts))


def transform_dask(X, centers: np.ndarray):
    """Lazy ``(n_samples, n_clusters)`` distances of every row to every centre."""
    X = rows_as(X, centers)
    return X.map_blocks(lambda x: C.chunk_distances(x, centers),
                        chunks=(X.chunks[0], (centers.shape[0],)),
                        dtype=centers.dtype)

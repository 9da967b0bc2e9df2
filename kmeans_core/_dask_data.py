"""Checking a Dask array for k-means, with the rules of :mod:`kmeans_core._validation`.

The same dtype conversions as in memory (float32/float64/uint8/uint16 kept,
float16 to float32, other numbers to float64), applied lazily; rows in chunks,
the feature axis joined into one chunk.  Finiteness, the overflow bound and
the weights are checked in one pass over the data, whose results (weight
totals per chunk, the largest weight) the fit needs anyway.
"""

from __future__ import annotations

import numbers
from dataclasses import dataclass

import dask
import dask.array as da
import numpy as np
from dask import delayed

from . import _validation as V
from ._config import center_dtype


@dataclass
class DaskData:
    """Validated chunked data and what the passes over it need."""

    X: da.Array  # (n_samples, n_features), rows in chunks, features in one chunk
    w: da.Array | None  # (n_samples,) float64, chunked as the rows; None: unit
    w_exp: int  # weights are used times 2**w_exp (largest in [1, 2))
    chunk_weights: np.ndarray  # (n_chunks,) unscaled weight total per chunk
    x_blocks: list  # one Delayed per chunk of rows
    w_blocks: list  # one Delayed per chunk, or None for unit weights
    offsets: np.ndarray  # (n_chunks + 1,) first row of every chunk, then n_samples

    @property
    def center_dtype(self) -> np.dtype:
        """Dtype of the centres (:func:`kmeans_core._config.center_dtype`)."""
        return center_dtype(self.X)

    @property
    def weight_total(self) -> float:
        """``sum_i w_i 2**w_exp``, chunks added in order."""
        return float(np.ldexp(self.chunk_weights.sum(), self.w_exp))


def kernel_dtype(dtype: np.dtype, name: str = "X") -> np.dtype:
    """Return the dtype ``check_array`` gives data of ``dtype`` (or raise)."""
    kind = dtype.kind
    if kind == "c":
        raise ValueError(f"Complex data not supported: {name} has dtype {dtype}; "
                         "k-means needs real numbers.")
    if kind not in "fiub":
        raise TypeError(f"{name} must hold numbers, got dtype {dtype}; convert it "
                        "to a numeric array first.")
    if dtype == np.float16:
        return np.dtype(np.float32)
    return dtype if dtype in V.KEPT_DTYPES else np.dtype(np.float64)


def _as_rows(X: da.Array, dtype: np.dtype, name: str = "X") -> da.Array:
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


def _dask_weights(sample_weight, X: da.Array) -> da.Array | None:
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


def _range(x: np.ndarray) -> tuple[float, float]:
    """``(min, max)`` of a chunk: NaN propagates, infinities show."""
    return (float(x.min()), float(x.max())) if x.size else (np.inf, -np.inf)


def _weight_stats(w: np.ndarray) -> tuple[float, float, float]:
    """``(min, max, sum)`` of a chunk of weights."""
    if not w.size:
        return np.inf, -np.inf, 0.0
    return float(w.min()), float(w.max()), float(w.sum())


def check_dask_data(X: da.Array, sample_weight) -> DaskData:
    """Validate ``X`` and ``sample_weight`` as :func:`kmeans_core.kmeans` does.

    One pass over the chunks finds ``min X``, ``max X`` and, with weights,
    their extremes and totals per chunk.  It runs on the same per-chunk keys
    as the fit's passes (``to_delayed`` without graph optimisation), so data
    that is not persisted is computed the same way in every pass.
    """
    X = _as_rows(X, kernel_dtype(X.dtype))
    w = _dask_weights(sample_weight, X)
    x_blocks = list(X.to_delayed(optimize_graph=False).ravel())
    sizes = np.array(X.chunks[0], dtype=np.int64)
    offsets = np.concatenate([[0], np.cumsum(sizes)])
    w_blocks = ([None] * len(x_blocks) if w is None
                else list(w.to_delayed(optimize_graph=False).ravel()))
    ranges, stats = dask.compute(
        [delayed(_range, pure=True)(b) for b in x_blocks],
        [delayed(_weight_stats, pure=True)(b) for b in w_blocks if b is not None])
    lo = min(r[0] for r in ranges)  # Python's min keeps a NaN it meets first,
    hi = max(r[1] for r in ranges)  # so test every chunk for NaN below
    if any(np.isnan(r[0]) or np.isnan(r[1]) for r in ranges):
        lo = np.nan
    if w is None:
        chunk_weights, w_exp = sizes * 1.0, 0
    else:
        w_lo = min(s[0] for s in stats)
        w_hi = max(s[1] for s in stats)
        if any(np.isnan(s[0]) or np.isnan(s[1]) for s in stats) or not (
                np.isfinite(w_lo) and np.isfinite(w_hi)):
            raise ValueError("sample_weight contains NaN or infinity.")
        if w_lo < 0:
            raise ValueError(f"Negative values in sample_weight (minimum {w_lo}); "
                             "weights must be >= 0.")
        if not w_hi > 0:
            raise ValueError("All sample_weight values are zero; at least one must "
                             "be > 0.")
        chunk_weights = np.array([s[2] for s in stats], dtype=np.float64)
        w_exp = -int(np.floor(np.log2(w_hi)))  # as kmeans() scales in memory
    if not (np.isfinite(lo) and np.isfinite(hi)):
        what = "NaN" if np.isnan(lo) or np.isnan(hi) else "infinity"
        raise ValueError(f"Input X contains {what}; k-means needs finite values "
                         "(drop or impute the NaN/inf entries first).")
    V._check_magnitude(X, max(-float(lo), float(hi)), "X")
    return DaskData(X, w, w_exp, chunk_weights, x_blocks, w_blocks, offsets)


def rows_as(X, centers: np.ndarray, owner: str = "KMeans") -> da.Array:
    """``X`` checked against fitted ``centers``, in their dtype (for predict)."""
    kernel_dtype(X.dtype)  # refuses non-numeric data
    X = _as_rows(X, centers.dtype)
    V.check_n_features(X, centers.shape[1], owner)
    return X

"""Input checks: every bad input gets an error that says what was wrong.

Conversions (documented in :class:`kmeans_core.KMeans`):

* float32 and float64 arrays are used as they are (float32 stays float32);
* uint8 and uint16 arrays (pixels) are used as they are: the kernels convert
  each value to float64 as they read it, which gives bitwise the result of
  converting first, without a float64 copy 8 (or 4) times the size; centres
  are float64 (only ``algorithm="blas"`` converts, as BLAS multiplies floats);
* float16, other integer and boolean arrays become float64, except float16
  which becomes float32;
* object arrays are converted to float64 if every element is a number;
* complex, string and other non-numeric dtypes are refused.

Input arrays are never modified: a converted copy is made when needed, and the
kernels only read ``X``.
"""

from __future__ import annotations

import math
import numbers

import numpy as np

from ._config import center_dtype

# Dtypes that check_array passes through unconverted (see the module docstring).
KEPT_DTYPES = (np.dtype(np.float32), np.dtype(np.float64), np.dtype(np.uint8),
               np.dtype(np.uint16))


class NotFittedError(ValueError, AttributeError):
    """Raised when a method that needs a fitted model is called before ``fit``."""


def _is_sparse(X) -> bool:
    return hasattr(X, "tocsr") and hasattr(X, "nnz")


def check_array(X, *, name: str = "X", dtype=None) -> np.ndarray:
    """Return ``X`` as a C-contiguous, finite, 2-D array the kernels can read.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
        The data.
    name : str, default="X"
        Name used in error messages.
    dtype : {None, numpy.float32, numpy.float64}, default=None
        Force this dtype; ``None`` keeps float32/float64/uint8/uint16 and
        converts the rest as the module docstring says.

    Returns
    -------
    X : ndarray of shape (n_samples, n_features)
        The validated array (the input itself when no conversion was needed).
    """
    if _is_sparse(X):
        raise TypeError(
            f"Sparse input is not supported: pass {name} as a dense array "
            f"(e.g. {name}.toarray())."
        )
    arr = np.asarray(X)
    kind = arr.dtype.kind
    if kind == "c":
        raise ValueError(
            f"Complex data not supported: {name} has dtype {arr.dtype}; "
            "k-means needs real numbers."
        )
    if kind == "O":
        arr = np.asarray(arr, dtype=np.float64)  # TypeError names the bad element
    elif kind not in "fiub":
        raise TypeError(
            f"{name} must hold numbers, got dtype {arr.dtype}; "
            "convert it to a numeric array first."
        )
    if arr.ndim != 2:
        hint = (
            " Reshape your data with .reshape(-1, 1) if it has one feature or "
            ".reshape(1, -1) if it is one sample."
            if arr.ndim == 1
            else " Flatten images to (n_pixels, n_channels) first."
            if arr.ndim == 3
            else ""
        )
        raise ValueError(
            f"Expected a 2-D array for {name}, got {arr.ndim}-D with shape "
            f"{arr.shape}.{hint}"
        )
    n_samples, n_features = arr.shape
    if n_samples == 0:
        raise ValueError(
            f"Found array with 0 sample(s) (shape={arr.shape}) while a minimum "
            f"of 1 is required: {name} is empty."
        )
    if n_features == 0:
        raise ValueError(
            f"Found array with 0 feature(s) (shape={arr.shape}) while a minimum "
            f"of 1 is required: {name} has no features."
        )
    if dtype is None:
        if arr.dtype == np.float16:
            dtype = np.float32
        elif arr.dtype in KEPT_DTYPES:
            dtype = arr.dtype.type
        else:
            dtype = np.float64
    arr = np.ascontiguousarray(arr, dtype=dtype)
    # min and max propagate NaN and expose +-inf without an n_samples-sized mask.
    lo, hi = arr.min(), arr.max()
    if not (np.isfinite(lo) and np.isfinite(hi)):
        what = "NaN" if np.isnan(lo) or np.isnan(hi) else "infinity"
        raise ValueError(
            f"Input {name} contains {what}; k-means needs finite values "
            "(drop or impute the NaN/inf entries first)."
        )
    _check_magnitude(arr, max(-float(lo), float(hi)), name)
    return read_only(arr)


def read_only(arr: np.ndarray) -> np.ndarray:
    """Return a read-only view of ``arr`` (no copy).

    Numba compiles one machine-code version of a kernel per argument type, and
    a read-only array is a different type from a writable one.  Data and
    weights reach the kernels only through this view, so every kernel
    compiles once per dtype instead of once per dtype and writability.
    """
    view = arr.view()
    view.flags.writeable = False
    return view


def _check_magnitude(arr: np.ndarray, big: float, name: str) -> None:
    """Refuse values so large that squared distances or the inertia overflow.

    A centre is a weighted mean, so it lies in the bounding box of the data and
    ``||x - c||^2 <= n_features * (2 * big)^2`` where ``big = max |x|`` (the
    expanded form ``||x||^2 - 2 x.c + ||c||^2`` obeys the same bound).  That
    must be finite in the dtype of ``arr`` (the kernels compute distances in
    it), and ``n_samples`` of them (the unit-weight inertia, summed in float64)
    must be finite in float64; otherwise labels and inertia would silently be
    ``inf`` or NaN.  Logarithms keep the check itself from overflowing.
    """
    if big == 0.0:
        return
    n_samples, n_features = arr.shape
    log_sq = 2.0 * math.log(2.0 * big) + math.log(n_features)
    log_inertia = log_sq + math.log(n_samples)
    dtype = center_dtype(arr)  # the dtype distances are computed in
    if (log_sq >= math.log(float(np.finfo(dtype).max))
            or log_inertia >= math.log(float(np.finfo(np.float64).max))):
        hint = " or convert it to float64" if arr.dtype == np.float32 else ""
        raise ValueError(
            f"Input {name} has values up to {big:.3g} in magnitude: squared "
            f"distances over {n_features} feature(s), or their sum, would overflow "
            f"{arr.dtype}. "
            f"Rescale {name} (e.g. divide it by its largest absolute value){hint}."
        )


def kernel_dtype(dtype: np.dtype, name: str = "X") -> np.dtype:
    """Return the dtype ``check_array`` gives data of ``dtype`` (or raise)."""
    if dtype.kind == "c":
        raise ValueError(f"Complex data not supported: {name} has dtype {dtype}; "
                         "k-means needs real numbers.")
    if dtype.kind not in "fiub":
        raise TypeError(f"{name} must hold numbers, got dtype {dtype}; convert it "
                        "to a numeric array first.")
    if dtype == np.float16:
        return np.dtype(np.float32)
    return dtype if dtype in KEPT_DTYPES else np.dtype(np.float64)


def check_sample_weight(sample_weight, n_samples: int) -> np.ndarray:
    """Return weights as a float64 array of shape ``(n_samples,)``.

    ``None`` means every sample weighs 1: a read-only view of a single 1.0
    (stride 0), so that unweighted data costs no ``n_samples`` array.  A scalar
    is broadcast.  Negative, non-finite and all-zero weights are refused.
    The result is laid out by :func:`kernel_weights`.
    """
    if sample_weight is None:
        return np.broadcast_to(np.float64(1.0), (n_samples,))
    if isinstance(sample_weight, numbers.Number):
        sample_weight = np.full(n_samples, sample_weight)
    w = np.asarray(sample_weight)
    if w.dtype.kind not in "fiub":
        raise TypeError(f"sample_weight must be numeric, got dtype {w.dtype}.")
    w = np.asarray(w, dtype=np.float64)  # kernel_weights copies: never aliases
    if w.shape != (n_samples,):
        raise ValueError(
            f"sample_weight.shape == {w.shape}, expected ({n_samples},): one "
            "weight per sample."
        )
    if not np.isfinite(w).all():
        raise ValueError("sample_weight contains NaN or infinity.")
    if (w < 0).any():
        raise ValueError(
            f"Negative values in sample_weight (minimum {w.min()}); weights must "
            "be >= 0."
        )
    if not (w > 0).any():
        raise ValueError("All sample_weight values are zero; at least one must be > 0.")
    return kernel_weights(w)


def kernel_weights(w: np.ndarray) -> np.ndarray:
    """Return the weights ``w`` as a read-only view with a negative stride.

    Numba compiles one machine-code version of a kernel per array layout:
    contiguous (``C``) or any other (``A``).  Unit weights are a stride-0
    view, layout ``A``; storing real weights back to front (one copy) and
    reading them through a reversed view gives them layout ``A`` too, and both
    are read-only (:func:`read_only`), so a kernel compiles once for weighted
    and unweighted data.  The kernels just read ``w[i]``; walking memory
    backwards costs nothing measurable.
    """
    if w.strides[0] < 0 or (w.strides[0] == 0 and w.shape[0] > 1):
        return read_only(w)  # already reversed, or unit weights
    backwards = np.empty_like(w)
    backwards[::-1] = w
    return read_only(backwards[::-1])


def check_n_clusters(n_clusters, n_samples: int) -> int:
    """Check ``1 <= n_clusters <= n_samples`` and return it as an int."""
    if isinstance(n_clusters, bool) or not isinstance(n_clusters, numbers.Integral):
        raise TypeError(f"n_clusters must be an integer, got {n_clusters!r}.")
    if n_clusters < 1:
        raise ValueError(f"n_clusters must be >= 1, got {n_clusters}.")
    if n_samples < n_clusters:
        raise ValueError(
            f"n_samples={n_samples} should be >= n_clusters={n_clusters}: "
            "ask for fewer clusters or pass more samples."
        )
    return int(n_clusters)


def check_int_param(value, name: str, minimum: int) -> int:
    """Check an integer parameter such as ``max_iter`` (>= ``minimum``)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an integer, got {value!r}.")
    if value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value}.")
    return int(value)


def check_tol(tol) -> float:
    """Check ``tol >= 0``."""
    if isinstance(tol, bool) or not isinstance(tol, numbers.Real):
        raise TypeError(f"tol must be a real number, got {tol!r}.")
    if not tol >= 0:
        raise ValueError(f"tol must be >= 0, got {tol}.")
    return float(tol)


def check_n_features(X: np.ndarray, n_features_in: int, owner: str) -> None:
    """Refuse ``X`` whose feature count differs from the one seen in ``fit``."""
    if X.shape[1] != n_features_in:
        raise ValueError(
            f"X has {X.shape[1]} features, but {owner} is expecting "
            f"{n_features_in} features as input."
        )

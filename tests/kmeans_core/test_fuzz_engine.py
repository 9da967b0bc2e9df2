"""Hypothesis fuzzing of ``kmeans_core.kmeans`` and ``kmeans_core.KMeans``.

Random shapes and dtypes (float16/32/64, signed and unsigned integers),
duplicated rows, constant columns, ``n_clusters == n_samples``, zero weights
mixed with positive ones, and magnitudes from 1e-300 to 1e150.  Every fit must
either succeed with sane output or refuse with a clear ``ValueError`` (only
allowed when squared distances would overflow); it must never return NaN or
infinite centres or an inertia that disagrees with its own labels.

Data are drawn from a NumPy generator seeded by hypothesis: shrinking then
works on the few structural choices (shape, dtype, scale, k) that matter.
"""

from __future__ import annotations

import os
import warnings
from collections import Counter
from dataclasses import dataclass

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kmeans_core import KMeans, kmeans

# 40 examples per test keeps the file under ~15 s; KMEANS_FUZZ_EXAMPLES=2000
# runs a longer campaign.
FUZZ = settings(max_examples=int(os.environ.get("KMEANS_FUZZ_EXAMPLES", "40")),
                deadline=None, suppress_health_check=[HealthCheck.too_slow])
OUTCOMES: Counter = Counter()  # "fit" / "refused", printed at the end (pytest -s)
ALGORITHMS = ("auto", "lloyd", "hamerly", "blas")
DTYPES = ("float16", "float32", "float64", "int8", "int32", "int64", "uint8")
# Powers of ten applied to float64 data: tiny (squared distances underflow to 0),
# ordinary, and huge (squared distances near the float64 limit, 1.8e308).
F64_SCALES = (1e-300, 1e-150, 1e-20, 1.0, 1e20, 1e100, 1e150)
F32_SCALES = (1e-30, 1e-10, 1.0, 1e10, 1e18)  # float32 max is 3.4e38
OVERFLOW_MESSAGE = "would overflow"


@dataclass
class Problem:
    X: np.ndarray
    n_clusters: int
    sample_weight: np.ndarray | None
    seed: int
    algorithm: str


@st.composite
def problems(draw) -> Problem:
    n_samples = draw(st.integers(1, 40))
    n_features = draw(st.sampled_from((1, 2, 3, 5, 17)))  # 17: BLAS under "auto"
    dtype = np.dtype(draw(st.sampled_from(DTYPES)))
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    if dtype.kind == "f":
        X = rng.standard_normal((n_samples, n_features))
        if dtype == np.float64:
            X *= draw(st.sampled_from(F64_SCALES))
        elif dtype == np.float32:
            X *= draw(st.sampled_from(F32_SCALES))
        else:
            X *= 1000.0  # float16 up to ~65504
        X = X.astype(dtype)
    else:
        info = np.iinfo(dtype)
        X = rng.integers(info.min, info.max, (n_samples, n_features), dtype=dtype,
                         endpoint=True)
    if draw(st.booleans()) and n_samples > 1:  # duplicated rows
        X[rng.integers(0, n_samples, n_samples // 2)] = X[0]
    if draw(st.booleans()):  # a constant column
        X[:, rng.integers(0, n_features)] = X[0, 0]
    weight_kind = draw(st.sampled_from(("none", "positive", "zeros", "counts")))
    w = None
    if weight_kind == "positive":
        w = rng.uniform(0.01, 10.0, n_samples)
    elif weight_kind == "zeros":  # zero weights mixed with positive ones
        w = rng.uniform(0.01, 10.0, n_samples) * (rng.random(n_samples) < 0.5)
        w[rng.integers(0, n_samples)] = rng.uniform(0.5, 2.0)
    elif weight_kind == "counts":
        w = rng.integers(0, 1000, n_samples)
        w[0] = max(w[0], 1)
    if draw(st.booleans()):
        n_clusters = n_samples
    else:
        n_clusters = draw(st.integers(1, n_samples))
    return Problem(X, n_clusters, w, seed, draw(st.sampled_from(ALGORITHMS)))


def expected_dtype(X: np.ndarray) -> np.dtype:
    return np.dtype(np.float32 if X.dtype in (np.float16, np.float32) else np.float64)


def check_fit(p: Problem, centers, labels, inertia) -> None:
    """The invariants every successful fit must hold."""
    n_samples, n_features = p.X.shape
    dtype = expected_dtype(p.X)
    assert centers.shape == (p.n_clusters, n_features)
    assert centers.dtype == dtype
    assert labels.shape == (n_samples,) and labels.dtype == np.int32
    assert labels.min() >= 0 and labels.max() < p.n_clusters
    assert np.isfinite(centers).all(), "non-finite centres"
    assert np.isfinite(inertia) and inertia >= 0.0
    # Recompute the inertia in float64 from the data as the engine saw it.
    X = p.X.astype(dtype).astype(np.float64)
    w = np.ones(n_samples) if p.sample_weight is None else p.sample_weight
    w = np.asarray(w, dtype=np.float64)
    diff = X - centers.astype(np.float64)[labels]  # (n_samples, n_features)
    recomputed = float(w @ np.einsum("ij,ij->i", diff, diff))
    # Distances are summed in the data's dtype: each squared difference below
    # its smallest normal number (1.2e-38 for float32) may underflow, and the
    # "blas" strategy's ||x||^2 - 2 x.c + ||c||^2 has a rounding error that
    # scales with ||x||^2.
    eps, tiny = float(np.finfo(dtype).eps), float(np.finfo(dtype).tiny)
    big = float(np.abs(X).max())
    atol = n_features * w.sum() * (64 * eps * big * big + 2 * tiny)
    assert inertia == pytest.approx(recomputed, rel=64 * eps, abs=atol)


def fit_or_clean_error(p: Problem, fit):
    """Run ``fit``; an overflow refusal is fine, anything else must succeed."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # KMeansWarning: fewer distinct points
        try:
            fitted = fit()
        except ValueError as e:
            assert OVERFLOW_MESSAGE in str(e), e
            big = float(np.abs(p.X.astype(np.float64)).max())
            assert big >= 1e18, f"refused ordinary data (max |x| = {big:g}): {e}"
            OUTCOMES["refused"] += 1
            return None
    OUTCOMES["fit"] += 1
    return fitted


@pytest.fixture(scope="module", autouse=True)
def report_outcomes():
    yield
    print(f"\nfuzz outcomes: {dict(OUTCOMES)}")


@FUZZ
@given(problems())
def test_fuzz_kmeans_function(p):
    X_before = p.X.copy()
    result = fit_or_clean_error(p, lambda: kmeans(
        p.X, p.n_clusters, sample_weight=p.sample_weight, random_state=p.seed,
        algorithm=p.algorithm, n_init=2, max_iter=50))
    np.testing.assert_array_equal(p.X, X_before)  # input never modified
    if result is not None:
        check_fit(p, result.centers, result.labels, result.inertia)
        assert result.n_iter >= 1 or p.n_clusters == p.X.shape[0]


@FUZZ
@given(problems())
def test_fuzz_kmeans_estimator(p):
    model = KMeans(p.n_clusters, random_state=p.seed, algorithm=p.algorithm,
                   n_init=1, max_iter=50)
    fitted = fit_or_clean_error(
        p, lambda: model.fit(p.X, sample_weight=p.sample_weight))
    if fitted is None:
        return
    check_fit(p, model.cluster_centers_, model.labels_, model.inertia_)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        predicted = model.predict(p.X)
    assert predicted.shape == model.labels_.shape
    assert predicted.min() >= 0 and predicted.max() < p.n_clusters


@pytest.mark.parametrize("dtype, value", [(np.float64, 1e154), (np.float64, 1e300),
                                          (np.float32, 1e20), (np.float32, 3e38)])
@pytest.mark.parametrize("algorithm", ["lloyd", "blas"])
def test_overflowing_magnitudes_are_refused(dtype, value, algorithm):
    """Squared distances beyond the dtype's range: a clear error, not inf or NaN."""
    X = (np.random.default_rng(0).random((30, 3)) * value).astype(dtype)
    with pytest.raises(ValueError, match="would overflow.*Rescale X"):
        kmeans(X, 3, random_state=0, algorithm=algorithm)


def test_largest_safe_magnitude_fits():
    X = np.random.default_rng(0).standard_normal((40, 3)) * 1e150
    result = kmeans(X, 4, random_state=0)
    assert np.isfinite(result.centers).all() and np.isfinite(result.inertia)


@pytest.mark.parametrize("X, w", [
    (np.array([[1.5], [0.0]]), np.array([5e-324, 0.0])),  # subnormal weight
    (np.random.default_rng(0).random((20, 2)) * 1e10, np.full(20, 1e300)),  # huge
])
def test_extreme_weights_give_weighted_means(X, w):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = kmeans(X, 1, sample_weight=w, random_state=0)
    expected = (w / w.max()) @ X / (w / w.max()).sum()
    assert np.isfinite(result.centers).all()
    np.testing.assert_allclose(result.centers[0], expected, rtol=1e-12)

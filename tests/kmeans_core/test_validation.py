"""Bad input gets a ValueError/TypeError that says what was wrong; inputs stay intact.

Also the dtype rules: float32 stays float32, float16 becomes float32, uint8 and
uint16 are read in place (computed in float64, float64 centres), other integer
and boolean input becomes float64.
"""

import numpy as np
import pytest

from kmeans_core import KMeans, NotFittedError, kmeans, kmeans_plusplus
from kmeans_core._validation import check_array, check_sample_weight


def good_X(n_samples=20, n_features=3, dtype=np.float64):
    rng = np.random.default_rng(0)
    return rng.normal(size=(n_samples, n_features)).astype(dtype)


def with_value(value):
    X = good_X()
    X[3, 1] = value
    return X


BAD_X = [
    pytest.param(with_value(np.nan), ValueError, "contains NaN", id="nan"),
    pytest.param(with_value(np.inf), ValueError, "contains infinity", id="inf"),
    pytest.param(with_value(-np.inf), ValueError, "contains infinity", id="-inf"),
    pytest.param(np.empty((0, 3)), ValueError, "0 sample.*X is empty", id="empty"),
    pytest.param([], ValueError, "2-D array.*1-D", id="empty-list"),
    pytest.param(np.arange(5.0), ValueError, "2-D array.*got 1-D.*Reshape", id="1-D"),
    pytest.param(np.zeros((4, 4, 3)), ValueError, "2-D array.*got 3-D", id="3-D"),
    pytest.param(np.zeros(()), ValueError, "2-D array.*got 0-D", id="0-D"),
    pytest.param(
        np.empty((5, 0)), ValueError, "0 feature.*no features", id="no-features"
    ),
    pytest.param(
        np.array([["a", "b"], ["c", "d"]]), TypeError, "must hold numbers", id="str"
    ),
    pytest.param(
        np.array([[1.0, "x"], [2.0, 3.0]], dtype=object),
        ValueError,
        "could not convert string to float",
        id="object-str",
    ),
    pytest.param(
        np.array([[1.0, {}], [2.0, 3.0]], dtype=object),
        TypeError,
        "float",
        id="object-dict",
    ),
    pytest.param(
        np.ones((4, 2), dtype=np.complex128), ValueError, "Complex data", id="complex"
    ),
    pytest.param(
        np.array([["2020-01-01"]], dtype="datetime64[D]"),
        TypeError,
        "must hold numbers",
        id="datetime",
    ),
]


@pytest.mark.parametrize("X, error, match", BAD_X)
def test_bad_X_fit(X, error, match):
    with pytest.raises(error, match=match):
        KMeans(n_clusters=1).fit(X)


@pytest.mark.parametrize("X, error, match", BAD_X)
def test_bad_X_functional(X, error, match):
    with pytest.raises(error, match=match):
        kmeans(X, 1)
    with pytest.raises(error, match=match):
        kmeans_plusplus(X, 1)


@pytest.mark.parametrize("X, error, match", BAD_X)
def test_bad_X_predict(X, error, match):
    model = KMeans(n_clusters=2, random_state=0).fit(good_X())
    for method in (model.predict, model.transform, model.score):
        with pytest.raises(error, match=match):
            method(X)


def test_sparse_input_is_refused():
    sparse = pytest.importorskip("scipy.sparse")
    X = sparse.csr_matrix(good_X())
    with pytest.raises(TypeError, match="Sparse input is not supported.*toarray"):
        KMeans(n_clusters=2).fit(X)


@pytest.mark.parametrize(
    "n_clusters, error, match",
    [
        (0, ValueError, "n_clusters must be >= 1, got 0"),
        (-3, ValueError, "n_clusters must be >= 1, got -3"),
        (21, ValueError, "n_samples=20 should be >= n_clusters=21"),
        (2.5, TypeError, "n_clusters must be an integer"),
        ("3", TypeError, "n_clusters must be an integer"),
        (True, TypeError, "n_clusters must be an integer"),
    ],
)
def test_bad_n_clusters(n_clusters, error, match):
    with pytest.raises(error, match=match):
        KMeans(n_clusters=n_clusters).fit(good_X())
    with pytest.raises(error, match=match):
        kmeans(good_X(), n_clusters)


@pytest.mark.parametrize(
    "sample_weight, error, match",
    [
        (np.r_[np.ones(19), -1.0], ValueError, "Negative values in sample_weight"),
        (-2.0, ValueError, "Negative values in sample_weight"),
        (np.zeros(20), ValueError, "All sample_weight values are zero"),
        (0, ValueError, "All sample_weight values are zero"),
        (np.ones(19), ValueError, r"sample_weight.shape == \(19,\), expected \(20,\)"),
        (np.ones((20, 1)), ValueError, r"sample_weight.shape == \(20, 1\)"),
        (np.ones(21), ValueError, r"expected \(20,\)"),
        (np.r_[np.ones(19), np.nan], ValueError, "sample_weight contains NaN"),
        (np.r_[np.ones(19), np.inf], ValueError, "sample_weight contains NaN or inf"),
        (np.array(["a"] * 20), TypeError, "sample_weight must be numeric"),
        (np.ones(20, dtype=complex), TypeError, "sample_weight must be numeric"),
    ],
)
def test_bad_sample_weight(sample_weight, error, match):
    with pytest.raises(error, match=match):
        KMeans(n_clusters=2).fit(good_X(), sample_weight=sample_weight)
    with pytest.raises(error, match=match):
        kmeans_plusplus(good_X(), 2, sample_weight=sample_weight)
    model = KMeans(n_clusters=2, random_state=0).fit(good_X())
    with pytest.raises(error, match=match):
        model.score(good_X(), sample_weight=sample_weight)


@pytest.mark.parametrize(
    "params, error, match",
    [
        ({"max_iter": 0}, ValueError, "max_iter must be >= 1, got 0"),
        ({"max_iter": 1.5}, TypeError, "max_iter must be an integer"),
        ({"tol": -1e-3}, ValueError, "tol must be >= 0"),
        ({"tol": np.nan}, ValueError, "tol must be >= 0"),
        ({"tol": "small"}, TypeError, "tol must be a real number"),
        ({"n_init": 0}, ValueError, "n_init must be >= 1"),
        ({"n_init": "many"}, ValueError, "n_init must be a positive int or 'auto'"),
        ({"init": "kmeans++"}, ValueError, "init must be 'k-means\\+\\+', 'random'"),
        ({"init": np.zeros((3, 3))}, ValueError, r"init has shape \(3, 3\), expected"),
        ({"init": np.zeros((2, 2))}, ValueError, r"init has shape \(2, 2\), expected"),
        ({"init": np.full((2, 3), np.nan)}, ValueError, "init contains NaN"),
        ({"init": np.zeros(3)}, ValueError, "2-D array for init"),
        ({"algorithm": "magic"}, ValueError, "algorithm must be one of"),
        ({"random_state": "seed"}, TypeError, "random_state must be None, an int"),
    ],
)
def test_bad_parameters(params, error, match):
    with pytest.raises(error, match=match):
        KMeans(n_clusters=2, **params).fit(good_X())


def test_bad_init_callable_result():
    def init(X, n_clusters, rng):
        return X[:1]  # one row instead of two

    with pytest.raises(ValueError, match=r"init has shape \(1, 3\), expected \(2, 3\)"):
        KMeans(n_clusters=2, init=init).fit(good_X())


def test_bad_n_local_trials():
    with pytest.raises(ValueError, match="n_local_trials must be >= 1"):
        kmeans_plusplus(good_X(), 2, n_local_trials=0)


def test_predict_with_other_feature_count():
    model = KMeans(n_clusters=2, random_state=0).fit(good_X(n_features=3))
    for method in (model.predict, model.transform, model.score):
        with pytest.raises(
            ValueError, match="X has 2 features, but KMeans is expecting 3 features"
        ):
            method(good_X(n_features=2))


@pytest.mark.parametrize("method", ["predict", "transform", "score"])
def test_not_fitted(method):
    model = KMeans(n_clusters=2)
    with pytest.raises(NotFittedError, match="not fitted yet; call 'fit'"):
        getattr(model, method)(good_X())
    # Caught by the usual "except (ValueError, AttributeError)" too.
    assert issubclass(NotFittedError, ValueError)
    assert issubclass(NotFittedError, AttributeError)


def test_set_params_unknown_name():
    with pytest.raises(ValueError, match="Invalid parameter 'k' for KMeans"):
        KMeans().set_params(k=3)


# -- inputs are never modified ---------------------------------------------------


@pytest.mark.parametrize(
    "X",
    [
        good_X(200),
        good_X(200, dtype=np.float32),
        np.asfortranarray(good_X(200)),
        good_X(200)[::2],  # a non-contiguous view
        np.random.default_rng(0).integers(0, 256, size=(200, 3), dtype=np.uint8),
        np.random.default_rng(0).integers(-50, 50, size=(200, 3)),
    ],
    ids=["float64", "float32", "fortran", "strided", "uint8", "int64"],
)
@pytest.mark.parametrize("init", ["k-means++", "random", "array"])
def test_inputs_never_modified(X, init):
    rng = np.random.default_rng(1)
    w = rng.uniform(0.5, 2.0, size=X.shape[0])
    if init == "array":
        init = X[:4].astype(np.float64) + 0.5
    arrays = [X, w] + ([init] if isinstance(init, np.ndarray) else [])
    snapshots = [(a, a.copy()) for a in arrays]
    n_init = 2 if isinstance(init, str) else 1
    model = KMeans(n_clusters=4, init=init, n_init=n_init, random_state=0)
    model.fit(X, sample_weight=w)
    model.predict(X)
    model.transform(X)
    model.score(X, sample_weight=w)
    model.fit_predict(X, sample_weight=w)
    kmeans(X, 4, sample_weight=w, init=init, random_state=0)
    kmeans_plusplus(X, 4, sample_weight=w, random_state=0)
    for array, copy in snapshots:
        assert array.dtype == copy.dtype
        np.testing.assert_array_equal(array, copy)
    # Results do not alias the input.
    assert not np.shares_memory(model.cluster_centers_, X)
    assert not np.shares_memory(model.cluster_centers_, w)


def test_results_do_not_alias_the_init_array():
    X = good_X(50)
    init = X[:3].copy()
    saved = init.copy()
    model = KMeans(n_clusters=3, init=init).fit(X)
    np.testing.assert_array_equal(init, saved)
    assert not np.shares_memory(model.cluster_centers_, init)
    model.cluster_centers_[:] = 0  # the caller's array is untouched
    np.testing.assert_array_equal(init, saved)


# -- dtype rules -----------------------------------------------------------------


@pytest.mark.parametrize(
    "dtype, expected",
    [
        (np.float64, np.float64),
        (np.float32, np.float32),
        (np.float16, np.float32),
        (np.uint8, np.float64),
        (np.uint16, np.float64),
        (np.int32, np.float64),
        (np.int64, np.float64),
        (np.bool_, np.float64),
    ],
)
def test_dtype_rules(dtype, expected):
    rng = np.random.default_rng(0)
    X = rng.integers(0, 2 if dtype == np.bool_ else 100, size=(60, 3)).astype(dtype)
    model = KMeans(n_clusters=3, random_state=0).fit(X)
    assert model.cluster_centers_.dtype == expected
    assert model.labels_.dtype == np.int32
    assert model.transform(X).dtype == expected
    assert model.predict(X).dtype == np.int32
    assert isinstance(model.inertia_, float)
    assert isinstance(model.score(X), float)
    assert model.n_features_in_ == 3


@pytest.mark.parametrize("algorithm", ["lloyd", "hamerly", "blas"])
@pytest.mark.parametrize("dtype", [np.uint8, np.uint16])
def test_uint8_is_the_same_as_its_float64_conversion(dtype, algorithm):
    rng = np.random.default_rng(0)
    top = np.iinfo(dtype).max
    X = rng.integers(0, top, size=(500, 3), endpoint=True).astype(dtype)
    init = X[:5].astype(np.float64) + 0.25
    for kwargs in ({"init": init}, {"random_state": 3}):  # given centres, k-means++
        a = KMeans(n_clusters=5, algorithm=algorithm, **kwargs).fit(X)
        X64 = X.astype(np.float64)
        b = KMeans(n_clusters=5, algorithm=algorithm, **kwargs).fit(X64)
        np.testing.assert_array_equal(a.labels_, b.labels_)
        np.testing.assert_array_equal(a.cluster_centers_, b.cluster_centers_)
        assert a.inertia_ == b.inertia_
        assert a.n_iter_ == b.n_iter_


def test_pixel_dtypes_are_not_copied_and_unit_weights_cost_no_array():
    X = np.zeros((1000, 3), dtype=np.uint8)
    checked = check_array(X)
    assert np.shares_memory(checked, X) and checked.base is X
    assert not checked.flags.writeable and X.flags.writeable  # a read-only view
    w = check_sample_weight(None, 10**9)  # would be 8 GB as an array
    assert w.shape == (10**9,) and w.strides == (0,) and w[12345] == 1.0


def test_float32_model_predicts_float64_input():
    X = good_X(100, dtype=np.float32)
    model = KMeans(n_clusters=3, random_state=0).fit(X)
    X64 = X.astype(np.float64)
    np.testing.assert_array_equal(model.predict(X64), model.labels_)
    assert model.transform(X64).dtype == np.float32


def test_numeric_object_and_list_input_are_accepted():
    X = good_X(30)
    ref = KMeans(n_clusters=2, random_state=0).fit(X)
    for converted in (X.tolist(), X.astype(object)):
        model = KMeans(n_clusters=2, random_state=0).fit(converted)
        np.testing.assert_array_equal(model.labels_, ref.labels_)
        assert model.cluster_centers_.dtype == np.float64


def test_every_input_form_runs_the_same_compiled_kernels():
    """Writable or read-only data, weighted or not, C-ordered or strided: the
    kernels see one argument type per dtype, so nothing compiles twice."""
    from kmeans_core import _hamerly, _kernels, _seeding_kernels

    kernels = (_hamerly.assign_hamerly, _kernels.assign_labels,
               _kernels.accumulate_blocks, _seeding_kernels.greedy_kmeanspp)
    X = np.random.default_rng(0).random((300, 3))
    kmeans(X, 4, random_state=0)
    kmeans(X, 4, random_state=0, algorithm="lloyd")
    def compiled_versions():
        return [len(getattr(k, "dispatcher", k).signatures) for k in kernels]

    compiled = compiled_versions()
    frozen = X.copy()
    frozen.flags.writeable = False
    weights = np.random.default_rng(1).uniform(0.5, 2.0, 300)
    for data, w in ((frozen, None), (X, weights), (np.asfortranarray(X), weights),
                    (X, weights[::-1]), (frozen, np.ones(300))):
        for algorithm in ("hamerly", "lloyd"):
            kmeans(data, 4, sample_weight=w, random_state=0, algorithm=algorithm)
    KMeans(4, random_state=0).fit(X).predict(frozen)
    assert compiled_versions() == compiled


def test_integer_weights_run_the_same_compiled_exact_kernel(monkeypatch):
    """uint8 data with unit or integer weights (the exact-sums path), writable
    or not: each of its E-step kernels (tiles up to 4 features, Hamerly's
    moves above) sees one argument type."""
    import numba

    from kmeans_core import _hamerly, _tiles

    seen = {"tiles": set(), "moves": set()}

    def spy(name, kernel):
        def call(*args):
            seen[name].add(tuple(numba.typeof(a) for a in args))
            return kernel(*args)
        return call

    monkeypatch.setattr(_tiles, "assign_tiles", spy("tiles", _tiles.assign_tiles))
    monkeypatch.setattr(_hamerly, "assign_hamerly_moves",
                        spy("moves", _hamerly.assign_hamerly_moves))
    counts = np.random.default_rng(1).integers(1, 6, 300)
    for n_features in (3, 5):  # tiles, then Hamerly's moves
        X = np.random.default_rng(0).integers(0, 256, (300, n_features),
                                              dtype=np.uint8)
        frozen = X.copy()
        frozen.flags.writeable = False
        for data, w in ((X, None), (frozen, counts), (X, counts.astype(np.float64))):
            kmeans(data, 4, sample_weight=w, random_state=0, algorithm="hamerly")
    assert {name: len(types) for name, types in seen.items()} == {
        "tiles": 1, "moves": 1}, seen

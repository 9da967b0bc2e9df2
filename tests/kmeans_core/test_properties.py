"""Properties of k-means that must hold on any data (hypothesis), and toy cases.

* inertia never increases from one iteration to the next (up to rounding);
* the labels are the argmin over centres;
* an integer weight is the same as repeating the row (explicit init and
  k-means++ with the same seed);
* shuffling the rows does not change the centres (up to rounding);
* the number of threads does not change any bit of the result;
* fewer distinct points than clusters: a KMeansWarning and a valid result;
* hand-computed toy cases; ``verbose`` output; ``history_``.
"""

import os
import subprocess
import sys
import textwrap
import warnings
from dataclasses import dataclass

import naive
import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import kmeans_core
from kmeans_core import KMeans, KMeansWarning

QUICK = settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
THOROUGH = settings(
    max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
ALGORITHMS = ["lloyd", "auto"]  # the reference loop and the default


@dataclass
class Problem:
    X: np.ndarray
    sample_weight: np.ndarray | None
    n_clusters: int
    seed: int
    algorithm: str


@st.composite
def hypothesis_arrays(
    draw, max_samples=40, max_features=4, max_clusters=6, distinct=False
):
    """Data drawn value by value by hypothesis: duplicates, ties, wide ranges.

    ``distinct=True``: every value differs, so no two rows are equal.
    """
    dtype = draw(st.sampled_from([np.float32, np.float64]))
    n_samples = draw(st.integers(1, max_samples))
    n_features = draw(st.integers(1, max_features))
    width = 32 if dtype == np.float32 else 64
    elements = st.floats(-1e3, 1e3, width=width)
    X = draw(
        hnp.arrays(dtype, (n_samples, n_features), elements=elements, unique=distinct)
    )
    weighted = draw(st.booleans())
    w = None
    if weighted:
        # Subnormal weights are covered by test_labels_match_centres_after_relocation.
        positive = st.floats(1e-3, 10.0)
        w = draw(
            hnp.arrays(
                np.float64, n_samples, elements=st.one_of(st.just(0.0), positive)
            )
        )
        assume(w.sum() > 0)
    return Problem(
        X,
        w,
        draw(st.integers(1, min(n_samples, max_clusters))),
        draw(st.integers(0, 2**32 - 1)),
        draw(st.sampled_from(ALGORITHMS)),
    )


@st.composite
def seeded_problems(draw, integer=False, max_samples=80, max_features=4):
    """Data from a seeded generator: blobs of random spread (or small integers)."""
    dtype = draw(st.sampled_from([np.float32, np.float64]))
    n_samples = draw(st.integers(1, max_samples))
    n_features = draw(st.integers(1, max_features))
    n_clusters = draw(st.integers(1, min(n_samples, 6)))
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    if integer:
        X = rng.integers(-8, 9, size=(n_samples, n_features))
    else:
        means = rng.normal(scale=10.0, size=(n_clusters, n_features))
        spread = rng.uniform(0.1, 3.0)
        X = means[rng.integers(0, n_clusters, n_samples)] + rng.normal(
            scale=spread, size=(n_samples, n_features)
        )
    return Problem(
        X.astype(dtype), None, n_clusters, seed, draw(st.sampled_from(ALGORITHMS))
    )


def rounding_slack(X, w, inertia):
    """How much rounding alone may raise the inertia between two iterations.

    A centre is a mean, accurate to about ``n eps64 max|X|`` per coordinate,
    then rounded to the dtype of ``X`` (another ``eps max|X|``; a centre lies in
    the hull of the data).  With ``delta`` the resulting error of a centre,
    Cauchy-Schwarz bounds the rise by ``2 delta sqrt(W J) + W delta^2``;
    distances in float32 add ``~d eps J``.
    """
    eps = float(np.finfo(X.dtype).eps)
    eps64 = float(np.finfo(np.float64).eps)
    n_samples, n_features = X.shape
    total_w = float(n_samples if w is None else np.sum(w))
    scale = float(np.abs(X).max(initial=0.0))
    delta = np.sqrt(n_features) * scale * (2 * eps + 2 * n_samples * eps64)
    inertia = max(inertia, 0.0)
    return (
        2 * delta * np.sqrt(total_w * inertia)
        + total_w * delta**2
        + 4 * (n_features + 2) * eps * inertia
    )


def fit(p: Problem, **params):
    params.setdefault("random_state", p.seed)
    params.setdefault("n_init", 1)
    model = KMeans(p.n_clusters, algorithm=p.algorithm, **params)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", KMeansWarning)  # duplicates are allowed here
        return model.fit(p.X, sample_weight=p.sample_weight)


# -- inertia never increases -------------------------------------------------------


def check_inertia_never_increases(p: Problem, init):
    model = fit(p, init=init, tol=0.0, max_iter=100)
    inertias = [r.inertia for r in model.history_] + [model.inertia_]
    for before, after in zip(inertias[:-1], inertias[1:], strict=True):
        assert after <= before + rounding_slack(p.X, p.sample_weight, before)
    assert len(model.history_) == model.n_iter_


@QUICK
@given(hypothesis_arrays(), st.sampled_from(["k-means++", "random"]))
def test_inertia_never_increases(p, init):
    check_inertia_never_increases(p, init)


@pytest.mark.slow
@THOROUGH
@given(hypothesis_arrays(max_samples=150), st.sampled_from(["k-means++", "random"]))
def test_inertia_never_increases_thorough(p, init):
    check_inertia_never_increases(p, init)


# -- labels are the argmin ----------------------------------------------------------


def check_labels_are_argmin(p: Problem):
    model = fit(p)
    X, centers = p.X, model.cluster_centers_
    d = naive.sq_distances(X, centers)  # (n_samples, n_clusters)
    best = d.min(axis=1)
    rel = 1e-5 if X.dtype == np.float32 else 1e-12
    slack = rel * best + 1e-30
    chosen = d[np.arange(X.shape[0]), model.labels_]
    assert np.all(chosen <= best + slack)
    # Away from near-ties, exactly the naive argmin (first of equal minima).
    second = np.partition(d, 1, axis=1)[:, 1] if d.shape[1] > 1 else best + np.inf
    clear = second - best > slack
    np.testing.assert_array_equal(model.labels_[clear], d.argmin(axis=1)[clear])
    # predict agrees with the fit, and inertia_ is the inertia of labels_.
    np.testing.assert_array_equal(model.predict(X), model.labels_)
    w = np.ones(X.shape[0]) if p.sample_weight is None else p.sample_weight
    ref = naive.inertia(X, w, centers, model.labels_)
    assert abs(model.inertia_ - ref) <= 1e3 * rel * ref + 1e-30
    assert model.labels_.min() >= 0 and model.labels_.max() < p.n_clusters


@QUICK
@given(hypothesis_arrays())
def test_labels_are_the_argmin(p):
    check_labels_are_argmin(p)


@pytest.mark.slow
@THOROUGH
@given(hypothesis_arrays(max_samples=150))
def test_labels_are_the_argmin_thorough(p):
    check_labels_are_argmin(p)


# -- integer weights are repeated rows ------------------------------------------------


def check_weights_are_repeats(p: Problem, weights, init):
    """Integer data and weights: every sum is exact, so results are bitwise equal.

    Only empty-cluster relocation tells the two apart (it moves a whole weighted
    row, but one copy of a repeated row), so runs that relocate are skipped.
    """
    w = np.asarray(weights, dtype=np.float64)
    X_rep = np.repeat(p.X, weights, axis=0)
    assume(np.unique(X_rep, axis=0).shape[0] >= p.n_clusters)
    if isinstance(init, np.ndarray):
        for data, sw in ((p.X, w), (X_rep, None)):
            ref = naive.lloyd(
                data,
                np.ones(len(data)) if sw is None else sw,
                init,
                tol=0.0,
                max_iter=50,
            )
            assume(ref.relocated == 0)
    params = dict(
        init=init, tol=0.0, max_iter=50, random_state=p.seed, algorithm=p.algorithm
    )
    weighted = KMeans(p.n_clusters, **params).fit(p.X, sample_weight=w)
    repeated = KMeans(p.n_clusters, **params).fit(X_rep)
    if not isinstance(init, np.ndarray):
        # k-means++ samples by running cumulative weight: same rows, same centres.
        seeds_w = kmeans_core.kmeans_plusplus(
            p.X, p.n_clusters, sample_weight=w, random_state=p.seed
        )[0]
        seeds_r = kmeans_core.kmeans_plusplus(X_rep, p.n_clusters, random_state=p.seed)[
            0
        ]
        np.testing.assert_array_equal(seeds_w, seeds_r)
        for data, sw in ((p.X, w), (X_rep, None)):
            ref = naive.lloyd(
                data,
                np.ones(len(data)) if sw is None else sw,
                seeds_w,
                tol=0.0,
                max_iter=50,
            )
            assume(ref.relocated == 0)
    np.testing.assert_array_equal(weighted.cluster_centers_, repeated.cluster_centers_)
    np.testing.assert_array_equal(
        np.repeat(weighted.labels_, weights), repeated.labels_
    )
    assert weighted.n_iter_ == repeated.n_iter_
    np.testing.assert_allclose(weighted.inertia_, repeated.inertia_, rtol=1e-12)


@QUICK
@given(seeded_problems(integer=True, max_samples=40), st.data())
def test_integer_weights_equal_repeated_rows(p, data):
    weights = data.draw(hnp.arrays(np.int64, p.X.shape[0], elements=st.integers(0, 4)))
    assume(weights.sum() > 0)
    rng = np.random.default_rng(p.seed)
    # Off the integer lattice, so the initial assignment has no exact ties.
    init = p.X[rng.integers(0, p.X.shape[0], p.n_clusters)] + rng.uniform(
        -0.3, 0.3, size=(p.n_clusters, p.X.shape[1])
    )
    check_weights_are_repeats(p, weights, init.astype(p.X.dtype))


@QUICK
@given(seeded_problems(integer=True, max_samples=40), st.data())
def test_integer_weights_equal_repeated_rows_kmeans_plusplus(p, data):
    weights = data.draw(hnp.arrays(np.int64, p.X.shape[0], elements=st.integers(0, 4)))
    assume(weights.sum() > 0)
    check_weights_are_repeats(p, weights, "k-means++")


@pytest.mark.slow
@THOROUGH
@given(seeded_problems(integer=True, max_samples=80), st.data(), st.booleans())
def test_integer_weights_equal_repeated_rows_thorough(p, data, plusplus):
    weights = data.draw(hnp.arrays(np.int64, p.X.shape[0], elements=st.integers(0, 6)))
    assume(weights.sum() > 0)
    rng = np.random.default_rng(p.seed)
    init = p.X[rng.integers(0, p.X.shape[0], p.n_clusters)] + rng.uniform(
        -0.3, 0.3, size=(p.n_clusters, p.X.shape[1])
    )
    init = "k-means++" if plusplus else init.astype(p.X.dtype)
    check_weights_are_repeats(p, weights, init)


def test_float_weights_close_to_repeated_rows():
    # Non-integer data: the same solution up to rounding.
    rng = np.random.default_rng(0)
    X = rng.normal(size=(300, 3)) + rng.integers(0, 3, size=(300, 1)) * 6.0
    weights = rng.integers(1, 5, size=300)
    params = dict(n_clusters=3, random_state=4)
    weighted = KMeans(**params).fit(X, sample_weight=weights)
    repeated = KMeans(**params).fit(np.repeat(X, weights, axis=0))
    np.testing.assert_allclose(
        weighted.cluster_centers_, repeated.cluster_centers_, rtol=1e-10
    )
    np.testing.assert_allclose(weighted.inertia_, repeated.inertia_, rtol=1e-10)


# -- row order -------------------------------------------------------------------------


def check_shuffle_invariance(p: Problem, weighted):
    rng = np.random.default_rng(p.seed)
    w = rng.uniform(0.5, 2.0, size=p.X.shape[0]) if weighted else None
    init = p.X[rng.choice(p.X.shape[0], p.n_clusters, replace=False)]
    perm = rng.permutation(p.X.shape[0])
    params = dict(init=init, algorithm=p.algorithm)
    a = KMeans(p.n_clusters, **params).fit(p.X, sample_weight=w)
    b = KMeans(p.n_clusters, **params).fit(
        p.X[perm], sample_weight=None if w is None else w[perm]
    )
    f32 = p.X.dtype == np.float32
    np.testing.assert_allclose(
        a.cluster_centers_,
        b.cluster_centers_,
        rtol=1e-5 if f32 else 1e-10,
        atol=(1e-5 if f32 else 1e-10) * float(np.abs(p.X).max()),
    )
    np.testing.assert_array_equal(a.labels_[perm], b.labels_)
    np.testing.assert_allclose(a.inertia_, b.inertia_, rtol=1e-5 if f32 else 1e-10)


@QUICK
@given(seeded_problems(), st.booleans())
def test_shuffling_rows_keeps_the_centres(p, weighted):
    check_shuffle_invariance(p, weighted)


@pytest.mark.slow
@THOROUGH
@given(seeded_problems(max_samples=300), st.booleans())
def test_shuffling_rows_keeps_the_centres_thorough(p, weighted):
    check_shuffle_invariance(p, weighted)


# -- thread count ------------------------------------------------------------

THREAD_SCRIPT = textwrap.dedent(
    """
    import hashlib, warnings
    import numpy as np
    import numba
    import kmeans_core

    def digest(*arrays):
        h = hashlib.sha256()
        for a in arrays:
            h.update(np.ascontiguousarray(a).tobytes())
        return h.hexdigest()[:16]

    rng = np.random.default_rng(0)
    big = rng.normal(size=(10000, 3)) + rng.integers(0, 8, size=(10000, 1)) * 3.0
    cases = {
        "f64": big,
        "f32": big.astype(np.float32),
        "wide": rng.normal(size=(2000, 20)),
        "small": rng.normal(size=(50, 2)),
    }
    weights = rng.uniform(0.1, 3.0, size=10000)
    # Integer data and weights: Hamerly's exact int64 sums.
    cases["u8"] = np.clip(big * 20 + 40, 0, 255).astype(np.uint8)
    cases["u16"] = np.clip(big * 5000 + 9000, 0, 65535).astype(np.uint16)
    counts = rng.integers(0, 30, size=10000)
    print("threads", numba.get_num_threads())
    warnings.simplefilter("ignore")
    for name, X in cases.items():
        for algorithm in ("lloyd", "auto"):
            w_all = counts if X.dtype.kind == "u" else weights
            for w in (None, w_all[: X.shape[0]]):
                r = kmeans_core.kmeans(
                    X, 12 if X.shape[0] > 50 else 4, sample_weight=w, n_init=2,
                    random_state=1, algorithm=algorithm,
                )
                hist = np.array([(h.inertia, h.center_shift) for h in r.history])
                print(name, algorithm, w is None, r.n_iter, repr(r.inertia),
                      digest(r.centers, r.labels, hist))
        c, rows = kmeans_core.kmeans_plusplus(X, 7, random_state=3)
        print(name, "k-means++", digest(c, rows))
    """
)


def run_with_threads(n_threads):
    env = dict(os.environ, NUMBA_NUM_THREADS=str(n_threads))
    out = subprocess.run(
        [sys.executable, "-c", THREAD_SCRIPT],
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=600,
    ).stdout.splitlines()
    assert out[0] == f"threads {n_threads}"
    return out[1:]


def test_thread_count_does_not_change_any_bit():
    one, two = run_with_threads(1), run_with_threads(2)
    assert len(one) == 6 * 5
    assert one == two


# -- fewer distinct points than clusters ----------------------------------------------


@QUICK
@given(
    st.integers(1, 4),
    st.integers(1, 5),
    st.integers(1, 6),
    st.sampled_from(["k-means++", "random"]),
    st.integers(0, 2**32 - 1),
)
def test_fewer_distinct_points_than_clusters(n_distinct, extra, n_features, init, seed):
    n_clusters = n_distinct + extra
    rng = np.random.default_rng(seed)
    points = rng.normal(size=(n_distinct, n_features)) * 5
    X = points[rng.integers(0, n_distinct, size=n_clusters + 10)]
    X[:n_distinct] = points  # every distinct point appears
    # n_init=1 and max_iter=50: such runs can cycle to max_iter (see the xfail
    # test below); the result is valid all the same.
    model = KMeans(n_clusters, init=init, n_init=1, max_iter=50, random_state=seed)
    with pytest.warns(KMeansWarning, match="fewer than n_clusters"):
        model.fit(X)
    assert model.cluster_centers_.shape == (n_clusters, n_features)
    assert np.isfinite(model.cluster_centers_).all()
    assert model.labels_.min() >= 0 and model.labels_.max() < n_clusters
    # Every distinct point gets a centre of its own: nothing left to explain.
    assert model.inertia_ <= 1e-20 * max(1.0, float(np.abs(X).max()) ** 2)
    np.testing.assert_allclose(model.cluster_centers_[model.labels_], X, atol=1e-12)


def _two_points_tol_zero():
    rng = np.random.default_rng(0)
    points = rng.normal(size=(2, 3)) * 5
    X = points[rng.integers(0, 2, size=15)]
    X[:2] = points
    return X, dict(n_clusters=5, tol=0.0)


@pytest.mark.parametrize(
    "case",
    [
        _two_points_tol_zero,
        lambda: (np.full((10, 2), 0.1), dict(n_clusters=3)),  # default tol
    ],
    ids=["two-points-tol0", "identical-rows-default-tol"],
)
def test_fewer_distinct_points_converges(case):
    X, params = case()
    with pytest.warns(KMeansWarning):
        model = KMeans(random_state=0, n_init=1, max_iter=300, **params).fit(X)
    assert model.inertia_ <= 1e-25
    assert model.n_iter_ < 300


def _identical_rows_float_weights():
    w = [0.07197163671376387, 0.2144578844416115, 4.0]
    weights = np.array(w)[[0, 0, 0, 1, 2, 1, 2, 2, 1, 1, 2, 2, 2, 1, 0, 1, 1]]
    return np.full((17, 1), 3.7), weights, 2


@pytest.mark.parametrize(
    "case",
    [
        _identical_rows_float_weights,  # the mean is off by an ulp
        lambda: (np.array([[1.5], [0.0]]), np.array([5e-324, 0.0]), 2),  # w x / w != x
    ],
    ids=["identical-rows", "subnormal-weight"],
)
def test_labels_match_centres_after_relocation(case):
    X, w, n_clusters = case()
    model = KMeans(n_clusters, random_state=0, n_init=1, algorithm="lloyd")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", KMeansWarning)
        model.fit(X, sample_weight=w)
    np.testing.assert_array_equal(model.predict(X), model.labels_)


def test_all_rows_identical():
    X = np.full((10, 2), 3.5)
    with pytest.warns(KMeansWarning):
        model = KMeans(3, random_state=0).fit(X)
    np.testing.assert_array_equal(model.labels_, 0)
    assert model.inertia_ == 0.0
    np.testing.assert_array_equal(model.cluster_centers_, 3.5)


# -- hand-computed toy cases --------------------------------------------------


def test_toy_1d_by_hand():
    # Two groups {0, 1, 2} and {10, 11, 12}; start at 0 and 12.
    # Iteration 0: inertia (0 + 1 + 4) + (4 + 1 + 0) = 10, centres -> 1 and 11.
    # Iteration 1: inertia 1 + 0 + 1 + 1 + 0 + 1 = 4, labels unchanged: stop.
    X = np.array([[0.0], [1.0], [2.0], [10.0], [11.0], [12.0]])
    model = KMeans(2, init=np.array([[0.0], [12.0]])).fit(X)
    np.testing.assert_array_equal(model.cluster_centers_, [[1.0], [11.0]])
    np.testing.assert_array_equal(model.labels_, [0, 0, 0, 1, 1, 1])
    assert model.inertia_ == 4.0
    assert model.n_iter_ == 2
    assert [r.inertia for r in model.history_] == [10.0, 4.0]
    assert [r.center_shift for r in model.history_] == [2.0, 0.0]  # 1^2 + 1^2
    np.testing.assert_allclose(model.transform([[5.0]]), [[4.0, 6.0]])
    assert model.score([[5.0], [12.0]]) == -(16.0 + 1.0)
    # Weights: centre 0 = (0 + 1 + 2 * 2) / 4 = 1.25,
    # inertia = 1.25^2 + 0.25^2 + 2 * 0.75^2 + 2 = 4.75.
    w = [1.0, 1.0, 2.0, 1.0, 1.0, 1.0]
    model = KMeans(2, init=np.array([[0.0], [12.0]])).fit(X, sample_weight=w)
    np.testing.assert_allclose(model.cluster_centers_, [[1.25], [11.0]])
    np.testing.assert_allclose(model.inertia_, 4.75)
    assert model.score([[5.0]], sample_weight=[2.0]) == -2 * (5 - 1.25) ** 2


def test_toy_2d_square_by_hand():
    # Corners of two unit squares, 10 apart; centres are the squares' middles and
    # every corner is at squared distance 0.25 + 0.25 = 0.5 from its centre.
    square = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    X = np.vstack([square, square + 10.0]).astype(np.float32)
    model = KMeans(2, init=X[[0, 4]]).fit(X)
    assert model.cluster_centers_.dtype == np.float32
    np.testing.assert_array_equal(model.cluster_centers_, [[0.5, 0.5], [10.5, 10.5]])
    assert model.inertia_ == 8 * 0.5


def test_toy_empty_cluster_by_hand():
    # Everything is nearest to centre 0 at first; centre 1 (at 100) is empty and
    # takes the farthest sample, x = 10.  Then {0, 1, 2} -> 1 and {10} -> 10.
    X = np.array([[0.0], [1.0], [2.0], [10.0]])
    # The second iteration moves no centre (shift 0 <= tol = 0): stop there, as
    # scikit-learn does, and assign once more.
    model = KMeans(2, init=np.array([[0.0], [100.0]]), tol=0.0).fit(X)
    np.testing.assert_array_equal(model.cluster_centers_, [[1.0], [10.0]])
    np.testing.assert_array_equal(model.labels_, [0, 0, 0, 1])
    assert [r.inertia for r in model.history_] == [105.0, 2.0]
    assert [r.center_shift for r in model.history_] == [1.0 + 90.0**2, 0.0]
    assert model.n_iter_ == 2
    assert model.inertia_ == 2.0


# -- verbose and history ------------------------------------------------------


def test_verbose_prints_every_iteration(capsys):
    X = np.random.default_rng(0).normal(size=(200, 2))
    model = KMeans(4, random_state=0, verbose=1, n_init=1).fit(X)
    out = capsys.readouterr().out.splitlines()
    iteration_lines = [line for line in out if line.startswith("Iteration")]
    assert len(iteration_lines) == model.n_iter_
    for it, line in enumerate(iteration_lines):
        assert line.startswith(f"Iteration {it}:")
        assert "inertia" in line
    assert any(line.startswith("Converged") for line in out)
    assert KMeans(4, random_state=0).fit(X) is not None
    assert capsys.readouterr().out == ""  # verbose=0 is silent


@QUICK
@given(
    seeded_problems(),
    st.integers(1, 30),
    st.sampled_from([0.0, 1e-4, 1e-1]),
    st.integers(1, 3),
)
def test_history_length_is_n_iter(p, max_iter, tol, n_init):
    model = fit(p, max_iter=max_iter, tol=tol, n_init=n_init)
    assert len(model.history_) == model.n_iter_
    assert 1 <= model.n_iter_ <= max_iter
    for record in model.history_:
        assert record.inertia >= 0 and record.center_shift >= 0
        assert record.seconds >= 0
    assert isinstance(model.history_[0], kmeans_core.IterationRecord)


def test_same_seed_same_result():
    X = np.random.default_rng(0).normal(size=(500, 3))
    a = KMeans(5, n_init=3, random_state=11).fit(X)
    b = KMeans(5, n_init=3, random_state=11).fit(X)
    np.testing.assert_array_equal(a.cluster_centers_, b.cluster_centers_)
    np.testing.assert_array_equal(a.labels_, b.labels_)
    assert a.inertia_ == b.inertia_
    c = KMeans(5, n_init=3, random_state=np.random.default_rng(11)).fit(X)
    np.testing.assert_array_equal(a.cluster_centers_, c.cluster_centers_)

"""The Lloyd driver (kmeans_core._lloyd) on in-memory data against tests/naive.py."""

import naive
import numpy as np
import pytest

from kmeans_core._lloyd import ClusterSums, lloyd, relocate_empty_clusters
from kmeans_core._memory import InMemory, weighted_tolerance
from kmeans_core._validation import kernel_weights

from .test_kernels import DTYPES, SHAPE_IDS, SHAPES, make_data, rtol_for


@pytest.mark.parametrize("dtype", DTYPES)
def test_weighted_tolerance(dtype):
    X, _, w = make_data(500, 5, 3, dtype)
    np.testing.assert_allclose(
        weighted_tolerance(X, w, 1e-4),
        naive.weighted_tolerance(X, w, 1e-4),
        rtol=1e-10,
    )
    # Unit weights: scikit-learn's rule, tol * mean(np.var(X, axis=0)).
    ones = kernel_weights(np.ones(X.shape[0]))  # as the engine passes them
    np.testing.assert_allclose(
        weighted_tolerance(X, ones, 1e-4),
        1e-4 * np.var(X.astype(np.float64), axis=0).mean(),
        rtol=1e-10,
    )
    assert weighted_tolerance(X, w, 0.0) == 0.0


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", SHAPES, ids=SHAPE_IDS)
def test_one_lloyd_step(shape, dtype):
    X, centers, w = make_data(*shape, dtype)
    run = lloyd(InMemory(X, w), centers, max_iter=1, tol=0.0)
    step = naive.lloyd_step(X, w, centers)
    assert run.n_iter == 1
    np.testing.assert_allclose(
        run.history[0].inertia, step.inertia, rtol=rtol_for(dtype), atol=1e-12
    )
    np.testing.assert_allclose(
        run.centers,
        step.centers,
        rtol=1e-5 if dtype == np.float32 else 1e-10,
        atol=1e-6 if dtype == np.float32 else 1e-12,
    )
    np.testing.assert_allclose(
        run.history[0].center_shift,
        step.shift,
        rtol=1e-4 if dtype == np.float32 else 1e-9,
        atol=1e-9,
    )


def _relocate(X, w, centers, labels, sums, weights):
    data = InMemory(X, w)
    data.start(centers.shape[0], "lloyd")
    data._labels[:] = labels  # as an E-step left them
    return relocate_empty_clusters(data, centers, ClusterSums(sums, weights, 0.0, 0))


@pytest.mark.parametrize("dtype", DTYPES)
def test_relocation_rule(dtype):
    # Five points on a line, all nearest to centre 0; centres 1 and 2 are far
    # away and empty.  Farthest samples from centre 0 (at 0): x = 9, then
    # x = -5 and x = 5 tie, the lower index (x = -5, row 1) wins.
    X = np.array([[0.0], [-5.0], [5.0], [9.0], [1.0]], dtype=dtype)
    w = np.array([1.0, 2.0, 1.0, 3.0, 1.0])
    centers = np.array([[0.0], [100.0], [200.0]], dtype=dtype)
    labels, min_sq_dist = naive.assign(X, centers)
    sums, weights = naive.weighted_sums(X, w, labels, 3)
    ref_sums, ref_weights = sums.copy(), weights.copy()
    assert _relocate(X, w, centers, labels, sums, weights) == 2
    assert naive.relocate_empty(X, w, labels, min_sq_dist, ref_sums, ref_weights) == 2
    np.testing.assert_allclose(sums, ref_sums)
    np.testing.assert_allclose(weights, ref_weights)
    np.testing.assert_allclose(sums[1:, 0] / weights[1:], [9.0, -5.0])
    np.testing.assert_allclose(weights, [3.0, 3.0, 2.0])
    np.testing.assert_allclose(sums[0, 0] / weights[0], (0 + 5 + 1) / 3)


def test_relocation_never_empties_the_donor():
    """The issue's case: subtracting the donor's weight left a residue that was
    divided by itself (a centre at -8 for data in [0, 9.1]).  Samples now move
    and the sums are recomputed; a cluster's last sample never moves."""
    X = np.array([[0.0], [0.1], [0.2], [7.3], [9.1]])
    w = np.array([1.0, 1.0, 1.0, 0.1, 0.2])
    centers = np.array([[0.1], [8.65], [-1000.0], [-2000.0]])
    labels, min_sq_dist = naive.assign(X, centers)
    sums, weights = naive.weighted_sums(X, w, labels, 4)
    ref_sums, ref_weights = sums.copy(), weights.copy()
    assert _relocate(X, w, centers, labels, sums, weights) == 2
    naive.relocate_empty(X, w, labels, min_sq_dist, ref_sums, ref_weights)
    np.testing.assert_allclose(sums, ref_sums, rtol=1e-15)
    np.testing.assert_array_equal(weights, ref_weights)
    means = sums[:, 0] / weights
    # 7.3 (farthest from 8.65) moves to cluster 2; 9.1 is then cluster 1's last
    # sample, so cluster 3 takes 0.0 (tied with 0.2 at 0.1 from its centre).
    np.testing.assert_allclose(means, [0.15, 9.1, 7.3, 0.0])


def test_relocation_with_every_sample_on_its_centre():
    # Two distinct points for three clusters: the empty one copies the first
    # cluster with samples, instead of staying at its old centre outside the data.
    X = np.array([[1.0], [1.0], [3.0]])
    w = np.ones(3)
    labels = np.array([0, 0, 1], dtype=np.int32)
    centers = np.array([[1.0], [3.0], [-70.0]])
    sums, weights = naive.weighted_sums(X, w, labels, 3)
    ref_sums, ref_weights = sums.copy(), weights.copy()
    assert _relocate(X, w, centers, labels, sums, weights) == 1
    naive.relocate_empty(X, w, labels, np.zeros(3), ref_sums, ref_weights)
    np.testing.assert_array_equal(sums, ref_sums)
    np.testing.assert_array_equal(weights, ref_weights)
    np.testing.assert_array_equal(sums[:, 0] / weights, [1.0, 3.0, 1.0])


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize(
    "shape", [(1, 1, 1), (40, 2, 6), (500, 3, 8), (300, 17, 5)], ids=str
)
def test_lloyd_matches_naive_loop(shape, dtype):
    rng = np.random.default_rng(shape)
    n_samples, n_features, n_clusters = shape
    # Blobs, so that the runs converge in a few iterations.
    means = rng.normal(scale=5.0, size=(n_clusters, n_features))
    X = (
        means[rng.integers(0, n_clusters, n_samples)]
        + rng.normal(size=(n_samples, n_features))
    ).astype(dtype)
    w = rng.uniform(0.5, 2.0, size=n_samples)
    centers = X[rng.choice(n_samples, n_clusters, replace=False)]
    for tol in (0.0, 1e-4):
        data = InMemory(X, w)  # the kernels' argument types, as in a fit
        run = lloyd(data, centers, max_iter=100, tol=data.weighted_tolerance(tol))
        ref = naive.lloyd(X, w, centers, max_iter=100, tol=tol)
        assert run.n_iter == ref.n_iter
        assert len(run.history) == run.n_iter
        np.testing.assert_array_equal(run.labels, ref.labels)
        np.testing.assert_allclose(
            run.centers,
            ref.centers,
            rtol=1e-5 if dtype == np.float32 else 1e-10,
            atol=1e-5 if dtype == np.float32 else 1e-12,
        )
        np.testing.assert_allclose(run.inertia, ref.inertia, rtol=rtol_for(dtype))
        np.testing.assert_allclose(
            [r.inertia for r in run.history], ref.history, rtol=rtol_for(dtype)
        )


def test_lloyd_relocates_like_naive():
    # Initial centres far from the data: clusters 1..3 start empty.
    rng = np.random.default_rng(5)
    X = rng.normal(size=(200, 2))
    w = rng.integers(1, 4, size=200).astype(np.float64)
    centers = np.array([[0.0, 0.0], [50.0, 50.0], [60.0, 60.0], [70.0, 70.0]])
    run = lloyd(InMemory(X, w), centers, max_iter=50, tol=0.0)
    ref = naive.lloyd(X, w, centers, max_iter=50, tol=0.0)
    assert ref.relocated >= 3
    assert run.n_iter == ref.n_iter
    np.testing.assert_array_equal(run.labels, ref.labels)
    np.testing.assert_allclose(run.centers, ref.centers, rtol=1e-10, atol=1e-12)
    assert np.unique(run.labels).size == 4


@pytest.mark.parametrize("seed", range(6))
def test_relocation_matches_naive_with_many_ties(seed):
    """farthest_samples keeps per-block candidates: the merge must still pick
    the globally farthest samples, ties to the lower index."""
    rng = np.random.default_rng(seed)
    X = rng.integers(0, 4, size=(900, 2)).astype(np.float64)  # many equal distances
    w = rng.integers(0, 3, size=900).astype(np.float64)  # zero weights too
    centers = rng.random((7, 2)) * 3
    labels, min_sq_dist = naive.assign(X, centers)
    sums, weights = naive.weighted_sums(X, w, labels, 7)
    weights[[1, 4, 5]] = 0.0  # pretend these clusters came out empty
    sums[[1, 4, 5]] = 0.0
    ref_sums, ref_weights = sums.copy(), weights.copy()
    moved = _relocate(X, w, centers, labels, sums, weights)
    assert moved == naive.relocate_empty(X, w, labels, min_sq_dist, ref_sums,
                                         ref_weights)
    np.testing.assert_allclose(sums, ref_sums, rtol=1e-12, atol=1e-12)
    np.testing.assert_array_equal(weights, ref_weights)


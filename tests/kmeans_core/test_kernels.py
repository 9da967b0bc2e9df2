"""Every kernel of kmeans_core (_kernels, _seeding_kernels, _blas) against naive.py.

Shapes cover fewer samples than reduction blocks (``N_BLOCKS = 64``), a single
sample, one feature and odd feature counts; both float32 and float64.
"""

import naive
import numpy as np
import pytest

from kmeans_core import _blas as B
from kmeans_core import _kernels as K
from kmeans_core import _seeding_kernels as SK
from kmeans_core._config import N_BLOCKS
from kmeans_core._lloyd import lloyd
from kmeans_core._memory import InMemory
from kmeans_core._validation import kernel_weights, read_only

DTYPES = [np.float32, np.float64]
# (n_samples, n_features, n_clusters)
SHAPES = [
    (1, 1, 1),
    (1, 3, 2),
    (5, 4, 3),
    (7, 1, 9),  # more clusters than samples: some stay empty
    (63, 3, 5),
    (64, 17, 8),
    (65, 1, 4),
    (300, 4, 16),
    (1000, 3, 7),
    (257, 17, 33),
]
SHAPE_IDS = [f"n{n}-d{d}-k{k}" for n, d, k in SHAPES]


def rtol_for(dtype):
    return 2e-5 if dtype == np.float32 else 1e-12


def make_data(n_samples, n_features, n_clusters, dtype, seed=0):
    rng = np.random.default_rng([seed, n_samples, n_features, n_clusters])
    X = rng.normal(size=(n_samples, n_features)).astype(dtype)
    centers = rng.normal(size=(n_clusters, n_features)).astype(dtype)
    w = rng.uniform(0.5, 2.0, size=n_samples)
    return read_only(X), centers, kernel_weights(w)  # as the engine passes them


def assert_labels_are_argmin(labels, X, centers):
    """``labels`` equal the naive argmin except at near-ties, where both are minimal."""
    d = naive.sq_distances(X, centers)  # (n_samples, n_clusters)
    best = d.min(axis=1)
    slack = 1e-5 * best + 1e-6 if X.dtype == np.float32 else 1e-12 * best + 1e-14
    chosen = d[np.arange(d.shape[0]), labels]
    assert np.all(chosen <= best + slack), "a label is not the nearest centre"
    ref = d.argmin(axis=1)
    near_tie = (np.sort(d, axis=1)[:, 1] - best <= slack) if d.shape[1] > 1 else False
    assert np.all((labels == ref) | near_tie)


@pytest.mark.parametrize("n_blocks", [1, 7, N_BLOCKS])
@pytest.mark.parametrize("n_samples", [0, 1, 5, 63, 64, 65, 1000])
def test_block_bounds(n_samples, n_blocks):
    got = [tuple(K.block_bounds(n_samples, n_blocks, b)) for b in range(n_blocks)]
    assert got == naive.block_bounds(n_samples, n_blocks)
    # Contiguous, covering, sizes differing by at most one.
    assert got[0][0] == 0 and got[-1][1] == n_samples
    assert all(a[1] == b[0] for a, b in zip(got[:-1], got[1:], strict=True))
    sizes = [stop - start for start, stop in got]
    assert max(sizes) - min(sizes) <= 1


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", SHAPES, ids=SHAPE_IDS)
def test_sq_dist(shape, dtype):
    X, centers, _ = make_data(*shape, dtype)
    d = naive.sq_distances(X, centers)
    for i in {0, X.shape[0] - 1}:
        for j in {0, centers.shape[0] - 1}:
            got = K.sq_dist(X, i, centers, j)
            np.testing.assert_allclose(got, d[i, j], rtol=rtol_for(dtype), atol=1e-12)


def _assign(X, centers, w=None, labels=None):
    """Run the E-step kernel; return labels, per-block inertia and changes."""
    X = read_only(X)  # as the engine passes it: one compiled version
    w = kernel_weights(np.ones(X.shape[0])) if w is None else w
    labels = np.full(X.shape[0], -7, dtype=np.int32) if labels is None else labels
    inertia = np.full(N_BLOCKS, np.nan)
    changed = np.full(N_BLOCKS, -1, dtype=np.int64)
    K.assign_labels(X, w, centers, labels, inertia, changed)
    return labels, inertia, changed


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", SHAPES, ids=SHAPE_IDS)
def test_assign_labels(shape, dtype):
    X, centers, w = make_data(*shape, dtype)
    labels, inertia, changed = _assign(X, centers, w)
    assert_labels_are_argmin(labels, X, centers)
    assert changed.sum() == X.shape[0]  # every label was -7
    for b, (start, stop) in enumerate(naive.block_bounds(X.shape[0], N_BLOCKS)):
        ref = naive.inertia(X[start:stop], w[start:stop], centers, labels[start:stop])
        np.testing.assert_allclose(inertia[b], ref, rtol=rtol_for(dtype), atol=1e-12)
    # A second pass from the same centres changes nothing.
    assert _assign(X, centers, w, labels)[2].sum() == 0


@pytest.mark.parametrize("dtype", DTYPES)
def test_assign_labels_ties_go_to_lowest_index(dtype):
    # 1-D integers: x = 1 is exactly halfway between centres 0 and 2.
    X = np.array([[0.0], [1.0], [2.0], [3.0]], dtype=dtype)
    centers = np.array([[2.0], [0.0], [2.0]], dtype=dtype)  # centre 2 duplicates 0
    labels, inertia, _ = _assign(X, centers)
    np.testing.assert_array_equal(labels, [1, 0, 0, 0])
    np.testing.assert_array_equal(labels, naive.assign(X, centers)[0])
    assert inertia.sum() == 2.0
    # All centres equal: everything goes to centre 0.
    labels, _, _ = _assign(X, np.ones((5, 1), dtype=dtype))
    np.testing.assert_array_equal(labels, 0)


@pytest.mark.parametrize("algorithm", ["lloyd", "hamerly"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.uint8])
def test_rgb_fast_path_gives_the_bits_of_the_loop(dtype, algorithm):
    """The written-out 3-feature distance and sums equal the generic loop bitwise.

    A zero fourth (and fifth) column adds exact zeros to every sum, so the same
    data with 4 or 5 features runs the generic loop over the same terms.
    """
    rng = np.random.default_rng(11)
    X = rng.integers(0, 256, size=(3000, 3))
    X = X.astype(dtype) if dtype == np.uint8 else (X / 255.0).astype(dtype)
    w = rng.uniform(0.5, 4.0, size=3000)
    centers = X[rng.choice(3000, 24, replace=False)]
    centers = centers.astype(np.float64) if dtype == np.uint8 else centers
    runs = []
    for extra in (0, 1, 2):
        Xp = np.ascontiguousarray(np.pad(X, ((0, 0), (0, extra))))
        cp = np.ascontiguousarray(np.pad(centers, ((0, 0), (0, extra))))
        runs.append(lloyd(InMemory(Xp, w), cp, max_iter=300, tol=0.0,
                          algorithm=algorithm))
    for run in runs[1:]:
        assert run.n_iter == runs[0].n_iter
        np.testing.assert_array_equal(run.labels, runs[0].labels)
        np.testing.assert_array_equal(run.centers[:, :3], runs[0].centers)
        assert run.inertia == runs[0].inertia
        assert [h.inertia for h in run.history] == [h.inertia for h in runs[0].history]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", SHAPES, ids=SHAPE_IDS)
def test_accumulate_and_merge_blocks(shape, dtype):
    X, centers, w = make_data(*shape, dtype)
    n_samples, n_features, n_clusters = shape
    labels = naive.assign(X, centers)[0].astype(np.int32)
    block_sums = np.full((N_BLOCKS, n_clusters, n_features), np.nan)
    block_weights = np.full((N_BLOCKS, n_clusters), np.nan)
    K.accumulate_blocks(X, w, labels, block_sums, block_weights)
    # Every block partial is the naive masked sum over that block's samples.
    for b, (start, stop) in enumerate(naive.block_bounds(n_samples, N_BLOCKS)):
        s, wt = naive.weighted_sums(
            X[start:stop], w[start:stop], labels[start:stop], n_clusters
        )
        np.testing.assert_allclose(block_sums[b], s, rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(block_weights[b], wt, rtol=1e-12, atol=1e-12)
    sums = np.full((n_clusters, n_features), np.nan)
    weights = np.full(n_clusters, np.nan)
    K.merge_blocks(block_sums, block_weights, sums, weights)
    ref_sums, ref_weights = naive.weighted_sums(X, w, labels, n_clusters)
    np.testing.assert_allclose(sums, ref_sums, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(weights, ref_weights, rtol=1e-12, atol=1e-12)
    # Merged in block order: exactly the serial sum of the partials.
    np.testing.assert_array_equal(weights, _ordered_sum(block_weights))
    np.testing.assert_array_equal(sums, _ordered_sum(block_sums))


def _ordered_sum(parts):
    total = np.zeros(parts.shape[1:])
    for part in parts:
        total = total + part
    return total


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", SHAPES, ids=SHAPE_IDS)
def test_average_centers(shape, dtype):
    X, centers_old, w = make_data(*shape, dtype)
    n_clusters = centers_old.shape[0]
    labels = naive.assign(X, centers_old)[0]
    sums, weights = naive.weighted_sums(X, w, labels, n_clusters)
    sums[weights == 0] = 1.0  # the driver never leaves a cluster empty
    weights[weights == 0] = 1.0
    centers_new = np.full_like(centers_old, np.nan)
    shift = np.full(n_clusters, np.nan)
    K.average_centers(sums, weights, centers_old, centers_new, shift)
    assert centers_new.dtype == dtype
    ref = naive.means_from_sums(sums, weights, centers_old)
    np.testing.assert_allclose(
        centers_new, ref, rtol=1e-6 if dtype == np.float32 else 1e-14, atol=1e-12
    )
    diff = centers_new.astype(np.float64) - centers_old.astype(np.float64)
    np.testing.assert_allclose(shift, np.sqrt((diff * diff).sum(axis=1)), rtol=1e-12)


def test_mean_of_one_sample_is_the_sample():
    """Exact division: the weighted mean of one sample is that sample, bitwise."""
    rng = np.random.default_rng(4)
    x = rng.normal(size=(200, 3)) * 10.0 ** rng.integers(-5, 5, size=(200, 1))
    w = rng.uniform(1e-3, 1e3, size=200)
    sums = w[:, None] * x
    centers = np.empty_like(x)
    K.average_centers(sums, w, np.zeros_like(x), centers, np.empty(200))
    np.testing.assert_array_equal(centers, sums / w[:, None])


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", SHAPES, ids=SHAPE_IDS)
def test_all_distances(shape, dtype):
    X, centers, _ = make_data(*shape, dtype)
    out = np.full((X.shape[0], centers.shape[0]), np.nan, dtype=dtype)
    K.all_distances(X, centers, out)
    ref = np.sqrt(naive.sq_distances(X, centers))
    np.testing.assert_allclose(out, ref, rtol=rtol_for(dtype), atol=1e-6)


def _naive_closest(X, rows):
    """``D(x_i)^2``: squared distance to the nearest of the rows chosen so far."""
    return naive.sq_distances(X, X[rows]).min(axis=1)


def _seed_state(X, w):
    n_blocks = -(-X.shape[0] // SK.SEED_BLOCK)
    lo = np.empty((n_blocks, X.shape[1]))
    hi = np.empty((n_blocks, X.shape[1]))
    SK.block_boxes(X, lo, hi)
    closest = np.full(X.shape[0], np.inf)
    return lo, hi, closest, np.full(n_blocks, np.inf), np.full(n_blocks, np.inf)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", SHAPES, ids=SHAPE_IDS)
def test_block_boxes(shape, dtype):
    X, _, _ = make_data(*shape, dtype)
    lo, hi, *_ = _seed_state(X, None)
    for b in range(lo.shape[0]):
        rows = X[b * SK.SEED_BLOCK : (b + 1) * SK.SEED_BLOCK]
        np.testing.assert_array_equal(lo[b], rows.min(axis=0))
        np.testing.assert_array_equal(hi[b], rows.max(axis=0))


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", SHAPES + [(3000, 3, 5)], ids=SHAPE_IDS + ["3000x3"])
def test_update_closest(shape, dtype):
    X, _, w = make_data(*shape, dtype)
    # Sorted rows: the block boxes prune.
    X = read_only(np.ascontiguousarray(X[np.lexsort(X.T[::-1])]))
    rng = np.random.default_rng(2)
    rows = rng.integers(0, X.shape[0], size=6)
    lo, hi, closest, block_pot, block_max = _seed_state(X, w)
    for t, row in enumerate(rows):
        SK.update_closest(X, w, X[[row]], lo, hi, closest, block_pot, block_max)
        ref = _naive_closest(X, rows[: t + 1])
        rtol = rtol_for(dtype)
        np.testing.assert_allclose(closest, ref, rtol=rtol, atol=1e-6 * rtol)
        for b in range(block_pot.shape[0]):
            sl = slice(b * SK.SEED_BLOCK, (b + 1) * SK.SEED_BLOCK)
            assert block_max[b] == pytest.approx(ref[sl].max(), rel=rtol, abs=rtol)
            assert block_pot[b] == pytest.approx(
                (w[sl] * ref[sl]).sum(), rel=rtol, abs=rtol
            )
    assert np.all(closest[rows] == 0.0)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", SHAPES + [(3000, 3, 5)], ids=SHAPE_IDS + ["3000x3"])
def test_candidate_potentials(shape, dtype):
    X, _, w = make_data(*shape, dtype)
    X = read_only(np.ascontiguousarray(X[np.lexsort(X.T[::-1])]))
    rng = np.random.default_rng(3)
    lo, hi, closest, block_pot, block_max = _seed_state(X, w)
    chosen = rng.integers(0, X.shape[0], size=3)
    for row in chosen:
        SK.update_closest(X, w, X[[row]], lo, hi, closest, block_pot, block_max)
    candidates = rng.integers(0, X.shape[0], size=4).astype(np.int64)
    pot = np.full((block_pot.shape[0], candidates.size), np.nan)
    SK.candidate_potentials(X, w, closest, block_pot, block_max, lo, hi,
                            X[candidates], pot)
    # phi(c) = sum_i w_i min(D(x_i)^2, ||x_i - x_c||^2), per block, pruned or not.
    to_cand = naive.sq_distances(X, X[candidates])  # (n_samples, n_candidates)
    per_sample = w[:, None] * np.minimum(_naive_closest(X, chosen)[:, None], to_cand)
    for b in range(pot.shape[0]):
        sl = slice(b * SK.SEED_BLOCK, (b + 1) * SK.SEED_BLOCK)
        np.testing.assert_allclose(
            pot[b], per_sample[sl].sum(axis=0), rtol=rtol_for(dtype), atol=1e-12
        )


@pytest.mark.parametrize("dtype", DTYPES)
def test_nearest_from_products_matches_naive(dtype):
    """The "blas" E-step's argmax over x.c - ||c||^2/2, ties to the lowest index."""
    rng = np.random.default_rng(3)
    X = rng.integers(0, 3, size=(500, 4)).astype(dtype)  # small integers: exact ties
    centers = rng.integers(0, 3, size=(9, 4)).astype(dtype)
    centers[5] = centers[2]  # a duplicated centre: index 2 must win
    w = rng.uniform(0.5, 2.0, size=500)
    dots = np.ascontiguousarray(centers @ X.T)  # (n_clusters, n_samples)
    half = 0.5 * np.einsum("ij,ij->i", centers, centers)
    labels = np.zeros(500, dtype=np.int32)
    totals = np.zeros(2)
    X, w = read_only(X), kernel_weights(w)  # as the engine passes them
    B.nearest_from_products(dots, half, X, centers, w, np.empty(500, dtype),
                            np.empty(500, np.int32), labels, totals)
    ref_labels, ref_dist = naive.assign(X, centers)
    np.testing.assert_array_equal(labels, ref_labels)
    assert totals[1] == np.count_nonzero(ref_labels != 0)
    assert not np.any(labels == 5)
    np.testing.assert_allclose(totals[0], (w * ref_dist).sum(), rtol=1e-12)

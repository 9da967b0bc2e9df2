"""Greedy k-means++ (kmeans_core._seeding, _seeding_kernels) against its naive twin.

The pruned, compiled seeding must pick exactly the rows that the plain NumPy
version in ``tests/naive.py`` picks from the same generator.  Small-integer
data makes every sum exact, so ties (duplicate points, equal potentials) are
real ties in both and must be broken the same way.
"""

import naive
import numpy as np
import pytest

from kmeans_core import _seeding_kernels as SK
from kmeans_core._seeding import kmeans_plusplus_rows
from kmeans_core._validation import kernel_weights, read_only


def _data(kind, seed):
    rng = np.random.default_rng(seed)
    if kind == "float64":
        return rng.normal(size=(700, 3)), np.ones(700)
    if kind == "float32-weighted":
        return (rng.normal(size=(500, 5)).astype(np.float32),
                rng.uniform(0.1, 3.0, size=500))
    if kind == "integer-ties":
        X = rng.integers(0, 4, size=(400, 2)).astype(np.float64)  # many duplicates
        return X, rng.integers(0, 3, size=400).astype(np.float64)  # zero weights too
    if kind == "uint8-duplicates":
        X = np.repeat(rng.integers(0, 255, size=(30, 3), dtype=np.uint8), 9, axis=0)
        return X, np.ones(X.shape[0])
    raise ValueError(kind)


KINDS = ["float64", "float32-weighted", "integer-ties", "uint8-duplicates"]


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("n_clusters", [1, 5, 17])
@pytest.mark.parametrize("seed", range(3))
def test_pruned_seeding_picks_the_naive_rows(kind, n_clusters, seed):
    X, w = _data(kind, seed)
    rows = kmeans_plusplus_rows(X, n_clusters, w, np.random.default_rng(seed))
    ref = naive.greedy_kmeanspp_naive(X, w, n_clusters, np.random.default_rng(seed))
    np.testing.assert_array_equal(rows, ref)


def test_more_centres_than_distinct_points():
    # 3 distinct points, 6 centres: once the potential is 0 any row by weight.
    X = np.repeat(np.eye(3), 4, axis=0)
    w = np.ones(12)
    rows = kmeans_plusplus_rows(X, 6, w, np.random.default_rng(1))
    ref = naive.greedy_kmeanspp_naive(X, w, 6, np.random.default_rng(1))
    np.testing.assert_array_equal(rows, ref)
    assert np.unique(X[rows], axis=0).shape[0] == 3


def test_pick_by_weight():
    w = kernel_weights(np.array([0.0, 1.0, 0.0, 3.0, 0.0]))  # as the engine passes it
    # Running sums 0, 1, 1, 4, 4: u * 4 below 1 picks row 1, else row 3.
    assert [SK.pick_by_weight(w, u) for u in (0.0, 0.2, 0.25, 0.9)] == [1, 1, 3, 3]
    draws = [SK.pick_by_weight(w, u) for u in np.random.default_rng(0).random(4000)]
    assert set(draws) == {1, 3}
    assert abs(np.mean(np.array(draws) == 3) - 0.75) < 0.03


def test_sample_row_matches_one_running_sum():
    """Two levels (block, then row) draw the row of one global running sum."""
    rng = np.random.default_rng(2)
    n = 5 * SK.SEED_BLOCK + 17
    w = kernel_weights(rng.integers(0, 3, size=n).astype(np.float64))
    closest = rng.integers(0, 5, size=n).astype(np.float64)  # exact sums
    mass = w * closest
    n_blocks = -(-n // SK.SEED_BLOCK)
    block_pot = np.array([mass[b * SK.SEED_BLOCK:(b + 1) * SK.SEED_BLOCK].sum()
                          for b in range(n_blocks)])
    cum_blocks = np.cumsum(block_pot)
    scratch = np.empty(SK.SEED_BLOCK)
    cum = np.cumsum(mass)
    for u in rng.random(300):
        i = SK.sample_row(w, closest, cum_blocks, u, scratch)
        assert i == np.searchsorted(cum, u * cum[-1], side="right")
        assert mass[i] > 0


def test_greedy_kmeanspp_kernel_directly():
    # Two far groups and k = 2: the second centre must come from the other group.
    X = np.array([[0.0, 0.0], [0.1, 0.0], [10.0, 10.0], [10.1, 10.0]])
    w = np.array([1.0, 1.0, 1.0, 1.0])
    X, w = read_only(X), kernel_weights(w)  # as the engine passes them
    lo = np.empty((1, 2))
    hi = np.empty((1, 2))
    SK.block_boxes(X, lo, hi)
    np.testing.assert_array_equal(lo, [[0.0, 0.0]])
    np.testing.assert_array_equal(hi, [[10.1, 10.0]])
    rows = np.empty(2, dtype=np.int64)
    SK.greedy_kmeanspp(X, w, 0.1, np.array([[0.6, 0.9]]), lo, hi, np.empty((2, 2)),
                       rows)
    assert rows[0] == 0  # u = 0.1 of 4 rows
    assert rows[1] in (2, 3)

"""The tile filter of Hamerly's integer path (``kmeans_core._tiles``).

The grid sort must keep every row once, with tight boxes; a tile's candidate
centres must hold the nearest centre of every point of its box, and a tile
with one candidate must lie in its cell (both checked point by point against
the naive argmin); a fit through tiles must be bitwise that of ``lloyd`` for
any k, weights and thread count, its per-iteration inertia the same
objective, its final inertia Lloyd's bits.
"""

import itertools

import numba
import numpy as np
import pytest

from kmeans_core import _hamerly as H
from kmeans_core import _tiles as T
from kmeans_core import kmeans
from kmeans_core._assign import TileAssign
from kmeans_core._memory import InMemory
from tests import naive

THREADS = sorted({1, min(2, numba.config.NUMBA_NUM_THREADS)})


def _colours(dtype, n: int = 4000, seed: int = 0, n_features: int = 3):
    """Clumps of colours, so that many tiles lie inside one cell."""
    rng = np.random.default_rng(seed)
    top = np.iinfo(dtype).max
    means = rng.uniform(0.1, 0.9, size=(6, n_features)) * top
    X = means[rng.integers(0, 6, n)] + rng.normal(0, 0.08 * top, (n, n_features))
    return np.clip(np.rint(X), 0, top).astype(dtype)


@pytest.mark.parametrize("dtype", [np.uint8, np.uint16])
@pytest.mark.parametrize("n_features", [1, 3, 4])
def test_tiling_keeps_every_row_once_with_tight_boxes(dtype, n_features):
    X = _colours(dtype, n_features=n_features)
    c = np.arange(X.shape[0], dtype=np.int64) % 7 + 1
    tiling = T.make_tiling(X, c)
    assert np.array_equal(np.sort(tiling.index), np.arange(X.shape[0]))
    np.testing.assert_array_equal(tiling.X, X[tiling.index])
    np.testing.assert_array_equal(tiling.c, c[tiling.index])
    bits = T.GRID_BITS // n_features
    shift = max(8 * X.dtype.itemsize - bits, 0)
    start = tiling.start
    assert start[0] == 0 and start[-1] == X.shape[0] and (np.diff(start) > 0).all()
    cells = []
    for t in range(start.shape[0] - 1):
        rows = tiling.X[start[t]:start[t + 1]].astype(np.int64)
        cell = np.unique(rows >> shift, axis=0)
        assert cell.shape[0] == 1  # one grid cell per tile
        cells.append(tuple(cell[0]))
        np.testing.assert_array_equal(tiling.lo[t], rows.min(axis=0))
        np.testing.assert_array_equal(tiling.hi[t], rows.max(axis=0))
        assert (np.diff(tiling.index[start[t]:start[t + 1]]) > 0).all()  # stable
    assert len(set(cells)) == len(cells)  # one tile per cell


def _candidates(centers, boxes):
    """Call ``tile_candidates`` for every box and every reference centre."""
    k = centers.shape[0]
    cc, s = np.empty((k, k)), np.empty(k)
    H.center_distances(centers, cc, s)
    order = np.argsort(cc, axis=1)
    rel, abs_slack = H.skip_margin(np.array([[0.0], [255.0]]))
    lo = np.array([b[0] for b in boxes], dtype=np.float64)
    hi = np.array([b[1] for b in boxes], dtype=np.float64)
    out = np.empty(k, dtype=np.int64)
    found = {}
    for t in range(len(boxes)):
        for a in range(k):
            n = T.tile_candidates(lo, hi, t, centers, a, s, cc, order, rel, abs_slack,
                                  out)
            found[t, a] = set(out[:n].tolist())
    return found


def test_candidates_hold_the_nearest_centre_of_every_point_of_the_box():
    rng = np.random.default_rng(5)
    settled = pruned = 0
    for _ in range(40):
        k = int(rng.integers(2, 9))
        centers = rng.uniform(0, 255, size=(k, 3))
        boxes = []
        for _ in range(25):
            lo = rng.integers(0, 250, 3)
            boxes.append((lo, lo + rng.integers(0, 6, 3)))
        for (t, a), found in _candidates(centers, boxes).items():
            assert a in found
            lo, hi = boxes[t]
            points = np.array(list(itertools.product(
                *[range(int(lo[f]), int(hi[f]) + 1) for f in range(3)])), np.float64)
            d = naive.sq_distances(points, centers)
            labels, _ = naive.assign(points, centers)
            assert set(labels.tolist()) <= found
            pruned += k - len(found)
            if found == {a}:
                settled += 1
                others = np.delete(d, a, axis=1)
                assert (others.min(axis=1) > d[:, a]).all()  # strictly: no tie
    assert settled > 100 and pruned > 1000  # the filter prunes, not only keeps


def test_the_filter_settles_a_box_far_from_other_centres():
    centers = np.array([[10.0, 10.0, 10.0], [200.0, 200.0, 200.0]])
    found = _candidates(centers, [(np.array([8, 8, 8]), np.array([15, 15, 15]))])
    assert found[0, 0] == {0} and found[0, 1] == {0, 1}


def test_a_box_on_the_bisector_keeps_both_centres():
    centers = np.array([[0.0, 0.0, 0.0], [20.0, 0.0, 0.0]])
    found = _candidates(centers, [(np.array([8, 0, 0]), np.array([10, 3, 3]))])
    assert found[0, 0] == found[0, 1] == {0, 1}


@pytest.mark.parametrize("threads", THREADS)
@pytest.mark.parametrize("k", [2, 7, 20, 64])
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("dtype", [np.uint8, np.uint16])
def test_tiled_fit_bitwise_lloyd(dtype, weighted, k, threads):
    X = _colours(dtype, seed=k)
    rng = np.random.default_rng(k)
    w = rng.integers(1, 50, X.shape[0]) if weighted else None
    init = X[rng.choice(X.shape[0], k, replace=False)].astype(np.float64)
    data = InMemory.from_input(X, w)
    data.start(k, "hamerly")
    assert isinstance(data.assign, TileAssign)  # the tile path runs
    before = numba.get_num_threads()
    numba.set_num_threads(threads)
    try:
        tiled = kmeans(X, k, sample_weight=w, init=init, algorithm="hamerly", tol=0)
        lloyd = kmeans(X, k, sample_weight=w, init=init, algorithm="lloyd", tol=0)
    finally:
        numba.set_num_threads(before)
    np.testing.assert_array_equal(tiled.labels, lloyd.labels)
    assert tiled.centers.tobytes() == lloyd.centers.tobytes()
    assert tiled.inertia == lloyd.inertia
    assert tiled.n_iter == lloyd.n_iter
    # Per iteration: the same objective from the kept moments, rounded otherwise.
    np.testing.assert_allclose([h.inertia for h in tiled.history],
                               [h.inertia for h in lloyd.history], rtol=1e-12)


def test_tiles_settle_most_samples_and_stop_early_with_tol():
    X = _colours(np.uint8, n=20000, seed=3)
    init = X[:12].astype(np.float64)
    data = InMemory.from_input(X, None)
    data.start(12, "hamerly")
    centers, shift = init, np.zeros(12)
    for _ in range(8):
        step = data.e_step(centers, shift)
        centers = step.sums / step.weights[:, None]
        shift = np.sqrt(((centers - init) ** 2).sum(axis=1))
        init = centers
    state = data.assign.state
    settled = np.diff(data.tiling.start)[state.label >= 0].sum()
    assert settled > 0.5 * X.shape[0]
    # tol > 0: the result's inertia is Lloyd's bits after the final E-step.
    a = kmeans(X, 12, init=X[:12].astype(np.float64), algorithm="hamerly")
    b = kmeans(X, 12, init=X[:12].astype(np.float64), algorithm="lloyd")
    assert a.inertia == b.inertia and a.n_iter == b.n_iter
    np.testing.assert_array_equal(a.labels, b.labels)


def test_no_tiles_for_many_features_or_centres_float_data_or_dask_chunks():
    X = _colours(np.uint8, n_features=5)
    data = InMemory.from_input(X, None)
    data.start(4, "hamerly")
    assert not isinstance(data.assign, TileAssign)
    data = InMemory.from_input(X[:, :3], None)
    data.start(T.MAX_CLUSTERS + 1, "hamerly")
    assert not isinstance(data.assign, TileAssign)
    data = InMemory.from_input(X[:, :3].astype(np.float64), None)
    data.start(4, "hamerly")
    assert not isinstance(data.assign, TileAssign)
    X3 = np.ascontiguousarray(X[:, :3])
    data = InMemory(X3, np.ones(X3.shape[0]))  # as a Dask chunk makes it
    data.start(4, "hamerly")
    assert not isinstance(data.assign, TileAssign)

"""The integer-sum path of Hamerly's E-step (``kmeans_core._exact_sums``).

On uint8/uint16 data with integer weights the cluster sums are kept in int64
and patched only where labels change.  They must equal a full recomputation
at every iteration (relocations included), and the fit must be bitwise that
of ``lloyd``, of the float path and of the naive twin, for any thread count.
"""

import dataclasses

import numba
import numpy as np
import pytest

from kmeans_core import _kernels as K
from kmeans_core import kmeans
from kmeans_core._config import N_BLOCKS
from kmeans_core._exact_sums import integer_weights
from kmeans_core._lloyd import m_step, relocate_empty_clusters
from kmeans_core._memory import InMemory
from tests import naive

THREADS = sorted({1, min(2, numba.config.NUMBA_NUM_THREADS)})


def _data(dtype, weighted: bool, n: int = 3000, seed: int = 0):
    """Three blobs of colours (so labels move for a while), integer weights."""
    rng = np.random.default_rng(seed)
    top = np.iinfo(dtype).max
    means = np.array([[0.2, 0.3, 0.4], [0.6, 0.5, 0.2], [0.4, 0.8, 0.7]]) * top
    X = means[rng.integers(0, 3, n)] + rng.normal(0, 0.12 * top, (n, 3))
    X = np.clip(np.rint(X), 0, top).astype(dtype)
    w = rng.integers(0, 40, n) if weighted else None
    return X, w


def _outlier_init(X, k: int, seed: int = 1) -> np.ndarray:
    """``k`` data rows, the last replaced by a corner no sample is near: it empties."""
    rng = np.random.default_rng(seed)
    init = X[rng.choice(X.shape[0], k, replace=False)].astype(np.float64)
    init[-1] = -3.0 * np.iinfo(X.dtype).max
    return init


def _full_sums(data: InMemory, labels: np.ndarray, k: int):
    """The float path's sums, recomputed from scratch over every sample."""
    n_features = data.X.shape[1]
    block_sums = np.empty((N_BLOCKS, k, n_features))
    block_weights = np.empty((N_BLOCKS, k))
    K.accumulate_blocks(data.X, data.w, labels, block_sums, block_weights)
    sums, weights = np.empty((k, n_features)), np.empty(k)
    K.merge_blocks(block_sums, block_weights, sums, weights)
    return sums, weights


@pytest.mark.parametrize("dtype", [np.uint8, np.uint16])
def test_integer_weights_chooses_the_exact_path_only_when_exact(dtype):
    X, w = _data(dtype, weighted=True, n=100)
    assert integer_weights(X, InMemory.from_input(X, w).w,
                           InMemory.from_input(X, w).w_exp) is not None
    unit = InMemory.from_input(X, None)
    c = integer_weights(X, unit.w, unit.w_exp)
    assert c is not None and c.strides == (0,) and c[0] == 1
    fractional = InMemory.from_input(X, w + 0.5)
    assert integer_weights(X, fractional.w, fractional.w_exp) is None
    floats = InMemory.from_input(X.astype(np.float64), w)
    assert integer_weights(floats.X, floats.w, floats.w_exp) is None
    # sum_i c_i max(x) beyond 2^53: the float sums would round, so no exact path.
    huge = InMemory.from_input(X, np.full(X.shape[0], 2.0**46))
    assert integer_weights(X, huge.w, huge.w_exp) is None


@pytest.mark.parametrize("threads", THREADS)
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("dtype", [np.uint8, np.uint16])
def test_kept_sums_equal_a_full_recomputation_every_iteration(dtype, weighted, threads):
    X, w = _data(dtype, weighted)
    k = 6
    data = InMemory.from_input(X, w)
    data.start(k, "hamerly")
    assert data.exact is not None  # the integer path runs
    centers = _outlier_init(X, k)
    shift = np.zeros(k)
    relocated = changed = 0
    before = numba.get_num_threads()
    numba.set_num_threads(threads)
    try:
        for _ in range(12):
            step = data.e_step(centers, shift)
            sums, weights = _full_sums(data, data.labels(), k)
            assert step.sums.tobytes() == sums.tobytes()
            assert step.weights.tobytes() == weights.tobytes()
            naive_sums, naive_weights = naive.weighted_sums(X, data.w, data.labels(), k)
            assert step.sums.tobytes() == naive_sums.tobytes()
            assert step.weights.tobytes() == naive_weights.tobytes()
            changed += step.changed
            # The float path's relocation on the same labels: its resum sums
            # every sample again; the integer path patches the moved ones.
            twin = InMemory(data.X, data.w, data.w_exp)
            twin.start(k, "lloyd")
            twin._labels[:] = data.labels()
            twin_step = dataclasses.replace(step, sums=step.sums.copy(),
                                            weights=step.weights.copy())
            moved = relocate_empty_clusters(data, centers, step)
            assert relocate_empty_clusters(twin, centers, twin_step) == moved
            assert step.sums.tobytes() == twin_step.sums.tobytes()
            assert step.weights.tobytes() == twin_step.weights.tobytes()
            relocated += moved
            centers, shift = m_step(step.sums, step.weights, centers)
    finally:
        numba.set_num_threads(before)
    assert relocated >= 1 and changed > X.shape[0]  # the test exercised both


@pytest.mark.parametrize("threads", THREADS)
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("dtype", [np.uint8, np.uint16])
def test_fit_bitwise_lloyd_float_path_and_naive(dtype, weighted, threads):
    X, w = _data(dtype, weighted, seed=3)
    k = 7
    init = _outlier_init(X, k, seed=4)
    before = numba.get_num_threads()
    numba.set_num_threads(threads)
    try:
        exact = kmeans(X, k, sample_weight=w, init=init, algorithm="hamerly", tol=0)
        lloyd = kmeans(X, k, sample_weight=w, init=init, algorithm="lloyd", tol=0)
        floats = kmeans(X.astype(np.float64), k, sample_weight=w, init=init,
                        algorithm="hamerly", tol=0)
    finally:
        numba.set_num_threads(before)
    for other in (lloyd, floats):
        np.testing.assert_array_equal(exact.labels, other.labels)
        assert exact.centers.tobytes() == other.centers.tobytes()
        assert exact.inertia == other.inertia
        assert exact.n_iter == other.n_iter
    ref = naive.lloyd(X.astype(np.float64), np.ones(X.shape[0]) if w is None else w,
                      init, tol=0)
    assert ref.relocated >= 1  # the outlier centre emptied and was relocated
    np.testing.assert_array_equal(exact.labels, ref.labels)
    assert exact.centers.tobytes() == ref.centers.tobytes()
    assert exact.n_iter == ref.n_iter
    assert exact.inertia == pytest.approx(ref.inertia, rel=1e-12)

"""kmeans_core on Dask arrays: the same fit as in memory, on a local cluster.

A ``LocalCluster`` of 2 worker processes, and of 1 in the slow suite (one
thread each, on 127.0.0.1, no dashboard) is started by a module fixture.  From the same
explicit initial centres the Dask fit must equal the in-memory fit (labels
identical, centres to 1e-12 relative, same iterations) for several chunkings,
and be bitwise the fit computed in this process by Dask's synchronous
scheduler, whatever the number of workers.
"""

import subprocess
import sys

import numpy as np
import pytest
from sklearn.datasets import load_sample_image, make_blobs

from kmeans_core import KMeans, KMeansWarning, kmeans, kmeans_plusplus

da = pytest.importorskip("dask.array")
dask = pytest.importorskip("dask")
distributed = pytest.importorskip("distributed")


@pytest.fixture(scope="module", ids=["1worker", "2workers"],
                params=[pytest.param(1, marks=pytest.mark.slow), 2])
def client(request):
    cluster = distributed.LocalCluster(
        n_workers=request.param, threads_per_worker=1, processes=True,
        host="127.0.0.1", dashboard_address=None, worker_dashboard_address=None,
    )
    with distributed.Client(cluster) as c:
        yield c
    cluster.close()


@pytest.fixture(scope="module")
def blobs():
    X, _ = make_blobs(12_000, 4, centers=10, cluster_std=2.0, random_state=3)
    init, _ = kmeans_plusplus(X, 10, random_state=0)
    return X, init


CHUNKINGS = [12_000, 3001, (5000, 1, 4000, 2999)]


def _synchronous(fn):
    with dask.config.set(scheduler="synchronous"):
        return fn()


def _assert_same_fit(dask_fit, mem_fit):
    np.testing.assert_array_equal(dask_fit.labels.compute(), mem_fit.labels)
    np.testing.assert_allclose(dask_fit.centers, mem_fit.centers, rtol=1e-12,
                               atol=1e-12 * np.abs(mem_fit.centers).max())
    assert dask_fit.n_iter == mem_fit.n_iter
    assert dask_fit.inertia == pytest.approx(mem_fit.inertia, rel=1e-12)


def _assert_bitwise(a, b):
    assert a.centers.tobytes() == b.centers.tobytes()
    np.testing.assert_array_equal(a.labels.compute(), b.labels.compute())
    assert (a.inertia, a.n_iter) == (b.inertia, b.n_iter)


@pytest.mark.parametrize("chunks", CHUNKINGS, ids=["1chunk", "4chunks", "uneven"])
def test_fit_equals_in_memory(client, blobs, chunks):
    X, init = blobs
    mem = kmeans(X, 10, init=init, algorithm="lloyd", tol=0)
    Xd = da.from_array(X, chunks=(chunks, 4))
    fit = kmeans(Xd, 10, init=init, tol=0)
    _assert_same_fit(fit, mem)
    assert mem.n_iter > 3  # a real run, not one step
    _assert_bitwise(fit, _synchronous(lambda: kmeans(Xd, 10, init=init, tol=0)))


@pytest.mark.parametrize("algorithm", ["hamerly", "blas"])
def test_other_assignment_steps(client, blobs, algorithm):
    X, init = blobs
    mem = kmeans(X, 10, init=init, algorithm="lloyd", tol=0)
    fit = kmeans(da.from_array(X, chunks=2500), 10, init=init, tol=0,
                 algorithm=algorithm)
    _assert_same_fit(fit, mem)  # hamerly: Lloyd's labels; blas: up to rounding


def test_weighted_fit_and_tolerance(client, blobs):
    X, init = blobs
    w = np.random.default_rng(1).integers(0, 5, X.shape[0]).astype(np.float64)
    mem = kmeans(X, 10, sample_weight=w, init=init, algorithm="lloyd", tol=1e-3)
    fit = kmeans(da.from_array(X, chunks=(2500, 4)), 10,
                 sample_weight=da.from_array(w, chunks=1000), init=init, tol=1e-3)
    _assert_same_fit(fit, mem)


def test_empty_clusters_relocated_as_in_memory(client, blobs):
    X, init = blobs
    init = init.copy()
    init[[2, 7]] = [1e3, 1e3, 1e3, 1e3], [-1e3, 0, 0, 1e3]  # far from every sample
    mem = kmeans(X, 10, init=init, algorithm="lloyd")
    fit = kmeans(da.from_array(X, chunks=(1700, 4)), 10, init=init)
    _assert_same_fit(fit, mem)
    assert np.abs(fit.centers).max() < 100  # the far centres took samples


def test_relocation_skips_last_members_and_copies_when_out_of_points(client):
    rng = np.random.default_rng(4)
    # Three far singletons (the farthest samples, each alone in its cluster
    # once assigned) and a dense blob: empty clusters must pass over them.
    blob = rng.normal(0, 1, (3000, 2))
    X = np.vstack([blob[:1200], [[40.0, 0], [0, 40.0], [-40.0, -40.0]], blob[1200:]])
    init = np.vstack([[[40.0, 0], [0, 40.0], [-40.0, -40.0]],
                      [[1e4, 1e4], [2e4, 2e4], [0.0, 0.0]]])
    mem = kmeans(X, 6, init=init, algorithm="lloyd")
    fit = kmeans(da.from_array(X, chunks=700), 6, init=init)
    _assert_same_fit(fit, mem)
    # Fewer distinct points than clusters: the leftover clusters copy a centre.
    few = np.repeat([[0.0, 0.0], [1.0, 1.0], [5.0, 0.0]], 50, axis=0)
    init = np.array([[0.0, 0.0], [1.0, 1.0], [5.0, 0.0], [9.0, 9.0], [8.0, 8.0]])
    with pytest.warns(KMeansWarning):
        mem = kmeans(few, 5, init=init, algorithm="lloyd")
    with pytest.warns(KMeansWarning):
        fit = kmeans(da.from_array(few, chunks=40), 5, init=init)
    _assert_same_fit(fit, mem)


def test_uint8_pixels_and_float32(client):
    pixels = load_sample_image("china.jpg")[::6, ::6].reshape(-1, 3)  # uint8
    init, _ = kmeans_plusplus(pixels, 16, random_state=2)
    mem = kmeans(pixels, 16, init=init, algorithm="lloyd")
    fit = kmeans(da.from_array(pixels, chunks=(2000, 3)), 16, init=init)
    _assert_same_fit(fit, mem)
    X32 = (pixels / 255.0).astype(np.float32)
    mem32 = kmeans(X32, 16, init=init / 255.0, algorithm="lloyd")
    fit32 = kmeans(da.from_array(X32, chunks=(2000, 3)), 16, init=init / 255.0)
    assert fit32.centers.dtype == np.float32
    np.testing.assert_array_equal(fit32.labels.compute(), mem32.labels)
    # float32 centres from float64 sums added in another order: within an ulp
    np.testing.assert_allclose(fit32.centers, mem32.centers, rtol=2**-22)


def test_uint8_integer_weights_relocated_bitwise_as_in_memory(client):
    """Each chunk keeps exact int64 sums (Hamerly); integer sums below 2^53 are
    exact in float64 too, so even the chunks' merged centres are bitwise."""
    rng = np.random.default_rng(5)
    pixels = load_sample_image("china.jpg")[::6, ::6].reshape(-1, 3)  # uint8
    counts = rng.integers(0, 20, pixels.shape[0])
    init = pixels[rng.choice(pixels.shape[0], 12, replace=False)].astype(np.float64)
    init[-1] = [-500.0, -500.0, -500.0]  # far from every sample: relocated
    mem = kmeans(pixels, 12, sample_weight=counts, init=init, algorithm="lloyd")
    fit = kmeans(da.from_array(pixels, chunks=(1500, 3)), 12,
                 sample_weight=da.from_array(counts, chunks=1500), init=init)
    _assert_same_fit(fit, mem)
    assert fit.centers.tobytes() == mem.centers.tobytes()
    assert np.abs(fit.centers).max() <= 255  # the far centre took a sample


def test_kmeans_parallel_init_finds_every_blob(client):
    X, y = make_blobs(20_000, 3, centers=12, cluster_std=0.3, center_box=(-50, 50),
                      random_state=5)
    Xd = da.from_array(X, chunks=5000)
    fit = kmeans(Xd, 12, random_state=0, max_iter=1)
    labels = fit.labels.compute()
    # Well separated blobs: a good seeding puts one centre in each of them.
    pairs = {(int(a), int(b)) for a, b in zip(y, labels, strict=True)}
    assert len(pairs) == 12 == len(set(labels))
    again = _synchronous(lambda: kmeans(Xd, 12, random_state=0, max_iter=1))
    _assert_bitwise(fit, again)
    mem = kmeans(X, 12, random_state=0)
    assert kmeans(Xd, 12, random_state=0).inertia == pytest.approx(mem.inertia,
                                                                   rel=1e-9)


def test_random_init_draws_distinct_rows(client, blobs):
    X, _ = blobs
    Xd = da.from_array(X, chunks=3000)
    w = np.zeros(X.shape[0])
    w[[5, 6000, 11_999]] = [1.0, 2.0, 3.0]
    fit = kmeans(Xd, 3, init="random", n_init=1, sample_weight=w, max_iter=1,
                 random_state=0)
    # Only three rows weigh anything: they must be the three centres (w x / w).
    np.testing.assert_allclose(np.sort(fit.centers, axis=0),
                               np.sort(X[[5, 6000, 11_999]], axis=0), rtol=1e-15)


def test_estimator_predict_transform_lazy(client, blobs):
    X, init = blobs
    Xd = da.from_array(X, chunks=4000)
    model = KMeans(10, init=init, algorithm="lloyd").fit(Xd)
    mem = KMeans(10, init=init, algorithm="lloyd").fit(X)
    labels = model.predict(Xd)
    assert isinstance(labels, da.Array) and isinstance(model.labels_, da.Array)
    np.testing.assert_array_equal(labels.compute(), mem.predict(X))
    dist = model.transform(Xd)
    assert isinstance(dist, da.Array)
    np.testing.assert_allclose(dist.compute(), mem.transform(X), rtol=1e-12)
    assert model.score(Xd) == pytest.approx(mem.score(X), rel=1e-12)
    np.testing.assert_array_equal(model.fit_predict(Xd).compute(), mem.labels_)


def test_bad_input_is_refused(client):
    X = np.random.default_rng(0).random((100, 2))
    X[57, 1] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        kmeans(da.from_array(X, chunks=30), 3)
    with pytest.raises(ValueError, match="Negative"):
        kmeans(da.from_array(X[:50], chunks=30), 3,
               sample_weight=da.from_array(-np.ones(50), chunks=30))
    with pytest.raises(ValueError, match="n_samples=50 should be >= n_clusters=51"):
        kmeans(da.from_array(X[:50], chunks=30), 51)
    model = KMeans(3, random_state=0).fit(X[:50])
    with pytest.raises(ValueError, match="NaN"):
        model.predict(da.from_array(X, chunks=30)).compute()
    with pytest.raises(ValueError, match="3 features"):
        model.predict(da.ones((10, 3), chunks=5))


def test_fewer_distinct_points_warns(client):
    X = np.repeat(np.eye(3), 40, axis=0)  # 3 distinct rows
    with pytest.warns(KMeansWarning, match="3 non-empty clusters"):
        kmeans(da.from_array(X, chunks=50), 5, random_state=0)


def test_package_works_without_dask():
    code = (
        "import sys; sys.modules['dask'] = None; sys.modules['dask.array'] = None\n"
        "import numpy as np, kmeans_core\n"
        "r = kmeans_core.kmeans(np.arange(20.0).reshape(10, 2), 2, random_state=0)\n"
        "print(r.n_iter > 0, 'dask' in sys.modules and sys.modules['dask'] is None)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True,
                         text=True, check=True)
    assert out.stdout.split() == ["True", "True"]


def test_threaded_scheduler_does_not_crash_and_agrees():
    # Numba's workqueue layer aborts the process if two threads launch parallel
    # kernels at once: run in a subprocess so a regression fails, not kills, pytest.
    code = (
        "import dask, numpy as np, dask.array as da\n"
        "from kmeans_core import kmeans, kmeans_plusplus\n"
        "X = np.random.default_rng(0).random((40_000, 3))\n"
        "init, _ = kmeans_plusplus(X, 6, random_state=0)\n"
        "mem = kmeans(X, 6, init=init, algorithm='lloyd')\n"
        "with dask.config.set(scheduler='threads', num_workers=4):\n"
        "    fit = kmeans(da.from_array(X, chunks=5000), 6, init=init)\n"
        "    same = (fit.labels.compute() == mem.labels).all()\n"
        "print(bool(same), fit.n_iter == mem.n_iter,\n"
        "      bool(np.allclose(fit.centers, mem.centers, rtol=1e-12, atol=0)))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True,
                         text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.split() == ["True", "True", "True"]


@pytest.mark.parametrize("weighted", [False, True])
def test_one_checking_pass_gives_the_weighted_tolerance(weighted):
    """The chunks' moments, merged, give the in-memory weighted variance."""
    from kmeans_core._dask import DaskData
    from kmeans_core._memory import InMemory

    rng = np.random.default_rng(4)
    X = (rng.normal(size=(5000, 3)) * [1.0, 100.0, 1e-3] + 7.0).astype(np.float32)
    w = rng.uniform(0.0, 1e-6, 5000) if weighted else None
    mem = InMemory.from_input(X, w)
    dd = _synchronous(lambda: DaskData.from_input(
        da.from_array(X, chunks=(777, 3)),
        None if w is None else da.from_array(w, chunks=500)))
    assert dd.w_exp == mem.w_exp
    assert dd.weighted_tolerance(1e-4) == pytest.approx(
        mem.weighted_tolerance(1e-4), rel=1e-12)
    assert dd.weighted_tolerance(0.0) == 0.0


def test_chunk_tasks_run_the_in_memory_compiled_kernels(monkeypatch):
    """Centres reach a worker read-only; the chunk tasks still give the kernels
    the in-memory fit's argument types, so no kernel compiles twice."""
    import numba

    from kmeans_core import _kernels
    from kmeans_core._dask import _chunks

    seen = {"assign_labels": set(), "all_distances": set()}

    def spy(name):
        kernel = getattr(_kernels, name)

        def call(*args):
            seen[name].add(tuple(numba.typeof(a) for a in args))
            return kernel(*args)
        return call

    for name in seen:
        monkeypatch.setattr(_kernels, name, spy(name))
    X = np.random.default_rng(0).random((200, 3))
    model = KMeans(4, random_state=0, algorithm="lloyd").fit(X)
    model.transform(X)
    frozen = model.cluster_centers_.copy()
    frozen.flags.writeable = False
    for centers in (model.cluster_centers_, frozen):
        _chunks.chunk_labels(X, None, centers)
        _chunks.chunk_distances(X, centers)
        _chunks.chunk_min_sq_dist(X, centers)
    assert {name: len(types) for name, types in seen.items()} == {
        "assign_labels": 1, "all_distances": 1}


@pytest.mark.parametrize("algorithm", ["hamerly", "lloyd"])
@pytest.mark.parametrize("dtype", [np.uint8, np.float64])
def test_chunk_state_from_another_process_runs_the_same_compiled_kernels(
        monkeypatch, dtype, algorithm):
    """A chunk's state pickled to another worker gives the kernels the argument
    types it gave them before (its weights come back writable and contiguous)."""
    import pickle

    import numba

    from kmeans_core import _hamerly, _kernels
    from kmeans_core._memory import InMemory

    seen = {}

    def spy(module, name):
        kernel = getattr(module, name)

        def call(*args):
            seen.setdefault(name, set()).add(tuple(numba.typeof(a) for a in args))
            return kernel(*args)
        monkeypatch.setattr(module, name, call)

    for name in ("assign_hamerly", "assign_hamerly_moves"):
        spy(_hamerly, name)
    for name in ("assign_labels", "accumulate_blocks", "farthest_samples"):
        spy(_kernels, name)
    rng = np.random.default_rng(0)
    X = rng.integers(0, 256, (300, 3)).astype(dtype)
    centers = rng.integers(0, 256, (4, 3)).astype(np.float64)
    for w in (None, rng.integers(1, 5, 300)):
        here = InMemory.from_input(X, w)
        here.start(4, algorithm)
        there = pickle.loads(pickle.dumps(here, protocol=5))
        for state in (here, there):
            state.e_step(centers, np.zeros(4))
            state.farthest(centers)
    assert seen and all(len(types) == 1 for types in seen.values()), seen

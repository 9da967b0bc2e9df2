"""The engine as others build on it: no centre outside the data, truthful
warnings, calls from many threads, read-only installs, the reading guide."""

import os
import re
import shutil
import subprocess
import sys
import textwrap
import warnings
from pathlib import Path

import naive
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import kmeans_core
from kmeans_core import KMeans, KMeansWarning, kmeans

ALGORITHMS = ["lloyd", "hamerly", "blas", "auto"]
ROOT = Path(__file__).resolve().parents[2]


# -- every centre is a weighted mean of samples --------------------------------


def test_issue_example_has_no_centre_outside_the_data():
    X = [[0], [0.1], [0.2], [7.3], [9.1]]
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # 5 distinct points, 4 clusters: no warning
        model = KMeans(4, init=[[0.1], [8.65], [-1000], [-2000]], max_iter=1,
                       n_init=1).fit(X, sample_weight=[1, 1, 1, 0.1, 0.2])
    np.testing.assert_allclose(np.sort(model.cluster_centers_[:, 0]),
                               [0.0, 0.15, 7.3, 9.1])


@st.composite
def weighted_problems(draw):
    n_samples = draw(st.integers(2, 40))
    n_features = draw(st.integers(1, 4))
    n_clusters = draw(st.integers(1, min(n_samples, 6)))
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n_samples, n_features)) * draw(st.sampled_from([1e-3, 1, 1e3]))
    if draw(st.booleans()):  # duplicated rows: fewer distinct points
        X = X[rng.integers(0, max(1, n_samples // 3), size=n_samples)]
    w = 10.0 ** rng.uniform(-3, 3, size=n_samples)
    # Initial centres far outside the data, on both sides.
    span = np.abs(X).max() + 1.0
    init = rng.choice([-1.0, 1.0], size=(n_clusters, n_features)) * span * (
        10.0 ** rng.uniform(1, 4, size=(n_clusters, 1)))
    return X, w, init, draw(st.integers(1, 3)), draw(st.sampled_from(ALGORITHMS))


@settings(max_examples=60, deadline=None)
@given(weighted_problems())
def test_centres_stay_inside_the_bounding_box(problem):
    X, w, init, max_iter, algorithm = problem
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", KMeansWarning)
        result = kmeans(X, init.shape[0], sample_weight=w, init=init,
                        max_iter=max_iter, algorithm=algorithm)
    # A weighted mean rounds: (w1 x + w2 x) / (w1 + w2) can be an ulp from x.
    slack = 4 * np.finfo(np.float64).eps * np.abs(X).max()
    lo, hi = X.min(axis=0) - slack, X.max(axis=0) + slack
    assert np.all(result.centers >= lo) and np.all(result.centers <= hi), (
        result.centers, lo, hi)
    recomputed = naive.inertia(X, w, result.centers, result.labels)
    np.testing.assert_allclose(result.inertia, recomputed, rtol=1e-9, atol=1e-300)


def test_warning_says_fewer_distinct_points_only_when_true():
    X = np.repeat([[0.0], [1.0]], 5, axis=0)  # two distinct points
    with pytest.warns(KMeansWarning, match="2 distinct point"):
        kmeans(X, 3, random_state=0)
    # Three distinct points; after one iteration the relocated cluster shares
    # the value 1 with cluster 0, which wins the tie in the final assignment.
    X = np.array([[4.0], [1.0], [1.0], [4.0], [5.0]])
    with pytest.warns(KMeansWarning) as record:
        kmeans(X, 3, init=[[-3.0], [-3.0], [5.0]], max_iter=1, tol=0.0)
    message = str(record[0].message)
    assert "distinct" not in message and "max_iter" in message, message


# -- what the default does --------------------------------------------------------


def test_default_algorithm_is_auto_and_equals_lloyd():
    rng = np.random.default_rng(0)
    X = rng.random((3000, 3))
    assert KMeans().algorithm == "auto"
    a = kmeans(X, 12, random_state=1)
    b = kmeans(X, 12, random_state=1, algorithm="lloyd")
    np.testing.assert_array_equal(a.labels, b.labels)
    np.testing.assert_array_equal(a.centers, b.centers)
    assert a.inertia == b.inertia and a.n_iter == b.n_iter
    assert 0.0 < a.seconds


# -- many threads, and fork afterwards --------------------------------------------

THREADS_SCRIPT = textwrap.dedent("""
    import multiprocessing, threading, numpy as np, kmeans_core
    rng = np.random.default_rng(0)
    X = rng.random((40_000, 3))
    w = rng.uniform(0.5, 2.0, size=X.shape[0])
    def fit(seed):
        model = kmeans_core.KMeans(16, random_state=seed).fit(X, sample_weight=w)
        return (model.cluster_centers_.tobytes(), model.labels_.tobytes(),
                model.inertia_, model.predict(X[:5000]).tobytes(),
                model.transform(X[:100]).tobytes())
    sequential = [fit(seed) for seed in range(8)]
    threaded = [None] * 8
    def work(seed):
        threaded[seed] = fit(seed)
    threads = [threading.Thread(target=work, args=(s,)) for s in range(8)]
    for t in threads: t.start()
    for t in threads: t.join()
    assert threaded == sequential, "threaded fits differ from sequential ones"
    with multiprocessing.get_context("fork").Pool(2) as pool:  # fork after fits
        assert pool.map(fit, [3, 5]) == [sequential[3], sequential[5]]
    print("ok")
""")


# Numba's TBB layer prints this (on stdout) when it cannot shut TBB's workers
# down before a fork, which happens at times after several Python threads
# launched parallel kernels (kmeans_core/_tbb.py).  The forked workers' fits
# above are still checked bitwise; any other output fails the test.
TBB_FORK_NOTICE = ("Unable to join threads to shut down before fork(). This can "
                   "break multithreading in child processes.")


def test_fits_from_many_threads_match_sequential_fits():
    """Eight threads at once used to abort the process (workqueue layer)."""
    env = {k: v for k, v in os.environ.items() if k != "NUMBA_THREADING_LAYER"}
    proc = subprocess.run([sys.executable, "-c", THREADS_SCRIPT], env=env,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    lines = [line for line in proc.stdout.splitlines() if line.strip()]
    assert [line for line in lines if line != TBB_FORK_NOTICE] == ["ok"]


# -- read-only installs -------------------------------------------------------------

READ_ONLY_SCRIPT = textwrap.dedent("""
    import numpy as np, kmeans_core, compress
    assert kmeans_core.__file__.startswith({root!r}), kmeans_core.__file__
    assert compress.__file__.startswith({root!r}), compress.__file__
    X = np.random.default_rng(0).random((2000, 3))
    image = np.random.default_rng(1).integers(0, 4, size=(30, 40, 3), dtype=np.uint8)
    assert compress.count_colors(image) == len(np.unique(image.reshape(-1, 3), axis=0))
    print(repr(kmeans_core.kmeans(X, 5, random_state=0).inertia))
""")


def test_read_only_install_without_writable_home_works(tmp_path):
    """Numba caches next to the source (``__pycache__``) or in the user's cache
    directory.  Here neither can be created, even by root: the package is
    read-only, ``__pycache__`` is a file, and HOME is a file too."""
    site = tmp_path / "site"
    for name in ("kmeans_core", "compress"):
        shutil.copytree(ROOT / name, site / name,
                        ignore=shutil.ignore_patterns("__pycache__"))
        (site / name / "__pycache__").write_text("not a directory")
    (tmp_path / "home").write_text("not a directory either")
    for path in [*site.glob("*/*"), *site.iterdir()]:
        os.chmod(path, 0o555 if path.is_dir() else 0o444)
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("NUMBA_CACHE", "XDG_", "PYTHON"))}
    env.update(HOME=str(tmp_path / "home"), PYTHONPATH=str(site),
               PYTHONDONTWRITEBYTECODE="1")
    try:
        proc = subprocess.run(
            [sys.executable, "-c", READ_ONLY_SCRIPT.format(root=str(site))],
            env=env, cwd=tmp_path, capture_output=True, text=True, timeout=300)
    finally:
        for path in site.iterdir():
            os.chmod(path, 0o755)
    assert proc.returncode == 0, proc.stderr[-3000:]
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "no writable cache" in lines[0], proc.stderr
    X = np.random.default_rng(0).random((2000, 3))
    assert float(proc.stdout) == kmeans(X, 5, random_state=0).inertia


# -- scikit-learn ecosystem (pandas is a test-only dependency) -------------------


def test_feature_names_and_pandas_output():
    pd = pytest.importorskip("pandas")
    rng = np.random.default_rng(0)
    df = pd.DataFrame(rng.random((200, 3)), columns=["r", "g", "b"],
                      index=np.arange(1000, 1200))
    model = KMeans(4, random_state=0).fit(df)
    np.testing.assert_array_equal(model.feature_names_in_, ["r", "g", "b"])
    np.testing.assert_array_equal(model.get_feature_names_out(),
                                  ["kmeans0", "kmeans1", "kmeans2", "kmeans3"])
    np.testing.assert_array_equal(model.predict(df), model.labels_)
    with pytest.raises(ValueError, match="feature names should match"):
        model.predict(df[["b", "g", "r"]])
    with pytest.raises(ValueError, match="feature names should match"):
        model.transform(df.rename(columns={"r": "red"}))
    with pytest.warns(UserWarning, match="does not have valid feature names"):
        model.predict(df.to_numpy())
    out = model.set_output(transform="pandas").transform(df)
    assert isinstance(out, pd.DataFrame)
    assert list(out.columns) == ["kmeans0", "kmeans1", "kmeans2", "kmeans3"]
    assert (out.index == df.index).all()
    np.testing.assert_array_equal(out.to_numpy(),
                                  model.set_output(transform="default").transform(df))
    # Refitting on an array forgets the names.
    assert not hasattr(KMeans(2).fit(df).fit(df.to_numpy()), "feature_names_in_")
    with pytest.raises(ValueError, match="set_output"):
        model.set_output(transform="polars-or-not")


def test_pipeline_with_pandas_output():
    pd = pytest.importorskip("pandas")
    pipeline = pytest.importorskip("sklearn.pipeline")
    preprocessing = pytest.importorskip("sklearn.preprocessing")
    df = pd.DataFrame(np.random.default_rng(1).random((100, 2)), columns=["a", "b"])
    pipe = pipeline.make_pipeline(preprocessing.StandardScaler(),
                                  KMeans(3, random_state=0)).set_output(
                                      transform="pandas")
    out = pipe.fit_transform(df)
    assert list(out.columns) == ["kmeans0", "kmeans1", "kmeans2"]


# -- the reading guide names only things that exist -----------------------------


def test_reading_guide_names_exist():
    guide = kmeans_core.__doc__.split("How to read this package")[1]
    modules = re.findall(r"``(_\w+)\.py``", guide)
    assert len(modules) >= 10
    names = {name for name in re.findall(r"``(\w+)``", guide)
             if not re.fullmatch(r"[a-z]_[a-z]", name)} - {"n_clusters"}
    found = set()
    for module in modules:
        mod = __import__(f"kmeans_core.{module}", fromlist=["_"])
        found |= {name for name in names if hasattr(mod, name)}
    naive_names = {"lloyd_step", "greedy_kmeanspp_naive"}
    assert all(hasattr(naive, n) for n in naive_names)
    missing = names - found - naive_names - {"KMeans", "kmeans"}
    assert not missing, f"the guide cites names that do not exist: {missing}"
    assert {"KMeans", "kmeans"} <= set(dir(kmeans_core))


# -- the first run says it is compiling, on a terminal only ----------------------

FIRST_RUN_SCRIPT = textwrap.dedent("""
    import time, numpy as np, kmeans_core
    X = np.random.default_rng(0).random((500, 2)).astype(np.float32)
    start = time.perf_counter()
    r = kmeans_core.kmeans(X, 3, random_state=0, algorithm="lloyd")
    print("call and fit seconds", time.perf_counter() - start, r.seconds)
""")


def _run_on_a_terminal(env):
    """Run FIRST_RUN_SCRIPT with stderr on a pseudo-terminal; return its text."""
    import pty

    controller, terminal = pty.openpty()
    proc = subprocess.Popen([sys.executable, "-c", FIRST_RUN_SCRIPT], env=env,
                            stdout=subprocess.PIPE, stderr=terminal)
    os.close(terminal)
    chunks = []
    while True:
        try:
            chunk = os.read(controller, 4096)
        except OSError:  # the child closed the terminal
            break
        if not chunk:
            break
        chunks.append(chunk)
    stdout = proc.communicate(timeout=300)[0].decode()
    os.close(controller)
    assert proc.returncode == 0, b"".join(chunks).decode()
    return b"".join(chunks).decode(), stdout


def test_first_run_says_it_compiles_once(tmp_path):
    env = dict(os.environ, NUMBA_CACHE_DIR=str(tmp_path / "cache"))
    stderr, stdout = _run_on_a_terminal(env)
    assert stderr.count("compiling kernels, first run only") == 1, stderr
    call_seconds, fit_seconds = map(float, stdout.split()[-2:])
    # Compiling the kernels is most of the first call (seconds against
    # milliseconds of fitting), on a quiet or a loaded machine alike.
    assert fit_seconds < call_seconds / 2, "compilation was counted as fit time"
    stderr, _ = _run_on_a_terminal(env)  # the cache is warm now
    assert "compiling" not in stderr, stderr
    # Not a terminal (a pipe): tests/kmeans_core/test_compile_notice.py.

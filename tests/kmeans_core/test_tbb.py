"""kmeans_core._tbb: pip's TBB becomes Numba's threading layer; without it, no harm."""

import importlib.metadata
import os
import subprocess
import sys
import textwrap

import pytest
from helpers import cli_env

FIT_AND_SAY_LAYER = textwrap.dedent("""
    import numba, numpy as np, kmeans_core
    X = np.random.default_rng(0).random((5000, 3))
    kmeans_core.kmeans(X, 8, random_state=0)
    print(numba.threading_layer())
""")

# ctypes.CDLL fails for TBB alone, as on a machine with a broken TBB build.
BROKEN_TBB = textwrap.dedent("""
    import ctypes
    _real = ctypes.CDLL
    class _Refuse(_real):
        def __init__(self, name, *args, **kwargs):
            if name and "tbb" in os.path.basename(str(name)):
                raise OSError(name + ": cannot open shared object file")
            super().__init__(name, *args, **kwargs)
    ctypes.CDLL = _Refuse
""")


def _run(script: str) -> subprocess.CompletedProcess:
    env = cli_env()
    env.pop("NUMBA_THREADING_LAYER", None)
    return subprocess.run([sys.executable, "-c", script], env=env,
                          capture_output=True, text=True, timeout=300)


def _has_tbb() -> bool:
    try:
        importlib.metadata.version("tbb")
    except importlib.metadata.PackageNotFoundError:
        return False
    return sys.platform == "linux"  # the wheel's layout is checked here only


@pytest.mark.skipif(not _has_tbb(), reason="the tbb package is not installed")
def test_parallel_fit_runs_on_tbb_without_environment_variables():
    proc = _run(FIT_AND_SAY_LAYER)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert proc.stdout.split() == ["tbb"]


def test_a_tbb_that_does_not_load_falls_back_quietly():
    proc = _run("import os\n" + BROKEN_TBB + FIT_AND_SAY_LAYER)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert proc.stdout.split() == ["workqueue"]
    assert proc.stderr == ""


@pytest.mark.skipif(os.name != "posix", reason="fork is POSIX only")
@pytest.mark.skipif(not _has_tbb(), reason="the tbb package is not installed")
def test_fork_pool_after_a_fit_on_tbb():
    """A forked worker after a parallel fit in the parent (TBB's fork handlers)."""
    script = FIT_AND_SAY_LAYER + textwrap.dedent("""
        import multiprocessing
        def fit(seed):
            return kmeans_core.kmeans(X, 8, random_state=seed).inertia
        with multiprocessing.get_context("fork").Pool(2) as pool:
            assert pool.map(fit, [0, 1], chunksize=1) == [fit(0), fit(1)]
        print("ok")
    """)
    proc = _run(script)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert proc.stdout.split() == ["tbb", "ok"]
    assert "fork" not in proc.stderr.lower(), proc.stderr

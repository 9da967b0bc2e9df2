"""Same seed, same bytes: across Numba thread counts, processes and pools."""

from __future__ import annotations

import multiprocessing
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from helpers import cli_env, encode, photo_like, run_timed, sha256
from PIL import Image

from kmeans_core import kmeans


def _outputs(directory) -> dict[str, str]:
    return {p.name: sha256(p) for p in sorted(directory.glob("*.png"))}


def test_cli_files_identical_across_threads_and_runs(tmp_path):
    image = tmp_path / "photo.png"
    image.write_bytes(encode(Image.fromarray(photo_like(240, 320, seed=11)), "PNG"))
    digests = []
    for i, threads in enumerate(("1", "2", "2")):
        out = tmp_path / f"run{i}"
        out.mkdir()
        run = run_timed([image, 3, 16, 64, "--out-dir", out, "-q"], cwd=tmp_path,
                      env=cli_env(NUMBA_NUM_THREADS=threads))
        assert run.returncode == 0, run.stderr
        digests.append(_outputs(out))
    assert set(digests[0]) == {"photo-k3.png", "photo-k16.png", "photo-k64.png",
                               "photo-sheet.png"}
    assert digests[0] == digests[1] == digests[2]


def _problem() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(3)
    X = rng.standard_normal((3000, 3))  # (n_samples, n_features)
    w = rng.integers(1, 50, 3000).astype(np.float64)
    return X, w


def fit_in_worker(seed: int) -> tuple[bytes, bytes, float]:
    """Pool task (module level, so spawn can import it): one weighted fit."""
    X, w = _problem()
    result = kmeans(X, 8, sample_weight=w, random_state=seed, algorithm="auto")
    return result.centers.tobytes(), result.labels.tobytes(), result.inertia


def pool_main(method: str, warm: bool, timeout: float) -> int:
    """Fit in a pool of 2 workers; 0 if they agree with the parent, 3 if hung."""
    expected = [fit_in_worker(seed) for seed in (0, 1)] if warm else None
    ctx = multiprocessing.get_context(method)
    with ctx.Pool(2) as pool:
        try:
            got = pool.map_async(fit_in_worker, [0, 1, 0, 1], chunksize=1).get(timeout)
        except multiprocessing.TimeoutError:
            pool.terminate()
            print(f"pool ({method}) gave no result in {timeout} s", file=sys.stderr)
            return 3
    expected = expected or [fit_in_worker(seed) for seed in (0, 1)]
    return 0 if got == expected + expected else 4


def run_pool(method: str, warm: bool, timeout: float = 60.0, **env: str):
    """Run :func:`pool_main` in a fresh interpreter (its own threading layer)."""
    if method not in multiprocessing.get_all_start_methods():
        pytest.skip(f"{method} is not available here")
    return subprocess.run(
        [sys.executable, "-P", __file__, method, "warm" if warm else "cold",
         str(timeout)],
        capture_output=True, text=True, timeout=timeout + 60,
        # -P and the repository first: tests/kmeans_core must not shadow kmeans_core
        env={**os.environ, **env, "PYTHONPATH": os.pathsep.join(
            [str(Path(__file__).parents[1]), str(Path(__file__).parent)])})


@pytest.mark.parametrize("method, warm", [("fork", False), ("spawn", True)])
def test_multiprocessing_pool(method, warm):
    """Workers' fits equal the parent's, bitwise.  ``warm``: the parent fits first."""
    done = run_pool(method, warm)
    assert done.returncode == 0, done.stderr


def test_fork_after_parent_fit_with_forksafe_layer():
    """The layer kmeans_core picks by default, asked for explicitly."""
    done = run_pool("fork", True, NUMBA_THREADING_LAYER="forksafe")
    assert done.returncode == 0, done.stderr


def test_fork_after_parent_fit_default_layer():
    """A forked pool after a fit in the parent: kmeans_core's default layer is
    fork-safe (GNU OpenMP, Numba's own default without TBB, hangs here)."""
    done = run_pool("fork", True, timeout=30.0)
    assert done.returncode == 0, done.stderr


if __name__ == "__main__":
    sys.exit(pool_main(sys.argv[1], sys.argv[2] == "warm", float(sys.argv[3])))

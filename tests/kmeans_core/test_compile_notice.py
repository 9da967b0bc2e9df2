"""The "compiling kernels, first run only" line: on a cold cache, in a pipe too."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
from helpers import cli_env, run_cli, save
from numba.core.caching import _CacheLocator

import compress
import kmeans_core

NOTICE = "compiling kernels, first run only"
KERNELS = ("_mark", "_rank")  # what counting the colours of an image compiles


def _private_cache(tmp_path: Path) -> Path:
    """A copy of the disk cache of our kernels that only this test's runs read.

    Another test worker may run the CLI at the same moment and compile the
    kernels this test deletes, into the shared cache (then no notice here).
    With ``NUMBA_CACHE_DIR`` set, Numba looks for a source file's kernels in
    the sub-folder ``get_suitable_cache_subpath`` names; copied there, every
    other kernel still loads instead of compiling.
    """
    cache = tmp_path / "numba-cache"
    for package in (kmeans_core, compress):
        for folder in Path(package.__file__).parent.rglob("__pycache__"):
            files = [*folder.glob("*.nbi"), *folder.glob("*.nbc")]
            if files:
                target = cache / _CacheLocator.get_suitable_cache_subpath(
                    str(folder.parent / "any.py"))
                target.mkdir(parents=True, exist_ok=True)
                for path in files:
                    shutil.copy2(path, target)
    return cache


def _forget_kernels(cache: Path) -> None:
    """Delete the two histogram kernels: the next run compiles them, loads the rest."""
    for name in KERNELS:
        for path in cache.rglob(f"_histogram_kernel.{name}-*"):
            path.unlink()


def test_compile_line_in_a_pipe_and_silenced_by_quiet(tmp_path):
    """stderr is a pipe here: one line while kernels compile, none with -q."""
    rng = np.random.default_rng(0)
    save(tmp_path / "in.png", rng.integers(0, 256, (16, 16, 3), dtype=np.uint8))
    cache = _private_cache(tmp_path)
    env = cli_env(NUMBA_CACHE_DIR=str(cache))
    for name, quiet, shown in (("loud", (), 1), ("quiet", ("-q",), 0)):
        _forget_kernels(cache)
        proc = run_cli("in.png", 4, *quiet, "-o", f"{name}.png", cwd=tmp_path,
                       check_rc=0, env=env)
        assert proc.stderr.count(NOTICE) == shown, proc.stderr
        for kernel in KERNELS:  # they did compile in that run
            assert list(cache.rglob(f"_histogram_kernel.{kernel}-*.nbi")), kernel

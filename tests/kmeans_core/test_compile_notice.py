"""The "compiling kernels, first run only" line: on a cold cache, in a pipe too."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from helpers import run_cli, save

from compress.quantization import _histogram_kernel

NOTICE = "compiling kernels, first run only"
KERNELS = ("_mark", "_rank")  # what counting the colours of an image compiles


def _forget_kernels() -> Path:
    """Delete two histogram kernels from the disk cache the CLI reads.

    The CLI's environment is this process's, so its cache is where Numba put
    this module's.  Its next run compiles those two, and loads the rest: a
    first run in miniature, without compiling every kernel again.
    """
    folder = Path(_histogram_kernel._mark._cache._cache_path)
    for name in KERNELS:
        for path in folder.glob(f"_histogram_kernel.{name}-*"):
            path.unlink()
    return folder


def test_compile_line_in_a_pipe_and_silenced_by_quiet(tmp_path):
    """stderr is a pipe here: one line while kernels compile, none with -q."""
    rng = np.random.default_rng(0)
    save(tmp_path / "in.png", rng.integers(0, 256, (16, 16, 3), dtype=np.uint8))
    for name, quiet, shown in (("loud", (), 1), ("quiet", ("-q",), 0)):
        cache = _forget_kernels()
        proc = run_cli("in.png", 4, *quiet, "-o", f"{name}.png", cwd=tmp_path,
                       check_rc=0)
        assert proc.stderr.count(NOTICE) == shown, proc.stderr
        for kernel in KERNELS:  # they did compile in that run
            assert list(cache.glob(f"_histogram_kernel.{kernel}-*.nbi")), kernel

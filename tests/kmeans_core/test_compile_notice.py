"""The "compiling kernels, first run only" line: on a cold cache, in a pipe too."""

from __future__ import annotations

import numpy as np
from helpers import cli_env, run_cli, save

NOTICE = "compiling kernels, first run only"


def test_compile_line_in_a_pipe_and_silenced_by_quiet(tmp_path):
    """stderr is a pipe here: the line appears with a cold cache, not with -q."""
    rng = np.random.default_rng(0)
    save(tmp_path / "in.png", rng.integers(0, 256, (16, 16, 3), dtype=np.uint8))
    for name, quiet, shown in (("loud", (), True), ("quiet", ("-q",), False)):
        env = cli_env(NUMBA_CACHE_DIR=str(tmp_path / f"cache-{name}"))
        proc = run_cli("in.png", 4, *quiet, "-o", f"{name}.png", cwd=tmp_path,
                       env=env, check_rc=0)
        assert proc.stderr.count(NOTICE) == shown, proc.stderr

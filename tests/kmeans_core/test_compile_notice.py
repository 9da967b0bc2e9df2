"""The "compiling kernels, first run only" line: on a cold cache, in a pipe too."""

from __future__ import annotations

import numpy as np
from helpers import cli_env, run_cli, save

NOTICE = "compiling kernels, first run only"


def test_compile_line_in_a_pipe_and_silenced_by_quiet(tmp_path):
    """stderr is a pipe here: the line appears with a cold cache, not with -q."""
    rng = np.random.default_rng(0)
    save(tmp_path / "in.png", rng.integers(0, 256, (16, 16, 3), dtype=np.uint8))
    cache = tmp_path / "cache"
    env = cli_env(NUMBA_CACHE_DIR=str(cache))
    proc = run_cli("in.png", 4, "-o", "loud.png", cwd=tmp_path, env=env, check_rc=0)
    assert proc.stderr.count(NOTICE) == 1, proc.stderr
    # -q: one kernel taken out of the now warm cache must compile again, in
    # silence (a whole cold run again would take seconds more).
    dropped = list(cache.glob("*/_histogram_kernel._rank-*"))
    assert dropped, sorted(cache.glob("*/*"))
    for path in dropped:
        path.unlink()
    proc = run_cli("in.png", 4, "-q", "-o", "quiet.png", cwd=tmp_path, env=env,
                   check_rc=0)
    assert NOTICE not in proc.stderr, proc.stderr
    assert list(cache.glob("*/_histogram_kernel._rank-*.nbi")), "nothing compiled"

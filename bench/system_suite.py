"""Whole-process measurements: thread scaling, cold start, the exercise pipeline."""

from __future__ import annotations

import compileall
import json
import os
import statistics
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

from . import labels
from .images import REPO, ImageCase
from .measure import Plan, Row, Timing, run_process, time_process
from .peers import cli_argv, has_module

EXERCISE_KS = (1, 2, 3, 5, 10, 15, 20)
THREAD_K = 20


def _env(**changes: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(changes)
    return env


def thread_scaling(case: ImageCase, runs: int,
                   log: Callable[[str], None]) -> list[Row]:
    """Our fit on every pixel, k = 20, with 1 and 2 Numba threads (subprocesses)."""
    rows = []
    for threads in (1, 2):
        log(f"  threads={threads}")
        argv = [sys.executable, "-m", "bench.worker", str(case.path), str(THREAD_K),
                str(runs)]
        env = _env(NUMBA_NUM_THREADS=str(threads), OMP_NUM_THREADS=str(threads),
                   OPENBLAS_NUM_THREADS=str(threads), MKL_NUM_THREADS=str(threads))
        _, peak, out = run_process(argv, env=env, cwd=str(REPO))
        result = json.loads(out.strip().splitlines()[-1])
        timing = Timing(result["median"], len(result["seconds"]), peak, "process",
                        result["seconds"])
        rows.append(Row("threads", case.name, THREAD_K, labels.threads(threads),
                        timing, result["inertia"], n_iter=result["n_iter"]))
    return rows


def cold_start(case: ImageCase, k: int, cold_runs: int, plan: Plan, workdir: Path,
               log: Callable[[str], None]) -> list[Row]:
    """First run (empty Numba cache) and warm runs of ``python -m compress``.

    The cache goes to a fresh ``NUMBA_CACHE_DIR`` (the default is
    ``__pycache__`` beside the sources of ``kmeans_core`` and ``compress``,
    which this suite leaves alone), so the cold run compiles every kernel it
    uses and the warm runs load them from that directory.
    """
    out = workdir / f"{case.name}-cold-k{k}.png"
    argv = cli_argv(case.path, k, out)
    cold: list[tuple[float, float]] = []
    with tempfile.TemporaryDirectory(prefix="numba-cache-") as cache:
        for i in range(cold_runs):
            log(f"  cold run {i + 1}")
            fresh = Path(cache) / f"run{i}"
            fresh.mkdir()
            s, peak, _ = run_process(argv, env=_env(NUMBA_CACHE_DIR=str(fresh)),
                                     cwd=str(REPO))
            cold.append((s, peak))
        log("  warm runs")
        warm = time_process(argv, plan, env=_env(NUMBA_CACHE_DIR=str(fresh)),
                            cwd=str(REPO))
    seconds = [s for s, _ in cold]
    cold_timing = Timing(statistics.median(seconds), len(seconds),
                         max(p for _, p in cold), "process", seconds)
    return [Row("cold", case.name, k, labels.COLD, cold_timing),
            Row("cold", case.name, k, labels.WARM, warm)]


def _time_sequence(commands: list[list[str]], runs: int) -> Timing:
    """Median over ``runs`` of the summed wall time of ``commands`` run in turn."""
    totals, peaks = [], []
    for _ in range(runs):
        total, peak = 0.0, 0.0
        for argv in commands:
            s, p, _ = run_process(argv, cwd=str(REPO))
            total += s
            peak = max(peak, p)
        totals.append(total)
        peaks.append(peak)
    return Timing(statistics.median(totals), runs, max(peaks), "process", totals)


def compile_bytecode() -> None:
    """Write the ``.pyc`` files of ``compress`` and ``kmeans_core``, as pip does.

    ``pip install`` compiles a package's modules when it installs them; an
    editable install run with ``PYTHONDONTWRITEBYTECODE=1`` (set in this
    machine's shells) instead compiled our 50 modules from source in every
    process: 0.03 s of CPU of the exercise's CLI run.  The peers' packages
    were compiled by pip.
    """
    for package in ("compress", "kmeans_core"):
        compileall.compile_dir(str(REPO / package), quiet=1)


def exercise(case: ImageCase, runs: int, workdir: Path, log: Callable[[str], None],
             warm_up: bool = True) -> tuple[list[Row], list[str]]:
    """The exercise's pipeline (7 fits, 7 PNGs, elbow plot), whole processes."""
    rows, notes = [], []
    ks = [str(k) for k in EXERCISE_KS]
    out = workdir / "exercise"
    out.mkdir(exist_ok=True)
    py = sys.executable
    cli = [[py, "-m", "compress", str(case.path), *ks, "--out-dir", str(out),
            "--elbow-plot", str(out / "elbow.png"), "--force", "--quiet",
            "--no-sheet"]]
    script = [[py, str(REPO / "bench" / "exercise_ours.py"), str(case.path), str(out)]]
    if warm_up:  # untimed: the Numba cache is filled for these processes
        compile_bytecode()
        for argv in cli:
            run_process(argv, cwd=str(REPO))
    log("  ours: CLI (7 k + --elbow)")
    rows.append(Row("exercise", case.name, 0,
                    labels.EXERCISE_CLI, _time_sequence(cli, runs),
                    note="the elbow plot reuses the 7 fits"))
    log("  ours: library script")
    rows.append(Row("exercise", case.name, 0,
                    labels.EXERCISE_LIBRARY,
                    _time_sequence(script, runs)))
    if has_module("sklearn"):
        log("  scikit-learn script")
        sk = [[py, str(REPO / "bench" / "exercise_sklearn.py"), str(case.path),
               str(out)]]
        rows.append(Row("exercise", case.name, 0,
                        labels.EXERCISE_SKLEARN,
                        _time_sequence(sk, runs)))
    else:
        notes.append("scikit-learn not installed: exercise baseline skipped")
    return rows, notes

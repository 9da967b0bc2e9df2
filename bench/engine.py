"""Engine figures: time per iteration of every algorithm against scikit-learn,
greedy k-means++ at large k, and the first run of ``python -m compress``.

``python -m bench.engine [--out FILE.md] [--runs N] [--quick]`` on American
Gothic (``../shared/data``; a generated photo-like image when it is absent).

* Per iteration: every algorithm fits the image's pixels (966,600 x 3, uint8
  read in place; scikit-learn gets the same pixels as float64) from the same
  k-means++ centres, k = 20; seconds of the fit divided by its iterations,
  median of ``--runs`` fits, each fit timed in this process after a warm-up.
  scikit-learn runs with its own thread pool (OpenMP, all cores).
* Seeding: ``kmeans_plusplus`` on the image's weighted colour histogram at
  k = 20 and 256, median of ``--runs``.
* First run: ``python -m compress sample 16`` with an empty
  ``NUMBA_CACHE_DIR`` (compiles the kernels), then again (loads them); the
  median of ``--runs`` of each.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from .images import AMERICAN_GOTHIC, REPO, photo_like
from .machine import machine_info

K = 20
ALGORITHMS = ("lloyd", "hamerly", "auto")


def _pixels() -> tuple[str, np.ndarray]:
    if AMERICAN_GOTHIC.exists():
        import imageio.v3 as iio

        return "American Gothic", iio.imread(AMERICAN_GOTHIC)[..., :3]
    return "generated 1080 x 895", photo_like(1080, 895)


def _median_time(fit, runs: int) -> tuple[float, object]:
    fit()  # warm-up: compilation and caches
    times, result = [], None
    for _ in range(runs):
        start = time.perf_counter()
        result = fit()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def per_iteration(X: np.ndarray, runs: int) -> list[tuple[str, float, int, float]]:
    """(method, seconds per iteration, iterations, inertia in [0, 1] units)."""
    import kmeans_core

    init = kmeans_core.kmeans_plusplus(X, K, random_state=0)[0]  # (K, 3) float64
    rows = []
    for algorithm in ALGORITHMS:
        seconds, r = _median_time(
            lambda a=algorithm: kmeans_core.kmeans(X, K, init=init, algorithm=a), runs)
        rows.append((f"kmeans_core {algorithm}", seconds / r.n_iter, r.n_iter,
                     r.inertia / 255.0**2))
    try:
        from sklearn.cluster import KMeans
    except ImportError:
        return rows
    Xf = X.astype(np.float64)
    seconds, model = _median_time(
        lambda: KMeans(K, init=init, n_init=1).fit(Xf), runs)
    rows.append(("scikit-learn lloyd", seconds / model.n_iter_, model.n_iter_,
                 model.inertia_ / 255.0**2))
    return rows


def seeding(pixels: np.ndarray, runs: int) -> list[tuple[int, float]]:
    """(k, median seconds) of greedy k-means++ on the weighted colour histogram."""
    import compress
    import kmeans_core

    colors, counts, _ = compress.color_histogram(pixels.reshape(-1, 3))
    w = counts.astype(np.float64)
    return [(k, _median_time(lambda k=k: kmeans_core.kmeans_plusplus(
        colors, k, sample_weight=w, random_state=0), runs)[0]) for k in (20, 256)]


def first_run(runs: int) -> tuple[list[float], list[float]]:
    """Wall seconds of ``python -m compress sample 16``: cold cache, then warm."""
    cold, warm = [], []
    with tempfile.TemporaryDirectory(prefix="bench-first-run-") as tmp:
        argv = [sys.executable, "-m", "compress", "sample", "16", "--force",
                "-o", str(Path(tmp) / "out.png")]
        for i in range(runs):
            env = dict(os.environ, NUMBA_CACHE_DIR=str(Path(tmp) / f"cache{i}"))
            for bucket in (cold, warm):
                start = time.perf_counter()
                subprocess.run(argv, env=env, cwd=str(REPO), check=True,
                               capture_output=True)
                bucket.append(time.perf_counter() - start)
    return cold, warm


def report(runs: int, quick: bool) -> str:
    info = machine_info()
    name, pixels = _pixels()
    X = np.ascontiguousarray(pixels.reshape(-1, 3))
    lines = ["# Engine figures", "", "`python -m bench.engine" +
             (" --quick" if quick else "") + f" --runs {runs}`", ""]
    lines += [f"- {key}: {value}" for key, value in info.items()]
    rows = per_iteration(X, runs)
    peer = next((r for r in rows if r[0].startswith("scikit-learn")), None)
    lines += ["", f"## Time per iteration, {name} pixels ({X.shape[0]:,} x 3), "
              f"k = {K}, same initial centres", "",
              "| method | ms / iteration | iterations | inertia | vs scikit-learn |",
              "|---|--:|--:|--:|--:|"]
    for method, per, n_iter, inertia in rows:
        ratio = f"{per / (peer[1]):.2f}x" if peer else "n/a"
        lines.append(f"| {method} | {per * 1e3:.2f} | {n_iter} | {inertia:,.2f} | "
                     f"{ratio} |")
    lines += ["", f"## Greedy k-means++ on the weighted colour histogram of {name}",
              "", "| k | seconds (median) |", "|--:|--:|"]
    lines += [f"| {k} | {s:.4f} |" for k, s in seeding(pixels, runs)]
    if not quick:
        cold, warm = first_run(runs)
        lines += ["", "## `python -m compress sample 16`, whole process", "",
                  "| cache | median s | runs |", "|---|--:|---|",
                  f"| empty (first run) | {statistics.median(cold):.2f} | "
                  + ", ".join(f"{s:.2f}" for s in cold) + " |",
                  f"| warm (second run) | {statistics.median(warm):.2f} | "
                  + ", ".join(f"{s:.2f}" for s in warm) + " |"]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.engine",
                                description=__doc__.split("\n\n")[0])
    p.add_argument("--out", type=Path, help="write the markdown report here")
    p.add_argument("--runs", type=int, default=5, help="runs per figure (median)")
    p.add_argument("--quick", action="store_true", help="skip the first-run figure")
    args = p.parse_args(argv)
    text = report(args.runs, args.quick)
    if args.out:
        args.out.write_text(text)
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Numba's threading layers side by side: launch cost and the k = 20 histogram fit.

``python -m bench.threading_layer [--runs N]`` runs one child process per
layer (``workqueue``, then the layer kmeans_core picks by itself, which is
TBB when the ``tbb`` package is installed) and prints one markdown table:

* **launch**: an empty parallel kernel over 64 blocks (what each reduction
  of the engine launches), median over ``--runs`` batches of 200 launches;
* **ours / sklearn**: our fit of American Gothic's weighted colour
  histogram at k = 20 and 64 against scikit-learn's weighted fit in the same
  process, same initial centres, median of ``--runs`` fits
  (:func:`bench.peers.ours_histogram`, :func:`bench.peers.sklearn_histogram`).

About 40 s on a quiet 2-core machine.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

LAYERS = ("workqueue", "default")  # "default": kmeans_core's own choice
KS = (20, 64)
BATCH = 200  # launches per timed batch


def _launch_us(runs: int) -> float:
    import numba
    import numpy as np

    from kmeans_core._config import N_BLOCKS, jit

    @jit(parallel=True)
    def empty(out):  # OUT (N_BLOCKS,)
        for b in numba.prange(N_BLOCKS):
            out[b] = b

    out = np.empty(N_BLOCKS)
    empty(out)  # compile and start the threads
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        for _ in range(BATCH):
            empty(out)
        times.append((time.perf_counter() - start) / BATCH * 1e6)
    return sorted(times)[len(times) // 2]


def child(runs: int) -> dict:
    """Measure in this process; return the numbers as a dict."""
    import numba

    from . import images
    from .measure import Plan
    from .peers import ImageData, ours_histogram, sklearn_histogram

    result = {"launch_us": _launch_us(runs), "layer": numba.threading_layer()}
    plan = Plan(runs=runs, fast_runs=runs)
    with tempfile.TemporaryDirectory() as tmp:
        case = images.american_gothic(Path(tmp))
        if case is None:
            return result
        data = ImageData(case)
        for k in KS:
            ours_histogram(data, k, plan)  # warm-up
            ours = ours_histogram(data, k, plan)[1]
            theirs = sklearn_histogram(data, k, plan)
            result[f"k={k}"] = [ours.seconds, theirs.seconds, ours.n_iter]
    return result


def main(argv: list[str] | None = None) -> int:
    """Run one child per layer and print the table."""
    p = argparse.ArgumentParser(prog="python -m bench.threading_layer")
    p.add_argument("--runs", type=int, default=7)
    p.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.child:
        print(json.dumps(child(args.runs)))
        return 0
    print("| layer | empty 64-block launch | " + " | ".join(
        f"k={k}: ours / sklearn weighted (iterations)" for k in KS) + " |")
    print("|---|---:|" + "---:|" * len(KS))
    for layer in LAYERS:
        env = dict(os.environ)
        env.pop("NUMBA_THREADING_LAYER", None)
        if layer != "default":
            env["NUMBA_THREADING_LAYER"] = layer
        out = subprocess.run([sys.executable, "-m", "bench.threading_layer", "--child",
                              "--runs", str(args.runs)], env=env, check=True,
                             capture_output=True, text=True,
                             cwd=Path(__file__).resolve().parent.parent).stdout
        r = json.loads(out.splitlines()[-1])
        cells = [f"{r['launch_us']:.1f} us"]
        for k in KS:
            if f"k={k}" in r:
                ours, theirs, n_iter = r[f"k={k}"]
                cells.append(f"{ours:.3f} s / {theirs:.3f} s = "
                             f"{ours / theirs:.2f}x ({n_iter})")
        print(f"| {r['layer']} | " + " | ".join(cells) + " |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

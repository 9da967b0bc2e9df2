"""Where the exercise's time goes, phase by phase, in one process.

``python -m bench.exercise_phases [IMAGE] [--runs N]`` runs, in a fresh
interpreter each time, the work of ``bench/exercise_ours.py`` (load, 7 fits
sharing one histogram, 7 palette PNGs, the elbow plot) serially, with a
clock between phases, and prints the median of each phase over ``--runs``
processes, and the time the cyclic garbage collector took within them
(the CLI runs none: ``gc.disable()`` in ``compress.cli.entry.main``); then the
floor of any Numba program here (interpreter, NumPy,
Numba, the first kernel loaded from the disk cache) and the whole CLI run
``python -m compress IMAGE 1 2 3 5 10 15 20 --elbow-plot ...`` and the
scikit-learn script for scale.  Serial phases: the CLI overlaps the PNG
encoding and the matplotlib import with the fits
(``compress.io.png.BackgroundEncoder``), so its wall time is below the sum.
About 1 minute with ``--runs 5``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time

from .images import AMERICAN_GOTHIC, REPO
from .system_suite import compile_bytecode

KS = (1, 2, 3, 5, 10, 15, 20)

PHASES = r"""
import gc, json, sys, time
marks = [("start", time.perf_counter())]
def mark(name):
    marks.append((name, time.perf_counter()))
collecting = [0.0, 0.0]  # start of the current collection, seconds in all
def clock(phase, info):
    if phase == "start":
        collecting[0] = time.perf_counter()
    else:
        collecting[1] += time.perf_counter() - collecting[0]
gc.callbacks.append(clock)
import numpy
mark("import numpy")
import numba
mark("import numba")
import compress
from compress import encode_palette_png, load_image, quantize_each
from compress.quantization.fit_input import prepare
mark("import compress")
pixels = load_image(sys.argv[1]).pixels
mark("read the JPEG")
prepared = prepare(pixels, ks=KS)
mark("colour histogram (first kernel: Numba's set-up)")
results = []
for k in KS:
    q = next(quantize_each(pixels, [k], prepared=prepared))
    results.append(q)
mark("7 fits")
for q in results:
    q.delta_e  # computed on first use
mark("7 x CIEDE2000")
sizes = [len(encode_palette_png(q.index_map, q.palette)) for q in results]
mark("7 PNG encodes")
from compress.figures.plots import elbow_plot, preload
preload()
mark("import matplotlib")
png = elbow_plot(list(KS), [q.fit.inertia for q in results], [30.0] * len(KS),
                 sizes, knee=3, title="Elbow")
mark("draw + encode the elbow plot")
rows = [[b[0], b[1] - a[1]] for a, b in zip(marks, marks[1:])]
print(json.dumps(rows + [["cyclic GC, within the phases above (the CLI runs none)",
                          collecting[1]]]))
""".replace("KS", repr(KS))

FLOOR = r"""
import json, time
t0 = time.perf_counter()
import numpy
t1 = time.perf_counter()
import numba
import kmeans_core
t2 = time.perf_counter()
kmeans_core.kmeans(numpy.random.default_rng(0).random((100, 3)), 2, random_state=0)
t3 = time.perf_counter()
print(json.dumps([["import numpy", t1 - t0], ["import numba + kmeans_core", t2 - t1],
                  ["first fit: kernels from the cache", t3 - t2]]))
"""


def _process(argv: list[str]) -> tuple[float, str]:
    start = time.perf_counter()
    out = subprocess.run(argv, check=True, capture_output=True, text=True,
                         cwd=REPO).stdout
    return time.perf_counter() - start, out


def _phases(script: str, args: list[str], runs: int) -> list[list]:
    """Median per phase, and of the whole process, over ``runs`` processes."""
    _process([sys.executable, "-c", script, *args])  # warm the caches
    per_run, walls = [], []
    for _ in range(runs):
        wall, out = _process([sys.executable, "-c", script, *args])
        per_run.append(json.loads(out.splitlines()[-1]))
        walls.append(wall)
    rows = [[name, statistics.median(run[i][1] for run in per_run)]
            for i, (name, _) in enumerate(per_run[0])]
    return rows + [["whole process (Python start-up and exit included)",
                    statistics.median(walls)]]


def main(argv: list[str] | None = None) -> int:
    """Print the tables."""
    p = argparse.ArgumentParser(prog="python -m bench.exercise_phases")
    p.add_argument("image", nargs="?", default=str(AMERICAN_GOTHIC))
    p.add_argument("--runs", type=int, default=5)
    args = p.parse_args(argv)
    compile_bytecode()
    print("| phase (serial, one process) | median s |\n|---|---:|")
    for name, seconds in _phases(PHASES, [args.image], args.runs):
        print(f"| {name} | {seconds:.3f} |")
    print("\n| floor of a Numba program | median s |\n|---|---:|")
    for name, seconds in _phases(FLOOR, [], args.runs):
        print(f"| {name} | {seconds:.3f} |")
    with tempfile.TemporaryDirectory() as tmp:
        cli = [sys.executable, "-m", "compress", args.image, *map(str, KS),
               "--out-dir", tmp, "--elbow-plot", f"{tmp}/elbow.png", "--force",
               "--quiet", "--no-sheet"]
        sk = [sys.executable, str(REPO / "bench" / "exercise_sklearn.py"), args.image,
              tmp]
        print("\n| whole process | median s |\n|---|---:|")
        for name, argv_ in (("CLI, 7 k + --elbow-plot", cli),
                            ("bench/exercise_sklearn.py", sk)):
            _process(argv_)
            walls = [_process(argv_)[0] for _ in range(args.runs)]
            print(f"| {name} | {statistics.median(walls):.3f} |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

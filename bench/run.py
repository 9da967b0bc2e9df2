"""Run the benchmark suite and write a markdown report.

``python -m bench`` (full: every case, the slowest), ``--quick`` (no
24-megapixel image, blobs n = 200,000; about 17 minutes on a busy 2-core
machine), ``--targets`` (only the cases of the issue's Targets table, at full
size), ``--smoke`` (tiny inputs, under a minute when the machine is idle; what
CI runs).  ``--out FILE.md`` chooses the report file.  Everything is seeded,
so reruns measure the same work; only the timings vary.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from . import images, labels, peers
from .blobs_suite import run_blobs
from .dask_suite import DASK_TEXT, dask_table, run_dask
from .folder_suite import folders_table, run_folders
from .image_suite import run_image
from .machine import machine_info
from .measure import Plan, Row, run_process
from .peers import cli_argv, has_module
from .report import blobs_table, image_table, simple_table, table
from .stream_suite import run_stream, stream_table
from .system_suite import cold_start, exercise, thread_scaling
from .targets import EARLIER_TARGETS, targets_table

SECTIONS = ("images", "blobs", "threads", "cold", "exercise", "dask", "stream",
            "folders")


@dataclass
class Mode:
    """Sizes and repeat counts of one suite size."""

    name: str
    ks: tuple[int, ...] = (5, 16, 20, 64, 256)
    plan: Plan = field(default_factory=Plan)
    generated_shape: tuple[int, int] | None = None  # (height, width) or None
    blobs_n: int = 1_000_000
    blobs_dims: tuple[int, ...] = (2, 3, 8, 32)
    blobs_ks: tuple[int, ...] = (8, 64, 256)
    thread_runs: int = 3
    cold_runs: int = 1  # 0 skips the cold start
    exercise_runs: int = 3
    dask_n: int = 4_000_000  # dask section: rows of 8 float32 features, k = 16
    dask_chunks: int = 8
    # stream section: (height, width, k) TIFFs; in-memory comparison up to 25 MP
    stream_sizes: tuple = ((4000, 6000, 64), (20_000, 20_000, 64))
    folder_images: int = 50  # folders section: images of 0.3-2 megapixels
    folder_mp: tuple = (0.3, 2.0)
    tiny: bool = False  # tiny images instead of the real ones
    samples: bool = True  # scikit-learn's china.jpg and flower.jpg
    # k per image, overriding ``ks`` (image name prefix -> values of k)
    case_ks: dict[str, tuple[int, ...]] = field(default_factory=dict)

    def ks_for(self, name: str) -> tuple[int, ...]:
        """The values of k to run on the image called ``name``."""
        for prefix, ks in self.case_ks.items():
            if name.startswith(prefix):
                return ks
        return self.ks


MODES = {
    "smoke": Mode("smoke", ks=(5,), plan=Plan(runs=1, fast_runs=1), blobs_n=5000,
                  blobs_dims=(3, 32), blobs_ks=(8,), thread_runs=1, cold_runs=0,
                  exercise_runs=1, dask_n=20_000, dask_chunks=4,
                  stream_sizes=((300, 400, 16),), folder_images=4,
                  folder_mp=(0.02, 0.05), tiny=True),
    "quick": Mode("quick", plan=Plan(slow_s=8.0), blobs_n=200_000, dask_n=1_000_000,
                  stream_sizes=((4000, 6000, 64),),
                  blobs_dims=(3, 32), blobs_ks=(8, 64)),
    "full": Mode("full", generated_shape=(4000, 6000), cold_runs=2),
    # Only the cases of the Targets table, at full size.
    # Median of at least 5 runs everywhere, the peers in the same run.
    "targets": Mode("targets", plan=Plan(runs=5), generated_shape=(4000, 6000),
                    blobs_dims=(32,), blobs_ks=(64,), samples=False, thread_runs=5,
                    exercise_runs=5,
                    case_ks={"american_gothic": (20, 64, 256), "generated": (16,)}),
}


def _log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _images(mode: Mode, workdir: Path, notes: list[str]) -> list[images.ImageCase]:
    if mode.tiny:
        notes.append("smoke mode: one tiny generated image (American Gothic, "
                     "scikit-learn's photos and the 24-megapixel image not used)")
        return [images.generated(workdir, 60, 80)]
    cases = [images.american_gothic(workdir)]
    if cases[0] is None:
        notes.append(f"American Gothic not found at {images.AMERICAN_GOTHIC}: "
                     "skipped; targets on it are not measured")
    for name in ("china.jpg", "flower.jpg") if mode.samples else ():
        case = images.sklearn_sample(name, workdir)
        if case is None:
            notes.append(f"scikit-learn not installed: {name} skipped")
        cases.append(case)
    if mode.generated_shape is not None:
        _log("generating the photo-like image")
        cases.append(images.generated(workdir, *mode.generated_shape))
    else:
        notes.append(f"{mode.name} mode: the 24-megapixel image is run only in "
                     "full mode")
    return [c for c in cases if c is not None]


def _warm_up(case: images.ImageCase, workdir: Path) -> None:
    """Load every compiled kernel once, untimed (in this process and the CLI's)."""
    import kmeans_core

    rng = np.random.default_rng(0)
    for dtype in (np.float64, np.float32):
        for d in (2, 3, 8, 32):
            X = rng.random((3000, d)).astype(dtype)
            kmeans_core.KMeans(8, random_state=0, algorithm="auto").fit(X)
            kmeans_core.KMeans(8, random_state=0, algorithm="auto").fit(
                X, sample_weight=rng.integers(1, 5, 3000))
    run_process(cli_argv(case.path, 5, workdir / "warmup.png"),
                cwd=str(images.REPO))


def run(mode: Mode, sections: tuple[str, ...]) -> tuple[list[Row], list[str]]:
    """Run the selected sections; return all rows and the notes."""
    rows: list[Row] = []
    notes: list[str] = []
    with tempfile.TemporaryDirectory(prefix="kmeans-bench-") as tmp:
        workdir = Path(tmp)
        cases = _images(mode, workdir, notes)
        main_case = cases[0]  # American Gothic when present
        if not mode.tiny:  # smoke timings mean nothing: save the time
            _warm_up(main_case, workdir)
        if "images" in sections:
            for case in cases:
                _log(f"images: {case.name}")
                r, n = run_image(case, mode.ks_for(case.name), mode.plan, workdir,
                                 _log)
                rows += r
                notes += [x for x in n if x not in notes]
        if "blobs" in sections:
            _log("blobs")
            r, n = run_blobs(mode.blobs_n, mode.blobs_dims, mode.blobs_ks, mode.plan,
                             _log)
            rows += r
            notes += n
        if "threads" in sections:
            _log("thread scaling")
            rows += thread_scaling(main_case, mode.thread_runs, _log)
        if "cold" in sections and mode.cold_runs > 0:
            _log("cold start")
            rows += cold_start(main_case, 16, mode.cold_runs, mode.plan, workdir,
                               _log)
        elif "cold" in sections:
            notes.append(f"{mode.name} mode: cold start skipped (compiling every "
                         "kernel alone can take longer than the smoke budget)")
        if "exercise" in sections:
            _log("exercise pipeline")
            r, n = exercise(main_case, mode.exercise_runs, workdir, _log,
                            warm_up=not mode.tiny)
            rows += r
            notes += n
        if "dask" in sections:
            _log("dask")
            r, n = run_dask(mode.dask_n, 8, 16, mode.dask_chunks, mode.plan, _log)
            rows += r
            notes += n
        if "stream" in sections:
            _log("stream")
            r, n = run_stream(list(mode.stream_sizes), 25.0, mode.plan, workdir, _log)
            rows += r
            notes += n
        if "folders" in sections:
            _log("folders")
            r, n = run_folders(mode.folder_images, mode.folder_mp, workdir, _log)
            rows += r
            notes += n
    return rows, notes


HOW_TO_READ = """\
- **median wall**: median of the runs (one run first; 5 runs in all when it took
  under 0.5 s, 3 otherwise, 1 when it took longer than the slow limit).  In-process
  rows time the call only; rows marked *(process)* and the sections below time the
  whole process from fork to exit, Python start-up and imports included.
- **× scikit-learn**: median wall time over that of scikit-learn `KMeans` on all
  pixels (same image, same k, same initial centres, `n_init=1`, float64 pixels / 255).
- **inertia vs scikit-learn**: relative difference of the sum of squared distances
  (pixels / 255).  k-means rows report their fit's inertia; Pillow, pngquant and the
  CLI rows the distortion of the written 8-bit image.
- **peak MiB**: a plain number is the peak RSS of the whole child process (its
  own `ru_maxrss`, as GNU `time -f %M` reports it); `+N` is how far this
  process's peak RSS (`VmHWM`, reset through `/proc/self/clear_refs` after
  `malloc_trim`) rose during the call: the extra memory the call needed beyond
  its inputs.
- All k-means methods start from the same centres: greedy k-means++ (seed 0) of
  `kmeans_core.kmeans_plusplus` on the weighted colour histogram, the centres
  `python -m compress` itself starts from.  faiss runs as many iterations as
  scikit-learn needed (it has no tolerance) on all points.  scikit-learn's weighted
  histogram fit gets `tol` rescaled so that its absolute tolerance equals the pixel
  run's (scikit-learn uses the unweighted variance).  pngquant reads a lossless PNG
  copy of the image; the CLI reads the original file."""


def render(mode: Mode, rows: list[Row], notes: list[str], info: dict,
           argv: list[str], seconds: float) -> str:
    """The whole markdown report."""
    out = [f"# Benchmark results ({mode.name} mode)", "",
           f"Command: `python -m bench {' '.join(argv)}`".replace(" `", " `"),
           f"Suite wall time: {seconds / 60:.1f} min.", "", "## Machine", ""]
    out += table(["", ""], [[k, v] for k, v in info.items()]) + [""]
    out += ["## How to read the tables", "", HOW_TO_READ, ""]
    lines, _ = targets_table(rows)
    out += ["## Targets (issue 18)", ""] + lines + [""]
    lines, _ = targets_table(rows, EARLIER_TARGETS)
    out += ["## Earlier targets (issue 4)", ""] + lines + [""]
    image_cases = list(dict.fromkeys(r.case for r in rows if r.section == "image"))
    if image_cases:
        out += ["## Images", ""]
        for case in image_cases:
            out += [f"### {case}", ""] + image_table(rows, case) + [""]
    if any(r.section == "blobs" for r in rows):
        out += ["## General data: Gaussian blobs, float32", "",
                "`sklearn.datasets.make_blobs` (k centres, seed 0); shared initial "
                "centres by k-means++ (seed 0) on a fixed sample of at most 100,000 "
                "rows.", ""] + blobs_table(rows) + [""]
    for section, title, ref, ref_name, text in [
        ("threads", "Thread scaling", labels.threads(2), "2 threads",
         "Our fit on every pixel (no histogram), k = 20, same initial centres, "
         "in a subprocess with `NUMBA_NUM_THREADS` = 1 or 2 (median of the runs "
         "after one untimed fit; peak is the worker process's)."),
        ("cold", "Cold start", labels.WARM, "warm",
         "`python -m compress IMG 16 --force -o tmp.png --quiet` with an empty "
         "`NUMBA_CACHE_DIR` (compiles every kernel it uses), then with that cache "
         "filled."),
        ("exercise", "The exercise pipeline", labels.EXERCISE_SKLEARN,
         "scikit-learn script",
         "Load, 7 fits (k = 1, 2, 3, 5, 10, 15, 20), 7 PNG writes, elbow plot; "
         "whole processes, warm Numba cache."),
    ]:
        if any(r.section == section for r in rows):
            out += [f"## {title}", "", text, ""]
            out += simple_table(rows, section, ref, ref_name) + [""]
            if section == "threads":
                sel = [r for r in rows if r.section == "threads"]
                if len(sel) == 2:
                    out += [f"Speed-up of 2 threads over 1: "
                            f"{sel[0].seconds / sel[1].seconds:.2f}x.", ""]
    if any(r.section == "dask" for r in rows):
        out += ["## Dask: our fit vs dask-ml vs in memory", "", DASK_TEXT, ""]
        out += dask_table(rows) + [""]
    if any(r.section == "stream" for r in rows):
        out += ["## Images larger than memory (streamed)", "",
                "`python -m compress IMG.tif K` on generated photo-like striped "
                "TIFFs; whole processes, peak RSS of the process (bands run on its "
                "threads, so that is the sum over processes).", ""]
        out += stream_table(rows) + [""]
    if any(r.section == "folders" for r in rows):
        out += ["## Whole folders", "",
                "Images made from the sample photos installed packages ship "
                "(random crops, scaled to 0.3-2 megapixels, PNG), k = 16; one "
                "run each, whole commands.", ""]
        out += folders_table(rows) + [""]
    if notes:
        out += ["## Notes and skipped cases", ""] + [f"- {n}" for n in notes] + [""]
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    """Parse arguments, run the suite, write the report; return the exit code."""
    argv = list(sys.argv[1:] if argv is None else argv)
    p = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split(
        "\n\n")[0])
    size = p.add_mutually_exclusive_group()
    size.add_argument("--smoke", action="store_true", help="tiny sizes (< 60 s)")
    size.add_argument("--quick", action="store_true",
                      help="no 24-megapixel image, blobs n = 200,000")
    size.add_argument("--targets", action="store_true",
                      help="only the cases of the issue's Targets table, full size")
    p.add_argument("--out", type=Path, default=Path("bench/RESULTS.md"),
                   metavar="FILE.md", help="report file (default: bench/RESULTS.md)")
    p.add_argument("--without", default="", metavar="PEERS",
                   help="treat these peers as missing, e.g. faiss,pngquant,sklearn")
    p.add_argument("--sections", default=",".join(SECTIONS),
                   help=f"comma-separated subset of {','.join(SECTIONS)}")
    args = p.parse_args(argv)
    sections = tuple(s for s in args.sections.split(",") if s)
    unknown = set(sections) - set(SECTIONS)
    if unknown:
        p.error(f"unknown sections {sorted(unknown)}; choose from {SECTIONS}")
    peers.DISABLED.update(x for x in args.without.split(",") if x)
    mode = MODES["smoke" if args.smoke else "quick" if args.quick
                 else "targets" if args.targets else "full"]
    info = machine_info()
    for name, package in (("faiss", "faiss-cpu"), ("sklearn", "scikit-learn")):
        if not has_module(name):
            info[package] += " (treated as missing: rows skipped)"
    if not peers.has_pngquant():
        info["pngquant"] += " (treated as missing: rows skipped)"
    start = time.perf_counter()
    rows, notes = run(mode, sections)
    info["load average at end"] = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    report = render(mode, rows, notes, info, argv, time.perf_counter() - start)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(report + "\n")
    _log(f"wrote {args.out}")
    return 0

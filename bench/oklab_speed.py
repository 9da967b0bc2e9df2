"""Whole CLI ``--space oklab`` against ``--space rgb``: time and iterations.

``python -m bench.oklab_speed [--runs N] [--ks 16,64]`` runs
``python -m compress IMAGE K --space S --json -q`` on American Gothic and
scikit-learn's china.jpg, the two spaces alternating, and prints one markdown
row per (image, k): median wall time of each space over ``--runs`` whole
processes (after one untimed run each), the ratio, the iterations, PSNR and
mean CIEDE2000 of each.  About 1 minute with ``--runs 5`` on a quiet 2-core
machine.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from . import images

SPACES = ("rgb", "oklab")


def _run(image: Path, k: int, space: str, out: Path) -> tuple[float, dict]:
    argv = [sys.executable, "-m", "compress", str(image), str(k), "--space", space,
            "--json", "-q", "-f", "-o", str(out)]
    start = time.perf_counter()
    proc = subprocess.run(argv, capture_output=True, text=True, check=True,
                          cwd=images.REPO)
    return time.perf_counter() - start, json.loads(proc.stdout)["results"][0]


def main(argv: list[str] | None = None) -> int:
    """Print the table."""
    p = argparse.ArgumentParser(prog="python -m bench.oklab_speed")
    p.add_argument("--runs", type=int, default=5)
    p.add_argument("--ks", default="16,64")
    args = p.parse_args(argv)
    print("| image | k | rgb s | oklab s | oklab / rgb | iterations rgb / oklab "
          "| PSNR rgb / oklab | mean ΔE2000 rgb / oklab |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        cases = [images.american_gothic(workdir),
                 images.sklearn_sample("china.jpg", workdir)]
        for case in (c for c in cases if c is not None):
            for k in (int(x) for x in args.ks.split(",")):
                times = {s: [] for s in SPACES}
                report = {}
                for i in range(args.runs + 1):
                    for space in SPACES:
                        seconds, report[space] = _run(case.path, k, space,
                                                      workdir / f"{space}.png")
                        if i:  # the first run of each is untimed
                            times[space].append(seconds)
                rgb, ok = (statistics.median(times[s]) for s in SPACES)
                r, o = report["rgb"], report["oklab"]
                print(f"| {case.name} | {k} | {rgb:.3f} | {ok:.3f} | {ok / rgb:.2f}x "
                      f"| {r['n_iter']} / {o['n_iter']} "
                      f"| {r['psnr_db']:.2f} / {o['psnr_db']:.2f} "
                      f"| {r['delta_e_mean']:.3f} / {o['delta_e_mean']:.3f} |",
                      flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

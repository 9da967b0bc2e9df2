"""Perceptual quality benchmark: ``python -m bench.perceptual``.

Our RGB and weighted-OKLab k-means, undithered and dithered, against
``pngquant --nofs`` and ``pngquant`` (dithered), on the photos that installed
packages ship (scikit-learn's china and flower; scikit-image's astronaut,
coffee and chelsea; matplotlib's grace_hopper), k in {16, 64, 256}.  Measures
quality only (:mod:`bench.quality`) and bytes, not time.  Writes a markdown
report (``--out``, default ``bench/RESULTS_perceptual.md``) with the issue's
target table, and beside it one picture per image of the same smooth crops
from every method (:mod:`bench.crops`).  ``--ablation`` adds the dithering
rules switched on one at a time; ``--smoke`` is a tiny run for the tests.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import numpy as np

from . import perceptual_peers as peers
from .crops import CROPS, crop_sheet
from .quality import measure

KS = (16, 64, 256)
DITHER_KS = (16, 64)  # the dithering targets' k
CROP_K = 16
SSIM_SLACK = 0.01  # the targets allow SSIM this far below pngquant's


def load_images(shrink: int = 1, only: tuple[str, ...] = ()) -> tuple[dict, list]:
    """The benchmark photos as (H, W, 3) uint8, by name; and skip notes."""
    images, notes = {}, []
    loaders = {
        "china": ("sklearn", lambda: _sklearn("china.jpg")),
        "flower": ("sklearn", lambda: _sklearn("flower.jpg")),
        "astronaut": ("skimage", lambda: _skimage("astronaut")),
        "coffee": ("skimage", lambda: _skimage("coffee")),
        "chelsea": ("skimage", lambda: _skimage("chelsea")),
        "grace_hopper": ("matplotlib", _grace_hopper),
    }
    for name, (package, load) in loaders.items():
        if only and name not in only:
            continue
        try:
            pixels = load()
        except ImportError:
            notes.append(f"{name}: {package} not installed, image skipped")
            continue
        images[name] = np.ascontiguousarray(pixels[::shrink, ::shrink])
    return images, notes


def _sklearn(name):
    from sklearn.datasets import load_sample_image

    return load_sample_image(name)


def _skimage(name):
    import skimage.data

    return getattr(skimage.data, name)()


def _grace_hopper():
    from matplotlib import cbook

    from compress import load_image

    return load_image(Path(cbook.get_sample_data("grace_hopper.jpg",
                                                 asfileobj=False))).pixels


def run(images: dict, ks: tuple[int, ...], methods: dict, workdir: Path,
        log=print) -> tuple[list[dict], dict]:
    """Every method on every image and k; rows of numbers, and the crop images."""
    rows, outputs = [], {}
    for name, pixels in images.items():
        for k in ks:
            log(f"  {name} k={k}")
            for method, fn in methods.items():
                recon, n_bytes = fn(pixels, k, workdir)
                rows.append({"image": name, "k": k, "method": method,
                             "bytes": n_bytes, **measure(pixels, recon)})
                if k == CROP_K:
                    outputs[(name, method)] = recon
    return rows, outputs


def _find(rows, image, k, method):
    return next((r for r in rows if (r["image"], r["k"], r["method"])
                 == (image, k, method)), None)


def results_table(rows: list[dict]) -> str:
    """Markdown table of every row."""
    lines = ["| image | k | method | PSNR dB | ΔE00 mean | ΔE00 p95 | SSIM | "
             "blurred ΔE00 | bytes |", "|---|--:|---|--:|--:|--:|--:|--:|--:|"]
    for r in rows:
        lines.append(f"| {r['image']} | {r['k']} | {r['method']} | {r['psnr']:.2f} | "
                     f"{r['de_mean']:.3f} | {r['de_p95']:.3f} | {r['ssim']:.4f} | "
                     f"{r['de_blur']:.3f} | {r['bytes']:,} |")
    return "\n".join(lines)


def _compare(rows, ours, theirs, key, ks, better):
    """Cells where ``better(our value, their value)``; worst margin; cell count."""
    wins, margins = 0, []
    for image in dict.fromkeys(r["image"] for r in rows):
        for k in ks:
            a, b = _find(rows, image, k, ours), _find(rows, image, k, theirs)
            if a is None or b is None:
                continue
            margins.append((a[key] - b[key], image, k))
            wins += better(a[key], b[key])
    return wins, margins


def targets_table(rows: list[dict], ks: tuple[int, ...]) -> str:
    """The issue's quality targets with the measured counts and worst gaps."""
    lower = lambda a, b: a < b  # noqa: E731
    close = lambda a, b: a >= b - SSIM_SLACK  # noqa: E731
    dither_ks = tuple(k for k in ks if k in DITHER_KS)
    cases = [
        ("`--space oklab` vs `pngquant --nofs`: mean ΔE2000", "lower in every cell",
         peers.OURS_OKLAB, peers.PNGQUANT_NOFS, "de_mean", ks, lower),
        ("same: 95th-percentile ΔE2000", "lower in every cell",
         peers.OURS_OKLAB, peers.PNGQUANT_NOFS, "de_p95", ks, lower),
        ("same: SSIM", "no more than 0.01 below pngquant's",
         peers.OURS_OKLAB, peers.PNGQUANT_NOFS, "ssim", ks, close),
        ("`--space oklab --dither` vs pngquant (dithered), k in {16, 64}: mean "
         "ΔE2000 after a 1-px Gaussian blur in linear light", "lower in every cell",
         peers.OURS_DITHER, peers.PNGQUANT, "de_blur", dither_ks, lower),
        ("same: SSIM", "no more than 0.01 below pngquant's",
         peers.OURS_DITHER, peers.PNGQUANT, "ssim", dither_ks, close),
    ]
    lines = ["| case | target | measured | ours - pngquant: mean, worst cell |",
             "|---|---|---|---|"]
    for label, target, ours, theirs, key, case_ks, better in cases:
        wins, margins = _compare(rows, ours, theirs, key, case_ks, better)
        if not margins:
            lines.append(f"| {label} | {target} | not run (pngquant absent) | |")
            continue
        worst = (min if key == "ssim" else max)(margins)
        mean = float(np.mean([m for m, *_ in margins]))
        met = "met" if wins == len(margins) else "MISSED"
        lines.append(f"| {label} | {target} | {met}: {wins} of {len(margins)} | "
                     f"{mean:+.4f}; {worst[0]:+.4f} ({worst[1]}, k={worst[2]}) |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and write the report; return the exit code."""
    p = argparse.ArgumentParser(prog="python -m bench.perceptual",
                                description=__doc__.split("\n\n")[0])
    p.add_argument("--out", type=Path, default=Path("bench/RESULTS_perceptual.md"))
    p.add_argument("--smoke", action="store_true",
                   help="china at 1/4 size, k = 16 only (seconds)")
    p.add_argument("--ablation", action="store_true",
                   help="also the dithering rules switched on one at a time")
    p.add_argument("--without-pngquant", action="store_true",
                   help="act as if pngquant were not installed")
    args = p.parse_args(argv)
    shrink, ks, only = (4, (CROP_K,), ("china",)) if args.smoke else (1, KS, ())
    images, notes = load_images(shrink, only)
    with_pngquant = peers.has_pngquant() and not args.without_pngquant
    if not with_pngquant:
        notes.append("pngquant is NOT installed (apt-get install pngquant): its "
                     "rows, and every target that compares with it, are missing")
    methods = peers.methods(with_pngquant)
    log = lambda m: print(m, file=sys.stderr, flush=True)  # noqa: E731
    with tempfile.TemporaryDirectory() as tmp:
        rows, outputs = run(images, ks, methods, Path(tmp), log)
        ablation_rows = []
        if args.ablation:
            ablation_rows, _ = run(images, DITHER_KS, peers.ABLATION, Path(tmp), log)
    crop_dir = args.out.parent / (args.out.stem + "_crops")
    crop_dir.mkdir(parents=True, exist_ok=True)
    crop_files = []
    for name, pixels in images.items():
        if name not in CROPS:
            continue
        path = crop_dir / f"{name}-k{CROP_K}.png"
        panels = [("original", pixels)] + [
            (m, outputs[(name, m)]) for m in methods if (name, m) in outputs]
        path.write_bytes(crop_sheet(name, panels, shrink))
        crop_files.append(path)
    text = ["# Perceptual quality: ours vs pngquant", "",
            "Made by `python -m bench.perceptual"
            + (" --smoke" if args.smoke else "")
            + (" --ablation" if args.ablation else "") + "`.  Quality only (no "
            "timings).  ΔE00 = CIEDE2000 (mean and 95th percentile over pixels); "
            "SSIM = Wang et al. 2004, mean over R, G, B; blurred ΔE00 = mean "
            "CIEDE2000 after a Gaussian blur of sigma 1 px in linear light of both "
            "images; bytes = palette PNG.", ""]
    text += [f"- note: {n}" for n in notes] + [""]
    text += ["## Targets (issue 12, quality part)", "", targets_table(rows, ks), ""]
    text += ["## Crops", "", "The same smooth regions at k = "
             f"{CROP_K} from every method, enlarged 2x without smoothing:", ""]
    text += [f"- [{f.name}]({crop_dir.name}/{f.name})" for f in crop_files] + [""]
    text += ["## All results", "", results_table(rows), ""]
    if ablation_rows:
        text += ["## Dithering rules one at a time (weighted OKLab, same palette)",
                 "", results_table(ablation_rows), ""]
    args.out.write_text("\n".join(text))
    log(f"wrote {args.out} and {len(crop_files)} crop pictures in {crop_dir}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

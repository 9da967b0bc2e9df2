"""Images x k x methods: every peer side by side on the same pixels."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from .images import ImageCase
from .labels import OURS_CLI_OKLAB, OURS_CLI_OPTIMIZE
from .measure import Plan, Row
from .peers import (
    ImageData,
    faiss_pixels,
    has_module,
    has_pngquant,
    ours_cli,
    ours_histogram,
    ours_pixels,
    pillow,
    pngquant,
    sklearn_histogram,
    sklearn_pixels,
)

# Above this many pixels, the methods that fit on every pixel (scikit-learn,
# faiss, ours without the histogram) run only for EXPENSIVE_KS and once: on the
# 24-megapixel image scikit-learn at k = 256 would take about half an hour.
BIG_IMAGE = 5_000_000
EXPENSIVE_KS = (16,)
# k of the CLI rows with --space oklab and --optimize (issue 18's targets).
CLI_VARIANT_KS = (64,)


def _guard(rows: list[Row], skipped: list[str], label: str,
           fn: Callable[..., Row | list[Row]], *args) -> Row | None:
    """Run ``fn(*args)``; a failure becomes a note, not a crashed suite."""
    try:
        result = fn(*args)
    except Exception as e:  # noqa: BLE001 - a peer failing must not stop the run
        skipped.append(f"{label}: failed: {type(e).__name__}: {e}")
        return None
    new = result if isinstance(result, list) else [result]
    rows.extend(new)
    return new[0]


def run_image(case: ImageCase, ks: tuple[int, ...], plan: Plan, workdir: Path,
              log: Callable[[str], None]) -> tuple[list[Row], list[str]]:
    """All methods for one image and every k; return rows and skip notes."""
    rows: list[Row] = []
    notes: list[str] = []
    d = ImageData(case)
    big = case.n_pixels > BIG_IMAGE
    have_sklearn = has_module("sklearn")
    have_faiss = has_module("faiss")
    have_pngquant = has_pngquant()
    if not have_sklearn:
        notes.append("scikit-learn not installed: its rows and all ratios skipped")
    if not have_faiss:
        notes.append("faiss not installed: faiss rows skipped")
    if not have_pngquant:
        notes.append("pngquant not installed: pngquant rows skipped")
    if big:
        notes.append(f"{case.name}: scikit-learn, faiss and ours on all pixels only "
                     f"for k in {list(EXPENSIVE_KS)}, one run each")
    pixel_plan = Plan(runs=1, fast_runs=1) if big else plan
    for k in ks:
        log(f"  {case.name} k={k}")
        label = f"{case.name} k={k}"
        pixel_methods = not big or k in EXPENSIVE_KS
        sk = None
        if have_sklearn and pixel_methods:
            sk = _guard(rows, notes, f"{label} scikit-learn",
                        sklearn_pixels, d, k, pixel_plan)
        if have_sklearn:
            _guard(rows, notes, f"{label} scikit-learn histogram",
                   sklearn_histogram, d, k, plan)
        _guard(rows, notes, f"{label} ours histogram",
               ours_histogram, d, k, plan)
        if pixel_methods:
            _guard(rows, notes, f"{label} ours pixels",
                   ours_pixels, d, k, pixel_plan)
        if have_faiss and sk is not None:
            _guard(rows, notes, f"{label} faiss",
                   faiss_pixels, d, k, sk.n_iter, pixel_plan)
        for method in ("median cut", "fast octree"):
            _guard(rows, notes, f"{label} Pillow {method}",
                   pillow, d, k, method, plan)
        if have_pngquant:
            _guard(rows, notes, f"{label} pngquant",
                   pngquant, d, k, workdir, plan)
        _guard(rows, notes, f"{label} ours CLI",
               ours_cli, d, k, workdir, plan)
        if k in CLI_VARIANT_KS:
            for variant in (OURS_CLI_OKLAB, OURS_CLI_OPTIMIZE):
                _guard(rows, notes, f"{label} {variant}",
                       ours_cli, d, k, workdir, plan, variant)
    return rows, notes

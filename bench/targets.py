"""The issues' Targets tables, with the measured value and met / not met.

:data:`TARGETS` is issue 18's table (speed and size, round 2), each ratio
against its peer measured in the same run; :data:`EARLIER_TARGETS` is issue
4's, still reported so that a regression shows.
"""

from __future__ import annotations

from collections.abc import Callable

from . import labels
from .labels import OURS_CLI_OKLAB, OURS_CLI_OPTIMIZE
from .measure import Row
from .peers import relative
from .report import (
    AG,
    OURS_CLI,
    OURS_FIT,
    OURS_HIST,
    OURS_PIXELS,
    PNGQUANT,
    SKLEARN,
    SKLEARN_HIST,
    f_psnr,
    f_ratio,
    find,
    ratio,
    table,
)

BLOBS_D, BLOBS_K = 32, 64
GENERATED_K = 16


def _status(ok: bool | None) -> str:
    return "not measured" if ok is None else ("**met**" if ok else "**not met**")


def _image_ratio(rows, k, ours, theirs, limit) -> tuple[str, bool | None]:
    r = ratio(find(rows, "image", AG, k, ours), find(rows, "image", AG, k, theirs))
    if r is None:
        return "not measured", None
    return f"{f_ratio(r)} (limit {limit}x)", r <= limit


def _t1(rows):
    ours = find(rows, "image", AG, 20, OURS_HIST)
    sk = find(rows, "image", AG, 20, SKLEARN)
    r = ratio(ours, sk)
    if r is None:
        return "not measured", None
    rel = relative(ours.inertia, sk.inertia)
    return (f"{f_ratio(r)}, inertia {rel:+.1e} relative",
            r <= 0.10 and abs(rel) <= 1e-4)


def _t5(rows):
    ours = find(rows, "image", AG, 256, OURS_CLI)
    pq = find(rows, "image", AG, 256, PNGQUANT)
    r = ratio(ours, pq)
    if r is None:
        return "not measured", None
    return (f"{f_ratio(r)}; PSNR {f_psnr(ours.psnr_db)} vs {f_psnr(pq.psnr_db)} dB",
            r <= 2.0 and ours.psnr_db > pq.psnr_db)


def _t6(rows):
    sel = [r for r in rows if r.section == "exercise"]
    ours = next((r for r in sel if r.method == labels.EXERCISE_CLI), None)
    lib = next((r for r in sel if r.method == labels.EXERCISE_LIBRARY), None)
    sk = next((r for r in sel if r.method == labels.EXERCISE_SKLEARN), None)
    r = ratio(ours, sk)
    if r is None:
        return "not measured", None
    where = "" if ours.case == AG else f" (on {ours.case})"
    return (f"CLI (one run, --elbow) {f_ratio(r)}; library script "
            f"{f_ratio(ratio(lib, sk))}{where}", r <= 0.2 and ours.case == AG)


def _t7(rows):
    case = next((r.case for r in rows if r.section == "blobs"
                 and r.case.endswith(f"d={BLOBS_D}") and r.k == BLOBS_K), None)
    if case is None:
        return "not measured", None
    r = ratio(find(rows, "blobs", case, BLOBS_K, labels.BLOBS_OURS),
              find(rows, "blobs", case, BLOBS_K, labels.BLOBS_SKLEARN))
    if r is None:
        return "not measured", None
    full = case.startswith("n=1,000,000")
    return f"{f_ratio(r)} ({case})", (r <= 1.0) if full else None


def _t8(rows):
    one = next((r for r in rows if r.method == labels.threads(1)), None)
    two = next((r for r in rows if r.method == labels.threads(2)), None)
    if one is None or two is None:
        return "not measured", None
    speedup = one.seconds / two.seconds
    where = "" if one.case == AG else f" (on {one.case})"
    return f"{speedup:.2f}x{where}", speedup >= 1.7 if one.case == AG else None


def _t9(rows):
    row = next((r for r in rows if r.section == "image"
                and r.case.startswith("generated_24") and r.k == GENERATED_K
                and r.method == OURS_CLI), None)
    if row is None or row.timing is None or row.timing.peak_mib is None:
        return "not measured (full or --targets mode only)", None
    peak = row.timing.peak_mib
    return f"{peak:,.0f} MiB (wall {row.seconds:.1f} s)", peak <= 500


def _png_bytes(rows):
    ours = find(rows, "image", AG, 64, OURS_CLI_OPTIMIZE)
    pq = find(rows, "image", AG, 64, PNGQUANT)
    if ours is None or pq is None or not pq.output_bytes:
        return "not measured", None
    r = ours.output_bytes / pq.output_bytes
    return (f"{ours.output_bytes:,} / {pq.output_bytes:,} bytes = {f_ratio(r)}; PSNR "
            f"{f_psnr(ours.psnr_db)} vs {f_psnr(pq.psnr_db)} dB",
            r <= 0.88 and ours.psnr_db > pq.psnr_db)


TARGETS: list[tuple[str, str, Callable]] = [
    ("American Gothic weighted colour histogram (114,571 colours), k = 20: our "
     "fit vs scikit-learn's weighted fit", "<= 0.32x",
     lambda rows: _image_ratio(rows, 20, OURS_FIT, SKLEARN_HIST, 0.32)),
    ("same, k = 256", "<= 0.25x",
     lambda rows: _image_ratio(rows, 256, OURS_FIT, SKLEARN_HIST, 0.25)),
    ("American Gothic pixels (966,600), k = 20, default algorithm, vs "
     "scikit-learn", "<= 0.35x",
     lambda rows: _image_ratio(rows, 20, OURS_PIXELS, SKLEARN, 0.35)),
    ("whole CLI `--space oklab` / `--space rgb`, k = 64, American Gothic",
     "<= 1.10x", lambda rows: _image_ratio(rows, 64, OURS_CLI_OKLAB, OURS_CLI, 1.10)),
    ("whole exercise (7 k, 7 PNGs, elbow plot) / the scikit-learn script",
     "<= 0.20x", _t6),
    ("PNG bytes at k = 64, American Gothic: `--optimize` vs `pngquant --nofs`",
     "<= 0.88x, higher PSNR", _png_bytes),
]

EARLIER_TARGETS: list[tuple[str, str, Callable]] = [
    ("American Gothic, k = 20, same initial centres: our fit (histogram + fit + "
     "pixel labels) vs scikit-learn's", "<= 0.10x, inertia within 1e-4", _t1),
    ("the same problem on the same weighted colour histogram: our fit vs "
     "scikit-learn's weighted fit", "<= 0.5x",
     lambda rows: _image_ratio(rows, 20, OURS_FIT, SKLEARN_HIST, 0.5)),
    ("American Gothic pixels without the histogram, k = 20, same initial centres",
     "<= 0.5x", lambda rows: _image_ratio(rows, 20, OURS_PIXELS, SKLEARN, 0.5)),
    ("American Gothic, k = 256: our whole CLI run vs scikit-learn's fit alone",
     "<= 0.05x", lambda rows: _image_ratio(rows, 256, OURS_CLI, SKLEARN, 0.05)),
    ("American Gothic, k = 256: our whole CLI run vs `pngquant --nofs 256`",
     "<= 2x, higher PSNR", _t5),
    ("the exercise's pipeline, whole process, warm cache, vs the scikit-learn "
     "script", "<= 0.2x", _t6),
    ("blobs n = 1e6, n_features = 32, k = 64, float32: fit vs scikit-learn",
     "<= 1.0x", _t7),
    ("1 thread vs 2 threads on the main kernels (American Gothic pixels, k = 20)",
     ">= 1.7x speed-up", _t8),
    ("24-megapixel image, k = 16, whole CLI run", "peak RSS <= 500 MiB", _t9),
]


def targets_table(rows: list[Row], targets: list | None = None
                  ) -> tuple[list[str], list[tuple[str, str]]]:
    """A Targets section as markdown lines, and (case, status) pairs.

    ``targets`` defaults to :data:`TARGETS` (issue 18's table).
    """
    lines, statuses = [], []
    for case, target, measure in TARGETS if targets is None else targets:
        value, ok = measure(rows)
        lines.append([case, target, value, _status(ok)])
        statuses.append((case, _status(ok)))
    return table(["case", "target", "measured", "status"], lines), statuses

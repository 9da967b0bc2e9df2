"""The markdown report: machine, targets, and one table per section."""

from __future__ import annotations

import math

from .labels import (  # noqa: F401 - re-exported for targets.py
    AG,
    BLOBS_SKLEARN,
    OURS_CLI,
    OURS_FIT,
    OURS_HIST,
    OURS_PIXELS,
    PNGQUANT,
    SKLEARN,
    SKLEARN_HIST,
)
from .measure import Row
from .peers import relative


def find(rows: list[Row], section: str, case: str, k: int,
         method: str) -> Row | None:
    """The row of ``method`` (a label from ``bench.labels``) for (section, case, k)."""
    for row in rows:
        if (row.section == section and row.case == case and row.k == k
                and row.method == method):
            return row
    return None


# -- cell formats ---------------------------------------------------------------
def f_seconds(s: float | None) -> str:
    if s is None:
        return "—"
    return f"{s:.3f} s" if s < 10 else f"{s:.1f} s"


def f_ratio(r: float | None) -> str:
    if r is None:
        return "—"
    return f"{r:.3f}x" if r < 0.1 else f"{r:.2f}x"


def f_rel(r: float | None) -> str:
    if r is None:
        return "—"
    return "0" if r == 0 else f"{r:+.1e}"


def f_psnr(p: float | None) -> str:
    if p is None:
        return "—"
    return "inf" if math.isinf(p) else f"{p:.2f}"


def f_int(n: int | None) -> str:
    return "—" if n is None else f"{n:,}"


def f_peak(row: Row) -> str:
    t = row.timing
    if t is None or t.peak_mib is None:
        return "—"
    return f"{t.peak_mib:,.0f}" if t.peak_kind == "process" else f"+{t.peak_mib:,.0f}"


def ratio(row: Row | None, ref: Row | None) -> float | None:
    """``row``'s median time over ``ref``'s."""
    if row is None or ref is None or row.seconds is None or not ref.seconds:
        return None
    return row.seconds / ref.seconds


def table(header: list[str], lines: list[list[str]]) -> list[str]:
    """A markdown table (first column left-aligned, others right)."""
    out = ["| " + " | ".join(header) + " |",
           "|" + "|".join(["---"] + ["---:"] * (len(header) - 1)) + "|"]
    out += ["| " + " | ".join(cells) + " |" for cells in lines]
    return out


# -- sections -------------------------------------------------------------------
def image_table(rows: list[Row], case: str) -> list[str]:
    """One image: every k and method, timed against scikit-learn on pixels."""
    lines = []
    for row in rows:
        if row.section != "image" or row.case != case:
            continue
        sk = find(rows, "image", case, row.k, SKLEARN)
        lines.append([
            str(row.k), row.method, f_seconds(row.seconds),
            str(row.timing.runs) if row.timing else "—", f_ratio(ratio(row, sk)),
            f_rel(relative(row.inertia, sk.inertia if sk else None)),
            f_psnr(row.psnr_db), f_int(row.output_bytes), f_peak(row),
            f_int(row.n_iter), row.note])
    return table(["k", "method", "median wall", "runs", "× scikit-learn",
                  "inertia vs scikit-learn", "PSNR dB", "output bytes",
                  "peak MiB", "iters", "note"], lines)


def blobs_table(rows: list[Row]) -> list[str]:
    lines = []
    for row in rows:
        if row.section != "blobs":
            continue
        sk = find(rows, "blobs", row.case, row.k, BLOBS_SKLEARN)
        lines.append([row.case, str(row.k), row.method, f_seconds(row.seconds),
                      str(row.timing.runs), f_ratio(ratio(row, sk)),
                      f_rel(relative(row.inertia, sk.inertia if sk else None)),
                      f_int(row.n_iter), f_peak(row)])
    return table(["data", "k", "method", "median wall", "runs", "× scikit-learn",
                  "inertia vs scikit-learn", "iters", "peak MiB"], lines)


def simple_table(rows: list[Row], section: str, ref_method: str | None = None,
                 ref_name: str = "") -> list[str]:
    lines = []
    sel = [r for r in rows if r.section == section]
    ref = next((r for r in sel if ref_method and r.method == ref_method), None)
    for row in sel:
        lines.append([row.case, row.method, f_seconds(row.seconds),
                      str(row.timing.runs) if row.timing else "—",
                      f_ratio(ratio(row, ref)) if ref else "—", f_peak(row),
                      row.note])
    return table(["image", "what", "median wall", "runs", f"× {ref_name}" if ref
                  else "ratio", "peak MiB", "note"], lines)

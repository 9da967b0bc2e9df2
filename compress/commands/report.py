"""The report of a run: one row per k, as a human table, one line, or JSON."""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, field


@dataclass
class Row:
    """What one k produced: a line of the report, an entry of ``--json``."""

    k: int  # colours asked for
    colors_in: int  # distinct colours of the input
    colors_out: int  # and of the output
    bits_per_pixel: int  # palette bit depth (1, 2, 4, 8), or 8 * channels (RGB PNG)
    output: str  # the written file; "" when none is written (elbow)
    output_format: str  # "palette" or "rgb" (a grey, RGB or RGBA PNG)
    input_bytes: int
    output_bytes: int
    raw_bytes: int  # the pixels uncompressed, 8 bits per channel
    mse: float  # against the input
    psnr_db: float  # inf when lossless
    inertia: float  # k-means inertia in the fitting space (rgb: pixels in [0, 1])
    n_iter: int  # Lloyd iterations (0 when the image had at most k colours)
    converged: bool  # k-means stopped before max_iter
    fit_seconds: float  # wall time of the fit
    exact: bool  # k >= the input's colours: the output is lossless
    # CIEDE2000 against the input over all pixels, alpha ignored (1: just noticeable)
    delta_e_mean: float = math.nan
    delta_e_p95: float = math.nan
    space: str = "rgb"  # fitting space: "rgb" or "oklab"
    dithered: bool = False  # pixels mapped by error diffusion
    notes: list[str] = field(default_factory=list)

    @property
    def to_input(self) -> float:
        """Output bytes over input bytes."""
        return self.output_bytes / self.input_bytes

    @property
    def to_raw(self) -> float:
        """Output bytes over raw bytes."""
        return self.output_bytes / self.raw_bytes


def psnr_text(psnr_db: float) -> str:
    """PSNR with two decimals, or ``"lossless"`` when infinite (a table cell)."""
    return "lossless" if math.isinf(psnr_db) else f"{psnr_db:.2f}"


def inertia_text(inertia: float) -> str:
    """Inertia with one decimal, or 4 significant digits when below 100."""
    return f"{inertia:,.1f}" if inertia >= 100 else f"{inertia:.4g}"


def psnr_phrase(psnr_db: float) -> str:
    """``"PSNR 24.56 dB"``, or ``"lossless"`` when infinite (running text)."""
    return "lossless" if math.isinf(psnr_db) else f"PSNR {psnr_db:.2f} dB"


def row_notes(row: Row, *, written: bool = True) -> list[str]:
    """Plain-language remarks on a row: exact output, output larger than input.

    ``written=False`` (the elbow command writes no PNG) leaves out the latter.
    """
    notes = list(row.notes)
    if row.exact and row.k > row.colors_in:
        notes.append(f"k={row.k}: the image has only {row.colors_in:,} distinct "
                     f"colours; wrote the exact image with {row.colors_out:,} colours.")
    if written and row.output_bytes > row.input_bytes:
        notes.append(f"k={row.k}: the output ({row.output_bytes:,} bytes) is LARGER "
                     f"than the input ({row.input_bytes:,} bytes), {row.to_input:.0%} "
                     "of it.")
    return notes


def format_line(input_name: str, row: Row) -> str:
    """One-line report of a single k."""
    return (f"{input_name} -> {row.output}: k={row.k}, {row.colors_in:,} -> "
            f"{row.colors_out:,} colours, {row.bits_per_pixel} bits/px, "
            f"{row.input_bytes:,} -> {row.output_bytes:,} bytes ({row.to_input:.1%} "
            f"of input, {row.to_raw:.1%} of raw), {psnr_phrase(row.psnr_db)}, "
            f"ΔE2000 mean {row.delta_e_mean:.2f} p95 {row.delta_e_p95:.2f}, "
            f"{_space_text(row)}inertia {inertia_text(row.inertia)}, "
            f"{row.n_iter} iterations, {row.fit_seconds:.2f} s")


def _space_text(row: Row) -> str:
    """``"oklab, dithered, "`` etc.: the non-default options of a row."""
    parts = ([row.space] if row.space != "rgb" else []) + (
        ["dithered"] if row.dithered else [])
    return "".join(f"{p}, " for p in parts)


_COLUMNS = (
    # header, width, formatter
    ("k", 4, lambda r: f"{r.k}"),
    ("colours in", 10, lambda r: f"{r.colors_in:,}"),
    ("out", 5, lambda r: f"{r.colors_out:,}"),
    ("bits/px", 7, lambda r: f"{r.bits_per_pixel}"),
    ("input B", 11, lambda r: f"{r.input_bytes:,}"),
    ("output B", 11, lambda r: f"{r.output_bytes:,}"),
    ("/input", 7, lambda r: f"{r.to_input:.1%}"),
    ("/raw", 6, lambda r: f"{r.to_raw:.1%}"),
    ("PSNR dB", 8, lambda r: psnr_text(r.psnr_db)),
    ("ΔE00", 5, lambda r: f"{r.delta_e_mean:.2f}"),
    ("p95", 5, lambda r: f"{r.delta_e_p95:.2f}"),
    ("inertia", 11, lambda r: inertia_text(r.inertia)),
    ("iters", 5, lambda r: f"{r.n_iter}"),
    ("fit s", 6, lambda r: f"{r.fit_seconds:.2f}"),
)
_FORMAT = {header: f for header, _, f in _COLUMNS}
_ELBOW_COLUMNS = (
    ("k", 4, _FORMAT["k"]), ("inertia", 13, _FORMAT["inertia"]),
    ("PSNR dB", 8, _FORMAT["PSNR dB"]), ("ΔE00", 5, _FORMAT["ΔE00"]),
    ("p95", 5, _FORMAT["p95"]), ("PNG bytes", 11, _FORMAT["output B"]),
    ("iters", 5, _FORMAT["iters"]), ("fit s", 6, _FORMAT["fit s"]),
)


def _table(rows: list[Row], columns, header_end: str, row_end) -> str:
    """Fixed-width columns, right-aligned, two spaces apart; ``row_end(r)`` last."""
    lines = ["  ".join(h.rjust(w) for h, w, _ in columns) + header_end]
    lines += ["  ".join(f(r).rjust(w) for _, w, f in columns) + row_end(r)
              for r in rows]
    return "\n".join(lines)


def format_table(rows: list[Row]) -> str:
    """Fixed-width table, one row per k, output file last."""
    return _table(rows, _COLUMNS, "  output", lambda r: f"  {r.output}")


def format_elbow(rows: list[Row], knee: int | None,
                 chosen: int | None = None) -> str:
    """Inertia, PSNR and PNG size against k; the knee and the chosen k marked."""

    def mark(r: Row) -> str:
        marks = [name for name, at in (("knee", knee), ("--min-psnr", chosen))
                 if at == r.k]
        return f"  <- {', '.join(marks)}" if marks else ""

    return _table(rows, _ELBOW_COLUMNS, "", mark)


def jsonable(value):
    """Return ``value``, or None for an infinity or NaN (not valid JSON)."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def row_json(row: Row) -> dict:
    """One row as JSON values, with its size ratios and notes."""
    return {**{name: jsonable(v) for name, v in asdict(row).items()},
            "output_to_input": row.to_input, "output_to_raw": row.to_raw,
            "notes": row_notes(row)}


def print_report(req, name: str, info: dict, header: str, rows: list[Row], plan, *,
                 out, err, knee: int | None = None, choice=None) -> None:
    """Print the report of a run (a line, a table or JSON) and its notes.

    ``info`` is the JSON ``input`` entry, ``header`` the line above a table.
    """
    chosen = choice.k if choice is not None else None
    if req.json:  # psnr_db is null when lossless: JSON has no infinity
        key = "elbow" if req.command == "elbow" else "results"
        doc = {"input": info, key: [row_json(r) for r in rows], "knee": knee,
               "min_psnr": None if choice is None else {
                   "target_db": req.min_psnr, "k": chosen,
                   "tried": [{"k": k, "psnr_db": jsonable(p)}
                             for k, p in choice.tried.items()]}}
        if req.command == "elbow":
            doc["plot"] = str(plan.elbow_plot)
        else:
            doc["sheet"] = str(plan.sheet) if plan.sheet else None
            if plan.elbow_plot is not None:
                doc["elbow_plot"] = str(plan.elbow_plot)
        print(json.dumps(doc, indent=2), file=out)
        return
    if choice is not None:
        print(f"--min-psnr {req.min_psnr:g}: k = {chosen} is the smallest k "
              f"reaching it (bisection over 1-{choice.k_max}, {len(choice.tried)} "
              "fits)", file=out)
    if req.command == "elbow":
        print(format_elbow(rows, knee, chosen), file=out)
    elif len(rows) == 1:
        print(format_line(name, rows[0]), file=out)
    else:
        print(header, file=out)
        print(format_table(rows), file=out)
        if plan.sheet is not None:
            print(f"contact sheet: {plan.sheet}", file=out)
    if plan.elbow_plot is not None:
        ks = [r.k for r in rows]
        print(f"elbow plot: {plan.elbow_plot}; " + (
            f"suggested k: {knee} (knee of the inertia curve, Kneedle)"
            if knee is not None else f"no clear knee for k in {ks[0]}..{ks[-1]}: "
            "pick k by the PSNR or size you need (--min-psnr)"), file=out)
    if req.notes_on:
        for row in rows:
            for note in row_notes(row, written=req.command == "compress"):
                print(f"note: {note}", file=err)

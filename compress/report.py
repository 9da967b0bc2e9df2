"""The report of a run: one row per k, as a human table, one line, or JSON."""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, field


@dataclass
class Row:
    """What one k produced.

    Attributes
    ----------
    k : int
        Colours asked for.
    colors_in, colors_out : int
        Distinct colours of the input and of the output.
    bits_per_pixel : int
        Bits per pixel of the stored image data: the palette bit depth
        (1, 2, 4, 8) for palette PNGs, ``8 * channels`` for RGB(A) PNGs.
    output : str
        Path of the written file.
    output_format : str
        ``"palette"`` or ``"rgb"`` (a grey, RGB or RGBA PNG).
    input_bytes, output_bytes, raw_bytes : int
        Sizes of the input file, the output file and the pixels uncompressed
        at 8 bits per channel.
    mse, psnr_db : float
        Quality against the input; ``psnr_db`` is ``inf`` when lossless.
    inertia : float
        k-means inertia, pixels scaled to [0, 1].
    n_iter : int
        Lloyd iterations (0 when the image had at most k colours).
    converged : bool
        Whether k-means stopped before ``max_iter``.
    fit_seconds : float
        Wall time of the fit.
    exact : bool
        True when k >= the input's colours: the output is lossless.
    delta_e_mean, delta_e_p95 : float
        Mean and 95th-percentile CIEDE2000 colour difference against the
        input over all pixels (about 1 is just noticeable; alpha ignored).
    space : str
        Fitting space, ``"rgb"`` or ``"oklab"`` (inertia is in its units).
    dithered : bool
        Whether the pixels were mapped by error diffusion.
    """

    k: int
    colors_in: int
    colors_out: int
    bits_per_pixel: int
    output: str
    output_format: str
    input_bytes: int
    output_bytes: int
    raw_bytes: int
    mse: float
    psnr_db: float
    inertia: float
    n_iter: int
    converged: bool
    fit_seconds: float
    exact: bool
    delta_e_mean: float = math.nan
    delta_e_p95: float = math.nan
    space: str = "rgb"
    dithered: bool = False
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
    """PSNR with two decimals, or ``"lossless"`` when infinite."""
    return "lossless" if math.isinf(psnr_db) else f"{psnr_db:.2f}"


def row_notes(row: Row) -> list[str]:
    """Plain-language remarks on a row: exact output, output larger than input."""
    notes = list(row.notes)
    if row.exact and row.k > row.colors_in:
        notes.append(
            f"k={row.k}: the image has only {row.colors_in:,} distinct colours; "
            f"wrote the exact image with {row.colors_out:,} colours."
        )
    if row.output_bytes > row.input_bytes:
        notes.append(
            f"k={row.k}: the output ({row.output_bytes:,} bytes) is LARGER than the "
            f"input ({row.input_bytes:,} bytes), {row.to_input:.0%} of it."
        )
    return notes


def format_line(input_name: str, row: Row) -> str:
    """One-line report of a single k."""
    return (
        f"{input_name} -> {row.output}: k={row.k}, {row.colors_in:,} -> "
        f"{row.colors_out:,} colours, {row.bits_per_pixel} bits/px, "
        f"{row.input_bytes:,} -> {row.output_bytes:,} bytes ({row.to_input:.1%} of "
        f"input, {row.to_raw:.1%} of raw), PSNR {psnr_text(row.psnr_db)} dB, "
        f"ΔE2000 mean {row.delta_e_mean:.2f} p95 {row.delta_e_p95:.2f}, "
        f"{_space_text(row)}inertia {row.inertia:,.1f}, {row.n_iter} iterations, "
        f"{row.fit_seconds:.2f} s"
    )


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
    ("inertia", 11, lambda r: f"{r.inertia:,.1f}"),
    ("iters", 5, lambda r: f"{r.n_iter}"),
    ("fit s", 6, lambda r: f"{r.fit_seconds:.2f}"),
)


def format_table(rows: list[Row]) -> str:
    """Fixed-width table, one row per k, output file last."""
    header = "  ".join(h.rjust(w) for h, w, _ in _COLUMNS) + "  output"
    lines = [header]
    for r in rows:
        cells = "  ".join(f(r).rjust(w) for _, w, f in _COLUMNS)
        lines.append(f"{cells}  {r.output}")
    return "\n".join(lines)


def _jsonable(value):
    """Replace infinities (not valid JSON) by None."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def to_json(input_info: dict, rows: list[Row], extra: dict | None = None) -> str:
    """Return the run as a JSON document (``psnr_db`` null when lossless)."""
    results = []
    for r in rows:
        d = {key: _jsonable(v) for key, v in asdict(r).items()}
        d["output_to_input"] = r.to_input
        d["output_to_raw"] = r.to_raw
        d["notes"] = row_notes(r)
        results.append(d)
    doc = {"input": input_info, "results": results}
    if extra:
        doc.update(extra)
    return json.dumps(doc, indent=2)


def format_elbow(ks: list[int], inertias: list[float], n_iters: list[int],
                 seconds: list[float], knee: int | None) -> str:
    """Table of inertia against k, the knee marked with ``<- knee``."""
    lines = [f"{'k':>4}  {'inertia':>13}  {'iters':>5}  {'fit s':>6}"]
    for k, inertia, n_iter, s in zip(ks, inertias, n_iters, seconds, strict=True):
        mark = "  <- knee" if k == knee else ""
        lines.append(f"{k:>4}  {inertia:>13,.1f}  {n_iter:>5}  {s:>6.2f}{mark}")
    return "\n".join(lines)

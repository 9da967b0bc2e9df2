"""One image: check, read, fit each k, encode, draw the figures, commit, report.

Outputs are checked before the image is read and committed together.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import asdict, dataclass
from typing import TextIO

import numpy as np

from kmeans_core import announce_compiling

from ..errors import CompressError
from ..figures.plots import contact_sheet, elbow_plot, panel_stride, preload
from ..io.commit import write_atomically
from ..io.inputs import Source, read_input
from ..io.png import MAX_PALETTE, BackgroundEncoder, submit_png
from ..io.read import LoadedImage
from ..quantization.choose import KChoice, smallest_k_for_psnr
from ..quantization.knee import find_knee
from ..quantization.quantizer import FitInput, prepare, quantize, quantize_each
from . import report
from .progress import Progress
from .request import Plan, Request, check_request, check_targets, plan_outputs


def _choose_k(pixels: np.ndarray, prepared: FitInput, req: Request) -> KChoice:
    """Find the smallest k reaching ``req.min_psnr``, or say what to do."""

    def psnr_of(k: int) -> float:
        return quantize(pixels, k, prepared=prepared, **asdict(req.fit)).psnr

    choice = smallest_k_for_psnr(psnr_of, req.min_psnr, prepared.n_colors)
    if choice.k is None:
        best_k, best = next(iter(choice.tried.items()))
        raise CompressError(
            f"even {best_k} colours reach only {best:.2f} dB, below --min-psnr "
            f"{req.min_psnr:g}; a palette PNG holds at most {MAX_PALETTE} "
            "colours: ask for less, or keep the original.")
    return choice


@dataclass
class _Fitted:
    """One k, fitted: its report row (size pending), its PNG, its sheet panel."""

    row: report.Row  # output_bytes filled in once the PNG is encoded
    png: Future  # bytes of the PNG, encoded on the background thread
    panel: np.ndarray | None  # (h, w, C) thumbnail for the contact sheet


def _fit_all(image: LoadedImage, prepared: FitInput, ks: list[int], req: Request,
             encoder, keep_panels: bool, err) -> list[_Fitted]:
    """Fit every k once; per k a row, the PNG being encoded, a small panel."""
    fitted = []
    progress = Progress(len(ks), "fitting", enabled=not req.quiet, stream=err)
    results = quantize_each(image.pixels, ks, prepared=prepared, **asdict(req.fit))
    # Not enumerate(results): it keeps its last (i, q) pair alive into the
    # next fit, and with it this k's labels and index map (+89 MB at 16.7 MP).
    for i in range(len(ks)):
        progress.update(i, f"k={ks[i]}")
        q = next(results)
        if req.optimize:  # what is reported is what is written
            q = q.for_smaller_png(req.min_psnr)
        png, bits, as_palette = submit_png(encoder, q.palette, q.index_map,
                                           req.output_format, req.optimize)
        panel = None
        if keep_panels:  # the sheet needs no more pixels than this
            step = panel_stride(*q.index_map.shape)
            panel = q.palette[q.index_map[::step, ::step]]  # (h, w, C)
        notes = []
        if not as_palette and req.output_format == "auto":
            notes.append(f"k={q.k}: more than {MAX_PALETTE} colours, wrote an RGB "
                         f"PNG (a palette holds at most {MAX_PALETTE}).")
        row = report.Row(
            k=q.k, colors_in=q.n_colors_in, colors_out=q.n_colors_out,
            bits_per_pixel=bits, output="",
            output_format="palette" if as_palette else "rgb",
            input_bytes=image.file_bytes, output_bytes=0, raw_bytes=image.raw_bytes,
            mse=q.mse, psnr_db=q.psnr, inertia=q.inertia,
            n_iter=int(q.fit.n_iter), converged=bool(q.fit.converged),
            fit_seconds=q.fit_seconds, exact=q.exact, delta_e_mean=q.delta_e,
            delta_e_p95=q.delta_e_p95, space=q.space, dithered=q.dithered, notes=notes)
        fitted.append(_Fitted(row, png, panel))
        del q  # drop the index map before the next k
    progress.update(len(ks))
    progress.close()
    return fitted


def run(req: Request, *, before_fit: Callable[[], None] | None = None,
        out: TextIO | None = None, err: TextIO | None = None) -> list[report.Row]:
    """Do what ``req`` asks: check, read, fit, encode, commit, report.

    Parameters
    ----------
    req : Request
        The request.
    before_fit : callable, optional
        Called once the image is read, before the first Numba kernel runs
        (the CLI skips Numba's SciPy probe there).
    out, err : file, optional
        Report and notes/progress streams (stdout, stderr).

    Returns
    -------
    rows : list of report.Row
        One per k fitted.
    """
    out = out or sys.stdout
    err = err or sys.stderr
    check_request(req)
    announce_compiling(not req.quiet)
    source = Source.of(req.source)
    plan = plan_outputs(req, source)
    image = read_input(source.text, max_pixels=req.max_pixels, timeout=req.timeout,
                       max_download_bytes=int(req.max_download_mb * 2**20))
    if req.notes_on:
        for note in image.notes:
            print(f"note: {note}", file=err)
    if before_fit is not None:
        before_fit()

    pixels = image.pixels  # (H, W, C)
    ks = sorted(set(req.ks))
    prepared = prepare(pixels, ks=[*ks, MAX_PALETTE] if req.min_psnr else ks,
                       space=req.fit.space, dither=req.fit.dither)
    choice = None
    if req.min_psnr is not None:
        choice = _choose_k(pixels, prepared, req)
        if req.command == "compress":  # the file of k is known now (or is -o)
            ks = [choice.k]
            png = req.output or plan.directory / f"{plan.stem}-k{choice.k}.png"
            plan.pngs = {choice.k: png}
            if req.output is None:
                check_targets([png], source, req.force)

    files = {}
    with BackgroundEncoder() as encoder:
        fitted = _fit_all(image, prepared, ks, req, encoder,
                          keep_panels=plan.sheet is not None, err=err)
        if plan.sheet is not None or plan.elbow_plot is not None:
            preload()  # the figures need every PNG's size: import matplotlib meanwhile
        rows = [f.row for f in fitted]
        for f in fitted:
            data = f.png.result()
            f.row.output_bytes = len(data)
            if req.command == "compress":
                f.row.output = str(plan.pngs[f.row.k])
                files[plan.pngs[f.row.k]] = data
    knee = find_knee(ks, [row.inertia for row in rows]) if len(ks) >= 3 else None
    files.update(_figures(plan, source, image, prepared.n_colors, rows,
                          [f.panel for f in fitted], knee, choice, req))
    write_atomically(files, overwrite=req.force)
    height, width, n_channels = pixels.shape
    info = {"path": source.text, "bytes": image.file_bytes, "width": width,
            "height": height, "channels": n_channels, "mode": image.mode,
            "colors": prepared.n_colors, "raw_bytes": image.raw_bytes,
            "notes": image.notes}
    header = (f"{source.name}: {width} x {height} {image.mode}, "
              f"{prepared.n_colors:,} distinct colours, {image.file_bytes:,} bytes "
              f"(raw {image.raw_bytes:,})")
    report.print_report(req, source.name, info, header, rows, plan, out=out, err=err,
                        knee=knee, choice=choice)
    if req.show and plan.elbow_plot is not None:
        from PIL import Image

        Image.open(plan.elbow_plot).show()
    return rows


def _figures(plan: Plan, source: Source, image, n_colors, rows, panels, knee,
             choice, req) -> dict:
    """Draw the contact sheet and the elbow plot; return PNG bytes by file."""
    files = {}
    if plan.elbow_plot is not None:
        files[plan.elbow_plot] = elbow_plot(
            [r.k for r in rows], [r.inertia for r in rows],
            [r.psnr_db for r in rows], [r.output_bytes for r in rows],
            knee=knee, chosen=choice and choice.k, min_psnr=req.min_psnr,
            input_bytes=image.file_bytes, space=req.fit.space,
            delta_e=[r.delta_e_mean for r in rows],
            title=f"{source.name} ({n_colors:,} colours)")
    if plan.sheet is not None:
        captions = [f"k={row.k}, {row.bits_per_pixel} "
                    f"bit{'s' if row.bits_per_pixel > 1 else ''}/px\n"
                    f"{report.psnr_phrase(row.psnr_db)}, {row.output_bytes:,} B"
                    for row in rows]
        files[plan.sheet] = contact_sheet(
            image.pixels, list(zip(panels, captions, strict=True)),
            title=f"{source.name}: k-means colour quantization",
            original_caption=f"original, {n_colors:,} colours\n"
                             f"{image.file_bytes:,} B")
    return files

"""The three commands behind the CLI: compress an image, draw an elbow, run the sample.

Each job checks the whole request before doing any work (bad k, outputs
that exist or would overwrite the input, unwritable directories), then
reads, fits and encodes everything in memory, and finally writes all its
files atomically (:func:`compress.io.write_atomically`).  A job that fails
raises :class:`~compress.errors.CompressError` and leaves the file system as
it found it; :func:`run` turns that into one line on stderr and an exit code.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

import numpy as np

from . import report
from .errors import CompressError, UsageError
from .io import (
    DEFAULT_MAX_PIXELS,
    LoadedImage,
    encode_palette_png,
    encode_png,
    load_image,
    write_atomically,
)
from .knee import find_knee
from .metrics import index_bits, mse, psnr_from_mse
from .plots import panel_stride
from .progress import Progress
from .quantize import DEFAULT_SEED, prepare, quantize

MAX_PALETTE = 256  # entries a PNG palette can hold
SAMPLE_IMAGE = "grace_hopper.jpg"  # ships with matplotlib's sample data


@dataclass
class FitOptions:
    """k-means settings shared by every job."""

    seed: int = DEFAULT_SEED
    n_init: int = 1
    max_iter: int = 300
    space: str = "rgb"  # fitting space: "rgb" or "oklab"
    dither: bool = False  # damped Floyd-Steinberg in the fitting space


@dataclass
class CompressOptions:
    """What ``python -m compress IMAGE K...`` was asked to do."""

    ks: list[int]
    output: Path | None = None
    out_dir: Path | None = None
    force: bool = False
    output_format: str = "auto"  # "auto", "palette" or "rgb"
    json: bool = False
    quiet: bool = False
    sheet: Path | None = None
    make_sheet: bool = True
    elbow: Path | None = None  # the plot file; None: IMAGE-elbow.png
    make_elbow: bool = False  # plot inertia against the ks of this run
    max_pixels: int = DEFAULT_MAX_PIXELS
    fit: FitOptions = field(default_factory=FitOptions)


@dataclass
class ElbowOptions:
    """What ``python -m compress elbow IMAGE`` was asked to do."""

    ks: list[int]
    plot: Path | None = None
    out_dir: Path | None = None
    force: bool = False
    json: bool = False
    quiet: bool = False
    show: bool = False
    max_pixels: int = DEFAULT_MAX_PIXELS
    fit: FitOptions = field(default_factory=FitOptions)


# -- checking a request before doing any work ---------------------------------
def _output_dir(out_dir: Path | None, default: Path) -> Path:
    """Return the directory outputs go to, checked to exist and be writable."""
    directory = out_dir if out_dir is not None else default
    if not directory.exists():
        raise CompressError(f"output directory {directory} does not exist; create "
                            "it first.")
    if not directory.is_dir():
        raise CompressError(f"output directory {directory} is not a directory.")
    if not os.access(directory, os.W_OK | os.X_OK):
        raise CompressError(f"cannot write to {directory}: permission denied.")
    return directory


def _check_targets(targets: list[Path], input_path: Path, force: bool) -> None:
    """Refuse outputs that are the input, exist (unless forced) or repeat."""
    seen: set[Path] = set()
    source = input_path.resolve()
    for target in targets:
        resolved = target.resolve()
        if resolved == source:
            raise UsageError(f"output {target} is the input file; choose another "
                             "name with -o or --out-dir.")
        if resolved in seen:
            raise UsageError(f"two outputs would be written to {target}.")
        seen.add(resolved)
        if target.is_dir():
            raise CompressError(f"output {target} is a directory.")
        if target.exists() and not force:
            raise CompressError(f"output {target} already exists; pass --force to "
                                "overwrite it.")
        _output_dir(None, target.parent)


def _check_png_name(path: Path, what: str) -> None:
    if path.suffix.lower() != ".png":
        raise UsageError(f"{what} {path} must end in .png: outputs are PNG files.")


def _check_compress_request(opts: CompressOptions) -> None:
    """Usage errors that need neither the image nor the file system."""
    if opts.output is not None and len(opts.ks) > 1:
        raise UsageError("-o/--output names one file, but several k were given; "
                         "use --out-dir for several.")
    if opts.output is not None and opts.out_dir is not None:
        raise UsageError("give either -o/--output or --out-dir, not both.")
    if opts.output is not None:
        _check_png_name(opts.output, "output")
    if opts.sheet is not None:
        _check_png_name(opts.sheet, "contact sheet")
    too_big = [k for k in opts.ks if k > MAX_PALETTE]
    if too_big and opts.output_format == "palette":
        raise UsageError(f"k={too_big[0]} does not fit a palette PNG (at most "
                         f"{MAX_PALETTE} colours); use a smaller k, or --rgb.")


def _input_info(image: LoadedImage, n_colors: int) -> dict:
    height, width, n_channels = image.pixels.shape
    return {
        "path": str(image.path), "bytes": image.file_bytes, "width": width,
        "height": height, "channels": n_channels, "mode": image.mode,
        "colors": n_colors, "raw_bytes": image.raw_bytes, "notes": image.notes,
    }


def _say_notes(notes: list[str], quiet: bool, err: TextIO) -> None:
    if not quiet:
        for note in notes:
            print(f"note: {note}", file=err)


# -- compress -------------------------------------------------------------------
@dataclass(frozen=True)
class _FitSummary:
    """What the report needs of one :class:`QuantizeResult` (not its images)."""

    n_colors_out: int
    inertia: float
    n_iter: int
    converged: bool
    seconds: float
    exact: bool

    @classmethod
    def of(cls, q) -> _FitSummary:
        """Summarise ``q``, a :class:`compress.quantize.QuantizeResult`."""
        return cls(q.n_colors_out, q.inertia, int(q.fit.n_iter), bool(q.fit.converged),
                   q.fit_seconds, q.exact)


class BackgroundEncoder:
    """PNG encoding on one background thread, overlapping the next fit.

    zlib releases the GIL, so while the main thread fits the next k (or draws
    the elbow plot) the previous k's PNG is compressed on the other core:
    measured 2.2 -> 1.7 s for the exercise's 7 k with ``--elbow`` (zlib level 9
    on an 8-bit palette takes ~0.5 s at k = 20 on American Gothic).  At most
    ``MAX_PENDING`` images wait, so memory stays bounded on huge images.  Use
    as a context manager: leaving it (also by an error or Ctrl-C) cancels what
    has not started and waits for the running encoding.
    """

    MAX_PENDING = 2

    def __init__(self):
        from concurrent.futures import ThreadPoolExecutor

        self._pool = ThreadPoolExecutor(max_workers=1,
                                        thread_name_prefix="png-encoder")
        self._pending: list = []

    def submit(self, fn, *args):
        """Queue ``fn(*args)`` once fewer than ``MAX_PENDING`` are waiting.

        Parameters
        ----------
        fn : callable
            Returns the encoded bytes.
        *args
            Its arguments, kept alive until it has run.

        Returns
        -------
        future : concurrent.futures.Future
            ``future.result()`` gives the bytes or raises what ``fn`` raised.
        """
        self._pending = [f for f in self._pending if not f.done()]
        while len(self._pending) >= self.MAX_PENDING:
            self._pending.pop(0).result()
        future = self._pool.submit(fn, *args)
        self._pending.append(future)
        return future

    def __enter__(self) -> BackgroundEncoder:
        return self

    def __exit__(self, *exc) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)


def _encode_rgb(palette: np.ndarray, index_map: np.ndarray) -> bytes:
    """RGB PNG of ``palette[index_map]``, built here so no full image waits."""
    return encode_png(palette[index_map])


def compress_image(
    input_path: Path,
    opts: CompressOptions,
    *,
    default_dir: Path | None = None,
    out: TextIO = sys.stdout,
    err: TextIO = sys.stderr,
) -> list[report.Row]:
    """Quantize ``input_path`` for every k in ``opts``, write outputs, report.

    Parameters
    ----------
    input_path : Path
        The image.
    opts : CompressOptions
        The request.
    default_dir : Path, optional
        Where outputs go without ``-o``/``--out-dir``; the input's directory
        when None.
    out, err : file
        Streams for the report and for notes and progress.

    Returns
    -------
    rows : list of report.Row
        One per k, as reported.
    """
    _check_compress_request(opts)
    ks = sorted(set(opts.ks))
    image = load_image(input_path, max_pixels=opts.max_pixels)
    directory = _output_dir(opts.out_dir, default_dir or input_path.parent)
    stem = input_path.stem
    targets = {k: directory / f"{stem}-k{k}.png" for k in ks}
    if opts.output is not None:
        targets = {ks[0]: opts.output}
    sheet_path = None
    if opts.make_sheet and (len(ks) > 1 or opts.sheet is not None):
        sheet_path = opts.sheet or directory / f"{stem}-sheet.png"
    elbow_path = None
    if opts.make_elbow:
        if len(ks) < 2:
            raise UsageError("--elbow needs several k, e.g. 1 2 3 5 10 15 20.")
        if opts.elbow is not None:
            _check_png_name(opts.elbow, "elbow plot")
        elbow_path = opts.elbow or directory / f"{stem}-elbow.png"
    extra = [p for p in (sheet_path, elbow_path) if p is not None]
    _check_targets([*targets.values(), *extra], input_path, opts.force)
    _say_notes(image.notes, opts.quiet or opts.json, err)

    pixels = image.pixels  # (H, W, C)
    prepared = prepare(pixels, ks=ks, space=opts.fit.space, dither=opts.fit.dither)
    n_colors = prepared.n_colors
    files: dict[Path, bytes] = {}
    fits = []  # per k: (k, quantize result summary, bits, format, MSE, encoding)
    panels = []
    progress = Progress(len(ks), "fitting", enabled=not opts.quiet, stream=err)
    with BackgroundEncoder() as encoder:
        for i, k in enumerate(ks):
            progress.update(i, f"k={k}")
            q = quantize(pixels, k, seed=opts.fit.seed, n_init=opts.fit.n_init,
                         max_iter=opts.fit.max_iter, prepared=prepared,
                         space=opts.fit.space, dither=opts.fit.dither)
            recon = q.palette[q.index_map]  # (H, W, C)
            as_palette = opts.output_format != "rgb" and q.n_colors_out <= MAX_PALETTE
            if as_palette:
                encoding = encoder.submit(encode_palette_png, q.index_map, q.palette)
                bits = index_bits(q.n_colors_out)
            else:
                encoding = encoder.submit(_encode_rgb, q.palette, q.index_map)
                bits = 8 * pixels.shape[2]
            error = mse(pixels, recon)  # one pass over the image, for MSE and PSNR
            error = (error, *q.delta_e(pixels))  # MSE, ΔE2000 mean and p95
            fits.append((k, _FitSummary.of(q), bits, as_palette, error, encoding))
            step = panel_stride(*recon.shape[:2])  # the sheet needs no more pixels
            panels.append(recon[::step, ::step].copy())
            # Free this k's image now, not when the next one is assigned: two
            # full-size reconstructions at once were the peak (+72 MB at 24 MP).
            del recon, q
        progress.update(len(ks))
        progress.close()

        knee = None
        if elbow_path is not None:
            # The fits above already give inertia for every k: no refitting.  The
            # plot is drawn while the last PNGs are still being compressed.
            from .plots import elbow_plot

            inertias = [fit.inertia for _, fit, *_ in fits]
            knee_x = find_knee(ks, inertias)
            knee = None if knee_x is None else int(knee_x)
            files[elbow_path] = elbow_plot(
                ks, inertias, knee=knee,
                title=f"Elbow: {input_path.name} ({n_colors:,} colours)",
                delta_e=[f[4][1] for f in fits], space=opts.fit.space)
        rows = []
        for k, fit, bits, as_palette, (error, de_mean, de_p95), encoding in fits:
            data = encoding.result()
            files[targets[k]] = data
            row_notes = []
            if not as_palette and opts.output_format == "auto":
                row_notes.append(f"k={k}: more than {MAX_PALETTE} colours, wrote an "
                                 "RGB PNG (a palette holds at most 256).")
            rows.append(report.Row(
                k=k, colors_in=n_colors, colors_out=fit.n_colors_out,
                bits_per_pixel=bits, output=str(targets[k]),
                output_format="palette" if as_palette else "rgb",
                input_bytes=image.file_bytes, output_bytes=len(data),
                raw_bytes=image.raw_bytes, mse=error, psnr_db=psnr_from_mse(error),
                inertia=fit.inertia, n_iter=fit.n_iter, converged=fit.converged,
                fit_seconds=fit.seconds, exact=fit.exact, notes=row_notes,
                delta_e_mean=de_mean, delta_e_p95=de_p95, space=opts.fit.space,
                dithered=opts.fit.dither and not fit.exact,
            ))

    if sheet_path is not None:
        from .plots import contact_sheet  # matplotlib only when drawing

        captions = [f"k={row.k}, {row.bits_per_pixel} "
                    f"bit{'s' if row.bits_per_pixel > 1 else ''}/px\nPSNR "
                    f"{report.psnr_text(row.psnr_db)} dB, {row.output_bytes:,} B"
                    for row in rows]
        files[sheet_path] = contact_sheet(
            pixels, list(zip(panels, captions, strict=True)),
            title=f"{input_path.name}: k-means colour quantization",
            original_caption=f"original, {n_colors:,} colours\n"
                             f"{image.file_bytes:,} B",
        )
    write_atomically(files)
    _report(input_path, image, n_colors, rows, sheet_path, opts, out, err,
            elbow=(elbow_path, knee))
    return rows


def _report(input_path, image, n_colors, rows, sheet_path, opts, out, err,
            elbow=(None, None)) -> None:
    elbow_path, knee = elbow
    if opts.json:
        extra = {"sheet": str(sheet_path) if sheet_path else None}
        if elbow_path is not None:
            extra.update(elbow_plot=str(elbow_path), knee=knee)
        print(report.to_json(_input_info(image, n_colors), rows, extra), file=out)
        return
    if len(rows) == 1:
        print(report.format_line(input_path.name, rows[0]), file=out)
    else:
        height, width, _ = image.pixels.shape
        print(f"{input_path.name}: {width} x {height} {image.mode}, {n_colors:,} "
              f"distinct colours, {image.file_bytes:,} bytes (raw "
              f"{image.raw_bytes:,})", file=out)
        print(report.format_table(rows), file=out)
        if sheet_path is not None:
            print(f"contact sheet: {sheet_path}", file=out)
        if elbow_path is not None:
            print(f"elbow plot: {elbow_path}; " + (
                f"suggested k: {knee} (knee of the inertia curve, Kneedle)"
                if knee is not None else "no clear knee among these k"), file=out)
    for row in rows:
        for note in report.row_notes(row):
            print(f"note: {note}", file=out)


# -- elbow ----------------------------------------------------------------------
def elbow(
    input_path: Path,
    opts: ElbowOptions,
    *,
    out: TextIO = sys.stdout,
    err: TextIO = sys.stderr,
) -> int | None:
    """Inertia for each k, the knee, and the elbow plot written to PNG.

    Parameters
    ----------
    input_path : Path
        The image.
    opts : ElbowOptions
        The request.
    out, err : file
        Streams for the report and for notes and progress.

    Returns
    -------
    knee : int or None
        The suggested k, None when there is no clear knee.
    """
    if opts.plot is not None:
        _check_png_name(opts.plot, "plot")
        if opts.out_dir is not None:
            raise UsageError("give either --plot or --out-dir, not both.")
    ks = sorted(set(opts.ks))
    image = load_image(input_path, max_pixels=opts.max_pixels)
    directory = _output_dir(opts.out_dir, input_path.parent)
    plot_path = opts.plot or directory / f"{input_path.stem}-elbow.png"
    _check_targets([plot_path], input_path, opts.force)
    _say_notes(image.notes, opts.quiet or opts.json, err)

    pixels = image.pixels
    prepared = prepare(pixels, ks=ks, space=opts.fit.space)
    n_colors = prepared.n_colors
    progress = Progress(len(ks), "elbow", enabled=not opts.quiet, stream=err)
    results = []
    for i, k in enumerate(ks):
        progress.update(i, f"k={k}")
        q = quantize(pixels, k, seed=opts.fit.seed, n_init=opts.fit.n_init,
                     max_iter=opts.fit.max_iter, prepared=prepared,
                     space=opts.fit.space)
        results.append(_FitSummary.of(q))  # not q: its images are image-sized
        del q
    progress.update(len(ks))
    progress.close()
    inertias = [r.inertia for r in results]
    knee_x = find_knee(ks, inertias)
    knee = None if knee_x is None else int(knee_x)

    from .plots import elbow_plot  # matplotlib only when drawing

    png = elbow_plot(ks, inertias, knee=knee,
                     title=f"Elbow: {input_path.name} ({n_colors:,} colours)",
                     space=opts.fit.space)
    write_atomically({plot_path: png})
    _elbow_report(image, n_colors, ks, results, knee, plot_path, opts, out)
    if opts.show:
        from PIL import Image

        Image.open(plot_path).show()
    return knee


def _elbow_report(image, n_colors, ks, results, knee, plot_path, opts, out) -> None:
    if opts.json:
        curve = [{"k": k, "inertia": r.inertia, "n_iter": r.n_iter,
                  "fit_seconds": r.seconds} for k, r in zip(ks, results, strict=True)]
        print(json.dumps({"input": _input_info(image, n_colors),
                                 "elbow": curve, "knee": knee,
                                 "plot": str(plot_path)}, indent=2), file=out)
        return
    print(report.format_elbow(ks, [r.inertia for r in results],
                              [r.n_iter for r in results],
                              [r.seconds for r in results], knee), file=out)
    if knee is not None:
        print(f"suggested k: {knee} (knee of the inertia curve, Kneedle)", file=out)
    else:
        print(f"no clear knee for k in {ks[0]}..{ks[-1]}: inertia keeps falling "
              "at a similar rate; pick k by the PSNR or size you need.", file=out)
    print(f"plot: {plot_path}", file=out)


# -- sample ---------------------------------------------------------------------
def sample_image_path() -> Path:
    """Path of the sample photo shipped with matplotlib (Grace Hopper, 600 x 512)."""
    from matplotlib import cbook

    path = Path(cbook.get_sample_data(SAMPLE_IMAGE, asfileobj=False))
    if not path.is_file():
        raise CompressError(f"matplotlib's sample image {SAMPLE_IMAGE} is missing; "
                            "reinstall matplotlib.")
    return path


# -- running a job from the CLI -------------------------------------------------
def run(prog: str, job: Callable[[], object], err: TextIO | None = None) -> int:
    """Run ``job``; on a known failure print one line and return the exit code.

    Parameters
    ----------
    prog : str
        Program name for the message, e.g. ``"python -m compress"``.
    job : callable
        The work; its return value is ignored.
    err : file, optional
        Where messages go (stderr).

    Returns
    -------
    exit_code : int
        0 on success, 2 for usage errors, 1 for failures (and when stdout
        is a pipe closed early), 130 if interrupted.
    """
    err = err or sys.stderr
    try:
        job()
        sys.stdout.flush()  # a closed pipe shows here, not as an exit-time error
    except BrokenPipeError:
        # The reader of stdout went away (``... | head``); the files are already
        # written.  Stop quietly, and point stdout at /dev/null so that Python's
        # final flush does not fail again (as the ``signal`` module docs advise).
        try:
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        except (OSError, ValueError):
            pass
        return 1
    except CompressError as e:
        print(f"{prog}: error: {e}", file=err)
        return e.exit_code
    except MemoryError:
        print(f"{prog}: error: out of memory; try a smaller image.", file=err)
        return 1
    except KeyboardInterrupt:
        print(f"{prog}: interrupted.", file=err)
        return 130
    return 0

"""Whole folders: many images, each exactly as a single-image run, in parallel.

Design notes: docs/internals.md, ``compress/commands/folder.py``.
"""

from __future__ import annotations

import io
import json
import os
import re
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TextIO

from ..errors import CompressError, UsageError
from . import report
from .image import run as run_image
from .progress import Progress
from .request import Request, check_request
from .workers import run_in_processes, run_on_dask, usable_cores

# Files a directory scan takes (by suffix, case-insensitive), and our own
# outputs, which a second run over the same folder must not take as inputs.
IMAGE_SUFFIXES = frozenset({".jpg", ".jpeg", ".png", ".bmp", ".tif", ".tiff",
                            ".webp", ".gif"})
OUR_OUTPUT = re.compile(r".+-(k\d+|sheet|elbow)\.png", re.IGNORECASE)
_SUMMARY_LINE = "{:<28} {:>4} {:>13} {:>8} {:>9} {:>7}  {}"  # image, k, ..., status


@dataclass
class ImageOutcome:
    """What happened to one image of a batch."""

    path: str
    rows: list[report.Row] | None  # one per k; None when it failed
    error: str | None  # the one-line message when it failed
    seconds: float  # wall time of this image in its worker


def find_images(inputs: Sequence[Path]) -> list[Path]:
    """List the images to process: files as given, directories scanned (flat).

    A directory gives its files with an image suffix, by name, except our own
    outputs; a file given by name is kept whatever it is (a bad file fails
    with one line).
    """
    found: list[Path] = []
    for path in inputs:
        if path.is_dir():
            found += sorted(p for p in path.iterdir()
                            if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES
                            and not OUR_OUTPUT.fullmatch(p.name))
        else:
            found.append(path)
    if not found:
        what = (f"{inputs[0]} is a directory with no images" if len(inputs) == 1
                else f"no images in {', '.join(map(str, inputs))}")
        raise CompressError(f"{what} (files ending in "
                            f"{', '.join(sorted(IMAGE_SUFFIXES))}).")
    return found


def check_batch_request(images: list[Path], req: Request) -> None:
    """Refuse options that name one file, and outputs that two images share."""
    for given, flag in ((req.output, "-o/--output"), (req.sheet, "--sheet"),
                        (req.elbow_plot, "--elbow-plot")):
        if given is not None:
            raise UsageError(f"{flag} names one file, but several images were "
                             "given; outputs go beside each image or to --out-dir.")
    check_request(_one(req, str(images[0])))  # what every image's run would check
    owner: dict[tuple[Path, str], Path] = {}
    for image in images:
        directory = req.out_dir if req.out_dir is not None else image.parent
        key = (directory.resolve(), image.stem)  # outputs are STEM-kK.png
        if key in owner and owner[key] != image:
            raise UsageError(f"{owner[key]} and {image} would both write "
                             f"{image.stem}-k*.png; rename one or run them apart.")
        owner[key] = image


def _one(req: Request, path: str) -> Request:
    """Return the request of one image of the batch, as if run alone (quietly)."""
    return replace(req, command="compress", source=path, inputs=[], jobs=None,
                   scheduler=None, quiet=True, json=False)


def compress_one(path: str, req: Request) -> ImageOutcome:
    """Run one image as the single-image command does; never raises for bad input."""
    start = time.perf_counter()
    rows, error = None, None
    try:
        rows = run_image(_one(req, path), out=io.StringIO(), err=io.StringIO())
    except CompressError as e:
        error = str(e)
    except MemoryError:
        error = "out of memory; try a smaller image."
    except Exception as e:  # one bad image must not stop the others
        error = f"{type(e).__name__}: {e}"
    if error is not None and path not in error:
        error = f"{path}: {error}"  # every error line names its image
    return ImageOutcome(path, rows, error, time.perf_counter() - start)


@dataclass
class BatchResult:
    """Every image's outcome, in input order, and the run's totals."""

    outcomes: list[ImageOutcome]
    seconds: float
    workers: str  # "2 processes", "Dask at tcp://..."

    @property
    def failed(self) -> list[ImageOutcome]:
        """Images whose job failed."""
        return [o for o in self.outcomes if o.error is not None]

    @property
    def exit_code(self) -> int:
        """0 when every image was written, 1 otherwise."""
        return 1 if self.failed else 0


def compress_many(inputs: Sequence[str | os.PathLike], req: Request, *,
                  n_jobs: int | None = None, scheduler: str | None = None,
                  prog: str = "python -m compress", out: TextIO = sys.stdout,
                  err: TextIO = sys.stderr) -> BatchResult:
    """Quantize every image of ``inputs`` for every k of ``req``; report once.

    Parameters
    ----------
    inputs : sequence of str or Path
        Image files and directories (see :func:`find_images`).
    req : compress.commands.request.Request
        As for one image; ``-o``, ``--sheet FILE``, ``--elbow-plot FILE`` are refused.
    n_jobs : int, optional
        Local worker processes; the usable cores when None.
    scheduler : str, optional
        A Dask scheduler's address (``tcp://host:8786``) whose workers see the files.
    prog : str
        Program name for error lines.
    out, err : file
        Streams for the summary (table or JSON) and for errors and progress.

    Returns
    -------
    result : BatchResult
        Outcomes in input order; ``result.exit_code`` is 1 if any image failed.
    """
    images = find_images([Path(p) for p in inputs])
    check_batch_request(images, req)
    n_jobs = usable_cores() if n_jobs is None else n_jobs
    if n_jobs < 1:
        raise UsageError(f"--jobs must be >= 1, got {n_jobs}.")
    paths = [str(p) for p in images]
    start = time.perf_counter()
    if scheduler is not None:
        runner = run_on_dask(compress_one, paths, scheduler, req=req)
        workers = f"Dask at {scheduler}"
    else:
        n = min(n_jobs, len(paths))
        runner = run_in_processes(compress_one, paths, n, req=req)
        workers = f"{n} process{'es' if n > 1 else ''}"
    progress = Progress(len(paths), "images", enabled=not req.quiet, stream=err)
    done: dict[str, ImageOutcome] = {}
    progress.update(0)
    for outcome in runner:
        done[outcome.path] = outcome
        if outcome.error is not None:
            progress.close()
            print(f"{prog}: error: {outcome.error}", file=err)
        progress.update(len(done), Path(outcome.path).name)
    progress.close()
    result = BatchResult([done[p] for p in paths], time.perf_counter() - start,
                         workers)
    print(to_json(result) if req.json else format_summary(result), file=out)
    return result


def run_batch(req: Request, *, out: TextIO | None = None,
              prog: str = "python -m compress", err: TextIO | None = None) -> None:
    """:func:`compress_many` for the command line; raise at the end if any failed."""
    result = compress_many(req.inputs, req, n_jobs=req.jobs,
                           scheduler=req.scheduler, prog=prog,
                           out=out or sys.stdout, err=err or sys.stderr)
    if result.failed:
        raise CompressError(f"{len(result.failed)} of {len(result.outcomes)} images "
                            "failed (see the lines above).")


def format_summary(result: BatchResult) -> str:
    """One table over all images and k, then the counts."""
    header = _SUMMARY_LINE.format("image", "k", "output bytes", "x input", "PSNR dB",
                                  "fit s", "status")
    lines = [header, "-" * len(header)]
    for o in result.outcomes:
        name = Path(o.path).name[:28]
        if o.rows is None:  # its error was printed once, on stderr, as it happened
            lines.append(_SUMMARY_LINE.format(name, *["-"] * 5, "failed"))
        for row in o.rows or []:
            lines.append(_SUMMARY_LINE.format(
                name, row.k, f"{row.output_bytes:,}", f"{row.to_input:.2f}",
                report.psnr_text(row.psnr_db), f"{row.fit_seconds:.2f}", "ok"))
    n_failed = len(result.failed)
    lines.append(f"{len(result.outcomes)} images: {len(result.outcomes) - n_failed} "
                 f"written, {n_failed} failed, in {result.seconds:.1f} s on "
                 f"{result.workers}.")
    return "\n".join(lines)


def to_json(result: BatchResult) -> str:
    """Return the summary as JSON: every image with its rows or error, and counts."""
    images = [{"input": o.path, "ok": o.error is None, "error": o.error,
               "seconds": o.seconds,
               "rows": None if o.rows is None else [report.row_json(r)
                                                    for r in o.rows]}
              for o in result.outcomes]
    return json.dumps({"images": images, "written": len(images) - len(result.failed),
                       "failed": len(result.failed), "seconds": result.seconds,
                       "workers": result.workers}, indent=2)

"""One request of the command line, and the checks made before any work.

Design notes: docs/internals.md, ``compress/commands/request.py``.
"""

from __future__ import annotations

import importlib.util
import os
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import CompressError, UsageError
from ..io.inputs import Source
from ..io.png import MAX_PALETTE
from ..io.read import DEFAULT_MAX_PIXELS
from ..quantization.palette import DEFAULT_SEED


@dataclass(frozen=True)
class FitOptions:
    """k-means settings."""

    seed: int = DEFAULT_SEED
    n_init: int = 1
    max_iter: int = 300
    space: str = "rgb"  # fitting space: "rgb" or "oklab"
    dither: bool = False  # damped Floyd-Steinberg in the fitting space


@dataclass
class Request:
    """What one run of the command line was asked to do.

    ``command``: ``"compress"`` (one PNG per k; also ``sample``), ``"elbow"``
    (the plot only) or ``"batch"`` (several images, each a ``"compress"``).
    """

    command: str
    source: str  # a file path or an http(s) URL
    ks: list[int] = field(default_factory=list)
    min_psnr: float | None = None  # choose k: the smallest reaching this PSNR
    # reading
    max_pixels: int = DEFAULT_MAX_PIXELS
    max_download_mb: float = 100.0
    timeout: float = 30.0  # seconds for a whole download
    # outputs
    output: Path | None = None  # -o, one k only
    out_dir: Path | None = None
    default_dir: Path | None = None  # beside the input file when None
    force: bool = False
    output_format: str = "auto"  # "auto", "palette" or "rgb"
    optimize: bool = False  # recompress every PNG with oxipng (--optimize)
    sheet: Path | None = None
    make_sheet: bool = True
    elbow: bool = False  # draw the elbow plot
    elbow_plot: Path | None = None  # its file; None: IMAGE-elbow.png
    show: bool = False  # open the elbow plot in a viewer
    # reporting
    json: bool = False
    quiet: bool = False
    fit: FitOptions = field(default_factory=FitOptions)
    # several images (command "batch") and images larger than memory
    inputs: list[str] = field(default_factory=list)
    jobs: int | None = None  # local processes
    scheduler: str | None = None  # a Dask scheduler's address
    stream_above: int = DEFAULT_MAX_PIXELS  # stream TIFF/Zarr images with more pixels

    @property
    def notes_on(self) -> bool:
        """Whether notes go to stderr (not with ``-q`` or ``--json``)."""
        return not (self.quiet or self.json)


def check_request(req: Request) -> None:
    """Raise :class:`UsageError` for a request that contradicts itself.

    And :class:`CompressError` for an option whose optional package is missing.
    """
    if req.min_psnr is not None:
        if req.command == "compress" and req.ks:
            raise UsageError("give k values or --min-psnr, not both.")
        if not 0 < req.min_psnr < 200:
            raise UsageError(f"--min-psnr must be between 0 and 200 dB, got "
                             f"{req.min_psnr:g}.")
    elif req.command == "compress" and not req.ks:
        raise UsageError("give at least one k (e.g. 16), or --min-psnr DB.")
    several = len(set(req.ks)) > 1
    if req.output is not None:
        if several:
            raise UsageError("-o/--output names one file, but several k were "
                             "given; use --out-dir for several.")
        if req.out_dir is not None:
            raise UsageError("give either -o/--output or --out-dir, not both.")
    if req.elbow_plot is not None and req.out_dir is not None and \
            req.command == "elbow":
        raise UsageError("give either --plot or --out-dir, not both.")
    for path, what in ((req.output, "output"), (req.sheet, "contact sheet"),
                       (req.elbow_plot, "elbow plot")):
        if path is not None and path.suffix.lower() != ".png":
            raise UsageError(f"{what} {path} must end in .png: outputs are PNG files.")
    if req.command == "compress" and req.elbow and not several:
        raise UsageError("--elbow needs several k, e.g. 1 2 3 5 10 15 20.")
    too_big = [k for k in req.ks if k > MAX_PALETTE]
    if too_big and req.output_format == "palette":
        raise UsageError(f"k={too_big[0]} does not fit a palette PNG (at most "
                         f"{MAX_PALETTE} colours); use a smaller k, or --rgb.")
    if req.optimize and importlib.util.find_spec("oxipng") is None:
        raise CompressError("--optimize needs pyoxipng: pip install "
                            "'kmeans-compress[optimize]' (or pip install pyoxipng).")


@dataclass
class Plan:
    """Where every output of a request goes (checked by :func:`plan_outputs`)."""

    directory: Path
    stem: str
    pngs: dict[int, Path]  # k -> file; empty for the elbow command
    sheet: Path | None
    elbow_plot: Path | None


def output_dir(directory: Path) -> Path:
    """Return ``directory``, checked to exist and be writable."""
    if not directory.exists():
        raise CompressError(f"output directory {directory} does not exist; create "
                            "it first.")
    if not directory.is_dir():
        raise CompressError(f"output directory {directory} is not a directory.")
    if not os.access(directory, os.W_OK | os.X_OK):
        raise CompressError(f"cannot write to {directory}: permission denied.")
    return directory


def check_targets(targets: list[Path], source: Source, force: bool) -> None:
    """Refuse outputs that are the input, exist (unless forced) or repeat."""
    seen: set[Path] = set()
    input_file = source.path.resolve() if source.path is not None else None
    for target in targets:
        resolved = target.resolve()
        if resolved == input_file:
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
        output_dir(target.parent)


def plan_outputs(req: Request, source: Source) -> Plan:
    """Name every output and check the file system, before the image is read."""
    directory = output_dir(req.out_dir or req.default_dir or source.directory)
    stem = source.stem
    ks = sorted(set(req.ks))
    pngs: dict[int, Path] = {}
    if req.command == "compress" and ks:
        pngs = {k: directory / f"{stem}-k{k}.png" for k in ks}
        if req.output is not None:
            pngs = {ks[0]: req.output}
    sheet = None
    if req.command == "compress" and req.make_sheet and (
            len(ks) > 1 or req.sheet is not None):
        sheet = req.sheet or directory / f"{stem}-sheet.png"
    plot = None
    if req.elbow or req.command == "elbow":
        plot = req.elbow_plot or directory / f"{stem}-elbow.png"
    fixed = [*pngs.values(), *(p for p in (sheet, plot) if p is not None)]
    if req.command == "compress" and not ks and req.output is not None:
        fixed.append(req.output)  # --min-psnr with -o: the name is known, the k not
    check_targets(fixed, source, req.force)
    return Plan(directory, stem, pngs, sheet, plot)

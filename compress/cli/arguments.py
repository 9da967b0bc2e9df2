"""Command-line arguments: three forms, parsed into one :class:`Request`.

Design notes: docs/internals.md, ``compress/cli/arguments.py``.
"""

from __future__ import annotations

import argparse
import re
from collections.abc import Sequence
from dataclasses import fields
from pathlib import Path

from .. import __version__
from ..commands.request import FitOptions, Request
from ..errors import CompressError, UsageError
from ..io.read import DEFAULT_MAX_PIXELS
from ..quantization.palette import DEFAULT_SEED

_REQUEST_FIELDS = {f.name for f in fields(Request)}
EXIT_CODES = """\
exit codes: 0 success, 1 failure (bad or missing file, download failed,
output exists, ...), 2 usage error (bad k, conflicting options), 130
interrupted (Ctrl-C).  Errors are one line on stderr, and nothing is created
or changed when a run fails."""


def _usage(prog: str) -> str:
    return (f"{prog} IMAGE|URL K... [options]\n"
            f"       {prog} IMAGE|URL --min-psnr DB [options]\n"
            f"       {prog} elbow IMAGE|URL [--k KS] [options]\n"
            f"       {prog} sample [K...] [options]\n"
            f"       {prog} --version")


class _Parser(argparse.ArgumentParser):
    """An ArgumentParser whose errors are one line, raised as UsageError."""

    def error(self, message: str):  # noqa: D102 - argparse hook
        raise UsageError(f"{message} (see {self.prog} --help)")


def k_values(text: str) -> list[int]:
    """Parse ``5``, ``1-20`` or ``2,4,8`` into a list of k >= 1."""
    ks: list[int] = []
    for part in text.split(","):
        match = re.fullmatch(r"\s*(\d+)\s*(?:-\s*(\d+)\s*)?", part)
        if re.fullmatch(r"\s*-\d+\s*", part) or (match and int(match[1]) < 1):
            raise argparse.ArgumentTypeError(f"k must be >= 1, got {text!r}")
        if match is None:
            raise argparse.ArgumentTypeError(
                f"k must be a whole number >= 1 (or a range like 1-20), got {text!r}")
        lo, hi = int(match[1]), int(match[2] or match[1])
        if hi < lo:
            raise argparse.ArgumentTypeError(
                f"empty range {part!r}: write it low-high, e.g. 1-20")
        ks.extend(range(lo, hi + 1))
    return ks


def _number(kind, minimum, what: str):
    def parse(text: str):
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected {what}, got {text!r}") from None
        if not value >= minimum:  # also refuses NaN
            raise argparse.ArgumentTypeError(f"must be >= {minimum}, got {text}")
        return value

    return parse


_whole = _number(int, 1, "a whole number")


def _add_common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--min-psnr", type=_number(float, 0.0, "a number of dB"),
                   metavar="DB", help="choose k: the smallest k (1-256) whose "
                   "result reaches this PSNR, found by bisection")
    p.add_argument("--out-dir", type=Path, metavar="DIR",
                   help="write outputs to DIR (must exist)")
    p.add_argument("-f", "--force", action="store_true",
                   help="overwrite outputs that already exist")
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    p.add_argument("-q", "--quiet", action="store_true",
                   help="no progress bar and no notes on stderr")
    g = p.add_argument_group("input")
    g.add_argument("--max-pixels", type=_whole, default=DEFAULT_MAX_PIXELS,
                   metavar="N", help="refuse larger images (decompression-bomb "
                                     f"guard, default: {DEFAULT_MAX_PIXELS:,})")
    g.add_argument("--max-download-mb", type=_number(float, 0.001, "a number"),
                   default=100.0, metavar="MB",
                   help="refuse downloads larger than this (default: 100)")
    g.add_argument("--timeout", type=_number(float, 0.001, "seconds"), default=30.0,
                   metavar="S", help="seconds for a whole download (default: 30)")
    g = p.add_argument_group("k-means")
    g.add_argument("--seed", type=_number(int, 0, "a whole number"),
                   default=DEFAULT_SEED, help=f"random seed; fixed by default "
                   f"({DEFAULT_SEED}) so reruns give identical files")
    g.add_argument("--n-init", type=_whole, default=1, metavar="N",
                   help="k-means runs per k, best kept (default: 1)")
    g.add_argument("--max-iter", type=_whole, default=300, metavar="N",
                   help="maximum Lloyd iterations (default: 300)")
    g.add_argument("--space", choices=("rgb", "oklab"), default="rgb",
                   help="colour space k-means fits in: rgb (default; best PSNR, "
                        "the exercise's inertia) or oklab (perceptual: lower "
                        "CIEDE2000, colours closer to what a person sees)")


def _add_compress_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("-o", "--output", type=Path, metavar="FILE",
                   help="output file (one k only); default IMAGE-kK.png beside "
                        "IMAGE (in the current directory for a URL)")
    fmt = p.add_mutually_exclusive_group()
    fmt.add_argument("--rgb", dest="output_format", action="store_const",
                     const="rgb", help="write a normal RGB PNG, not a palette PNG")
    fmt.add_argument("--palette", dest="output_format", action="store_const",
                     const="palette", help="insist on a palette PNG (k <= 256)")
    p.set_defaults(output_format="auto")
    p.add_argument("--optimize", action="store_true",
                   help="smallest PNGs: <= 0.1 dB of PSNR for longer runs, then "
                        "oxipng; 12-25%% fewer bytes for about 1 s a megapixel "
                        "(pip install 'kmeans-compress[optimize]')")
    p.add_argument("--sheet", type=Path, metavar="FILE",
                   help="contact sheet file (default: IMAGE-sheet.png when "
                        "several k are given)")
    p.add_argument("--no-sheet", dest="make_sheet", action="store_false",
                   help="no contact sheet")
    p.add_argument("--dither", action="store_true",
                   help="damped Floyd-Steinberg error diffusion in the fitting "
                        "space: no bands in skies and gradients, grainier and "
                        "larger files")
    p.add_argument("--elbow", action="store_true",
                   help="also plot inertia, PSNR and size against the k of this "
                        "run (IMAGE-elbow.png) from the same fits")
    p.add_argument("--elbow-plot", type=Path, metavar="FILE",
                   help="file of the elbow plot (implies --elbow)")
    _add_common(p)


_DESCRIPTIONS = {
    "compress": "Reduce an image to k colours with k-means and write a palette PNG "
                "(IMAGE-kK.png), with a report of size and quality.  Other commands: "
                "'{prog} elbow IMAGE' (inertia, PSNR and size against k, suggested "
                "k) and '{prog} sample [K...]' (a photo shipped with matplotlib).",
    "elbow": "Fit k-means for a range of k, plot inertia, PSNR and PNG size "
             "against k, and suggest the k at the knee (Kneedle).  Writes only "
             "the plot.",
    "sample": "Compress matplotlib's sample photo (Grace Hopper) into the current "
              "directory: nothing to download.",
}


def _parser(prog: str, command: str) -> argparse.ArgumentParser:
    p = _Parser(prog=prog if command == "compress" else f"{prog} {command}",
                usage=_usage(prog), epilog=EXIT_CODES,
                description=_DESCRIPTIONS[command].format(prog=prog))
    if command == "elbow":
        p.add_argument("image", metavar="IMAGE|URL")
        p.add_argument("--k", type=k_values, default=list(range(1, 11)), dest="ks",
                       metavar="KS", help="values of k: 1-20 or 1,2,3,5,10 "
                                          "(default: 1-10)")
        p.add_argument("--plot", type=Path, metavar="FILE", dest="elbow_plot",
                       help="plot file (default: IMAGE-elbow.png beside IMAGE)")
        p.add_argument("--show", action="store_true",
                       help="also open the plot in the system image viewer")
        _add_common(p)
        return p
    if command == "compress":
        p.add_argument("image", metavar="IMAGE|URL",
                       help="JPEG, PNG, BMP, TIFF, WebP or GIF file, or an "
                            "http(s) URL of one")
        p.add_argument("--version", action="version",
                       version=f"kmeans-compress {__version__}")
        _add_scale_options(p)
    p.add_argument("ks", type=k_values, nargs="*", default=[], metavar="K",
                   help="number of colours (default: 16)" if command == "sample"
                   else "number of colours: 5, 1-20 or 2,4,8; several allowed")
    _add_compress_options(p)
    return p


def _add_scale_options(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group(
        "several images (a directory, or several files before the k values) and "
        "images larger than memory")
    g.add_argument("--jobs", type=_whole, metavar="N",
                   help="images processed at once, in N local processes "
                        "(default: the usable cores)")
    g.add_argument("--scheduler", metavar="ADDRESS",
                   help="run the images (or the bands of one streamed TIFF/Zarr "
                        "image) on the Dask cluster at ADDRESS (tcp://host:8786); "
                        "its workers must see the files")
    g.add_argument("--stream-above", type=_whole, metavar="PIXELS",
                   default=DEFAULT_MAX_PIXELS,
                   help="stream TIFF and Zarr images with more pixels than this, "
                        "in bands, in bounded memory (default: "
                        f"{DEFAULT_MAX_PIXELS:,})")


def _batch_inputs(prog: str, args_in: list[str]):
    """Parse several images (``inputs``) and their k; None if not that form."""
    p = _Parser(prog=prog, add_help=False)
    p.add_argument("items", nargs="+")
    _add_scale_options(p)
    _add_compress_options(p)
    try:
        args = p.parse_intermixed_args(args_in)
        first_k = next((i for i, item in enumerate(args.items)
                        if re.fullmatch(r"[\d\s,-]+", item)), len(args.items))
        args.ks = [k_values(item) for item in args.items[first_k:]]
    except (UsageError, argparse.ArgumentTypeError, SystemExit):
        return None
    inputs = args.items[:first_k]
    if not inputs or (not args.ks and args.min_psnr is None):
        return None  # no k at all: the one-image parser says what is wrong
    streamable = Path(inputs[0]).suffix.lower() in (".tif", ".tiff", ".zarr")
    if len(inputs) == 1 and (streamable or (
            not Path(inputs[0]).is_dir()
            and args.jobs is None and args.scheduler is None)):
        return None
    args.inputs = inputs
    return args


def parse(prog: str, argv: Sequence[str]) -> Request | None:
    """Parse ``argv`` into a Request; None after ``--help`` or ``--version``.

    Arguments that do not parse raise :class:`UsageError`.
    """
    argv = list(argv)
    command = argv[0] if argv and argv[0] in ("elbow", "sample") else "compress"
    args_in = argv if command == "compress" else argv[1:]
    batch = _batch_inputs(prog, args_in) if command == "compress" else None
    try:
        args = batch or _parser(prog, command).parse_intermixed_args(args_in)
    except SystemExit as e:  # --help, --version: printed by argparse
        if e.code in (0, None):
            return None
        raise
    opts = vars(args)
    fit = FitOptions(**{f.name: opts.pop(f.name) for f in fields(FitOptions)
                        if f.name in opts})
    if command != "elbow":  # one list of k per K argument
        opts["ks"] = [k for group in opts["ks"] for k in group]
    req = Request(command="elbow" if command == "elbow" else "compress",
                  source=str(opts.pop("image", "")), fit=fit,
                  **{name: value for name, value in opts.items()
                     if name in _REQUEST_FIELDS})
    if command != "elbow":
        req.elbow = req.elbow or req.elbow_plot is not None  # --elbow-plot: --elbow
    if batch:  # several images: compress.commands.folder runs each as one request
        req.command = "batch"
    if command == "sample":
        req.source = str(sample_image_path())
        req.default_dir = Path(".")
        if not req.ks and req.min_psnr is None:
            req.ks = [16]
    return req


SAMPLE_IMAGE = "grace_hopper.jpg"  # ships with matplotlib's sample data


def sample_image_path() -> Path:
    """Path of the sample photo shipped with matplotlib (Grace Hopper, 600 x 512)."""
    from matplotlib import cbook

    path = Path(cbook.get_sample_data(SAMPLE_IMAGE, asfileobj=False))
    if not path.is_file():
        raise CompressError(f"matplotlib's sample image {SAMPLE_IMAGE} is missing; "
                            "reinstall matplotlib.")
    return path

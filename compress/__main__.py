"""Command line: ``python -m compress IMAGE K...``, ``elbow IMAGE``, ``sample [K...]``.

This module only parses arguments; the work is in :mod:`compress.jobs`.
"""

from __future__ import annotations

import _thread
import argparse
import os
import re
import sys
import threading
from collections.abc import Sequence
from pathlib import Path

from . import _end_start_up, jobs
from .errors import UsageError
from .io import DEFAULT_MAX_PIXELS
from .quantize import DEFAULT_SEED

_end_start_up()  # Ctrl-C deferred during start-up is honoured from here on

EXIT_CODES = """\
exit codes: 0 success, 1 failure (bad or missing file, output exists, ...),
2 usage error (bad k, conflicting options).  Errors are one line on stderr,
and nothing is created or changed when a run fails."""


class _Parser(argparse.ArgumentParser):
    """An ArgumentParser whose errors are one line, raised as UsageError."""

    def error(self, message: str):  # noqa: D102 - argparse hook
        raise UsageError(f"{message} (see {self.prog} --help)")


def _k_values(text: str) -> list[int]:
    """Parse ``5``, ``1-20`` or ``2,4,8`` into a list of k >= 1."""
    ks: list[int] = []
    for part in text.split(","):
        if re.fullmatch(r"\s*-\d+\s*", part):  # "-3": a number, but negative
            raise argparse.ArgumentTypeError(f"k must be >= 1, got {text!r}")
        match = re.fullmatch(r"\s*(\d+)\s*(?:-\s*(\d+)\s*)?", part)
        if match is None:
            raise argparse.ArgumentTypeError(
                f"k must be a whole number >= 1 (or a range like 1-20), got {text!r}"
            )
        lo = int(match[1])
        hi = int(match[2]) if match[2] is not None else lo
        if lo < 1:
            raise argparse.ArgumentTypeError(f"k must be >= 1, got {text!r}")
        if hi < lo:
            raise argparse.ArgumentTypeError(
                f"empty range {part!r}: write it low-high, e.g. 1-20")
        ks.extend(range(lo, hi + 1))
    return ks


def _int_at_least(minimum: int):
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"expected a whole number, got {text!r}") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"must be >= {minimum}, got {value}")
        return value

    return parse


def _add_fit_options(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("k-means")
    g.add_argument("--seed", type=_int_at_least(0), default=DEFAULT_SEED,
                   help=f"random seed; fixed by default ({DEFAULT_SEED}) so reruns "
                        "give identical files")
    g.add_argument("--n-init", type=_int_at_least(1), default=1, metavar="N",
                   help="k-means runs per k, best kept (default: 1)")
    g.add_argument("--max-iter", type=_int_at_least(1), default=300, metavar="N",
                   help="maximum Lloyd iterations (default: 300)")
    g.add_argument("--space", choices=("rgb", "oklab"), default="rgb",
                   help="colour space k-means fits in: rgb (default; best PSNR, "
                        "the exercise's inertia) or oklab (perceptual: lower "
                        "CIEDE2000, colours closer to what a person sees)")


def _add_common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--out-dir", type=Path, metavar="DIR",
                   help="write outputs to DIR (must exist)")
    p.add_argument("-f", "--force", action="store_true",
                   help="overwrite outputs that already exist")
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    p.add_argument("-q", "--quiet", action="store_true",
                   help="no progress bar and no notes on stderr")
    p.add_argument("--max-pixels", type=_int_at_least(1), default=DEFAULT_MAX_PIXELS,
                   metavar="N", help="refuse larger images (decompression-bomb "
                                     f"guard, default: {DEFAULT_MAX_PIXELS:,})")


def _add_compress_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("-o", "--output", type=Path, metavar="FILE",
                   help="output file (one k only); default IMAGE-kK.png beside IMAGE")
    fmt = p.add_mutually_exclusive_group()
    fmt.add_argument("--rgb", dest="output_format", action="store_const",
                     const="rgb", help="write a normal RGB PNG, not a palette PNG")
    fmt.add_argument("--palette", dest="output_format", action="store_const",
                     const="palette", help="insist on a palette PNG (k <= 256)")
    p.set_defaults(output_format="auto")
    p.add_argument("--sheet", type=Path, metavar="FILE",
                   help="contact sheet file (default: IMAGE-sheet.png when "
                        "several k are given)")
    p.add_argument("--no-sheet", action="store_true", help="no contact sheet")
    p.add_argument("--dither", action="store_true",
                   help="damped Floyd-Steinberg error diffusion in the fitting "
                        "space: no bands in skies and gradients, grainier and "
                        "larger files")
    p.add_argument("--elbow", nargs="?", const=True, default=None, metavar="FILE",
                   help="also plot inertia against the k of this run (default "
                        "file IMAGE-elbow.png) and suggest a k at the knee; "
                        "reuses the fits, no refitting")
    _add_common(p)
    _add_fit_options(p)


def _compress_parser(prog: str) -> argparse.ArgumentParser:
    p = _Parser(
        prog=prog,
        description="Reduce an image to k colours with k-means and write a palette "
                    "PNG (IMAGE-kK.png), with a report of size and quality.  Other "
                    f"commands: '{prog} elbow IMAGE' (inertia against k, suggested "
                    f"k) and '{prog} sample [K...]' (a photo shipped with "
                    "matplotlib).",
        epilog=EXIT_CODES,
    )
    p.add_argument("image", type=Path, metavar="IMAGE",
                   help="JPEG, PNG, BMP, TIFF, WebP or GIF")
    p.add_argument("ks", type=_k_values, nargs="+", metavar="K",
                   help="number of colours: 5, 1-20 or 2,4,8; several allowed")
    _add_compress_options(p)
    return p


def _sample_parser(prog: str) -> argparse.ArgumentParser:
    p = _Parser(
        prog=f"{prog} sample",
        description="Compress matplotlib's sample photo (Grace Hopper) into the "
                    "current directory: nothing to download.",
        epilog=EXIT_CODES,
    )
    p.add_argument("ks", type=_k_values, nargs="*", default=[[16]], metavar="K",
                   help="number of colours (default: 16)")
    _add_compress_options(p)
    return p


def _elbow_parser(prog: str) -> argparse.ArgumentParser:
    p = _Parser(
        prog=f"{prog} elbow",
        description="Fit k-means for a range of k, plot inertia against k, and "
                    "suggest the k at the knee (Kneedle).",
        epilog=EXIT_CODES,
    )
    p.add_argument("image", type=Path, metavar="IMAGE")
    p.add_argument("--k", type=_k_values, default=list(range(1, 11)), dest="ks",
                   metavar="KS", help="values of k: 1-20 or 1,2,3,5,10 "
                                      "(default: 1-10)")
    p.add_argument("--plot", type=Path, metavar="FILE",
                   help="plot file (default: IMAGE-elbow.png beside IMAGE)")
    p.add_argument("--show", action="store_true",
                   help="also open the plot in the system image viewer")
    _add_common(p)
    _add_fit_options(p)
    return p


def _prog() -> str:
    name = os.path.basename(sys.argv[0]) if sys.argv and sys.argv[0] else ""
    return "python -m compress" if name in ("__main__.py", "-m", "") else name


def _compress_options(args: argparse.Namespace) -> jobs.CompressOptions:
    return jobs.CompressOptions(
        ks=[k for ks in args.ks for k in ks], output=args.output,
        out_dir=args.out_dir, force=args.force, output_format=args.output_format,
        json=args.json, quiet=args.quiet, sheet=args.sheet,
        make_sheet=not args.no_sheet, max_pixels=args.max_pixels,
        make_elbow=args.elbow is not None,
        elbow=None if args.elbow in (None, True) else Path(args.elbow),
        fit=jobs.FitOptions(args.seed, args.n_init, args.max_iter, args.space,
                                 args.dither),
    )


_interrupted = False  # set once a Ctrl-C has been seen
_held: list[str] | None = None  # warnings held back while a job runs


def _reraise_interrupts(unraisable) -> None:
    """``sys.unraisablehook`` that keeps Ctrl-C and its aftermath to one line.

    A SIGINT that arrives while C code calls back into Python (Numba's
    compiler does, while it fills its cache) raises KeyboardInterrupt inside the
    callback, where Python can only print it as "Exception ignored" and carry
    on.  Raise it again in the main thread instead, where the CLI turns it
    into its one-line "interrupted" exit.  Objects that the interrupt left
    half-built (llvmlite's) can then fail in their destructors, even before
    the interrupt reaches the CLI: after an interrupt those are not reported;
    otherwise they get one line, not a traceback (held back until the job
    ends, when it is known whether it was interrupted).
    """
    global _interrupted
    if issubclass(unraisable.exc_type, KeyboardInterrupt):
        _interrupted = True
        if threading.current_thread() is not threading.main_thread():
            _thread.interrupt_main()
        elif _held is not None:  # a job is running: stop it
            # Tripped here, the interrupt would be raised inside this hook and
            # printed as "Exception ignored": trip it from another thread, once
            # the main thread is back in the job.
            timer = threading.Timer(0.001, _thread.interrupt_main)
            timer.daemon = True
            timer.start()
        return
    if _interrupted:
        return
    line = (f"{_prog()}: warning: ignored {unraisable.exc_type.__name__}: "
            f"{unraisable.exc_value}")
    if _held is not None:
        _held.append(line)
    else:
        print(line, file=sys.stderr)


def _run(prog: str, job) -> int:
    """:func:`jobs.run`, noting an interrupt for :func:`_reraise_interrupts`."""
    global _interrupted, _held
    _held = []
    try:
        code = jobs.run(prog, job)
    finally:
        held, _held = _held, None
    _interrupted = _interrupted or code == 130
    if not _interrupted:
        for line in held:
            print(line, file=sys.stderr)
    return code


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit code.

    Parameters
    ----------
    argv : sequence of str, optional
        Arguments without the program name; ``sys.argv[1:]`` when None.

    Returns
    -------
    exit_code : int
        0 success, 1 failure, 2 usage error.
    """
    sys.unraisablehook = _reraise_interrupts
    argv = list(sys.argv[1:] if argv is None else argv)
    prog = _prog()
    command = argv[0] if argv else ""
    try:
        if command == "elbow":
            args = _elbow_parser(prog).parse_args(argv[1:])
            opts = jobs.ElbowOptions(
                ks=args.ks, plot=args.plot, out_dir=args.out_dir, force=args.force,
                json=args.json, quiet=args.quiet, show=args.show,
                max_pixels=args.max_pixels,
                fit=jobs.FitOptions(args.seed, args.n_init, args.max_iter,
                                    args.space),
            )
            return _run(prog, lambda: jobs.elbow(args.image, opts))
        if command == "sample":
            args = _sample_parser(prog).parse_args(argv[1:])
            opts = _compress_options(args)
            return _run(prog, lambda: jobs.compress_image(
                jobs.sample_image_path(), opts, default_dir=Path(".")))
        args = _compress_parser(prog).parse_args(argv)
        opts = _compress_options(args)
        return _run(prog, lambda: jobs.compress_image(args.image, opts))
    except UsageError as e:
        print(f"{prog}: error: {e}", file=sys.stderr)
        return e.exit_code


if __name__ == "__main__":
    sys.exit(main())

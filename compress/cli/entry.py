"""The entry function of ``python -m compress`` and the ``kmeans-compress`` script.

Design notes: docs/internals.md, ``compress/cli/entry.py``.
"""

from __future__ import annotations

import contextlib
import gc
import os
import sys
from collections.abc import Sequence

from .. import interrupt


def _prog() -> str:
    """Name for messages: ``python -m compress`` or the script's name."""
    name = os.path.basename(sys.argv[0]) if sys.argv and sys.argv[0] else ""
    return "python -m compress" if name in ("__main__.py", "-m", "-c", "") else name


def skip_scipy_blas_probe() -> None:
    """Import Numba's NumPy support with ``scipy.linalg`` hidden, if not loaded."""
    if "scipy.linalg" in sys.modules or "numba.np.arraymath" in sys.modules:
        return
    sys.modules["scipy.linalg"] = None  # "import scipy.linalg" raises ImportError
    try:
        import numba.np.arraymath  # noqa: F401
    finally:
        del sys.modules["scipy.linalg"]


def dispatch(req, *, prog: str = "python -m compress") -> None:
    """Run the command ``req`` asks for: a folder, a streamed image or one image."""
    if req.command == "batch":  # several images: each one as a request of its own
        from ..commands.folder import run_batch

        gc.enable()  # many images: their figures' cycles are collected
        run_batch(req, prog=prog)
        return
    from ..commands.stream import compress_stream, should_stream

    if req.command == "compress" and should_stream(req):  # larger than memory
        gc.enable()  # bands for minutes: collected as usual
        compress_stream(req)
        return
    from ..commands.image import run

    run(req, before_fit=skip_scipy_blas_probe)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit code.

    Parameters
    ----------
    argv : sequence of str, optional
        Arguments without the program name; ``sys.argv[1:]`` when None.

    Returns
    -------
    exit_code : int
        0 success, 1 failure, 2 usage error (130 on Ctrl-C, by exiting).
    """
    prog = _prog()
    interrupt.exit_on_interrupt(prog)  # first, before the heavy imports
    if argv is None:  # this process is the command line: no cyclic collection
        gc.disable()  # while it handles one image (docs/internals.md)
    from ..errors import CompressError
    from . import arguments

    err = sys.stderr
    try:
        job = arguments.parse(prog, sys.argv[1:] if argv is None else argv)
        if job is None:  # --help or --version, already printed
            return 0
        dispatch(job, prog=prog)
        sys.stdout.flush()  # a closed pipe shows here, not as an exit-time error
        if argv is None:  # this process is the command line: it exits next
            gc.freeze()  # skip the exit-time collection (docs/internals.md)
    except CompressError as e:
        print(f"{prog}: error: {e}", file=err)
        return e.exit_code
    except BrokenPipeError:
        # ``... | head``: stdout to /dev/null, so the exit-time flush is quiet
        with contextlib.suppress(OSError, ValueError):
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    except MemoryError:
        print(f"{prog}: error: out of memory; try a smaller image.", file=err)
        return 1
    return 0

"""The entry function of ``python -m compress`` and the ``kmeans-compress`` script.

Design notes: docs/internals.md, ``compress/cli/entry.py``.
"""

from __future__ import annotations

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
    """Import Numba's NumPy support with ``scipy.linalg`` hidden, if not loaded.

    When Numba first compiles or loads a kernel it imports
    ``numba.np.arraymath``, which probes for SciPy's BLAS by importing
    ``scipy.linalg`` (0.13-0.2 s measured here, a fifth of a warm run).  Our
    kernels call no SciPy BLAS: the probe's answer only chooses how Numba
    compiles ``np.convolve`` and ``np.correlate``, for the whole process, so
    only this short-lived command-line process skips it, never the library.
    ``tests/test_start_up.py`` fails if Numba stops probing this way (then
    this function is dead code) or if a run imports ``scipy.linalg`` anyway.
    """
    if "scipy.linalg" in sys.modules or "numba.np.arraymath" in sys.modules:
        return
    sys.modules["scipy.linalg"] = None  # "import scipy.linalg" raises ImportError
    try:
        import numba.np.arraymath  # noqa: F401
    finally:
        del sys.modules["scipy.linalg"]


def pause_collection() -> None:
    """Run no cyclic garbage collection while this process handles one image.

    Nearly every container object of a run is made by its imports (NumPy,
    Numba, matplotlib: about a million objects) and lives until exit, so
    the collections that the imports trigger find nothing to free: two full
    and ~360 young collections, 0.08-0.10 s within the exercise's phases
    (``python -m bench.exercise_phases``); its CLI run went from 1.26 to
    1.17 s (medians of 7, alternating).  A one-image run frees its arrays
    by reference counting (no array was left in a cycle on the exercise;
    the same peak memory at 24 and 100 megapixels,
    ``tests/test_resources.py``); the cycles are matplotlib's figures, drawn
    last.  Called only when :func:`main` runs the process's own command
    line; a folder or a streamed image turns collection back on
    (:func:`dispatch`).
    """
    gc.disable()


def skip_final_collection() -> None:
    """Leave the objects alive now out of the interpreter's exit-time collection.

    At exit CPython runs its cyclic garbage collector over every object, and
    after Numba and matplotlib are loaded there are about a million: 0.14 s
    of the exercise's 1.6 s (``python -m bench.exercise_phases``).  Nothing
    left needs it: the outputs are committed and closed, stdout is flushed.
    ``gc.freeze`` (public since Python 3.7) moves them to the permanent
    generation, which collections skip; called only when :func:`main` runs
    the process's own command line.
    """
    gc.freeze()


def dispatch(req, *, prog: str = "python -m compress") -> None:
    """Run the command ``req`` asks for: a folder, a streamed image or one image.

    Parameters
    ----------
    req : compress.commands.request.Request
        The parsed request.
    prog : str
        Program name for the messages of the folder workers.
    """
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
    if argv is None:  # this process is the command line
        pause_collection()
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
            skip_final_collection()
    except CompressError as e:
        print(f"{prog}: error: {e}", file=err)
        return e.exit_code
    except BrokenPipeError:
        # The reader of stdout went away (``... | head``); the files are already
        # written.  Point stdout at /dev/null so Python's final flush does not
        # fail again (as the ``signal`` module docs advise).
        try:
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        except (OSError, ValueError):
            pass
        return 1
    except MemoryError:
        print(f"{prog}: error: out of memory; try a smaller image.", file=err)
        return 1
    return 0

"""How every Numba kernel in :mod:`kmeans_core` is compiled, cached and launched.

One place decides the policy, so that a reader finds it without hunting:

* **Arithmetic**: strict IEEE 754, no fast-math flags at all (see
  :data:`FASTMATH`).  The same kernels give the same bits whatever the shape of
  the code (a written-out RGB distance or the generic loop) and on every
  x86-64 or ARM CPU, for the same versions of NumPy, Numba and LLVM.
* **Blocks**: parallel reductions use :data:`N_BLOCKS` fixed blocks merged in
  order, so results do not depend on the thread count.
* **Caching**: compiled kernels are cached on disk; where no cache directory
  is writable (a read-only install run by a user without a writable home)
  they are compiled in memory, and one line says so.
* **Threads**: parallel kernels are launched by one Python thread at a time
  (:class:`ParallelKernel`), so any number of threads may fit at once.
* **Compilation**: the first run on a machine compiles the kernels it uses;
  :func:`compile_seconds` lets the driver report fit times without that.
"""

from __future__ import annotations

import logging
import os
import sys
import threading
import time

import numba
import numpy as np
from numba.core import event

from . import _tbb  # noqa: F401  (lets the "forksafe" layer below find pip's TBB)

log = logging.getLogger("kmeans_core")


# Threading layer: "forksafe" unless the user chose one.  Without TBB, Numba's
# default picks GNU OpenMP, which is not fork-safe: after one parallel fit, a
# forked multiprocessing worker dies and the pool hangs.  "forksafe" takes TBB
# when it can be loaded and otherwise Numba's own workqueue, which was as fast
# here (within 10 % on a 1-megapixel fit, 2 cores).  The workqueue does not
# allow two Python threads to launch parallel kernels at once (it aborts the
# process); :class:`ParallelKernel` serialises the launches instead.
if "NUMBA_THREADING_LAYER" not in os.environ:
    numba.config.THREADING_LAYER = "forksafe"

# Fast-math policy, used by every kernel: none.  "contract" (fused
# multiply-add) let LLVM round the written-out RGB distance differently from
# the generic loop (American Gothic, k = 256: 37 vs 38 iterations), and only
# on CPUs with FMA; "arcp" turned sums / weights into sums * (1 / weights),
# which can put the mean of one sample an ulp away from the sample.  Measured
# on American Gothic's 966,600 RGB pixels, k = 20, one thread, median of 30:
# a Hamerly E-step 4.44-4.51 ms with those flags, 4.45-4.79 ms without; a
# Lloyd E-step 18.6-18.8 vs 18.8-19.0 ms: within the noise of a shared host.
FASTMATH = False

# Samples are split into a fixed number of contiguous blocks for every parallel
# reduction (weighted sums, inertia, seeding potentials).  Each block is summed
# serially and the blocks are merged in order, so the result does not depend on
# how many threads run the blocks.  64 blocks keep 2-32 threads busy while the
# per-block buffers stay small (64 * n_clusters * n_features float64 values).
N_BLOCKS = 64


def center_dtype(X: np.ndarray) -> np.dtype:
    """Dtype of the centres and distances: that of float ``X``, else float64.

    Integer data (uint8/uint16 pixels) is read as it is and computed in float64.
    """
    return X.dtype if X.dtype.kind == "f" else np.dtype(np.float64)


# -- launching from several threads ---------------------------------------

_launch_lock = threading.Lock()


def _new_lock_in_child() -> None:
    """Replace the lock in a forked child: another thread may have held it."""
    global _launch_lock
    _launch_lock = threading.Lock()


os.register_at_fork(after_in_child=_new_lock_in_child)


class ParallelKernel:
    """A parallel kernel launched by one Python thread at a time.

    Numba's workqueue threading layer aborts the process when two threads
    launch parallel regions at once.  Serialising the launches keeps every
    core busy (each launch already uses all of them) and cost 0.1 us per
    launch, unmeasurable on a fit.  Waiting threads release the GIL.
    """

    def __init__(self, dispatcher):
        self.dispatcher = dispatcher
        self.py_func = dispatcher.py_func
        self.__name__ = dispatcher.__name__
        self.__doc__ = dispatcher.__doc__
        self.__wrapped__ = dispatcher.py_func

    def __call__(self, *args):
        with _launch_lock:
            return self.dispatcher(*args)


# -- compile once, cache where we can ---------------------------------------

_cache_ok = True  # False once a kernel could not be cached


def _compile(function, **options):
    """``numba.njit(cache=True, ...)``, or in memory where nothing is writable."""
    global _cache_ok
    if _cache_ok:
        try:
            return numba.njit(cache=True, **options)(function)
        except RuntimeError as err:  # "cannot cache function ...: no locator"
            if "cannot cache" not in str(err):
                raise
            _cache_ok = False
            log.warning(
                "kmeans_core: no writable cache directory, kernels are compiled in "
                "memory each run (set NUMBA_CACHE_DIR to a writable directory to "
                "keep them)"
            )
    return numba.njit(cache=False, **options)(function)


def jit(parallel: bool = False, inline: bool = False):
    """Return the decorator every kernel uses.

    Parameters
    ----------
    parallel : bool, default=False
        Whether the kernel uses ``numba.prange``; such kernels are wrapped in a
        :class:`ParallelKernel`.
    inline : bool, default=False
        Inline the function into its callers at Numba IR level.  Used for
        the tiny per-sample helpers: a real call passes every array argument
        with reference counting, which cost 8x in the fused update step
        (measured, single thread, 114,571 colours).

    Returns
    -------
    decorator : callable
    """

    def decorate(function):
        kernel = _compile(function, parallel=parallel, fastmath=FASTMATH, nogil=True,
                          inline="always" if inline else "never")
        return ParallelKernel(kernel) if parallel else kernel

    return decorate


# -- compilation: say so once, and keep it out of the fit times -------------

_compile_time = threading.local()  # .seconds: compilation seen by this thread
_announced = []  # the first-run line, printed at most once per process
_notice = {"enabled": True}  # announce_compiling's switch


def announce_compiling(enabled: bool) -> None:
    """Turn the "compiling kernels, first run only" line on stderr on or off.

    The line is printed once per process when a kernel compiles (a cold
    disk cache), on a terminal, in a pipe or in a notebook alike.

    Parameters
    ----------
    enabled : bool
        False keeps stderr silent (the command line's ``-q``).
    """
    _notice["enabled"] = bool(enabled)


class _CompileClock(event.Listener):
    """Time the outermost compilations of our kernels (Numba's event API)."""

    def on_start(self, ev):
        state = _compile_time.__dict__
        state["depth"] = state.get("depth", 0) + 1
        if state["depth"] == 1:
            state["start"] = time.perf_counter()
            module = getattr(ev.data["dispatcher"].py_func, "__module__", "")
            if module.startswith(("kmeans_core", "compress")) and not _announced:
                _announced.append(True)
                # Without a cache the "no writable cache" warning said it all.
                if sys.stderr is not None and _notice["enabled"] and _cache_ok:
                    print("kmeans_core: compiling kernels, first run only",
                          file=sys.stderr, flush=True)

    def on_end(self, ev):
        state = _compile_time.__dict__
        state["depth"] -= 1
        if state["depth"] == 0:
            state["seconds"] = (state.get("seconds", 0.0)
                                + time.perf_counter() - state["start"])


event.register("numba:compile", _CompileClock())


def compile_seconds() -> float:
    """Seconds this thread has spent compiling Numba functions so far.

    Loading a kernel from the disk cache does not count (it takes
    milliseconds); the driver subtracts the difference over a fit from its
    wall time.
    """
    return _compile_time.__dict__.get("seconds", 0.0)

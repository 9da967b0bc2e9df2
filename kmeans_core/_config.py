"""Compilation policy shared by every Numba kernel in :mod:`kmeans_core`.

One place decides how kernels are compiled, so that every kernel rounds the
same way and a reader can find the policy without hunting.
"""

from __future__ import annotations

import os

import numba
import numpy as np

# Threading layer: "forksafe" unless the user chose one.  Without TBB, Numba's
# default picks GNU OpenMP, which is not fork-safe: after one parallel fit, a
# forked multiprocessing worker dies and the pool hangs.  "forksafe" takes TBB
# when installed and otherwise Numba's own workqueue, which was as fast here
# (within 10 % on a 1-megapixel fit, 2 cores).  The workqueue layer does not
# allow parallel kernels launched from several Python threads at once: set
# NUMBA_THREADING_LAYER=omp (and avoid fork) for that.
if "NUMBA_THREADING_LAYER" not in os.environ:
    numba.config.THREADING_LAYER = "forksafe"

# Fast-math policy, used by every kernel.  We allow fused multiply-add
# ("contract"), reciprocal approximations of division ("arcp") and ignoring the
# sign of zero ("nsz").  We deliberately do *not* allow "reassoc": re-associating
# sums would let LLVM reorder reductions, so results could change with the
# vector width.  "nnan"/"ninf" are off because inputs are validated, and the
# checks that do that must not be compiled away.
FASTMATH = frozenset({"contract", "arcp", "nsz"})

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


def jit(parallel: bool = False, inline: bool = False):
    """Return the ``numba.njit`` decorator every kernel uses.

    Parameters
    ----------
    parallel : bool, default=False
        Whether the kernel uses ``numba.prange``.
    inline : bool, default=False
        Inline the function into its callers at Numba IR level.  Used for
        the tiny per-sample helpers: a real call passes every array argument
        with reference counting, which cost 8x in the fused update step
        (measured, single thread, 114,571 colours).

    Returns
    -------
    decorator : callable
        ``numba.njit`` configured with :data:`FASTMATH`, on-disk caching and
        the ``parallel`` flag.
    """
    return numba.njit(
        parallel=parallel,
        fastmath=set(FASTMATH),
        cache=True,
        nogil=True,
        inline="always" if inline else "never",
    )

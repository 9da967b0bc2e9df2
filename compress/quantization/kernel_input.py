"""Arrays as the compiled kernels here read them: one argument type per kernel.

Numba compiles a kernel again for each dtype, layout and writable flag of its
arrays; the wrappers pass what callers vary through :func:`kernel_input`, so
each kernel compiles once.  Design notes: docs/internals.md.
"""

from __future__ import annotations

import numpy as np


def kernel_input(arr: np.ndarray, dtype=None) -> np.ndarray:
    """Return ``arr`` read-only, C-contiguous, in native byte order, of ``dtype``.

    ``dtype`` defaults to that of ``arr``; values are cast as by ``astype``.  A
    view of ``arr`` when it already has that dtype and layout, else of a copy.
    """
    dtype = np.dtype(arr.dtype if dtype is None else dtype).newbyteorder("=")
    view = np.ascontiguousarray(arr, dtype=dtype).view()
    view.flags.writeable = False
    return view

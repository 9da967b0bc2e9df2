"""Arrays as the compiled kernels here read them: one argument type per kernel.

Numba compiles a kernel again (a second or more, cold) for each dtype, layout
and writable flag of its arrays; the wrappers pass the inputs that callers
vary through :func:`kernel_input`, so each kernel compiles once.
"""

from __future__ import annotations

import numpy as np


def kernel_input(arr: np.ndarray, dtype=None) -> np.ndarray:
    """Return ``arr`` as a read-only, C-contiguous array in native byte order.

    Parameters
    ----------
    arr : ndarray
        An input of a kernel (it reads it and never writes to it).
    dtype : numpy dtype, optional
        The dtype the kernel reads; values are cast as by ``astype``, so they
        must fit.  Default: that of ``arr``, in native byte order.

    Returns
    -------
    view : ndarray
        A read-only view of ``arr`` when it already has that dtype and
        layout, else of a copy.
    """
    dtype = np.dtype(arr.dtype if dtype is None else dtype).newbyteorder("=")
    view = np.ascontiguousarray(arr, dtype=dtype).view()
    view.flags.writeable = False
    return view

"""Where the work runs: this machine's cores, or a Dask cluster.

Both the folder command (one task per image) and the streamed command (one
task per band) ask here how many cores they may use and connect to the same
Dask scheduler the same way.
"""

from __future__ import annotations

import os

from ..errors import CompressError


def usable_cores() -> int:
    """Cores this process may run on (its CPU affinity), at least 1."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def connect(address: str):
    """Return a ``distributed.Client`` connected to the scheduler at ``address``.

    Raises
    ------
    CompressError
        When Dask's distributed scheduler is not installed, or the scheduler
        does not answer within 10 s.
    """
    try:
        from distributed import Client
    except ImportError:
        raise CompressError("--scheduler needs Dask's distributed scheduler: "
                            "pip install -e '.[dask]'.") from None
    try:
        return Client(address, timeout=10)
    except (OSError, TimeoutError, ValueError) as e:
        raise CompressError(f"cannot connect to the Dask scheduler at {address}: "
                            f"{e}") from None

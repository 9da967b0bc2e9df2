"""Where the work runs: this machine's cores, or a Dask cluster.

A task per image (the folder command) or per band (:class:`Runner`, streaming).
"""

from __future__ import annotations

import functools
import os
import socket
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor

from ..errors import CompressError


def usable_cores() -> int:
    """Cores this process may run on (its CPU affinity), at least 1."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def connect(address: str):
    """Return a ``distributed.Client`` connected to the scheduler at ``address``.

    A :class:`CompressError` says when Dask is not installed, nothing listens
    at ``address`` (at once) or the scheduler does not answer within 10 s.
    """
    try:
        from distributed import Client
    except ImportError:
        raise CompressError("--scheduler needs Dask's distributed scheduler: "
                            "pip install -e '.[dask]'.") from None
    from distributed.comm.addressing import get_address_host_port

    try:  # a refusal comes back at once, where Dask's client would retry
        socket.create_connection(get_address_host_port(address), timeout=10).close()
    except ConnectionRefusedError:
        raise CompressError(f"cannot connect to the Dask scheduler at {address}: "
                            "connection refused; is the scheduler running?") from None
    except (OSError, ValueError):  # no host:port, unreachable, ...: Dask says which
        pass
    try:
        return Client(address, timeout=10)
    except (OSError, TimeoutError, ValueError) as e:
        raise CompressError(f"cannot connect to the Dask scheduler at {address}: "
                            f"{e}") from None


def _init_worker(numba_threads: int) -> None:
    """Give each of ``--jobs`` processes its share of the cores for the kernels.

    Its stderr goes to /dev/null: messages come back to the parent, and on
    Ctrl-C only the parent prints its line (the worker exits too, after any commit).
    """
    import numba

    numba.set_num_threads(min(numba_threads, numba.config.NUMBA_NUM_THREADS))
    os.dup2(os.open(os.devnull, os.O_WRONLY), 2)


def run_in_processes(fn: Callable, items: Sequence, n_jobs: int,
                     **kwargs) -> Iterator:
    """``fn(item, **kwargs)`` for every item in ``n_jobs`` processes, as they finish.

    With one job (or one item) everything runs in this process, in order.
    """
    if n_jobs == 1 or len(items) == 1:
        for item in items:
            yield fn(item, **kwargs)
        return
    from concurrent.futures import ProcessPoolExecutor, as_completed

    threads = max(1, usable_cores() // n_jobs)
    with ProcessPoolExecutor(max_workers=min(n_jobs, len(items)),
                             initializer=_init_worker, initargs=(threads,)) as pool:
        futures = [pool.submit(fn, item, **kwargs) for item in items]
        try:
            for future in as_completed(futures):
                yield future.result()
        finally:
            for future in futures:
                future.cancel()


def run_on_dask(fn: Callable, items: Sequence, address: str, **kwargs) -> Iterator:
    """``fn(item, **kwargs)`` for every item, on the Dask cluster at ``address``."""
    client = connect(address)
    from distributed import as_completed

    with client:
        for future in as_completed(client.map(fn, items, pure=False, **kwargs)):
            yield future.result()


class Runner:
    """Ordered map over bands with a bounded number of bands in flight."""

    def __init__(self, scheduler: str | None = None):
        self.client = None if scheduler is None else connect(scheduler)
        if self.client is None:
            self.workers = usable_cores()
            self._pool = ThreadPoolExecutor(self.workers)
            self._submit = self._pool.submit
        else:
            self.workers = max(1, sum(self.client.nthreads().values()))
            self._submit = functools.partial(self.client.submit, pure=False)
        self.window = 2 * self.workers  # bands in flight: bounds the memory

    def share(self, value):
        """Make ``value`` available to every task (sent once per worker)."""
        if self.client is None:
            return value
        return self.client.scatter(value, broadcast=True)

    def map(self, fn: Callable, items: Sequence[tuple], *shared) -> Iterator:
        """``fn(*item, *shared)`` for every item, results in item order."""
        pending = []
        try:
            for item in items:
                pending.append(self._submit(fn, *item, *shared))
                if len(pending) >= self.window:
                    yield pending.pop(0).result()
            while pending:
                yield pending.pop(0).result()
        finally:
            for f in pending:
                f.cancel()

    def close(self) -> None:
        """Stop the local threads (after their tasks), or leave the cluster."""
        if self.client is None:
            self._pool.shutdown(wait=True)
        else:
            self.client.close()

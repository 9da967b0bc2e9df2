"""Ctrl-C on the command line: stop at once, except while outputs are committed.

Design notes: docs/internals.md, ``compress/interrupt.py``.
"""

from __future__ import annotations

import contextlib
import os
import signal
import threading
from collections.abc import Iterator

_prog = "python -m compress"


def _exit_now(signum, frame) -> None:
    """SIGINT handler: one line on stderr, exit code 130 (128 + SIGINT)."""
    with contextlib.suppress(OSError):
        os.write(2, f"{_prog}: interrupted.\n".encode(errors="replace"))
    os._exit(130)


def exit_on_interrupt(prog: str) -> bool:
    """Make Ctrl-C end the process at once with one line and exit code 130.

    Parameters
    ----------
    prog : str
        Program name for the message.

    Returns
    -------
    installed : bool
        False when SIGINT was ignored (``nohup``) or this is not the main
        thread: then nothing is changed.
    """
    global _prog
    if (threading.current_thread() is not threading.main_thread()
            or signal.getsignal(signal.SIGINT) is signal.SIG_IGN):
        return False
    _prog = prog
    try:
        signal.signal(signal.SIGINT, _exit_now)
    except KeyboardInterrupt:
        # A Ctrl-C just before: ``signal.signal`` raises it; answer as the handler.
        _exit_now(signal.SIGINT, None)
    return True


@contextlib.contextmanager
def deferred() -> Iterator[None]:
    """Hold Ctrl-C back inside the block; exit with code 130 after it if one came.

    A no-op unless :func:`exit_on_interrupt` installed the handler and this is
    the main thread (library callers keep Python's KeyboardInterrupt).
    """
    if (threading.current_thread() is not threading.main_thread()
            or signal.getsignal(signal.SIGINT) is not _exit_now):
        yield
        return
    pending: list[int] = []
    signal.signal(signal.SIGINT, lambda signum, frame: pending.append(signum))
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, _exit_now)
        if pending:
            _exit_now(signal.SIGINT, None)

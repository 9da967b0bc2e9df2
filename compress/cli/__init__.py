"""The command line: arguments in, one command dispatched, exit code out.

:func:`main` is the entry point of ``python -m compress`` and of the
``kmeans-compress`` script (:mod:`compress.cli.entry`); :mod:`compress.cli.arguments`
turns the argument list into a :class:`~compress.commands.request.Request`.
"""

from .entry import main

__all__ = ["main"]

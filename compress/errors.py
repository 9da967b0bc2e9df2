"""The two errors the command line turns into exit codes.

:class:`UsageError` means the command line asked for something impossible
(``k < 1``, ``-o`` with several k, ...): exit code 2, like ``argparse``.
:class:`CompressError` means a well-formed request failed (missing file,
corrupt image, output exists, ...): exit code 1.  Both carry a one-line
message that says what was wrong and, where there is one, what to do.
"""

from __future__ import annotations


class CompressError(Exception):
    """A request that failed; the CLI prints the message and exits with 1."""

    exit_code = 1


class UsageError(CompressError):
    """A request that cannot be satisfied as written; the CLI exits with 2."""

    exit_code = 2

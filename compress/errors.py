"""The two errors the command line turns into exit codes, each a one-line message."""

from __future__ import annotations


class CompressError(Exception):
    """A well-formed request that failed (missing file, output exists): exit 1."""

    exit_code = 1


class UsageError(CompressError):
    """A request that contradicts itself (``-o`` with several k): exit 2."""

    exit_code = 2

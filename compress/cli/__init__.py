"""The command line: arguments in, one command dispatched, exit code out."""

from .entry import main

__all__ = ["main"]

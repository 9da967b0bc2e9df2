"""A one-line progress bar on stderr, drawn only when stderr is a terminal."""

from __future__ import annotations

import sys
from typing import TextIO

BAR_WIDTH = 24  # characters of the bar itself; fits an 80-column terminal


class Progress:
    """Redraw ``fitting [#####-----] 3/7 k=5`` in place on a terminal.

    Silent when ``enabled`` is False (``--quiet``), for a single step, or
    when ``stream`` (default stderr) is not a terminal.
    """

    def __init__(self, total: int, label: str, *, enabled: bool = True,
                 stream: TextIO | None = None):
        self.total = total
        self.label = label
        self.stream = stream if stream is not None else sys.stderr
        self.enabled = enabled and total > 1 and self.stream.isatty()
        self._drawn = False

    def update(self, done: int, detail: str = "") -> None:
        """Show that ``done`` of ``total`` steps are finished."""
        if not self.enabled:
            return
        filled = BAR_WIDTH * done // self.total
        bar = "#" * filled + "-" * (BAR_WIDTH - filled)
        self.stream.write(f"\r{self.label} [{bar}] {done}/{self.total} {detail}\x1b[K")
        self.stream.flush()
        self._drawn = True

    def close(self) -> None:
        """Erase the bar so the report starts on a clean line."""
        if self._drawn:
            self.stream.write("\r\x1b[K")
            self.stream.flush()
            self._drawn = False

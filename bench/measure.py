"""Timing and memory measurement: medians of repeated runs, peak RSS.

Two kinds of peak memory, and the report says which one each row has:

* a whole process (the CLI, pngquant, the exercise scripts): the command's own
  maximum resident set size, ``ru_maxrss`` as GNU ``time -f %M`` reports it
  (not ``RUSAGE_CHILDREN`` here, a running maximum over all our children, nor
  ``os.wait4`` on a child forked from this process: see ``GNU_TIME``);
* a call inside this process (a fit, a Pillow quantize): how far the peak RSS
  (``VmHWM``) rose above the RSS just before the call.  Before each call free
  heap memory is returned to the system (``malloc_trim``) and the peak is reset
  (writing ``5`` to ``/proc/self/clear_refs``), so the figure is the extra
  memory the call needed, its inputs excluded.
"""

from __future__ import annotations

import ctypes
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

MIB = 1024 * 1024


@dataclass
class Plan:
    """How many times to repeat a measurement.

    One run first; a run slower than ``slow_s`` is not repeated, one faster than
    ``fast_s`` is repeated ``fast_runs`` times in all, others ``runs`` times.
    """

    runs: int = 3
    fast_runs: int = 5
    fast_s: float = 0.5
    slow_s: float = 20.0

    def total_runs(self, first_seconds: float) -> int:
        """Runs in all, given the wall time of the first."""
        if first_seconds > self.slow_s:
            return 1
        if first_seconds < self.fast_s:
            return self.fast_runs
        return self.runs


@dataclass
class Timing:
    """Median wall time of ``runs`` runs and the largest peak memory seen."""

    seconds: float
    runs: int
    peak_mib: float | None
    peak_kind: str  # "process" or "call"
    all_seconds: list[float] = field(default_factory=list)


# -- memory of a call in this process ---------------------------------------------
def _status_kib(name: str) -> int | None:
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith(name + ":"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


def _trim_and_reset_peak() -> bool:
    """Return free heap to the system and reset VmHWM; False if unsupported."""
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):
        pass
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
    except OSError:
        return False
    return True


def time_call(fn: Callable[[], object], plan: Plan) -> tuple[Timing, object]:
    """Time ``fn()`` per ``plan``; return the timing and the last result."""
    seconds: list[float] = []
    peak = None
    result = None
    n_runs = 1
    while len(seconds) < n_runs:
        result = None  # free the previous result before measuring again
        can_reset = _trim_and_reset_peak()
        before = _status_kib("VmRSS")
        start = time.perf_counter()
        result = fn()
        seconds.append(time.perf_counter() - start)
        hwm = _status_kib("VmHWM")
        if can_reset and before is not None and hwm is not None:
            grown = max(hwm - before, 0) / 1024
            peak = grown if peak is None else max(peak, grown)
        if len(seconds) == 1:
            n_runs = plan.total_runs(seconds[0])
    return Timing(statistics.median(seconds), len(seconds), peak, "call",
                  seconds), result


# -- a whole child process --------------------------------------------------------
class ProcessError(RuntimeError):
    """A benchmarked command failed."""


# The child's own peak RSS has to come from a small parent: a child forked from
# this (large) Python process counts this process's pages in its ru_maxrss until
# it calls exec, so os.wait4 here would report at least our own RSS.  GNU time
# forks the command from a ~1 MiB process and reports that child's ru_maxrss; the
# fallback is a minimal Python (-S, no site) doing the same.
GNU_TIME = "/usr/bin/time"
_LAUNCHER = (
    "import os, sys\n"
    "pid = os.fork()\n"
    "if pid == 0:\n"
    "    os.execvp(sys.argv[2], sys.argv[2:])\n"
    "_, status, usage = os.wait4(pid, 0)\n"
    "open(sys.argv[1], 'w').write(str(usage.ru_maxrss))\n"
    "sys.exit(os.waitstatus_to_exitcode(status))\n"
)


def _wrapped(argv: list[str], rss_file: str) -> list[str]:
    if os.access(GNU_TIME, os.X_OK):
        return [GNU_TIME, "-f", "%M", "-o", rss_file, *argv]
    return [sys.executable, "-S", "-c", _LAUNCHER, rss_file, *argv]


def run_process(argv: list[str], *, env: dict | None = None,
                cwd: str | None = None) -> tuple[float, float, str]:
    """Run ``argv``; return (wall seconds, peak RSS in MiB of that child, stdout).

    The peak is ``ru_maxrss`` of the command's own process, measured by a small
    parent (see ``GNU_TIME``).  Wall time runs from just before the fork to the
    exit, so it includes interpreter start-up, imports and loading the Numba cache.
    """
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err, \
            tempfile.NamedTemporaryFile("r") as rss:
        start = time.perf_counter()
        proc = subprocess.run(_wrapped(argv, rss.name), stdout=out, stderr=err,
                              env=env, cwd=cwd)
        seconds = time.perf_counter() - start
        out.seek(0)
        err.seek(0)
        stdout = out.read().decode(errors="replace")
        if proc.returncode != 0:
            message = err.read().decode(errors="replace").strip()[-2000:]
            raise ProcessError(f"{' '.join(argv)} exited with {proc.returncode}: "
                               f"{message}")
        lines = Path(rss.name).read_text().split()
    peak_kib = float(lines[-1]) if lines else float("nan")
    return seconds, peak_kib / 1024, stdout  # ru_maxrss is in KiB on Linux


def time_process(argv: list[str], plan: Plan, *, env: dict | None = None,
                 cwd: str | None = None) -> Timing:
    """Median wall time and largest peak RSS of ``argv`` run per ``plan``."""
    seconds: list[float] = []
    peaks: list[float] = []
    n_runs = 1
    while len(seconds) < n_runs:
        s, peak, _ = run_process(argv, env=env, cwd=cwd)
        seconds.append(s)
        peaks.append(peak)
        if len(seconds) == 1:
            n_runs = plan.total_runs(s)
    return Timing(statistics.median(seconds), len(seconds), max(peaks), "process",
                  seconds)


@dataclass
class Row:
    """One measured case, as one line of a report table."""

    section: str  # "image", "blobs", ...
    case: str  # e.g. "american_gothic" or "n=1,000,000 d=32"
    k: int
    method: str
    timing: Timing | None = None
    inertia: float | None = None
    psnr_db: float | None = None
    output_bytes: int | None = None
    n_iter: int | None = None
    note: str = ""
    extra: dict = field(default_factory=dict)

    @property
    def seconds(self) -> float | None:
        """Median wall time, None when not measured."""
        return None if self.timing is None else self.timing.seconds

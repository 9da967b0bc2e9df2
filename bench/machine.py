"""The machine and software a benchmark ran on, for the report's header."""

from __future__ import annotations

import datetime
import importlib.metadata
import os
import platform
import shutil
import subprocess
import sys

PACKAGES = ("numpy", "numba", "scikit-learn", "faiss-cpu", "pillow", "matplotlib")


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _ram_gib() -> str:
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemTotal:"):
                    return f"{int(line.split()[1]) / 1024**2:.1f} GiB"
    except OSError:
        pass
    return "unknown"


def _version(package: str) -> str:
    try:
        return importlib.metadata.version(package)
    except importlib.metadata.PackageNotFoundError:
        return "not installed"


def pngquant_version() -> str | None:
    """``pngquant --version``, or None when pngquant is not on the PATH."""
    exe = shutil.which("pngquant")
    if exe is None:
        return None
    out = subprocess.run([exe, "--version"], capture_output=True, text=True)
    return out.stdout.strip() or out.stderr.strip()


def machine_info() -> dict[str, str]:
    """CPU, cores, RAM, OS, Python and library versions, date."""
    info = {
        "date": datetime.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z"),
        "CPU": _cpu_model(),
        "cores (os.cpu_count)": str(os.cpu_count()),
        "cores usable (sched_getaffinity)": str(len(os.sched_getaffinity(0))),
        "RAM": _ram_gib(),
        "load average at start": ", ".join(f"{x:.2f}" for x in os.getloadavg()),
        "OS": platform.platform(),
        "Python": sys.version.split()[0],
    }
    for package in PACKAGES:
        info[package] = _version(package)
    info["pngquant"] = pngquant_version() or "not installed"
    return info

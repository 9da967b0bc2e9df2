"""Helpers shared by the tests: running the CLI, making images, reading PNGs.

Nothing here reads ``/work/shared`` or the network: images are generated, or
taken from what installed packages ship (scikit-learn's ``china.jpg``).

* running the CLI: :func:`run_cli` (both entry points, a CompletedProcess),
  :func:`run_json`, and :func:`start_cli` / :func:`wait_cli` /
  :func:`run_timed`, which also measure wall time and peak memory;
* checking the file system: :func:`snapshot`, :func:`sha256`;
* images: :func:`blobs_image`, :func:`gradient_image`, :func:`photo_like`,
  :func:`all_colours`, :func:`save`, :func:`encode`, :func:`png_bytes`,
  :func:`png16`, :func:`china_path`;
* reading PNGs without trusting Pillow: :func:`png_chunks`, :func:`png_header`.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import struct
import subprocess
import sys
import time
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

REPO = Path(__file__).resolve().parents[1]
CLI_TIMEOUT = 60.0  # seconds: the hostile-input issue's bound on any one run
PROG = "python -m compress"

# What pip writes as the ``kmeans-compress`` console script (its wrapper
# template, pointing at the entry in pyproject.toml): tests run the second
# entry point through this file, as the installed script would run.
SCRIPT_WRAPPER = """\
#!{python}
# -*- coding: utf-8 -*-
import re
import sys
from compress.cli import main
if __name__ == '__main__':
    sys.argv[0] = re.sub(r'(-script\\.pyw|\\.exe)?$', '', sys.argv[0])
    sys.exit(main())
"""


def console_script(directory: Path) -> Path:
    """Write the ``kmeans-compress`` wrapper into ``directory``; return its path."""
    path = Path(directory) / "kmeans-compress"
    path.write_text(SCRIPT_WRAPPER.format(python=sys.executable))
    path.chmod(0o755)
    return path


def cli_command(entry: str = "module", script_dir: Path | None = None) -> list[str]:
    """argv prefix of one entry point: ``python -m compress`` or the script."""
    if entry == "module":
        return [sys.executable, "-m", "compress"]
    if script_dir is None:
        raise ValueError("the script entry needs a directory to write it to")
    return [str(console_script(script_dir))]


def run_cli(*args, cwd: Path, check_rc: int | None = None,
            env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    """Run ``python -m compress ARGS`` in ``cwd`` and return the finished process."""
    proc = subprocess.run([*cli_command(), *map(str, args)], cwd=cwd,
                          env=env or cli_env(), capture_output=True, text=True,
                          timeout=300, stdin=subprocess.DEVNULL)
    if check_rc is not None:
        assert proc.returncode == check_rc, (proc.returncode, proc.stdout, proc.stderr)
    return proc


def run_in_process(*args, cwd: Path, check_rc: int | None = None,
                   **_ignored) -> subprocess.CompletedProcess:
    """``compress.cli.main(ARGS)`` in this process, in ``cwd``: as :func:`run_cli`.

    For request and usage errors, where starting Python, NumPy and Numba again
    would cost far more than the run.  The program name is ``python -m
    compress``; the Ctrl-C handler that ``main`` installs is removed again.
    """
    import contextlib
    import signal

    from compress.cli import main

    out, err = io.StringIO(), io.StringIO()
    handler = signal.getsignal(signal.SIGINT)
    argv0, here = sys.argv[0], os.getcwd()
    try:
        sys.argv[0] = "__main__.py"
        os.chdir(cwd)
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = main([str(a) for a in args])
    finally:
        os.chdir(here)
        sys.argv[0] = argv0
        signal.signal(signal.SIGINT, handler)
    proc = subprocess.CompletedProcess(["compress", *map(str, args)], code,
                                       out.getvalue(), err.getvalue())
    if check_rc is not None:
        assert proc.returncode == check_rc, (proc.returncode, proc.stdout, proc.stderr)
    return proc


@dataclass
class CliRun:
    """What one ``python -m compress`` subprocess did."""

    returncode: int
    stdout: str
    stderr: str
    seconds: float
    peak_rss_mib: float


def cli_env(**extra: str) -> dict[str, str]:
    """Environment of a CLI subprocess: this tree first on the path, UTF-8."""
    env = dict(os.environ)
    env.pop("PYTHONWARNINGS", None)
    env["PYTHONIOENCODING"] = "utf-8"
    env["PYTHONPATH"] = str(REPO) + os.pathsep + env.get("PYTHONPATH", "")
    env.update(extra)
    return env


# ru_maxrss of a child started from a large process (pytest, after many tests)
# includes the parent's peak: Linux carries the old memory map's high-water mark
# across exec.  To measure the CLI alone, a small Python process starts it and
# reports its ru_maxrss; that launcher's own footprint (~10 MiB) is the floor.
_LAUNCHER = """\
import os, subprocess, sys
proc = subprocess.Popen(sys.argv[2:])
_, status, usage = os.wait4(proc.pid, 0)
with open(sys.argv[1], "w") as f:
    f.write(str(usage.ru_maxrss))
sys.exit(os.waitstatus_to_exitcode(status) % 256)
"""


def start_cli(args, cwd: Path, env: dict[str, str] | None = None,
              out_dir: Path | None = None, isolate_rss: bool = False,
              entry: str = "module") -> tuple[subprocess.Popen, Path, Path]:
    """Start the CLI with stdout/stderr going to files; return (process, out, err).

    ``isolate_rss``: start it through :data:`_LAUNCHER` so that its peak RSS
    is its own (signals then reach the launcher, not the CLI).  ``entry``:
    ``"module"`` (``python -m compress``) or ``"script"`` (``kmeans-compress``,
    the wrapper pip writes, made in ``out_dir``).
    """
    logs = Path(out_dir or cwd)
    tag = f"{os.getpid()}-{time.monotonic_ns()}"
    out_path = logs / f"stdout-{tag}.log"
    err_path = logs / f"stderr-{tag}.log"
    argv = [*cli_command(entry, logs), *map(str, args)]
    if isolate_rss:
        argv = [sys.executable, "-c", _LAUNCHER, str(logs / f"rss-{tag}.txt"), *argv]
    with open(out_path, "wb") as out, open(err_path, "wb") as err:
        proc = subprocess.Popen(
            argv, cwd=cwd, stdout=out, stderr=err, stdin=subprocess.DEVNULL,
            env=env or cli_env(),
        )
    return proc, out_path, err_path


def wait_cli(proc: subprocess.Popen, out_path: Path, err_path: Path,
             timeout: float = CLI_TIMEOUT, started: float | None = None) -> CliRun:
    """Reap ``proc`` with ``wait4`` (for its peak RSS); kill it after ``timeout``."""
    started = time.perf_counter() if started is None else started
    while True:
        pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
        if pid:
            break
        if time.perf_counter() - started > timeout:
            proc.kill()
            os.wait4(proc.pid, 0)
            proc.returncode = -9
            raise TimeoutError(f"CLI took more than {timeout} s: {proc.args}")
        time.sleep(0.01)
    seconds = time.perf_counter() - started
    proc.returncode = os.waitstatus_to_exitcode(status)
    stdout = out_path.read_text(encoding="utf-8", errors="replace")
    stderr = err_path.read_text(encoding="utf-8", errors="replace")
    out_path.unlink()
    err_path.unlink()
    peak_kib = usage.ru_maxrss
    rss_path = out_path.with_name(out_path.name.replace("stdout-", "rss-")
                                  .replace(".log", ".txt"))
    if rss_path.exists():  # started through the launcher: the CLI's own peak
        peak_kib = int(rss_path.read_text())
        rss_path.unlink()
    return CliRun(proc.returncode, stdout, stderr, seconds, peak_kib / 1024)


def run_timed(args, cwd: Path, *, env: dict[str, str] | None = None,
            timeout: float = CLI_TIMEOUT, log_dir: Path | None = None,
            isolate_rss: bool = True) -> CliRun:
    """Run ``python -m compress ARGS`` in ``cwd`` and wait for it.

    Logs go to ``log_dir`` (default ``cwd``) and are removed afterwards, so
    take a :func:`snapshot` of a directory that is not ``log_dir`` while the
    CLI runs, or one taken after this returns.
    """
    started = time.perf_counter()
    proc, out_path, err_path = start_cli(args, cwd, env, log_dir, isolate_rss)
    return wait_cli(proc, out_path, err_path, timeout, started)


def snapshot(root: Path) -> dict[str, str]:
    """Every entry under ``root``: relative path -> content hash and mtime.

    Directories are ``"dir"``, symbolic links ``"link->TARGET"``; files
    ``"SHA256 MTIME_NS"``, so a rewrite with the same bytes shows too.
    """
    entries: dict[str, str] = {}
    for path in sorted(Path(root).rglob("*")):
        rel = str(path.relative_to(root))
        if path.is_symlink():
            entries[rel] = f"link->{os.readlink(path)}"
        elif path.is_dir():
            entries[rel] = "dir"
        else:
            digest = hashlib.sha256(path.read_bytes()).hexdigest()
            entries[rel] = f"{digest} {path.stat().st_mtime_ns}"
    return entries


def sha256(path: Path) -> str:
    """Hex digest of a file's bytes."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


def photo_like(height: int, width: int, seed: int = 0) -> np.ndarray:
    """An ``(H, W, 3)`` uint8 image with smooth gradients, blobs and noise.

    Many distinct colours (like a photo) without storing a photo; rows are
    generated in bands so a 100-megapixel image needs no float64 copy of it.
    """
    rng = np.random.default_rng(seed)
    out = np.empty((height, width, 3), dtype=np.uint8)
    x = np.linspace(0.0, 1.0, width, dtype=np.float32)  # (W,)
    band = max(1, 4_000_000 // max(width, 1))
    for top in range(0, height, band):
        y = np.linspace(top / max(height, 1), min(top + band, height) / max(height, 1),
                        min(band, height - top), endpoint=False,
                        dtype=np.float32)[:, None]  # (band, 1)
        r = 127 + 100 * np.sin(6.0 * x + 3.0 * y)
        g = 127 + 100 * np.cos(4.0 * y - 2.0 * x)
        b = 255 * (x * y)
        noise = rng.integers(-12, 13, (y.shape[0], width, 3), dtype=np.int16)
        stack = np.stack([r, g, b], axis=-1) + noise  # (band, W, 3)
        out[top:top + y.shape[0]] = np.clip(stack, 0, 255).astype(np.uint8)
    return out


def all_colours() -> np.ndarray:
    """4096 x 4096 RGB image holding each of the 2**24 colours exactly once."""
    keys = np.arange(1 << 24, dtype=np.uint32)
    rgb = np.empty((1 << 24, 3), dtype=np.uint8)
    rgb[:, 0] = keys >> 16
    rgb[:, 1] = (keys >> 8) & 0xFF
    rgb[:, 2] = keys & 0xFF
    return rgb.reshape(4096, 4096, 3)


def _chunk(kind: bytes, data: bytes) -> bytes:
    body = kind + data
    return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))


def png_bytes(width: int, height: int, bit_depth: int, colour_type: int,
              raw: bytes) -> bytes:
    """A PNG built by hand: signature, IHDR, one IDAT of ``zlib(raw)``, IEND.

    ``raw`` is the filtered scanlines (filter byte 0 then the row); Pillow
    cannot write 16-bit RGB or lie about the size, so these are made here.
    """
    ihdr = struct.pack(">IIBBBBB", width, height, bit_depth, colour_type, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", ihdr)
            + _chunk(b"IDAT", zlib.compress(raw, 9)) + _chunk(b"IEND", b""))


def encode(im: Image.Image, fmt: str, **options) -> bytes:
    """Pillow-encode ``im`` into bytes."""
    buf = io.BytesIO()
    im.save(buf, format=fmt, **options)
    return buf.getvalue()


def run_json(*args, cwd: Path) -> dict:
    """Run the CLI (in this process) with ``--json``; return the parsed report."""
    proc = run_in_process(*args, "--json", cwd=cwd, check_rc=0)
    return json.loads(proc.stdout)


def png_chunks(path: Path) -> dict[bytes, bytes]:
    """Chunks of a PNG file, IDAT concatenated (a tiny reader: no Pillow)."""
    data = Path(path).read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG signature"
    chunks: dict[bytes, bytes] = {}
    pos = 8
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos:pos + 4])
        kind = data[pos + 4:pos + 8]
        body = data[pos + 8:pos + 8 + length]
        (crc,) = struct.unpack(">I", data[pos + 8 + length:pos + 12 + length])
        assert crc == zlib.crc32(kind + body) & 0xFFFFFFFF, f"bad CRC in {kind!r}"
        chunks[kind] = chunks.get(kind, b"") + body
        pos += 12 + length
    return chunks


def png_header(path: Path) -> dict:
    """IHDR fields and palette size of a PNG."""
    chunks = png_chunks(path)
    width, height, bit_depth, color_type = struct.unpack(">IIBB", chunks[b"IHDR"][:10])
    return {
        "width": width, "height": height, "bit_depth": bit_depth,
        "color_type": color_type,  # 3 = palette, 2 = RGB, 0 = grey, 6 = RGBA
        "palette_size": len(chunks.get(b"PLTE", b"")) // 3,
        "trns": chunks.get(b"tRNS"),
    }


def decode_palette_png(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """Index map and RGB palette of a palette PNG, as Pillow reads them."""
    with Image.open(path) as im:
        assert im.mode == "P", im.mode
        index = np.asarray(im).copy()
        palette = np.frombuffer(im.palette.tobytes(), dtype=np.uint8).reshape(-1, 3)
    return index, palette.copy()


def decode(path: Path, mode: str = "RGB") -> np.ndarray:
    """Pixels of an image file converted to ``mode``."""
    with Image.open(path) as im:
        return np.asarray(im.convert(mode)).copy()


def blobs_image(height: int = 64, width: int = 64, noise: int = 6,
                seed: int = 0) -> np.ndarray:
    """Four well-separated colour quadrants with a little uniform noise."""
    rng = np.random.default_rng(seed)
    colors = np.array([[220, 40, 40], [40, 200, 60], [40, 60, 220], [230, 220, 60]])
    img = np.empty((height, width, 3), dtype=np.int16)
    h2, w2 = height // 2, width // 2
    img[:h2, :w2], img[:h2, w2:] = colors[0], colors[1]
    img[h2:, :w2], img[h2:, w2:] = colors[2], colors[3]
    img += rng.integers(-noise, noise + 1, img.shape).astype(np.int16)
    return np.clip(img, 0, 255).astype(np.uint8)


def gradient_image(height: int = 48, width: int = 64, seed: int = 0) -> np.ndarray:
    """A smooth RGB gradient with noise: thousands of distinct colours."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:height, 0:width]
    img = np.stack([255 * x / (width - 1), 255 * y / (height - 1),
                    255 * (x + y) / (width + height - 2)], axis=2)
    img += rng.normal(0, 8, img.shape)
    return np.clip(np.rint(img), 0, 255).astype(np.uint8)


def save(path: Path, pixels: np.ndarray, **options) -> Path:
    """Write ``pixels`` with Pillow (format from the suffix) and return the path."""
    Image.fromarray(pixels).save(path, **options)
    return path


def png16(pixels: np.ndarray) -> bytes:
    """A 16-bit PNG of (H, W, C) uint16 ``pixels`` (Pillow cannot write RGB16)."""
    height, width, n_channels = pixels.shape
    colour_type = {1: 0, 2: 4, 3: 2, 4: 6}[n_channels]
    raw = b"".join(b"\x00" + pixels[y].astype(">u2").tobytes() for y in range(height))
    return png_bytes(width, height, 16, colour_type, raw)


def china_path() -> Path:
    """scikit-learn's bundled china.jpg (427 x 640)."""
    import sklearn.datasets

    return Path(sklearn.datasets.__file__).parent / "images" / "china.jpg"

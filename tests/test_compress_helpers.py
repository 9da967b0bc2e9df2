"""Shared helpers of the compress tests (imported by the other test_compress_* files).

Images are generated here or taken from scikit-learn's bundled sample images;
no test reads ../shared/data.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import struct
import subprocess
import sys
import zlib
from pathlib import Path

import numpy as np
from PIL import Image

REPO = Path(__file__).resolve().parents[1]


def run_cli(
    *args, cwd: Path, check_rc: int | None = None
) -> subprocess.CompletedProcess:
    """Run ``python -m compress ARGS`` in ``cwd`` and return the finished process."""
    env = dict(os.environ)
    env["PYTHONPATH"] = str(REPO) + os.pathsep + env.get("PYTHONPATH", "")
    proc = subprocess.run(
        [sys.executable, "-m", "compress", *map(str, args)],
        cwd=cwd, env=env, capture_output=True, text=True, timeout=300,
    )
    if check_rc is not None:
        assert proc.returncode == check_rc, (proc.returncode, proc.stdout, proc.stderr)
    return proc


def run_json(*args, cwd: Path) -> dict:
    """Run the CLI with ``--json`` and return the parsed report."""
    proc = run_cli(*args, "--json", cwd=cwd, check_rc=0)
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


def snapshot(root: Path) -> dict[str, tuple[int, str, int]]:
    """Every file under ``root``: (size, sha256, mtime_ns), for no-change checks."""
    out = {}
    for p in sorted(Path(root).rglob("*")):
        if p.is_file():
            st = p.stat()
            digest = hashlib.sha256(p.read_bytes()).hexdigest()
            out[str(p.relative_to(root))] = (st.st_size, digest, st.st_mtime_ns)
    return out


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
    color_type = {1: 0, 2: 4, 3: 2, 4: 6}[n_channels]
    raw = b"".join(b"\x00" + pixels[y].astype(">u2").tobytes() for y in range(height))

    def chunk(kind: bytes, body: bytes) -> bytes:
        crc = zlib.crc32(kind + body) & 0xFFFFFFFF
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", crc)

    ihdr = struct.pack(">IIBBBBB", width, height, 16, color_type, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr)
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


def china_path() -> Path:
    """scikit-learn's bundled china.jpg (427 x 640)."""
    import sklearn.datasets

    return Path(sklearn.datasets.__file__).parent / "images" / "china.jpg"


def test_png_reader_agrees_with_pillow(tmp_path):
    img = blobs_image(8, 12)
    buf = io.BytesIO()
    Image.fromarray(img).save(buf, "PNG")
    (tmp_path / "a.png").write_bytes(buf.getvalue())
    header = png_header(tmp_path / "a.png")
    assert (header["width"], header["height"], header["bit_depth"],
            header["color_type"]) == (12, 8, 8, 2)
    with Image.open(io.BytesIO(png16(np.full((2, 3, 1), 65535, np.uint16)))) as im:
        assert im.size == (3, 2) and im.mode == "I;16"

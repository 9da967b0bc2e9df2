"""A palette PNG written as a stream of rows, byte-identical to Pillow's.

Design notes: docs/internals.md, ``compress/io/png_stream.py``.
"""

from __future__ import annotations

import struct
import tempfile
import zlib
from pathlib import Path

import numpy as np

from .commit import commit_staged, stage
from .png import palette_alpha, palette_rgb, palette_zlib, png_bit_depth

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
PILLOW_MAXBLOCK = 65536  # PIL.ImageFile.MAXBLOCK: the encoder's output buffer


def chunk(kind: bytes, data: bytes) -> bytes:
    """One PNG chunk: length, type, data, CRC-32 of type and data."""
    return (struct.pack(">I", len(data)) + kind + data
            + struct.pack(">I", zlib.crc32(data, zlib.crc32(kind))))


def pack_rows(index_rows: np.ndarray, bits: int) -> np.ndarray:
    """Pack ``(h, width)`` indices into PNG row bytes, first pixel in the high bits."""
    rows = np.ascontiguousarray(index_rows, dtype=np.uint8)
    if bits == 8:
        return rows
    per_byte = 8 // bits
    padded = np.pad(rows, ((0, 0), (0, -rows.shape[1] % per_byte)))
    groups = padded.reshape(len(rows), -1, per_byte)  # (h, row_bytes, per_byte)
    shifts = (8 - bits * (1 + np.arange(per_byte))).astype(np.uint8)
    return np.bitwise_or.reduce(groups << shifts, axis=2).astype(np.uint8)


def _cost(v: np.ndarray) -> np.ndarray:
    """Per row ``sum_i min(v_i, 256 - v_i)``: distance of the bytes from 0."""
    v = v.astype(np.int64)
    return np.where(v < 128, v, 256 - v).sum(axis=1)


def filter_rows(raw: np.ndarray, previous: np.ndarray) -> np.ndarray:
    """Filter packed rows (1 byte per pixel step) as Pillow chooses; prepend the type.

    ``raw`` is ``(h, row_bytes)``, ``previous`` the raw row before it (zeros
    above the first row).  Filters (PNG 1.2, sec. 6.3), with ``a`` the byte to
    the left, ``b`` above, ``c`` above-left (0 outside the image), modulo 256:
    Sub ``x - a``, Up ``x - b``, Paeth ``x - p`` where ``p`` is whichever of
    ``a``, ``b``, ``c`` is nearest to ``a + b - c`` (ties in that order).
    """
    above = np.vstack([previous[None, :], raw[:-1]])  # (h, row_bytes) b
    left = np.pad(raw[:, :-1], ((0, 0), (1, 0)))  # a
    above_left = np.pad(above[:, :-1], ((0, 0), (1, 0)))  # c
    up = raw - above  # uint8 arithmetic wraps modulo 256
    sub = raw - left
    a, b, c = (x.astype(np.int16) for x in (left, above, above_left))
    pa, pb, pc = np.abs(b - c), np.abs(a - c), np.abs(a + b - 2 * c)
    predictor = np.where((pa <= pb) & (pa <= pc), left,
                         np.where(pb <= pc, above, above_left))
    paeth = raw - predictor
    kind = np.zeros(len(raw), dtype=np.uint8)
    best = _cost(raw)
    for code, data in ((2, up), (1, sub), (4, paeth)):  # Pillow's order
        cost = _cost(data)
        better = (best > 0) & (cost < best)  # strictly better, and not yet 0
        kind[better] = code
        best = np.where(better, cost, best)
    filtered = np.select([kind[:, None] == code for code in (2, 1, 4)],
                         [up, sub, paeth], raw)
    return np.hstack([kind[:, None], filtered])


class PalettePNGStream:
    """Write a palette PNG to ``path`` from bands of rows of palette indices.

    Parameters
    ----------
    path : Path
        The target; it appears complete, or not at all.
    width, height : int
        Image size in pixels.
    palette : ndarray of shape (n_colors, n_channels), uint8
        As for :func:`compress.io.png.encode_palette_png` (grey entries written
        as ``(v, v, v)``, alpha as ``tRNS``).

    Use as a context manager; leaving it by an exception removes everything,
    leaving it normally puts the file in place unless :meth:`finish` was called.
    """

    def __init__(self, path: Path, width: int, height: int, palette: np.ndarray):
        self.path = Path(path)
        self.width, self.height = int(width), int(height)
        self.bits = png_bit_depth(palette.shape[0])
        self.head = PNG_SIGNATURE + chunk(b"IHDR", struct.pack(
            ">IIBBBBB", self.width, self.height, self.bits, 3, 0, 0, 0))
        self.head += chunk(b"PLTE", palette_rgb(palette))
        alpha = palette_alpha(palette)
        if alpha is not None:
            self.head += chunk(b"tRNS", alpha)
        self._streams = [
            (zlib.compressobj(level, zlib.DEFLATED, 15, 9, strategy),
             tempfile.TemporaryFile(dir=self.path.parent))
            for level, strategy in palette_zlib(self.bits)]
        self._previous = np.zeros(-(-self.width * self.bits // 8), dtype=np.uint8)
        self.rows_written = 0

    def write(self, index_rows: np.ndarray) -> None:
        """Append ``(h, width)`` palette indices, the next ``h`` rows."""
        if not index_rows.shape[0]:
            return
        raw = pack_rows(index_rows, self.bits)  # (h, row_bytes)
        if self.bits == 8:  # palette rows unfiltered (type 0), as Pillow writes them
            data = np.pad(raw, ((0, 0), (1, 0)))
        else:
            data = filter_rows(raw, self._previous)
        self._previous = raw[-1].copy()
        block = data.tobytes()
        for compressor, f in self._streams:
            f.write(compressor.compress(block))
        self.rows_written += raw.shape[0]

    def finish(self) -> str:
        """Finish the streams, keep the smallest; return the temporary file to commit.

        It sits beside the target; :func:`compress.io.commit.commit_staged` renames it.
        """
        if self.rows_written != self.height:
            raise ValueError(f"{self.rows_written} rows written, the image has "
                             f"{self.height}.")
        for compressor, f in self._streams:
            f.write(compressor.flush())
        _, best = min(self._streams, key=lambda pair: pair[1].tell())  # first on ties
        block_size = max(PILLOW_MAXBLOCK, 4 * self.width)

        def write(out) -> None:
            out.write(self.head)
            best.seek(0)
            while data := best.read(block_size):
                out.write(chunk(b"IDAT", data))
            out.write(chunk(b"IEND", b""))

        try:
            return stage(self.path, write)
        finally:
            self._discard()

    def _discard(self) -> None:
        """Close (and so delete) the temporary streams."""
        for _, f in self._streams:
            f.close()
        self._streams = []

    def __enter__(self) -> PalettePNGStream:
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is not None:
            self._discard()
        elif self._streams:  # not finished by the caller: put it in place
            commit_staged({self.path: self.finish()})

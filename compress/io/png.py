"""PNG encoding: palette and RGB PNGs, and each k's PNG on a background thread.

Design notes (zlib and oxipng settings, measured): docs/internals.md,
``compress/io/png.py``.
"""

from __future__ import annotations

import io
import zlib
from concurrent.futures import Future, ThreadPoolExecutor

import numpy as np
from PIL import Image

from ..errors import CompressError

MAX_PALETTE = 256  # entries a PNG palette can hold
OXIPNG_LEVEL = 3
OXIPNG_FILTERS = ("Entropy", "NoOp")  # tried one at a time, in this order


def png_bit_depth(n_colors: int) -> int:
    """Smallest PNG palette bit depth (1, 2, 4 or 8) that holds ``n_colors``."""
    if not 1 <= n_colors <= MAX_PALETTE:
        raise ValueError(f"a PNG palette holds 1 to {MAX_PALETTE} colours, "
                         f"not {n_colors}.")
    return next(bits for bits in (1, 2, 4, 8) if n_colors <= 1 << bits)


def palette_zlib(bits: int) -> tuple[tuple[int, int], ...]:
    """Return the (zlib level, strategy) pairs to try for a ``bits``-bit palette PNG.

    The smallest file is kept, the first on ties (measured in docs/internals.md).
    """
    if bits == 8:
        return ((7, zlib.Z_DEFAULT_STRATEGY),)
    return ((9, zlib.Z_RLE), (9, zlib.Z_HUFFMAN_ONLY))


def palette_rgb(palette: np.ndarray) -> bytes:
    """Return the ``PLTE`` bytes of ``palette``: grey ``v`` as ``(v, v, v)``."""
    rgb = [0, 0, 0] if palette.shape[1] < 3 else [0, 1, 2]
    return palette[:, rgb].astype(np.uint8).tobytes()


def palette_alpha(palette: np.ndarray) -> bytes | None:
    """Return the ``tRNS`` bytes of ``palette`` (its alpha), None without alpha."""
    if palette.shape[1] in (2, 4):
        return palette[:, -1].astype(np.uint8).tobytes()
    return None


def encode_palette_png(index_map: np.ndarray, palette: np.ndarray, *,
                       optimize: bool = False) -> bytes:
    """Encode an indexed image as a palette PNG at the smallest bit depth.

    Parameters
    ----------
    index_map : ndarray of shape (height, width), unsigned integer
        Palette index of every pixel, all below ``len(palette)``.
    palette : ndarray of shape (n_colors, n_channels), uint8
        ``n_colors <= 256``; channels as in :class:`LoadedImage`.  Grey
        palettes are written as ``(v, v, v)`` entries; an alpha channel
        becomes the PNG ``tRNS`` chunk.
    optimize : bool, default=False
        Also recompress the file with oxipng (:func:`optimize_png`): the same
        pixels in 7-13 % fewer bytes, in 0.2-0.7 s for a 1-megapixel image.
        Needs the ``optimize`` extra (``pip install 'kmeans-compress[optimize]'``).

    Returns
    -------
    png : bytes
        The smallest encoding of :func:`palette_zlib` (the first on ties).
        With ``optimize`` the file's palette order may differ from
        ``palette``; the pixels do not.
    """
    bits = png_bit_depth(palette.shape[0])
    im = Image.fromarray(np.ascontiguousarray(index_map, dtype=np.uint8))
    im.putpalette(palette_rgb(palette), rawmode="RGB")  # mode L -> P
    alpha = palette_alpha(palette)  # None: no tRNS chunk
    best = b""
    for level, strategy in palette_zlib(bits):
        buf = io.BytesIO()
        im.save(buf, format="PNG", bits=bits, transparency=alpha,
                compress_level=level, compress_type=strategy)
        if not best or len(buf.getvalue()) < len(best):
            best = buf.getvalue()
    return optimize_png(best) if optimize else best


def encode_png(pixels: np.ndarray, *, optimize: bool = False) -> bytes:
    """Encode an ``(H, W, C)`` uint8 array as a grey, grey+alpha, RGB or RGBA PNG.

    Parameters
    ----------
    pixels : ndarray of shape (height, width, n_channels), uint8
    optimize : bool, default=False
        Also recompress the file with oxipng, as :func:`encode_palette_png`.

    Returns
    -------
    png : bytes
        Written by Pillow with ``optimize=True`` (zlib level 9).
    """
    data = pixels[:, :, 0] if pixels.shape[2] == 1 else pixels
    im = Image.fromarray(np.ascontiguousarray(data, dtype=np.uint8))
    buf = io.BytesIO()
    im.save(buf, format="PNG", optimize=True)
    return optimize_png(buf.getvalue()) if optimize else buf.getvalue()


def optimize_png(png: bytes) -> bytes:
    """Recompress a PNG losslessly with oxipng (needs pyoxipng).

    Returns the smallest of oxipng's outputs with each of ``OXIPNG_FILTERS``,
    or ``png`` itself when none is smaller; the pixels stay the same.
    """
    try:
        import oxipng
    except ImportError:
        raise CompressError("optimize needs pyoxipng: pip install "
                            "'kmeans-compress[optimize]' (or pip install "
                            "pyoxipng).") from None
    outputs = [oxipng.optimize_from_memory(png, level=OXIPNG_LEVEL,
                                           filter=[getattr(oxipng.RowFilter, name)])
               for name in OXIPNG_FILTERS]
    return min([png, *outputs], key=len)  # the first on ties


class BackgroundEncoder:
    """One background thread encoding PNGs; at most ``MAX_PENDING`` queued.

    The bound keeps memory flat on huge images (each queued job holds an
    index map).  Use as a context manager: leaving it (also by an error)
    cancels what has not started and waits for the running encoding.
    """

    MAX_PENDING = 2

    def __init__(self):
        self._pool = ThreadPoolExecutor(max_workers=1,
                                        thread_name_prefix="png-encoder")
        self._pending: list[Future] = []

    def submit(self, fn, *args) -> Future:
        """Queue ``fn(*args)`` once fewer than ``MAX_PENDING`` are waiting."""
        self._pending = [f for f in self._pending if not f.done()]
        while len(self._pending) >= self.MAX_PENDING:
            self._pending.pop(0).result()
        future = self._pool.submit(fn, *args)
        self._pending.append(future)
        return future

    def __enter__(self) -> BackgroundEncoder:
        return self

    def __exit__(self, *exc) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)


def writes_palette(n_colors: int, output_format: str) -> bool:
    """Whether ``n_colors`` are written as a palette PNG (``"auto"``: when they fit)."""
    return output_format != "rgb" and n_colors <= MAX_PALETTE


def encode_quantized(palette: np.ndarray, index_map: np.ndarray,
                     output_format: str = "auto", optimize: bool = False) -> bytes:
    """Encode a quantized image as the command line writes it.

    A palette PNG (:func:`writes_palette`), or an RGB one of
    ``palette[index_map]``, built here so that on the encoder's thread no
    full image waits in the queue.
    """
    if writes_palette(palette.shape[0], output_format):
        return encode_palette_png(index_map, palette, optimize=optimize)
    return encode_png(palette[index_map], optimize=optimize)


def submit_png(encoder: BackgroundEncoder, palette: np.ndarray,
               index_map: np.ndarray, output_format: str,
               optimize: bool = False) -> tuple[Future, int, bool]:
    """Queue the PNG of one quantized image (:func:`encode_quantized`).

    Returns the future of its bytes, its bits per pixel (the palette bit
    depth, or 8 per channel) and whether it is a palette PNG.
    """
    n_colors, n_channels = palette.shape
    png = encoder.submit(encode_quantized, palette, index_map, output_format,
                         optimize)
    if writes_palette(n_colors, output_format):
        return png, png_bit_depth(n_colors), True
    return png, 8 * n_channels, False

"""PNG encoding: palette and RGB PNGs, and each k's PNG on a background thread.

:func:`encode_palette_png` writes a palette PNG at the smallest bit depth,
:func:`encode_png` an RGB(A)/grey PNG.  :class:`BackgroundEncoder` runs them
off the main thread: zlib releases the GIL, so while the main thread fits the
next k (or draws a figure) the previous k's PNG is compressed on the other core:
measured 2.2 -> 1.7 s for the exercise's 7 k with ``--elbow``.  With
``optimize``, :func:`optimize_png` recompresses the file with oxipng (the
command line's ``--optimize`` first remaps the index map for longer runs:
:mod:`compress.quantization.remap`).
"""

from __future__ import annotations

import io
from concurrent.futures import Future, ThreadPoolExecutor

import numpy as np
from PIL import Image

from ..errors import CompressError
from .read import MODE_OF_CHANNELS

MAX_PALETTE = 256  # entries a PNG palette can hold


def png_bit_depth(n_colors: int) -> int:
    """Smallest PNG palette bit depth (1, 2, 4 or 8) that holds ``n_colors``."""
    if not 1 <= n_colors <= MAX_PALETTE:
        raise ValueError(f"a PNG palette holds 1 to {MAX_PALETTE} colours, "
                         f"not {n_colors}.")
    for bits in (1, 2, 4):
        if n_colors <= 1 << bits:
            return bits
    return 8


# zlib settings tried for every palette PNG; the smallest file is kept.
# Pillow filters the rows of 1/2/4-bit palette images (adaptive filter choice),
# which the PNG specification advises against for palette data, so the zlib
# strategy then decides the size.  Measured with Pillow 13 on k-means palettes
# (bytes; optimize=True | level 9 + Z_RLE | level 9 + Z_HUFFMAN_ONLY):
#   american_gothic.jpg k=5   118,350 | 107,861 | 115,588
#                       k=10  211,964 | 197,901 | 191,929
#                       k=16  270,306 | 253,294 | 251,854
#   sklearn china.jpg   k=5    33,480 |  29,442 |  35,710
#   grace_hopper.jpg    k=16   51,638 |  50,364 |  48,755
# At 1, 2 and 4 bits optimize=True won only once (american_gothic k=2: 31,848
# vs 32,091 bytes with Z_RLE) and it is the slow one (0.3 s at k=5 against
# 8 ms for Z_RLE or Z_HUFFMAN_ONLY), so sub-byte palettes try the two fast
# strategies.  8-bit palettes are not filtered by
# Pillow and the default strategy is best there (american_gothic k=64: 446,800
# vs 528,350 with Z_RLE; k=20: 282,200 vs 338,224), so they use it alone, at
# zlib level 7: level 9 searched 1.0-4.5x as long for 0-2.5 % fewer bytes
# (python -m bench.png_size and Pillow levels 6-9 at k = 20, 32, 64, 256 on
# american_gothic, china, flower; bytes level 7 / level 9, seconds):
#   american_gothic k=20  287,543 / 282,200  0.11 / 0.49 s
#                   k=64  447,010 / 446,727  0.09 / 0.13 s
#                   k=256 671,405 / 671,415  0.04 / 0.04 s
#   flower          k=20   31,678 /  30,905  0.009 / 0.050 s
# The smallest files are --optimize's (:func:`optimize_png`).
PALETTE_8BIT_LEVEL = 7
_PALETTE_PNG_OPTIONS = {
    "sub-byte": (
        {"compress_level": 9, "compress_type": 3},  # zlib.Z_RLE
        {"compress_level": 9, "compress_type": 2},  # zlib.Z_HUFFMAN_ONLY
    ),
    "8-bit": ({"compress_level": PALETTE_8BIT_LEVEL},),
}


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
        The smallest of the encodings in ``_PALETTE_PNG_OPTIONS`` (Pillow,
        zlib); the first one wins ties, so output is deterministic.  With
        ``optimize``, that file recompressed; the palette order in the file
        may then differ from ``palette`` (the pixels do not).
    """
    n_colors, n_channels = palette.shape
    bits = png_bit_depth(n_colors)
    has_alpha = n_channels in (2, 4)
    colour = palette[:, : n_channels - 1] if has_alpha else palette
    if colour.shape[1] == 1:
        colour = np.repeat(colour, 3, axis=1)  # grey entry v -> (v, v, v)
    im = Image.fromarray(np.ascontiguousarray(index_map, dtype=np.uint8))
    im.putpalette(colour.astype(np.uint8).tobytes(), rawmode="RGB")  # mode L -> P
    common: dict = {"bits": bits}
    if has_alpha:
        common["transparency"] = palette[:, -1].astype(np.uint8).tobytes()
    best = b""
    for options in _PALETTE_PNG_OPTIONS["8-bit" if bits == 8 else "sub-byte"]:
        buf = io.BytesIO()
        im.save(buf, format="PNG", **common, **options)
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
    n_channels = pixels.shape[2]
    data = pixels[:, :, 0] if n_channels == 1 else pixels
    im = Image.fromarray(np.ascontiguousarray(data, dtype=np.uint8))
    if im.mode != MODE_OF_CHANNELS[n_channels]:
        raise ValueError(f"cannot write {n_channels}-channel pixels as PNG.")
    buf = io.BytesIO()
    im.save(buf, format="PNG", optimize=True)
    return optimize_png(buf.getvalue()) if optimize else buf.getvalue()


# --optimize: the PNG written above, recompressed losslessly by oxipng (a Rust
# PNG optimiser; the pyoxipng wheel): it reorders the palette, filters rows and
# deflates with libdeflate at its strongest.  Two row-filter strategies are
# tried and the smaller file kept (the first on ties): oxipng's per-row
# entropy choice, and no filter.  Given both at once, oxipng's own trial kept
# the unfiltered rows on china k=64, 3 % larger than the entropy choice.
# Measured by python -m bench.png_size (bytes / `pngquant --nofs` bytes at the
# same k, higher PSNR than pngquant in every case; seconds of the
# recompression, 2 cores, host shared), zlib 9 / oxipng level 4 / this:
#   american_gothic k=64   0.972 / 0.857 in 0.88 s / 0.860 in 0.66 s
#                   k=256  0.959 / 0.843 in 0.53 s / 0.838 in 0.33 s
#   china           k=64   0.988 / 0.943 in 0.27 s / 0.917 in 0.18 s
#                   k=256  0.975 / 0.901 in 0.25 s / 0.901 in 0.17 s
#   flower          k=64   0.971 / 0.884 in 0.37 s / 0.884 in 0.25 s
#                   k=256  0.932 / 0.847 in 0.34 s / 0.847 in 0.20 s
# zopfli (0.84-0.93 in 0.7-2.3 s) and libdeflate 12 without filters (0.85-0.94)
# were larger; PNG filters without a better palette order made files larger.
OXIPNG_LEVEL = 3
OXIPNG_FILTERS = ("Entropy", "NoOp")  # tried one at a time, in this order


def optimize_png(png: bytes) -> bytes:
    """Recompress a PNG losslessly with oxipng; the pixels stay the same.

    Parameters
    ----------
    png : bytes
        A PNG file.

    Returns
    -------
    png : bytes
        The smallest of oxipng's outputs with each of ``OXIPNG_FILTERS``, or
        ``png`` itself when none is smaller.

    Raises
    ------
    CompressError
        When pyoxipng is not installed.
    """
    try:
        import oxipng
    except ImportError:
        raise CompressError("optimize needs pyoxipng: pip install "
                            "'kmeans-compress[optimize]' (or pip install "
                            "pyoxipng).") from None
    best = png
    for name in OXIPNG_FILTERS:
        out = oxipng.optimize_from_memory(png, level=OXIPNG_LEVEL,
                                          filter=[getattr(oxipng.RowFilter, name)])
        if len(out) < len(best):
            best = out
    return best


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
        """Queue ``fn(*args)`` once fewer than ``MAX_PENDING`` are waiting.

        Parameters
        ----------
        fn : callable
            Returns the encoded bytes.
        *args
            Its arguments, kept alive until it has run.

        Returns
        -------
        future : concurrent.futures.Future
            ``future.result()`` gives the bytes or raises what ``fn`` raised.
        """
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
    """Whether a quantized image of ``n_colors`` is written as a palette PNG.

    ``output_format="auto"`` gives a palette PNG when the palette fits one
    (<= ``MAX_PALETTE`` entries), ``"rgb"`` never.
    """
    return output_format != "rgb" and n_colors <= MAX_PALETTE


def encode_quantized(palette: np.ndarray, index_map: np.ndarray,
                     output_format: str = "auto", optimize: bool = False) -> bytes:
    """Encode a quantized image as the command line writes it.

    Parameters
    ----------
    palette : ndarray of shape (n_colors, n_channels), uint8
    index_map : ndarray of shape (height, width)
    output_format : {"auto", "palette", "rgb"}, default="auto"
        See :func:`writes_palette`.
    optimize : bool, default=False
        Recompress with oxipng (:func:`optimize_png`; needs ``pyoxipng``).

    Returns
    -------
    png : bytes
        :func:`encode_palette_png`, or :func:`encode_png` of
        ``palette[index_map]`` (built on the encoder's thread, so no full
        image waits in the queue).
    """
    if writes_palette(palette.shape[0], output_format):
        return encode_palette_png(index_map, palette, optimize=optimize)
    return encode_png(palette[index_map], optimize=optimize)


def submit_png(encoder: BackgroundEncoder, palette: np.ndarray,
               index_map: np.ndarray, output_format: str,
               optimize: bool = False) -> tuple[Future, int, bool]:
    """Queue the PNG of one quantized image.

    Parameters
    ----------
    encoder : BackgroundEncoder
    palette : ndarray of shape (n_colors, n_channels), uint8
    index_map : ndarray of shape (height, width)
    output_format : {"auto", "palette", "rgb"}
        ``"auto"``: a palette PNG when the palette fits one (<= 256 entries).
    optimize : bool, default=False
        Recompress with oxipng (:func:`optimize_png`).

    Returns
    -------
    png : Future
        The PNG bytes.
    bits_per_pixel : int
        Of the stored image data: the palette bit depth, or 8 per channel.
    as_palette : bool
        Whether it is a palette PNG.
    """
    n_colors, n_channels = palette.shape
    as_palette = writes_palette(n_colors, output_format)
    png = encoder.submit(encode_quantized, palette, index_map, output_format,
                         optimize)
    if as_palette:
        return png, png_bit_depth(n_colors), True
    return png, 8 * n_channels, False

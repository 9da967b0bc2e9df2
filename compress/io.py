"""Reading images into 8-bit arrays and writing PNGs atomically.

Reading (:func:`load_image`) turns every supported file into an ``(H, W, C)``
uint8 array with ``C`` one of 1 (grey), 2 (grey + alpha), 3 (RGB) or
4 (RGBA), and says in ``notes`` what it had to do on the way:

* EXIF orientation is applied, so the array looks like the photo does;
* palette images (GIF, palette PNG) are expanded to RGB, or RGBA if they have
  a transparent entry; of an animated GIF or multi-page TIFF only the first
  frame is used;
* 16-bit greyscale is scaled to 8 bits with rounding (``round(v * 255 /
  65535)``), not clipped as Pillow's ``convert("L")`` would; 16-bit colour is
  reduced by Pillow to the high byte of each channel;
* an alpha channel that is fully opaque everywhere is dropped.

:func:`decode_image` does the same for an image held in memory (a download).
Writing: :func:`encode_palette_png` and :func:`encode_png` return PNG bytes;
:func:`compress.commit.write_atomically` puts them in place.
"""

from __future__ import annotations

import io
import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from .errors import CompressError

# Pillow's own decompression-bomb limit (about 89.5 megapixels): a 1024 MiB
# budget for a 4-byte-per-pixel image, divided by 3.
DEFAULT_MAX_PIXELS = 1024 * 1024 * 1024 // 4 // 3

SUPPORTED = "JPEG, PNG, BMP, TIFF, WebP or GIF"

# Pillow modes reduced to the four layouts used here, with a note if lossy.
_MODE_MAP = {
    "1": ("L", None),
    "L": ("L", None),
    "LA": ("LA", None),
    "La": ("LA", None),
    "RGB": ("RGB", None),
    "RGBA": ("RGBA", None),
    "RGBa": ("RGBA", None),
    "RGBX": ("RGB", None),
    "CMYK": ("RGB", "CMYK converted to RGB"),
    "YCbCr": ("RGB", None),
    "LAB": ("RGB", "Lab converted to RGB"),
    "HSV": ("RGB", "HSV converted to RGB"),
}
_MODE_OF_CHANNELS = {1: "L", 2: "LA", 3: "RGB", 4: "RGBA"}


@dataclass
class LoadedImage:
    """An image read by :func:`load_image`.

    Attributes
    ----------
    pixels : ndarray of shape (height, width, n_channels), uint8
        ``n_channels`` is 1 (grey), 2 (grey, alpha), 3 (RGB) or 4 (RGBA).
    path : Path or None
        Where it was read from.
    file_bytes : int or None
        Size of the file.
    notes : list of str
        What was done to the image on the way in (see the module docstring).
    """

    pixels: np.ndarray
    path: Path | None = None
    file_bytes: int | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def mode(self) -> str:
        """Pillow name of the layout: ``"L"``, ``"LA"``, ``"RGB"`` or ``"RGBA"``."""
        return _MODE_OF_CHANNELS[self.pixels.shape[2]]

    @property
    def raw_bytes(self) -> int:
        """Size of the pixels stored uncompressed at 8 bits per channel."""
        return int(self.pixels.size)


def _check_file(path: Path) -> int:
    """Return the size of ``path``, or raise a one-line error saying why not."""
    try:
        st = path.stat()
    except FileNotFoundError:
        raise CompressError(f"{path}: no such file.") from None
    except OSError as e:
        raise CompressError(f"{path}: cannot read it ({e.strerror}).") from None
    if path.is_dir():
        raise CompressError(f"{path}: is a directory, not an image file.")
    if st.st_size == 0:
        raise CompressError(f"{path}: is empty (0 bytes), not an image.")
    return st.st_size


def _open(path, max_pixels: int) -> Image.Image:
    """Open ``path`` (a Path, or a _Named file object) with Pillow, bomb-checked."""
    saved = Image.MAX_IMAGE_PIXELS
    # Pillow's guard is replaced by the explicit check below, which names the
    # option that raises the limit.
    Image.MAX_IMAGE_PIXELS = None
    try:
        im = Image.open(path)
    except UnidentifiedImageError:
        raise CompressError(
            f"{path}: not an image file Pillow can read (expected {SUPPORTED})."
        ) from None
    except PermissionError:
        raise CompressError(f"{path}: cannot read it (permission denied).") from None
    except (OSError, SyntaxError, ValueError) as e:  # Pillow's header errors
        raise CompressError(
            f"{path}: cannot decode it, the file is truncated or corrupt ({e})."
        ) from None
    finally:
        Image.MAX_IMAGE_PIXELS = saved
    width, height = im.size
    if width * height > max_pixels:
        im.close()
        raise CompressError(
            f"{path}: {width} x {height} = {width * height:,} pixels is over the "
            f"decompression-bomb limit of {max_pixels:,}; if you trust the file, "
            f"raise the limit with --max-pixels {width * height}."
        )
    return im


def load_image(path: str | os.PathLike, *,
               max_pixels: int = DEFAULT_MAX_PIXELS) -> LoadedImage:
    """Read an image file into an 8-bit array.

    Parameters
    ----------
    path : str or path-like
        A JPEG, PNG, BMP, TIFF, WebP or GIF file.
    max_pixels : int, default=DEFAULT_MAX_PIXELS
        Refuse images with more pixels than this (decompression-bomb guard).

    Returns
    -------
    image : LoadedImage

    Raises
    ------
    CompressError
        If the file is missing, a directory, empty, not an image, truncated
        or corrupt, too large, or in a layout that cannot be converted.
    """
    path = Path(path)
    file_bytes = _check_file(path)
    return _decode(path, path, file_bytes, max_pixels)


class _Named(io.BytesIO):
    """Bytes that print as their source in messages (``f"{source}: ..."``)."""

    def __init__(self, data: bytes, name: str):
        super().__init__(data)
        self._label = name

    def __str__(self) -> str:
        return self._label


def decode_image(data: bytes, name: str, *, max_pixels: int = DEFAULT_MAX_PIXELS,
                 content_type: str = "") -> LoadedImage:
    """Decode an image held in memory (e.g. downloaded) into an 8-bit array.

    Parameters
    ----------
    data : bytes
        The encoded image.
    name : str
        Where it came from (a URL), for messages.
    max_pixels : int, default=DEFAULT_MAX_PIXELS
        Refuse images with more pixels than this.
    content_type : str, optional
        The server's Content-Type, named in the error when ``data`` is not an
        image (``text/html`` usually means a web page, not the image).

    Returns
    -------
    image : LoadedImage
        ``path`` is None; ``file_bytes`` is ``len(data)``.

    Raises
    ------
    CompressError
        As :func:`load_image`.
    """
    if not data:
        raise CompressError(f"{name}: the body is empty (0 bytes), not an image.")
    try:
        return _decode(_Named(data, name), None, len(data), max_pixels)
    except CompressError as e:
        if content_type and "not an image file" in str(e):
            raise CompressError(f"{e} The server sent {content_type}.") from None
        raise


def _decode(source, path: Path | None, file_bytes: int,
            max_pixels: int) -> LoadedImage:
    """Decode ``source`` (a path or a _Named file object) into a LoadedImage."""
    notes: list[str] = []
    im = _open(source, max_pixels)
    with im:
        n_frames = getattr(im, "n_frames", 1)
        if n_frames > 1:
            notes.append(f"{im.format} has {n_frames} frames: using the first.")
        wide = any(";16" in str(t.args) for t in getattr(im, "tile", []) or [])
        try:
            im.load()
            orientation = im.getexif().get(0x0112, 1)
            oriented = ImageOps.exif_transpose(im)
        except Exception as e:  # Pillow raises many types for bad data
            raise CompressError(
                f"{source}: cannot decode it, the file is truncated or corrupt ({e})."
            ) from None
        if orientation not in (None, 1):
            notes.append(f"applied EXIF orientation {orientation}.")
        pixels = _to_uint8(oriented, source, notes, wide)
    if pixels.shape[2] in (2, 4) and bool((pixels[..., -1] == 255).all()):
        pixels = np.ascontiguousarray(pixels[..., :-1])
        notes.append("alpha channel is fully opaque: dropped.")
    return LoadedImage(pixels, path, file_bytes, notes)


def _to_uint8(im: Image.Image, path: Path, notes: list[str], wide: bool) -> np.ndarray:
    """Convert a loaded Pillow image to an ``(H, W, C)`` uint8 array."""
    mode = im.mode
    if mode in ("P", "PA"):
        has_alpha = mode == "PA" or "transparency" in im.info
        im = im.convert("RGBA" if has_alpha else "RGB")
        notes.append(f"palette image expanded to {im.mode}.")
    elif mode.startswith("I"):  # "I;16", "I;16B", "I;16L", "I;16N", "I"
        values = np.asarray(im)
        if values.size and (values.min() < 0 or values.max() > 65535):
            raise CompressError(
                f"{path}: 32-bit integer pixels are not supported; convert the "
                "image to 8 or 16 bits first."
            )
        scaled = (values.astype(np.uint32) * 255 + 32767) // 65535  # round
        notes.append("16-bit greyscale scaled to 8 bits (round(v * 255 / 65535)).")
        return scaled.astype(np.uint8)[:, :, None]
    elif mode in _MODE_MAP:
        target, note = _MODE_MAP[mode]
        if target != mode:
            im = im.convert(target)
        if note:
            notes.append(note + ".")
        if wide:
            notes.append("16-bit channels reduced to 8 bits (high byte) by Pillow.")
    else:
        raise CompressError(
            f"{path}: pixel format {mode!r} is not supported; convert it to 8-bit "
            "RGB or greyscale first."
        )
    pixels = np.asarray(im, dtype=np.uint8)
    if pixels.ndim == 2:
        pixels = pixels[:, :, None]
    return np.ascontiguousarray(pixels)


def png_bit_depth(n_colors: int) -> int:
    """Smallest PNG palette bit depth (1, 2, 4 or 8) that holds ``n_colors``."""
    if not 1 <= n_colors <= 256:
        raise ValueError(f"a PNG palette holds 1 to 256 colours, not {n_colors}.")
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
        zlib); the first one wins ties, so output is deterministic.
        With ``optimize``, that file recompressed; the palette order in the
        file may then differ from ``palette`` (the pixels do not).
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
    if im.mode != _MODE_OF_CHANNELS[n_channels]:
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
# recompression, 2 cores, host shared), today's file / oxipng level 4 / this:
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

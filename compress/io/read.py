"""Reading images into 8-bit arrays.

Design notes: docs/internals.md, ``compress/io/read.py``.
"""

from __future__ import annotations

import io
import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from ..errors import CompressError

# Pillow's own decompression-bomb limit (about 89.5 megapixels): a 1024 MiB
# budget for a 4-byte-per-pixel image, divided by 3.
DEFAULT_MAX_PIXELS = 1024 * 1024 * 1024 // 4 // 3

# Pillow modes read as one of the four layouts of MODE_OF_CHANNELS; the lossy
# conversions are named in a note.
_TARGET = {"1": "L", "L": "L", "LA": "LA", "La": "LA", "RGB": "RGB", "RGBA": "RGBA",
           "RGBa": "RGBA", "RGBX": "RGB", "YCbCr": "RGB", "CMYK": "RGB", "LAB": "RGB",
           "HSV": "RGB"}
_LOSSY = {"CMYK": "CMYK", "LAB": "Lab", "HSV": "HSV"}
MODE_OF_CHANNELS = {1: "L", 2: "LA", 3: "RGB", 4: "RGBA"}


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
        What was done to the image on the way in (docs/internals.md).
    """

    pixels: np.ndarray
    path: Path | None = None
    file_bytes: int | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def mode(self) -> str:
        """Pillow name of the layout: ``"L"``, ``"LA"``, ``"RGB"`` or ``"RGBA"``."""
        return MODE_OF_CHANNELS[self.pixels.shape[2]]

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
    return _decode(path, str(path), _check_file(path), max_pixels)


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
        return _decode(io.BytesIO(data), name, len(data), max_pixels)
    except CompressError as e:
        if content_type and "not an image file" in str(e):
            raise CompressError(f"{e} The server sent {content_type}.") from None
        raise


def _decode(source: Path | io.BytesIO, name: str, file_bytes: int,
            max_pixels: int) -> LoadedImage:
    """Decode ``source`` (a file, or bytes called ``name``) into a LoadedImage."""
    saved = Image.MAX_IMAGE_PIXELS
    Image.MAX_IMAGE_PIXELS = None  # the check below names the option to raise it
    try:
        im = Image.open(source)
    except UnidentifiedImageError:
        raise CompressError(
            f"{name}: not an image file Pillow can read (expected JPEG, PNG, BMP, "
            "TIFF, WebP or GIF)."
        ) from None
    except PermissionError:
        raise CompressError(f"{name}: cannot read it (permission denied).") from None
    except (OSError, SyntaxError, ValueError) as e:  # Pillow's header errors
        raise CompressError(
            f"{name}: cannot decode it, the file is truncated or corrupt ({e})."
        ) from None
    finally:
        Image.MAX_IMAGE_PIXELS = saved
    notes: list[str] = []
    with im:
        width, height = im.size
        if width * height > max_pixels:
            raise CompressError(
                f"{name}: {width} x {height} = {width * height:,} pixels is over the "
                f"decompression-bomb limit of {max_pixels:,}; if you trust the file, "
                f"raise the limit with --max-pixels {width * height}."
            )
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
                f"{name}: cannot decode it, the file is truncated or corrupt ({e})."
            ) from None
        if orientation not in (None, 1):
            notes.append(f"applied EXIF orientation {orientation}.")
        pixels = _to_uint8(oriented, name, notes, wide)
    path = source if isinstance(source, Path) else None
    return LoadedImage(pixels, path, file_bytes, notes)


def from_pillow(im: Image.Image) -> LoadedImage:
    """Convert a Pillow image of any mode as :func:`load_image` converts a file."""
    notes: list[str] = []
    return LoadedImage(_to_uint8(im, "the Pillow image", notes, wide=False),
                       notes=notes)


def _to_uint8(im: Image.Image, name: str, notes: list[str], wide: bool) -> np.ndarray:
    """Convert a loaded Pillow image to ``(H, W, C)`` uint8; drop an opaque alpha."""
    mode = im.mode
    if mode in ("P", "PA"):
        has_alpha = mode == "PA" or "transparency" in im.info
        im = im.convert("RGBA" if has_alpha else "RGB")
        notes.append(f"palette image expanded to {im.mode}.")
    elif mode.startswith("I"):  # "I;16", "I;16B", "I;16L", "I;16N", "I"
        values = np.asarray(im)
        if values.size and (values.min() < 0 or values.max() > 65535):
            raise CompressError(
                f"{name}: 32-bit integer pixels are not supported; convert the "
                "image to 8 or 16 bits first."
            )
        scaled = (values.astype(np.uint32) * 255 + 32767) // 65535  # round
        notes.append("16-bit greyscale scaled to 8 bits (round(v * 255 / 65535)).")
        return scaled.astype(np.uint8)[:, :, None]
    elif mode in _TARGET:
        if _TARGET[mode] != mode:
            im = im.convert(_TARGET[mode])
        if mode in _LOSSY:
            notes.append(f"{_LOSSY[mode]} converted to RGB.")
        if wide:
            notes.append("16-bit channels reduced to 8 bits (high byte) by Pillow.")
    else:
        raise CompressError(
            f"{name}: pixel format {mode!r} is not supported; convert it to 8-bit "
            "RGB or greyscale first."
        )
    pixels = np.asarray(im, dtype=np.uint8)
    if pixels.ndim == 2:
        pixels = pixels[:, :, None]
    if pixels.shape[2] in (2, 4) and bool((pixels[..., -1] == 255).all()):
        notes.append("alpha channel is fully opaque: dropped.")
        pixels = pixels[..., :-1]
    return np.ascontiguousarray(pixels)

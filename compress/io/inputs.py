"""An image as people have it: a path, a URL, a Pillow image or an array.

Design notes: docs/internals.md, ``compress/io/inputs.py``.
"""

from __future__ import annotations

import os
import urllib.parse
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

from .fetch import fetch_url, is_url
from .read import DEFAULT_MAX_PIXELS, LoadedImage, decode_image, from_pillow, load_image


@dataclass(frozen=True)
class Source:
    """An input: its name for messages and titles, and where outputs go.

    Attributes
    ----------
    text : str
        As given on the command line.
    path : Path or None
        The local file; None for a URL.
    name : str
        File name, e.g. ``painting.jpg`` (the last segment of a URL's path).
    directory : Path
        Default output directory: the file's own, or ``.`` for a URL.
    """

    text: str
    path: Path | None
    name: str
    directory: Path

    @property
    def stem(self) -> str:
        """Name without its suffix: outputs are ``STEM-kK.png``."""
        return Path(self.name).stem

    @classmethod
    def of(cls, text: str) -> Source:
        """Describe ``text``, a file path or an http(s) URL."""
        if not is_url(text):
            path = Path(text)
            return cls(text, path, path.name, path.parent)
        segment = urllib.parse.unquote(urllib.parse.urlsplit(text).path)
        name = segment.rsplit("/", 1)[-1].strip()
        if Path(name).stem in ("", ".", ".."):
            name = "download"
        return cls(text, None, name, Path("."))


def is_array(image) -> bool:
    """Whether ``image`` is taken as an array (not a path, URL or Pillow image)."""
    return not isinstance(image, (str, os.PathLike, Image.Image))


def read_input(image, *, max_pixels: int = DEFAULT_MAX_PIXELS, timeout: float = 30.0,
               max_download_bytes: int = 100 * 2**20) -> LoadedImage:
    """Read ``image`` into 8-bit pixels.

    Parameters
    ----------
    image : str, path-like, PIL.Image.Image or array-like
        A file path, an http(s) URL, a Pillow image, or an array of shape
        (H, W) or (H, W, C) with C in 1..4: uint8, uint16, or float in [0, 1].
    max_pixels : int, default=DEFAULT_MAX_PIXELS
        Refuse a file or download with more pixels (decompression bombs).
    timeout, max_download_bytes
        Limits of a download (:func:`compress.io.fetch.fetch_url`).

    Returns
    -------
    image : LoadedImage
        Pixels of shape (H, W, C), uint8; ``path`` and ``file_bytes`` for a
        file, ``file_bytes`` for a URL.

    Raises
    ------
    TypeError, ValueError
        For an array of another dtype or range, with the conversion to use.
    compress.CompressError
        For a file or URL that cannot be read.
    """
    if isinstance(image, Image.Image):
        return from_pillow(image)
    if isinstance(image, str) and is_url(image):
        body, content_type = fetch_url(image, timeout=timeout,
                                       max_bytes=max_download_bytes)
        return decode_image(body, image, max_pixels=max_pixels,
                            content_type=content_type)
    if isinstance(image, (str, os.PathLike)):
        return load_image(image, max_pixels=max_pixels)
    pixels = to_uint8(image)
    return LoadedImage(pixels if pixels.ndim == 3 else pixels[:, :, None])


def to_uint8(image) -> np.ndarray:
    """Convert uint8, uint16 or float pixels in [0, 1] to uint8 exactly, same shape.

    Anything else raises TypeError (another dtype) or ValueError (floats
    outside [0, 1], NaN), with a message that says how to convert.
    """
    array = np.asarray(image)
    kind = array.dtype.kind
    if array.dtype == np.uint8:
        return array
    if array.dtype == np.uint16:
        return ((array.astype(np.uint32) * 255 + 32767) // 65535).astype(np.uint8)
    if kind == "f":
        low, high = (float(array.min()), float(array.max())) if array.size else (0, 0)
        if not (np.isfinite(low) and np.isfinite(high)):
            raise ValueError("image has NaN or infinite values; replace them first, "
                             "e.g. np.nan_to_num(x, nan=0.0).")
        if low < 0.0 or high > 1.0:
            fix = ("np.round(x).astype(np.uint8)" if low >= 0.0 and high <= 255.0
                   else "(x - x.min()) / (x.max() - x.min())")
            raise ValueError(f"float image values must be in [0, 1] (as plt.imread "
                             f"gives), got [{low:g}, {high:g}]; pass {fix}.")
        return np.round(array * 255.0).astype(np.uint8)
    if kind in "iub" and array.size and 0 <= array.min() and array.max() <= 255:
        raise TypeError(f"image must be uint8, uint16 or float in [0, 1], got "
                        f"{array.dtype} with values in 0..255; pass "
                        "x.astype(np.uint8).")
    raise TypeError(f"image must be uint8, uint16 or float in [0, 1], got "
                    f"{array.dtype}; scale it into one of these, e.g. "
                    "(x - x.min()) / (x.max() - x.min()) for floats in [0, 1].")

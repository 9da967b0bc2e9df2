"""The exact colour histogram of an image: distinct colours and their counts.

Design notes: docs/internals.md, ``compress/quantization/histogram.py``.
"""

from __future__ import annotations

import numpy as np

from .kernel_input import kernel_input

# Keys up to this many bits use the compiled bitmap (2 MiB for RGB, imported
# on first use: `--help` does not pay for Numba); wider keys are sorted.
MAX_BITMAP_BITS = 24


def _key_bits(pixels: np.ndarray) -> int:
    """Bits of one packed key of ``pixels``; raise if they cannot be packed."""
    if pixels.ndim != 2 or pixels.dtype.kind != "u":
        raise TypeError("pixels must be a 2-D unsigned integer array of shape "
                        f"(n_pixels, n_channels), got {pixels.ndim}-D {pixels.dtype}.")
    bits = pixels.dtype.itemsize * 8
    total = bits * pixels.shape[1]
    if total > 64:
        raise ValueError(f"{pixels.shape[1]} channels of {bits} bits do not fit in "
                         "a 64-bit key.")
    return total


def pack_colors(pixels: np.ndarray) -> np.ndarray:
    """Pack each row of unsigned ``pixels`` (n_pixels, C) into one key, (n_pixels,).

    Keys are uint32 or uint64 (at most 64 bits a row).  Channel ``c`` occupies
    bits ``bits * (C - 1 - c)`` upwards, so keys sort like the colours do.
    """
    total = _key_bits(pixels)
    n_channels = pixels.shape[1]
    bits = pixels.dtype.itemsize * 8
    key_dtype = np.uint32 if total <= 32 else np.uint64
    keys = np.zeros(pixels.shape[0], dtype=key_dtype)  # (n_pixels,)
    for c in range(n_channels):
        keys <<= key_dtype(bits)
        keys |= pixels[:, c].astype(key_dtype)
    return keys


def unpack_colors(keys: np.ndarray, n_channels: int, dtype=np.uint8) -> np.ndarray:
    """Invert :func:`pack_colors`: colours (n_colors, n_channels) of ``dtype``."""
    dtype = np.dtype(dtype)
    bits = dtype.itemsize * 8
    mask = keys.dtype.type((1 << bits) - 1)
    colors = np.empty((keys.shape[0], n_channels), dtype=dtype)
    for c in range(n_channels):
        shift = keys.dtype.type(bits * (n_channels - 1 - c))
        colors[:, c] = (keys >> shift) & mask
    return colors


def color_histogram(pixels: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Distinct colours of ``pixels``, their pixel counts and the inverse index.

    Parameters
    ----------
    pixels : ndarray of shape (n_pixels, n_channels), unsigned integer dtype
        One row per pixel, e.g. ``image.reshape(-1, 3)`` for an RGB image.

    Returns
    -------
    colors : ndarray of shape (n_colors, n_channels), dtype of ``pixels``
        Distinct colours, sorted lexicographically.
    counts : ndarray of shape (n_colors,), int64
        Number of pixels of each colour; sums to ``n_pixels``.
    inverse : ndarray of shape (n_pixels,), uint32 (keys up to 24 bits) or intp
        ``colors[inverse]`` equals ``pixels``.
    """
    bits = _key_bits(pixels)
    n_pixels = pixels.shape[0]
    if n_pixels == 0:
        return (pixels[:0].copy(), np.zeros(0, dtype=np.int64),
                np.zeros(0, dtype=np.intp))
    if bits <= MAX_BITMAP_BITS:
        from ._histogram_kernel import bitmap_histogram

        colors, counts, inverse = bitmap_histogram(kernel_input(pixels))
        return colors.astype(pixels.dtype, copy=False), counts, inverse
    # np.unique(keys, ...) written out: 40% faster (docs/internals.md).
    keys = pack_colors(pixels)  # (n_pixels,)
    order = np.argsort(keys, kind="stable")  # (n_pixels,)
    sorted_keys = keys[order]
    # A new colour starts wherever the sorted key changes.
    starts = np.empty(n_pixels, dtype=bool)
    starts[0] = True
    np.not_equal(sorted_keys[1:], sorted_keys[:-1], out=starts[1:])
    run_index = np.cumsum(starts) - 1  # colour index of each sorted pixel
    inverse = np.empty(n_pixels, dtype=np.intp)
    inverse[order] = run_index
    first = np.flatnonzero(starts)  # (n_colors,)
    counts = np.diff(np.append(first, n_pixels)).astype(np.int64)
    colors = unpack_colors(sorted_keys[first], pixels.shape[1], pixels.dtype)
    return colors, counts, inverse


def count_distinct(pixels: np.ndarray) -> int:
    """Count the distinct rows of unsigned ``pixels`` of shape (n_pixels, C).

    ``O(n)`` for keys of at most ``MAX_BITMAP_BITS`` bits, cheap enough to call
    before deciding whether to build the histogram; wider keys are sorted.
    """
    bits = _key_bits(pixels)
    if pixels.shape[0] == 0:
        return 0
    if bits <= MAX_BITMAP_BITS:
        from ._histogram_kernel import bitmap_count

        return bitmap_count(kernel_input(pixels))
    keys = np.sort(pack_colors(pixels))
    return int(np.count_nonzero(keys[1:] != keys[:-1]) + 1)

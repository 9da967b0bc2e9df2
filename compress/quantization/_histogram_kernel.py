"""Compiled colour histogram for keys of up to 24 bits (RGB, grey, grey+alpha).

The set of colours present is a bitmap with one bit per possible key (2^24
bits = 2 MiB for RGB), and a colour's id is the number of set bits before its
own: the *rank* of the bitmap (Jacobson 1989, "Space-efficient static trees
and graphs", FOCS, section 2).  With ``words`` the bitmap as 64-bit words and
``rank[w]`` the set bits in ``words[:w]``,

    id(q) = rank[q >> 6] + popcount(words[q >> 6] & ((1 << (q & 63)) - 1)).

Ids follow key order, the colours' lexicographic order.  The passes: mark the
bitmap (1), rank it (2), give each pixel its id (3), count the ids (4), list
the set bits as colours (5).  Design notes: docs/internals.md, ``histogram.py``.
"""

from __future__ import annotations

import numpy as np

from kmeans_core import jit  # the project's one compile policy (cache, IEEE math)

WORD_BITS = 64  # bits per bitmap word; key q lives in word q >> 6, bit q & 63
_M1 = np.uint64(0x5555555555555555)  # 01 repeated
_M2 = np.uint64(0x3333333333333333)  # 0011 repeated
_M4 = np.uint64(0x0F0F0F0F0F0F0F0F)  # 00001111 repeated
_H01 = np.uint64(0x0101010101010101)  # one 1 per byte
_ONE = np.uint64(1)


@jit()
def _popcount(x):  # IN uint64; returns int64
    """Count the set bits of ``x`` by SWAR (Hacker's Delight, section 5-1).

    Add neighbouring bit counts in parallel: 32 two-bit sums, 16 four-bit
    sums, 8 byte sums; multiplying by ``0x0101...01`` adds the 8 bytes into the
    top byte.  LLVM emits one ``popcnt`` for this idiom (checked on x86-64).
    """
    x = x - ((x >> _ONE) & _M1)
    x = (x & _M2) + ((x >> np.uint64(2)) & _M2)
    x = (x + (x >> np.uint64(4))) & _M4
    return np.int64((x * _H01) >> np.uint64(56))


@jit()
def _key(pixels, i, channel_bits):  # IN (n_pixels, n_channels); IN; IN
    """Packed key of pixel ``i``: ``sum_c pixels[i, c] << (bits * (C - 1 - c))``."""
    if pixels.shape[1] == 3:
        # RGB written out: passes 1 and 3 run about a third faster.
        return ((np.int64(pixels[i, 0]) << (2 * channel_bits))
                | (np.int64(pixels[i, 1]) << channel_bits)
                | np.int64(pixels[i, 2]))
    key = np.int64(0)
    for c in range(pixels.shape[1]):
        key = (key << channel_bits) | np.int64(pixels[i, c])
    return key


@jit()
def _mark(
    pixels,  # IN (n_pixels, n_channels), unsigned
    channel_bits,  # IN bits per channel
    words,  # INOUT (n_words,) uint64, zeroed
):
    """Pass 1: set bit ``key`` of the bitmap for every pixel."""
    for i in range(pixels.shape[0]):
        q = _key(pixels, i, channel_bits)
        words[q >> 6] |= _ONE << np.uint64(q & 63)


@jit()
def _rank(
    words,  # IN (n_words,) uint64
    rank,  # OUT (n_words + 1,) int32
):
    """Pass 2: ``rank[w] = sum_{v < w} popcount(words[v])``; ``rank[-1]`` = total."""
    total = np.int64(0)
    for w in range(words.shape[0]):
        rank[w] = total
        total += _popcount(words[w])
    rank[words.shape[0]] = total


@jit()
def _label(
    pixels,  # IN (n_pixels, n_channels), unsigned
    channel_bits,  # IN bits per channel
    words,  # IN (n_words,) uint64
    rank,  # IN (n_words + 1,) int32
    inverse,  # OUT (n_pixels,) uint32
):
    """Pass 3: ``inverse[i]`` = colour id of pixel ``i``, by the rank formula above."""
    for i in range(pixels.shape[0]):
        q = _key(pixels, i, channel_bits)
        w = q >> 6
        below = words[w] & ((_ONE << np.uint64(q & 63)) - _ONE)  # q's word, bits < q
        inverse[i] = rank[w] + _popcount(below)


@jit()
def _count(
    inverse,  # IN (n_pixels,) uint32
    counts,  # INOUT (n_colors,) int64, zeroed
):
    """Pass 4: ``counts[j] = #{i : inverse[i] == j}`` (fused into _label: 3x slower)."""
    for i in range(inverse.shape[0]):
        counts[inverse[i]] += 1


@jit()
def _list_colors(
    words,  # IN (n_words,) uint64
    channel_bits,  # IN bits per channel
    colors,  # OUT (n_colors, n_channels), dtype of the pixels
):
    """Pass 5: ``colors[j]`` = the key of the ``j``-th set bit, unpacked.

    Within a word ``x``, the lowest set bit is at ``popcount(~x & (x - 1))``
    (a mask of the trailing zeros) and ``x & (x - 1)`` clears it.
    """
    n_channels = colors.shape[1]
    mask = (np.int64(1) << channel_bits) - 1
    j = 0
    for w in range(words.shape[0]):
        x = words[w]
        while x != 0:
            q = w * WORD_BITS + _popcount(~x & (x - _ONE))
            x &= x - _ONE
            for c in range(n_channels):
                colors[j, c] = (q >> (channel_bits * (n_channels - 1 - c))) & mask
            j += 1


def _ranked_bitmap(pixels: np.ndarray, channel_bits: int):
    """Build the bitmap ``(n_words,)`` and its rank ``(n_words + 1,)``: passes 1-2."""
    n_words = max(1, (1 << (channel_bits * pixels.shape[1])) // WORD_BITS)
    words = np.zeros(n_words, dtype=np.uint64)  # 2 MiB for RGB
    _mark(pixels, channel_bits, words)
    rank = np.empty(n_words + 1, dtype=np.int32)  # 1 MiB for RGB
    _rank(words, rank)
    return words, rank


def bitmap_count(pixels: np.ndarray) -> int:
    """Count the distinct rows (passes 1-2): ``histogram.count_distinct``."""
    _, rank = _ranked_bitmap(pixels, pixels.dtype.itemsize * 8)
    return int(rank[-1])


def bitmap_histogram(pixels: np.ndarray):
    """Return ``histogram.color_histogram`` of ``pixels``, the inverse as uint32."""
    channel_bits = pixels.dtype.itemsize * 8
    words, rank = _ranked_bitmap(pixels, channel_bits)
    n_colors = int(rank[-1])
    inverse = np.empty(pixels.shape[0], dtype=np.uint32)  # (n_pixels,)
    counts = np.zeros(n_colors, dtype=np.int64)  # (n_colors,)
    _label(pixels, channel_bits, words, rank, inverse)
    _count(inverse, counts)
    colors = np.empty((n_colors, pixels.shape[1]), dtype=pixels.dtype)
    _list_colors(words, channel_bits, colors)
    return colors, counts, inverse

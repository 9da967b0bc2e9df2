"""Compiled colour histogram for keys of up to 24 bits (RGB, grey, grey+alpha).

Counting colours by sorting costs ``O(n log n)`` time and several
``n_pixels``-sized temporaries (the order, the sorted keys, the run index).  A
direct-address table does it in ``O(n)``: one slot per possible key (2^24 slots
of int32 = 64 MiB for RGB), three passes, and the only ``n_pixels``-sized output
is the inverse index.  Colours come out in key order, i.e. sorted
lexicographically, exactly as the sort-based version returns them.
"""

from __future__ import annotations

import numba
import numpy as np


@numba.njit(cache=True, nogil=True)
def _count(keys, table):  # IN (n_pixels,) uint32; INOUT (2^bits,) int32, zeroed
    """Pass 1: ``table[key]`` = number of pixels with that key."""
    for i in range(keys.shape[0]):
        table[keys[i]] += 1


@numba.njit(cache=True, nogil=True)
def _number_colors(table, colors_keys, counts):
    """Pass 2: list occupied keys in order; ``table[key]`` becomes the colour id.

    ``colors_keys`` (OUT) and ``counts`` (OUT) must hold the number of occupied
    slots.
    """
    n = 0
    for key in range(table.shape[0]):
        c = table[key]
        if c > 0:
            colors_keys[n] = key
            counts[n] = c
            table[key] = n
            n += 1


@numba.njit(cache=True, nogil=True)
def _inverse(keys, table, inverse):  # IN, IN, OUT (n_pixels,) uint32
    """Pass 3: ``inverse[i]`` = colour id of pixel ``i``."""
    for i in range(keys.shape[0]):
        inverse[i] = table[keys[i]]


def table_histogram(keys: np.ndarray, bits: int):
    """Distinct keys (sorted), their counts and the inverse index.

    Parameters
    ----------
    keys : ndarray of shape (n_pixels,), uint32
        Packed colour keys, each below ``2**bits``.
    bits : int
        Key width, at most ``compress.histogram.MAX_TABLE_BITS`` (24).

    Returns
    -------
    distinct : ndarray of shape (n_colors,), uint32
    counts : ndarray of shape (n_colors,), int64
    inverse : ndarray of shape (n_pixels,), uint32
    """
    table = np.zeros(1 << bits, dtype=np.int32)  # (2^bits,)
    _count(keys, table)
    n_colors = int(np.count_nonzero(table))
    distinct = np.empty(n_colors, dtype=np.uint32)
    counts = np.empty(n_colors, dtype=np.int64)
    _number_colors(table, distinct, counts)
    inverse = np.empty(keys.shape[0], dtype=np.uint32)
    _inverse(keys, table, inverse)
    return distinct, counts, inverse

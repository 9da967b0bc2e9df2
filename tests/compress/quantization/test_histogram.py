"""The bitmap colour histogram against np.unique on the packed keys.

Keys of at most 24 bits go through compress.quantization._histogram_kernel (presence
bitmap and its rank); each test compares with the sort-based reference
``np.unique(pack_colors(pixels), return_inverse=True, return_counts=True)``.
"""

from __future__ import annotations

import numpy as np
import pytest

from compress.quantization import _histogram_kernel as kernel
from compress.quantization.histogram import (
    color_histogram,
    count_distinct,
    pack_colors,
    unpack_colors,
)


def reference(pixels):
    """Distinct colours, counts and inverse by sorting the packed keys."""
    keys = pack_colors(pixels)
    distinct, inverse, counts = np.unique(keys, return_inverse=True,
                                          return_counts=True)
    return unpack_colors(distinct, pixels.shape[1], pixels.dtype), counts, inverse


def assert_matches_reference(pixels):
    colors, counts, inverse = color_histogram(pixels)
    ref_colors, ref_counts, ref_inverse = reference(pixels)
    assert colors.dtype == pixels.dtype and colors.shape == ref_colors.shape
    assert counts.dtype == np.int64 and inverse.dtype == np.uint32
    np.testing.assert_array_equal(colors, ref_colors)
    np.testing.assert_array_equal(counts, ref_counts)
    np.testing.assert_array_equal(inverse, ref_inverse.ravel())
    np.testing.assert_array_equal(colors[inverse], pixels)
    assert count_distinct(pixels) == ref_colors.shape[0]


def test_hand_computed_toy_case():
    pixels = np.array([[2, 0, 0], [0, 0, 1], [2, 0, 0], [0, 0, 1], [2, 0, 0]],
                      dtype=np.uint8)
    colors, counts, inverse = color_histogram(pixels)
    np.testing.assert_array_equal(colors, [[0, 0, 1], [2, 0, 0]])
    np.testing.assert_array_equal(counts, [2, 3])
    np.testing.assert_array_equal(inverse, [1, 0, 1, 0, 1])
    assert count_distinct(pixels) == 2


@pytest.mark.parametrize("n_channels", [1, 2, 3])
@pytest.mark.parametrize("n_levels", [2, 17, 256])  # many repeats .. mostly unique
@pytest.mark.parametrize("seed", [0, 1])
def test_random_images_match_unique(n_channels, n_levels, seed):
    rng = np.random.default_rng(seed)
    n_pixels = int(rng.integers(1, 5000))
    pixels = rng.integers(0, n_levels, (n_pixels, n_channels), dtype=np.uint8)
    assert_matches_reference(pixels)


@pytest.mark.parametrize("n_channels", [1, 2, 3])
def test_single_pixel(n_channels):
    pixels = np.full((1, n_channels), 200, dtype=np.uint8)
    assert_matches_reference(pixels)


@pytest.mark.parametrize("n_channels", [1, 2, 3])
def test_single_colour(n_channels):
    pixels = np.full((1000, n_channels), 7, dtype=np.uint8)
    assert_matches_reference(pixels)
    _, counts, inverse = color_histogram(pixels)
    assert counts.tolist() == [1000] and not inverse.any()


def test_smallest_and_largest_keys_and_word_boundaries():
    # Keys 0 and 2^24 - 1 (first bit of the first word, last bit of the last)
    # and keys either side of a 64-bit word boundary.
    keys = np.array([0, (1 << 24) - 1, 63, 64, 65, 127, 128, (1 << 24) - 64,
                     (1 << 24) - 65, 0, (1 << 24) - 1], dtype=np.uint32)
    pixels = unpack_colors(keys, 3)
    assert_matches_reference(pixels)
    colors, _, _ = color_histogram(pixels)
    np.testing.assert_array_equal(colors[0], [0, 0, 0])
    np.testing.assert_array_equal(colors[-1], [255, 255, 255])


def test_all_keys_present_two_channels():
    # Every one of the 2^16 grey+alpha keys, shuffled, some twice.
    rng = np.random.default_rng(2)
    keys = np.concatenate([np.arange(1 << 16), rng.integers(0, 1 << 16, 5000)])
    pixels = unpack_colors(rng.permutation(keys).astype(np.uint32), 2)
    assert_matches_reference(pixels)
    assert count_distinct(pixels) == 1 << 16


def test_grey_uint16_goes_through_bitmap():
    # 16-bit grey is a 16-bit key: bitmap path, uint32 inverse.
    rng = np.random.default_rng(3)
    pixels = rng.integers(0, 1 << 16, (3000, 1), dtype=np.uint16)
    pixels[0, 0], pixels[1, 0] = 0, (1 << 16) - 1
    assert_matches_reference(pixels)


def test_big_endian_non_contiguous_and_read_only_input():
    rng = np.random.default_rng(4)
    grey = rng.integers(0, 1 << 16, (500, 1)).astype(">u2")
    colors, _, _ = color_histogram(grey)
    assert colors.dtype == grey.dtype
    ref_colors, _, _ = reference(grey)
    np.testing.assert_array_equal(colors, ref_colors)
    assert count_distinct(grey) == ref_colors.shape[0]

    image = rng.integers(0, 4, (40, 30, 4), dtype=np.uint8)
    strided = image.reshape(-1, 4)[:, :3]  # RGB view of RGBA rows
    assert not strided.flags.c_contiguous
    assert_matches_reference(strided)
    read_only = np.ascontiguousarray(strided)
    read_only.flags.writeable = False
    assert_matches_reference(read_only)


def test_wide_keys_still_sorted():
    # RGBA and 16-bit RGB keep the sort path (intp inverse), same answers.
    rng = np.random.default_rng(5)
    for pixels in (rng.integers(0, 3, (400, 4), dtype=np.uint8),
                   rng.integers(0, 3, (400, 3), dtype=np.uint16)):
        colors, counts, inverse = color_histogram(pixels)
        ref_colors, ref_counts, ref_inverse = reference(pixels)
        np.testing.assert_array_equal(colors, ref_colors)
        np.testing.assert_array_equal(counts, ref_counts)
        np.testing.assert_array_equal(inverse, ref_inverse.ravel())
        assert count_distinct(pixels) == ref_colors.shape[0]


def test_empty_pixels():
    pixels = np.zeros((0, 3), dtype=np.uint8)
    colors, counts, inverse = color_histogram(pixels)
    assert colors.shape == (0, 3) and counts.size == 0 and inverse.size == 0
    assert count_distinct(pixels) == 0


@pytest.mark.parametrize("n_channels", [1, 2, 3, 4])
def test_count_distinct_equals_sort_count(n_channels):
    rng = np.random.default_rng(6 + n_channels)
    pixels = rng.integers(0, 40, (20000, n_channels), dtype=np.uint8)
    keys = np.sort(pack_colors(pixels))
    by_sort = int(np.count_nonzero(keys[1:] != keys[:-1]) + 1)
    assert count_distinct(pixels) == by_sort


def test_popcount_against_python():
    rng = np.random.default_rng(7)
    values = [0, 1, (1 << 63), (1 << 64) - 1, 0x5555555555555555,
              *rng.integers(0, 1 << 63, 200, dtype=np.uint64).tolist()]
    for x in values:
        assert kernel._popcount(np.uint64(x)) == bin(x).count("1")


def test_rank_of_a_hand_made_bitmap():
    words = np.array([0b1011, 0, (1 << 64) - 1, 1 << 63], dtype=np.uint64)
    rank = np.empty(5, dtype=np.int32)
    kernel._rank(words, rank)
    np.testing.assert_array_equal(rank, [0, 3, 3, 67, 68])

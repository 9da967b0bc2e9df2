"""compress.quantization.kernel_input: each kernel sees one argument type.

Numba compiles a kernel again for every new argument type (dtype, layout,
writable or not), which costs seconds on a cold cache.  Each test calls a
wrapper with inputs that differ only in those and records the Numba types its
kernel receives: there must be one.
"""

import numba
import numpy as np
import pytest

from compress.quantization import (
    _delta_e_kernel,
    _dither_kernel,
    _histogram_kernel,
    remap,
)
from compress.quantization.delta_e import delta_e_to_palette
from compress.quantization.dither import dither
from compress.quantization.histogram import color_histogram, count_distinct


def _spy(monkeypatch, module, name):
    """Record the Numba types of the arguments of every call of a kernel."""
    kernel = getattr(module, name)
    seen = set()

    def spy(*args):
        seen.add(tuple(numba.typeof(a) for a in args))
        return kernel(*args)

    monkeypatch.setattr(module, name, spy)
    return seen


def _frozen(arr):
    arr = arr.copy()
    arr.flags.writeable = False
    return arr


def _forms(pixels):
    """``pixels`` writable, read-only, strided, and in reversed byte order."""
    strided = np.zeros((pixels.shape[0], 2 * pixels.shape[1]), pixels.dtype)
    strided[:, ::2] = pixels
    return (pixels, _frozen(pixels), strided[:, ::2],
            pixels.astype(pixels.dtype.newbyteorder("S")))


@pytest.fixture
def pixels():
    return np.random.default_rng(0).integers(0, 8, (500, 3), dtype=np.uint8)


def test_histogram_kernels(monkeypatch, pixels):
    seen = {name: _spy(monkeypatch, _histogram_kernel, name)
            for name in ("_mark", "_label")}
    grey16 = pixels[:, :1].astype(np.uint16) * 4097  # a 16-bit key: the bitmap too
    for image in (pixels, grey16):
        expected = color_histogram(image)
        for form in _forms(image):
            got = color_histogram(form)
            assert all(np.array_equal(a, b) for a, b in zip(got, expected, strict=True))
            assert count_distinct(form) == expected[0].shape[0]
    # one type for uint8 and one for uint16
    assert {name: len(types) for name, types in seen.items()} == {"_mark": 2,
                                                                  "_label": 2}


def test_delta_e_kernel(monkeypatch, pixels):
    seen = _spy(monkeypatch, _delta_e_kernel, "delta_e_colors_to_entries")
    palette = np.array([[0, 0, 0], [4, 4, 4], [7, 0, 7]], dtype=np.uint8)
    index = np.arange(pixels.shape[0]) % 3
    expected = delta_e_to_palette(pixels, index, palette)
    for colors in _forms(pixels):
        for entries in (index.astype(np.uint8), _frozen(index.astype(np.uint16)),
                        index.astype(np.int32)):
            assert delta_e_to_palette(colors, entries, palette) == expected
    assert len(seen) == 1


def test_dither_kernels(monkeypatch, pixels):
    seen = {name: _spy(monkeypatch, _dither_kernel, name)
            for name in ("local_contrast", "dither_serpentine")}
    colors, _, inverse = color_histogram(pixels)
    colors = colors / 7.0
    palette = np.array([[0.0, 0.0, 0.0], [0.5, 0.5, 0.5], [1.0, 0.0, 1.0]])
    expected = dither(colors, inverse, (20, 25), palette, mean_sq_error=0.01)
    for form in (inverse.astype(np.int64), _frozen(inverse),
                 np.repeat(inverse.astype(np.int32), 2)[::2], inverse.astype(">u4")):
        got = dither(colors, form, (20, 25), palette, mean_sq_error=0.01)
        assert np.array_equal(got, expected)
    assert {name: len(types) for name, types in seen.items()} == {
        "local_contrast": 1, "dither_serpentine": 1}


def test_remap_kernel(monkeypatch):
    seen = _spy(monkeypatch, remap, "_remap")
    image = np.random.default_rng(1).integers(0, 8, (10, 12, 3), dtype=np.uint8)
    palette = np.array([[0, 0, 0], [4, 4, 4], [7, 0, 7]], dtype=np.uint8)
    plain = (np.arange(120) % 3).astype(np.uint8).reshape(10, 12)
    expected = remap.remap_index_map(image, palette, plain, 1e9, 1.0)
    got = remap.remap_index_map(_frozen(image), palette, plain, 1e9, 1.0)
    assert np.array_equal(got, expected)
    assert len(seen) == 1

"""Images as people have them: path, Pillow image, uint8, uint16, float [0, 1]."""

from __future__ import annotations

import numpy as np
import pytest
from helpers import photo_like, save
from PIL import Image

from compress import quantize
from compress.io.inputs import to_uint8


def test_every_input_form_gives_the_same_image(tmp_path):
    pixels = photo_like(30, 40, seed=1)
    path = save(tmp_path / "in.png", pixels)
    as_float = pixels.astype(np.float32) / 255  # what plt.imread gives for a PNG
    forms = {"uint8": pixels, "path": path, "str": str(path),
             "pillow": Image.open(path), "float32": as_float,
             "float64": pixels / 255.0,
             "uint16": pixels.astype(np.uint16) * 257}  # 16-bit PNG values
    expected = quantize(pixels, 6).image
    for name, image in forms.items():
        np.testing.assert_array_equal(quantize(image, 6).image, expected,
                                      err_msg=name)


def test_grey_keeps_its_shape(tmp_path):
    grey = photo_like(20, 24)[:, :, 0]
    path = save(tmp_path / "grey.png", grey)
    for image in (grey, path, Image.open(path), grey / 255.0):
        assert quantize(image, 3).image.shape == grey.shape
    assert quantize(grey[:, :, None], 3).image.shape == (20, 24, 1)


def test_float_is_rounded_not_truncated():
    x = np.array([[0.0, 0.5 / 255, 0.51 / 255, 1.0, 254.6 / 255]])
    np.testing.assert_array_equal(to_uint8(x), [[0, 0, 1, 255, 255]])


@pytest.mark.parametrize("values, advice", [
    (np.array([[0.0, 12.0, 255.0]]), "np.round(x).astype(np.uint8)"),
    (np.array([[-1.0, 0.0, 1.0]]), "(x - x.min()) / (x.max() - x.min())"),
])
def test_other_float_ranges_are_refused_with_advice_that_works(values, advice):
    image = np.repeat(values[:, :, None], 3, axis=2)  # (1, 3, 3)
    with pytest.raises(ValueError, match="must be in \\[0, 1\\]") as info:
        quantize(image, 2)
    message = str(info.value)
    assert "\n" not in message and advice in message
    fixed = eval(advice, {"np": np, "x": image})  # the advice, applied
    quantize(fixed, 2)


def test_other_dtypes_are_refused_with_advice():
    with pytest.raises(TypeError, match="x.astype\\(np.uint8\\)"):
        quantize(np.zeros((4, 4, 3), dtype=np.int64), 2)
    with pytest.raises(ValueError, match="NaN"):
        quantize(np.full((4, 4, 3), np.nan), 2)

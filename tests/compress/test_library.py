"""The compress library in-process: histogram, count_colors, quantize, knee, metrics."""

from __future__ import annotations

import math

import numpy as np
import pytest
from helpers import blobs_image, china_path, decode, gradient_image
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from compress import (
    color_histogram,
    count_colors,
    find_knee,
    load_image,
    mse,
    png_bit_depth,
    psnr,
    quantize,
)
from compress.quantization.fit_input import PIXEL_FIT_FRACTION, prepare
from compress.quantization.histogram import pack_colors, unpack_colors


# -- colour histogram and count_colors ----------------------------------------
@settings(max_examples=40, deadline=None)
@given(hnp.arrays(np.uint8, st.tuples(st.integers(1, 60), st.integers(1, 4)),
                  elements=st.integers(0, 3)))
def test_histogram_matches_row_unique(pixels):
    colors, counts, inverse = color_histogram(pixels)
    ref_colors, ref_inverse, ref_counts = np.unique(
        pixels, axis=0, return_inverse=True, return_counts=True)
    np.testing.assert_array_equal(colors, ref_colors)
    np.testing.assert_array_equal(counts, ref_counts)
    np.testing.assert_array_equal(inverse, ref_inverse.ravel())
    np.testing.assert_array_equal(colors[inverse], pixels)


def test_pack_unpack_roundtrip_and_order():
    rng = np.random.default_rng(1)
    pixels = rng.integers(0, 256, (500, 4), dtype=np.uint8)
    keys = pack_colors(pixels)
    assert keys.dtype == np.uint32
    np.testing.assert_array_equal(unpack_colors(keys, 4), pixels)
    rgb = np.array([[1, 2, 3]], dtype=np.uint8)
    assert pack_colors(rgb)[0] == (1 << 16) | (2 << 8) | 3  # r << 16 | g << 8 | b
    wide = rng.integers(0, 65536, (50, 3), dtype=np.uint16)  # 48 bits -> uint64
    np.testing.assert_array_equal(unpack_colors(pack_colors(wide), 3, np.uint16), wide)


def test_count_colors_is_not_the_exercise_mistake():
    # 3 distinct colours in a 4 x 5 image.  The original exercise printed
    # np.unique(img, axis=0).size, which counts the elements of the distinct
    # *rows* of the H x W x 3 array (here 4 x 5 x 3 = 60), not colours.
    img = np.zeros((4, 5, 3), dtype=np.uint8)  # black, and every row different
    img[0, 0] = img[1, 1] = img[3, 4] = (255, 0, 0)
    img[2, :2] = img[3, 3] = (0, 0, 255)
    assert count_colors(img) == 3
    assert np.unique(img, axis=0).size == 60
    assert count_colors(img) != np.unique(img, axis=0).size


def test_count_colors_matches_a_set_of_tuples_on_china():
    img = load_image(china_path()).pixels
    expected = len(set(map(tuple, img.reshape(-1, 3).tolist())))
    assert count_colors(img) == expected
    assert count_colors(img) == np.unique(img.reshape(-1, 3), axis=0).shape[0]


def test_count_colors_grey_and_rgba():
    grey = np.arange(12, dtype=np.uint8).reshape(3, 4) % 5
    assert count_colors(grey) == 5
    rgba = np.zeros((2, 2, 4), dtype=np.uint8)
    rgba[0, 0, 3] = 255  # same RGB, different alpha: two colours
    assert count_colors(rgba) == 2


# -- quantize -----------------------------------------------------------------
def test_quantize_structure_and_reconstruct():
    img = gradient_image()
    q = quantize(img, 6)
    assert q.palette.shape == (6, 3) and q.palette.dtype == np.uint8
    assert q.index_map.shape == img.shape[:2] and q.index_map.dtype == np.uint8
    np.testing.assert_array_equal(q.image, q.palette[q.index_map])
    assert not q.exact and q.n_colors_in == count_colors(img)
    assert q.fit.n_iter >= 1 and len(q.fit.history) == q.fit.n_iter
    luma = q.palette @ np.array([0.299, 0.587, 0.114])
    assert np.all(np.diff(luma) >= 0), "palette sorted by luminance"


def test_histogram_fit_equals_inertia_over_all_pixels():
    # The weighted fit on distinct colours must report the inertia of all pixels
    # in [0, 1] units, the units of ../shared/data/README.md.
    img = gradient_image(seed=3)
    q = quantize(img, 5)
    x = img.reshape(-1, 3) / 255.0
    centers = q.fit.centers  # fit order
    d2 = ((x[:, None, :] - centers[None, :, :]) ** 2).sum(axis=2)
    assert math.isclose(q.inertia, d2.min(axis=1).sum(), rel_tol=1e-9)


def test_quantize_is_deterministic_and_seeded():
    img = gradient_image(seed=5)
    a, b = quantize(img, 7), quantize(img, 7)
    np.testing.assert_array_equal(a.palette, b.palette)
    np.testing.assert_array_equal(a.index_map, b.index_map)


def test_k_at_least_distinct_colours_is_exact():
    img = blobs_image(8, 8, noise=0)  # exactly 4 colours
    q = quantize(img, 10)
    assert q.exact and q.n_colors_out == 4 and q.inertia == 0.0
    np.testing.assert_array_equal(q.image, img)


def test_grey_2d_stays_2d():
    grey = gradient_image()[:, :, 0]
    q = quantize(grey, 3)
    assert q.palette.shape == (3, 1)
    assert q.image.shape == grey.shape
    assert np.all(np.diff(q.palette[:, 0].astype(int)) >= 0)


def test_rgba_alpha_is_clustered_with_colour():
    img = np.zeros((10, 10, 4), dtype=np.uint8)
    img[:, :, :3] = 200
    img[:, :5, 3] = 0  # left half transparent
    img[:, 5:, 3] = 255
    q = quantize(img, 2)
    assert sorted(q.palette[:, 3].tolist()) == [0, 255]
    np.testing.assert_array_equal(q.image, img)


def test_quantize_index_dtype_grows_with_palette():
    rng = np.random.default_rng(0)
    img = rng.integers(0, 256, (40, 40, 3), dtype=np.uint8)  # ~1600 colours
    q = quantize(img, 300)
    assert q.index_map.dtype == np.uint16 and q.n_colors_out == 300


@pytest.mark.parametrize("bad", [0, -1, 2.5, "3", True])
def test_quantize_refuses_bad_k(bad):
    with pytest.raises(ValueError, match="k must be an integer"):
        quantize(gradient_image(), bad)


# -- metrics ------------------------------------------------------------------
def test_psnr_known_value_and_lossless():
    a = np.zeros((4, 4, 3), dtype=np.uint8)
    b = a.copy()
    b[0, 0, 0] = 16  # MSE = 256 / 48
    assert mse(a, b) == pytest.approx(256 / 48)
    assert psnr(a, b) == pytest.approx(10 * math.log10(255**2 * 48 / 256))
    assert psnr(a, a) == math.inf


@pytest.mark.parametrize(("n", "bits"), [(1, 1), (2, 1), (3, 2), (4, 2), (5, 4),
                                         (16, 4), (17, 8), (256, 8)])
def test_png_bit_depth(n, bits):
    assert png_bit_depth(n) == bits


# -- Kneedle ------------------------------------------------------------------
def test_knee_of_a_sharp_elbow():
    ks = list(range(1, 11))
    inertia = [100, 50, 25, 5, 4.5, 4, 3.5, 3, 2.5, 2]
    knee = find_knee(ks, inertia)
    assert knee == 4 and type(knee) is int


def test_knee_on_exponential_decay_and_uneven_k():
    ks = [1, 2, 3, 5, 10, 15, 20]
    inertia = [197716, 41572, 17944, 10134, 5264, 3540, 2621]  # American Gothic
    assert find_knee(ks, inertia) == 3


@pytest.mark.parametrize("y", [[5, 4, 3, 2, 1], [3, 3, 3, 3], [2, 1]])
def test_no_clear_knee(y):
    assert find_knee(list(range(1, len(y) + 1)), y) is None


def test_knee_of_four_blobs():
    img = blobs_image()
    ks = list(range(1, 11))
    assert find_knee(ks, [quantize(img, k).inertia for k in ks]) == 4


def test_decode_helper_reads_rgb(tmp_path):
    from helpers import save

    p = save(tmp_path / "x.png", gradient_image())
    np.testing.assert_array_equal(decode(p), gradient_image())


def test_progress_draws_only_on_a_terminal():
    import io

    from compress.commands.progress import Progress

    class Tty(io.StringIO):
        def isatty(self):
            return True

    tty, pipe = Tty(), io.StringIO()
    for stream in (tty, pipe):
        bar = Progress(4, "fitting", stream=stream)
        bar.update(2, "k=5")
        bar.close()
    assert "2/4 k=5" in tty.getvalue() and pipe.getvalue() == ""
    quiet = Tty()
    Progress(4, "fitting", enabled=False, stream=quiet).update(1)
    assert quiet.getvalue() == ""


# -- histogram or pixels: compress.quantization.fit_input.prepare
# -----------------------------
def noise_image(h=120, w=150, seed=0):
    """Random RGB noise: almost every pixel has a colour of its own."""
    return np.random.default_rng(seed).integers(0, 256, (h, w, 3), dtype=np.uint8)


def test_prepare_fits_pixels_in_place_when_colours_are_mostly_distinct():
    img = noise_image()
    p = prepare(img, ks=(4, 16))
    assert p.n_colors > PIXEL_FIT_FRACTION * img.shape[0] * img.shape[1]
    assert p.inverse is None and p.weights is None and p.scale == 255.0
    assert np.shares_memory(p.X, img)  # no copy of the pixels
    assert p.n_colors == count_colors(img)
    # Few colours: the histogram.  Exact k: the colour list is needed.
    assert prepare(img // 64 * 64, ks=(4,)).inverse is not None
    assert prepare(img, ks=(4, p.n_colors)).inverse is not None


def test_pixel_route_result_is_a_true_kmeans_fit_in_exercise_units():
    img = noise_image()
    q = quantize(img, 8)
    assert q.fit.labels.shape == (img.shape[0] * img.shape[1],)  # one per pixel
    x = img.reshape(-1, 3) / 255.0
    centers = q.fit.centers  # rescaled to [0, 1]
    d = ((x[:, None, :] - centers[None, :, :]) ** 2).sum(axis=2)
    np.testing.assert_array_equal(q.fit.labels, d.argmin(axis=1))
    assert q.inertia == pytest.approx(d.min(axis=1).sum(), rel=1e-9)
    assert q.fit.history[-1].inertia <= q.fit.history[0].inertia
    # The index map points every pixel at its cluster's rounded centre.
    rounded = np.clip(np.rint(centers * 255.0), 0, 255).astype(np.uint8)
    np.testing.assert_array_equal(q.image.reshape(-1, 3),
                                  rounded[q.fit.labels])
    assert q.n_colors_in == count_colors(img)


def test_pixel_route_and_histogram_route_agree_on_quality():
    """Same image, both routes (different seeding draws): similar inertia."""
    img = noise_image(60, 80, seed=1)
    by_pixels = quantize(img, 6, prepared=prepare(img, ks=(6,)))
    colors, counts, inverse = color_histogram(img.reshape(-1, 3))
    from compress.quantization.fit_input import FitInput

    hist = FitInput(colors / 255.0, counts, inverse, colors.shape[0], 1.0, colors)
    by_hist = quantize(img, 6, prepared=hist)
    assert by_pixels.inertia == pytest.approx(by_hist.inertia, rel=0.05)


@pytest.mark.parametrize("route", ["histogram", "pixels"])
def test_palette_mse_equals_the_mse_of_the_drawn_image(route):
    """QuantizeResult.mse (from the fit's rows) is metrics.mse of the images."""
    img = noise_image(40, 50, seed=2) if route == "pixels" else blobs_image(noise=3)
    prepared = prepare(img, ks=(7,))
    assert (prepared.inverse is None) == (route == "pixels")
    q = quantize(img, 7, prepared=prepared)
    assert q.mse == mse(img, q.image)  # exact: integer sums
    rgba = np.dstack([img, np.full(img.shape[:2], 200, np.uint8)])
    rgba[::3, ::2, 3] = 7
    q4 = quantize(rgba, 5)
    assert q4.mse == mse(rgba, q4.image)

"""Colour conversions (compress.quantization.colour) and CIEDE2000
(compress.quantization.delta_e), against the NumPy reference in naive_delta_e."""

import math

import numpy as np
import pytest
from naive_delta_e import (
    ciede2000,
    delta_e_of_pairs,
    delta_e_stats,
    weighted_percentile,
)

from compress.quantization import colour

ALL_RGB = np.stack(np.meshgrid(np.arange(256), np.arange(256), np.arange(256),
                               indexing="ij"), axis=-1).reshape(-1, 3)[::7]


# -- conversions -----------------------------------------------------------------
def test_transfer_function_round_trip_and_known_values():
    x = np.linspace(0.0, 1.0, 10_001)
    assert np.allclose(colour.linear_to_srgb(colour.srgb_to_linear(x)), x,
                       atol=1e-12)
    # the breakpoint and the ends
    assert colour.srgb_to_linear(0.04045) == pytest.approx(0.04045 / 12.92)
    assert colour.srgb_to_linear(1.0) == pytest.approx(1.0)
    assert colour.srgb_to_linear(0.5) == pytest.approx(0.214041, abs=1e-6)


def test_oklab_reference_values():
    # Ottosson (2020) gives white as L = 1, a = b = 0; and black is 0.
    lab = colour.srgb8_to_oklab(np.array([[255, 255, 255], [0, 0, 0]],
                                         dtype=np.uint8))
    assert np.allclose(lab, [[1, 0, 0], [0, 0, 0]], atol=1e-4)
    # sRGB red (255, 0, 0): OKLab (0.627955, 0.224863, 0.125846) (the values
    # CSS Color 4 quotes for oklab(red)).
    red = colour.srgb8_to_oklab(np.array([255, 0, 0], dtype=np.uint8))
    assert np.allclose(red, [0.627955, 0.224863, 0.125846], atol=2e-4)


def test_every_8bit_colour_survives_the_oklab_round_trip():
    rgb = ALL_RGB.astype(np.uint8)  # every 7th of the 2^24 colours
    lab = colour.srgb8_to_oklab(rgb)
    assert np.array_equal(colour.oklab_to_srgb8(lab), rgb)
    assert np.allclose(colour.linear_to_oklab(colour.oklab_to_linear(lab)), lab,
                       atol=1e-9)


@pytest.mark.parametrize("n_channels", [1, 2, 3, 4])
@pytest.mark.parametrize("space", ["rgb", "oklab"])
def test_fit_space_round_trip_every_channel_count(space, n_channels):
    rng = np.random.default_rng(0)
    colors = rng.integers(0, 256, size=(5000, n_channels), dtype=np.uint8)
    coords = colour.to_fit(colors, space)
    assert coords.shape == colors.shape and coords.dtype == np.float64
    assert np.array_equal(colour.from_fit(coords, space), colors)


def test_grey_fits_on_oklab_lightness_and_matches_rgb_greys():
    grey = np.arange(256, dtype=np.uint8)[:, None]
    L = colour.to_fit(grey, "oklab")[:, 0]
    rgb = np.repeat(grey, 3, axis=1)
    lab = colour.to_fit(rgb, "oklab")
    assert np.allclose(lab[:, 0], L, atol=1e-9)
    assert np.abs(lab[:, 1:]).max() < 1e-6  # greys are neutral in OKLab
    assert np.all(np.diff(L) > 0)


def test_weighted_oklab_scales_a_and_b():
    rgb = ALL_RGB[:1000].astype(np.uint8)
    lab = colour.srgb8_to_oklab(rgb)
    fit = colour.to_fit(rgb, "oklab")
    assert colour.OKLAB_AB_WEIGHT == 2.0
    assert np.allclose(fit[:, 0], lab[:, 0])
    assert np.allclose(fit[:, 1:], 2.0 * lab[:, 1:])


def test_out_of_gamut_centres_are_clipped():
    coords = np.array([[1.5, 0.0, 0.0], [-0.2, 0.0, 0.0], [0.6, 0.9, 0.0]])
    out = colour.from_fit(coords, "oklab")
    assert out.dtype == np.uint8
    assert out[0].tolist() == [255, 255, 255] and out[1].tolist() == [0, 0, 0]
    assert out[2, 0] == 255  # a very red point: red saturates


def test_unknown_space_is_refused():
    with pytest.raises(ValueError, match="space must be one of"):
        colour.to_fit(np.zeros((1, 3), np.uint8), "lab")


# -- CIEDE2000 --------------------------------------------------------------------
# Sharma, Wu & Dalal (2005), Table 1: (L1, a1, b1, L2, a2, b2, dE00).
SHARMA_2005 = [
    (50.0000, 2.6772, -79.7751, 50.0000, 0.0000, -82.7485, 2.0425),
    (50.0000, 3.1571, -77.2803, 50.0000, 0.0000, -82.7485, 2.8615),
    (50.0000, 2.8361, -74.0200, 50.0000, 0.0000, -82.7485, 3.4412),
    (50.0000, -1.3802, -84.2814, 50.0000, 0.0000, -82.7485, 1.0000),
    (50.0000, -1.1848, -84.8006, 50.0000, 0.0000, -82.7485, 1.0000),
    (50.0000, -0.9009, -85.5211, 50.0000, 0.0000, -82.7485, 1.0000),
    (50.0000, 0.0000, 0.0000, 50.0000, -1.0000, 2.0000, 2.3669),
    (50.0000, -1.0000, 2.0000, 50.0000, 0.0000, 0.0000, 2.3669),
    (50.0000, 2.4900, -0.0010, 50.0000, -2.4900, 0.0009, 7.1792),
    (50.0000, 2.4900, -0.0010, 50.0000, -2.4900, 0.0010, 7.1792),
    (50.0000, 2.4900, -0.0010, 50.0000, -2.4900, 0.0011, 7.2195),
    (50.0000, 2.4900, -0.0010, 50.0000, -2.4900, 0.0012, 7.2195),
    (50.0000, -0.0010, 2.4900, 50.0000, 0.0009, -2.4900, 4.8045),
    (50.0000, -0.0010, 2.4900, 50.0000, 0.0010, -2.4900, 4.8045),
    (50.0000, -0.0010, 2.4900, 50.0000, 0.0011, -2.4900, 4.7461),
    (50.0000, 2.5000, 0.0000, 50.0000, 0.0000, -2.5000, 4.3065),
    (50.0000, 2.5000, 0.0000, 73.0000, 25.0000, -18.0000, 27.1492),
    (50.0000, 2.5000, 0.0000, 61.0000, -5.0000, 29.0000, 22.8977),
    (50.0000, 2.5000, 0.0000, 56.0000, -27.0000, -3.0000, 31.9030),
    (50.0000, 2.5000, 0.0000, 58.0000, 24.0000, 15.0000, 19.4535),
    (50.0000, 2.5000, 0.0000, 50.0000, 3.1736, 0.5854, 1.0000),
    (50.0000, 2.5000, 0.0000, 50.0000, 3.2972, 0.0000, 1.0000),
    (50.0000, 2.5000, 0.0000, 50.0000, 1.8634, 0.5757, 1.0000),
    (50.0000, 2.5000, 0.0000, 50.0000, 3.2592, 0.3350, 1.0000),
    (60.2574, -34.0099, 36.2677, 60.4626, -34.1751, 39.4387, 1.2644),
    (63.0109, -31.0961, -5.8663, 62.8187, -29.7946, -4.0864, 1.2630),
    (61.2901, 3.7196, -5.3901, 61.4292, 2.2480, -4.9620, 1.8731),
    (35.0831, -44.1164, 3.7933, 35.0232, -40.0716, 1.5901, 1.8645),
    (22.7233, 20.0904, -46.6940, 23.0331, 14.9730, -42.5619, 2.0373),
    (36.4612, 47.8580, 18.3852, 36.2715, 50.5065, 21.2231, 1.4146),
    (90.8027, -2.0831, 1.4410, 91.1528, -1.6435, 0.0447, 1.4441),
    (90.9257, -0.5406, -0.9208, 88.6381, -0.8985, -0.7239, 1.5381),
    (6.7747, -0.2908, -2.4247, 5.8714, -0.0985, -2.2286, 0.6377),
    (2.0776, 0.0795, -1.1350, 0.9033, -0.0636, -0.5514, 0.9082),
]


def test_ciede2000_sharma_reference_pairs():
    table = np.array(SHARMA_2005)
    assert table.shape == (34, 7)
    got = ciede2000(table[:, 0:3], table[:, 3:6])
    assert np.allclose(got, table[:, 6], atol=5e-5, rtol=0)  # 4 decimals given
    # symmetric in its arguments
    assert np.allclose(ciede2000(table[:, 3:6], table[:, 0:3]), got, atol=1e-12)


def test_ciede2000_agrees_with_scikit_image():
    skcolor = pytest.importorskip("skimage.color")
    table = np.array(SHARMA_2005)
    assert np.allclose(ciede2000(table[:, 0:3], table[:, 3:6]),
                       skcolor.deltaE_ciede2000(table[:, 0:3], table[:, 3:6]),
                       atol=1e-9)
    rng = np.random.default_rng(1)
    rgb1 = rng.integers(0, 256, size=(20_000, 3), dtype=np.uint8)
    rgb2 = np.clip(rgb1 + rng.integers(-40, 41, size=rgb1.shape), 0, 255
                   ).astype(np.uint8)
    lab1, lab2 = colour.srgb8_to_cielab(rgb1), colour.srgb8_to_cielab(rgb2)
    # scikit-image's linear segment uses the rounded 7.787 and 0.008856 where
    # we use the exact (29/6)^2 / 3 and (6/29)^3: up to 1.7e-4 apart, there only
    sk_lab = skcolor.rgb2lab(rgb1[None])[0]
    assert np.allclose(lab1, sk_lab, atol=2e-4)
    assert np.mean(np.abs(lab1 - sk_lab).max(axis=1) < 1e-9) > 0.95
    assert np.allclose(ciede2000(lab1, lab2),
                       skcolor.deltaE_ciede2000(lab1, lab2), atol=1e-9)


def test_weighted_percentile_equals_repeated_values():
    rng = np.random.default_rng(2)
    values = rng.random(300)
    weights = rng.integers(1, 6, size=300)
    repeated = np.sort(np.repeat(values, weights))
    for q in (0.05, 0.5, 0.95, 1.0):
        expect = repeated[math.ceil(q * repeated.size) - 1]
        assert weighted_percentile(values, weights, q) == expect


def test_histogram_and_pixel_delta_e_agree():
    rng = np.random.default_rng(3)
    colors = rng.integers(0, 256, size=(200, 3), dtype=np.uint8)
    outputs = (colors // 32 * 32).astype(np.uint8)
    counts = rng.integers(1, 9, size=200)
    pixels_in = np.repeat(colors, counts, axis=0)[None]  # (1, n, 3)
    pixels_out = np.repeat(outputs, counts, axis=0)[None]
    mean_h, p95_h = delta_e_of_pairs(colors, outputs, counts)
    mean_p, p95_p = delta_e_stats(pixels_in, pixels_out)
    assert mean_h == pytest.approx(mean_p, rel=1e-12)
    assert p95_h == p95_p


def test_delta_e_stats_identical_images_and_grey():
    img = np.random.default_rng(4).integers(0, 256, (16, 16, 3), dtype=np.uint8)
    assert delta_e_stats(img, img) == (0.0, 0.0)
    grey = img[:, :, 0]
    darker = (grey // 2).astype(np.uint8)
    mean, p95 = delta_e_stats(grey, darker)
    rgb = np.repeat(grey[:, :, None], 3, axis=2)
    assert (mean, p95) == delta_e_stats(rgb, np.repeat(darker[:, :, None], 3, 2))
    assert 0 < mean <= p95


def test_compiled_ciede2000_equals_numpy_version():
    from compress.quantization._delta_e_kernel import delta_e_to_entries

    table = np.array(SHARMA_2005)
    out = np.empty(34)
    # Contiguous, as below: one compiled version of the kernel.
    delta_e_to_entries(np.ascontiguousarray(table[:, 0:3]), np.arange(34),
                       np.ascontiguousarray(table[:, 3:6]), out)
    assert np.allclose(out, table[:, 6], atol=5e-5, rtol=0)
    rng = np.random.default_rng(6)
    lab = colour.srgb8_to_cielab(rng.integers(0, 256, (5000, 3), dtype=np.uint8))
    palette = colour.srgb8_to_cielab(rng.integers(0, 256, (16, 3), dtype=np.uint8))
    palette[3] = (50.0, 0.0, 0.0)  # neutral: the zero-chroma branches
    lab[:50] = (60.0, 0.0, 0.0)
    index = rng.integers(0, 16, 5000)
    out = np.empty(5000)
    delta_e_to_entries(lab, index, palette, out)
    assert np.allclose(out, ciede2000(lab, palette[index]), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("weighted", [False, True])
def test_delta_e_to_palette_equals_pairs(weighted, monkeypatch):
    from compress.quantization import delta_e

    monkeypatch.setattr(delta_e, "DELTA_E_CHUNK", 700)  # several chunks
    rng = np.random.default_rng(7)
    colors = rng.integers(0, 256, (3000, 4), dtype=np.uint8)  # RGBA
    palette = rng.integers(0, 256, (12, 4), dtype=np.uint8)
    index = rng.integers(0, 12, 3000)
    counts = rng.integers(1, 5, 3000) if weighted else None
    mean, p95 = delta_e.delta_e_to_palette(colors, index, palette, counts)
    ref_mean, ref_p95 = delta_e_of_pairs(colors, palette[index], counts)
    assert mean == pytest.approx(ref_mean, rel=1e-12)
    # read from a histogram: the exact value rounded up to a 1/1024 bin edge
    assert ref_p95 <= p95 < ref_p95 + 1 / 1024 + 1e-12
    assert p95 * 1024 == round(p95 * 1024)


@pytest.mark.parametrize("n_channels", [1, 2, 3, 4])
def test_delta_e_with_lab_kept_equals_per_palette_conversion(n_channels):
    from compress.quantization import delta_e

    rng = np.random.default_rng(8)
    colors = rng.integers(0, 256, (2000, n_channels), dtype=np.uint8)
    counts = rng.integers(1, 9, 2000)
    lab = delta_e.colors_to_cielab(colors)
    for k in (1, 5, 40):  # one conversion, several palettes: bitwise the same
        palette = rng.integers(0, 256, (k, n_channels), dtype=np.uint8)
        index = rng.integers(0, k, 2000)
        assert (delta_e.delta_e_to_palette(colors, index, palette, counts, lab)
                == delta_e.delta_e_to_palette(colors, index, palette, counts))
    grey = colors[:, :1] if n_channels < 3 else colors[:, :3]
    assert np.allclose(lab, colour.srgb8_to_cielab(grey), rtol=0, atol=1e-10)


def test_quantize_each_converts_the_histogram_to_lab_once():
    from compress import quantize_each
    from compress.quantization.delta_e import delta_e_to_palette

    rng = np.random.default_rng(9)
    image = rng.integers(0, 8, (40, 50, 3), dtype=np.uint8) * 32  # a histogram
    results = list(quantize_each(image, [2, 5, 9]))
    labs = [q.pairs.colors_lab() for q in results]
    assert labs[0] is labs[1] is labs[2]
    assert not hasattr(results[0].pairs.colors_lab, "inverse")  # no per-pixel rows
    for q in results:
        pairs = q.pairs
        assert (q.delta_e, q.delta_e_p95) == delta_e_to_palette(
            pairs.colors, pairs.entries, q.palette, pairs.counts)

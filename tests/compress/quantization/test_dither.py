"""quantize(space="oklab", dither=True): the fitting space, the palette mapping
and the dithering kernel (against its naive twin)."""

import hashlib
import os
import subprocess
import sys
from pathlib import Path

import naive
import numpy as np
import pytest
from naive_delta_e import delta_e_stats

from compress import quantize
from compress.quantization import colour
from compress.quantization.dither import (
    contrast_strength,
    dither,
    map_colors,
    palette_neighbours,
)
from compress.quantization.histogram import color_histogram
from compress.quantization.kernel_input import kernel_input

REPO = Path(__file__).resolve().parents[3]


def _photo():
    sklearn_datasets = pytest.importorskip("sklearn.datasets")
    return sklearn_datasets.load_sample_image("china.jpg")[::3, ::3]  # (142, 214, 3)


def _gradient(height=48, width=160):
    """A smooth two-colour ramp: the case that bands without dithering."""
    t = np.linspace(0.0, 1.0, width)[None, :, None]  # (1, W, 1)
    left, right = np.array([30.0, 60.0, 140.0]), np.array([200.0, 170.0, 90.0])
    ramp = left + t * (right - left)  # (1, W, 3)
    return np.repeat(np.rint(ramp), height, axis=0).astype(np.uint8)


# -- the kernels against their naive twins ------------------------------------------
def test_local_contrast_and_dither_kernel_match_naive():
    rng = np.random.default_rng(0)
    pixels = rng.integers(0, 256, size=(23, 31, 3), dtype=np.uint8)
    pixels[5:15, 5:25] = (120, 80, 200)  # a flat patch among noise
    colors, _, inverse = color_histogram(pixels.reshape(-1, 3))
    inverse = kernel_input(inverse, np.uint32)  # as dither() passes it
    X = colour.to_fit(colors, "oklab")
    image = X[inverse].reshape(23, 31, 3)
    palette = colour.to_fit(rng.integers(0, 256, (40, 3), dtype=np.uint8), "oklab")
    palette[7] = palette[3]  # a repeated entry (rounding can make one): ties

    from compress.quantization import _dither_kernel as kern

    contrast = np.empty((23, 31))
    kern.local_contrast(X, inverse, 23, 31, contrast)
    assert np.allclose(contrast, naive.local_contrast(image), rtol=1e-12, atol=0)

    strength = contrast_strength(contrast, 0.01, 4.0)
    assert strength.min() > 0 and strength.max() == 1.0
    guess, _ = map_colors(X, palette)
    order, spread = palette_neighbours(palette)
    for damping, clamp_sq, clamp_scale in ((1.0, np.inf, 1.0), (0.5, 0.02, 0.75),
                                           (15 / 16, 0.004, 0.75)):
        index_map = np.empty((23, 31), dtype=np.int32)
        kern.dither_serpentine(X, inverse, palette, guess, order, spread, strength,
                               damping, clamp_sq, clamp_scale, 0,
                               np.zeros((31 + 2, X.shape[1])), index_map)
        expect = naive.dither_serpentine(image, palette, strength, damping,
                                         clamp_sq, clamp_scale)
        assert np.array_equal(index_map, expect)


def test_map_colors_is_the_nearest_entry():
    rng = np.random.default_rng(1)
    X = rng.random((500, 3))
    palette = rng.random((9, 3))
    labels, sq = map_colors(X, palette)
    expect_labels, expect_sq = naive.assign(X, palette)
    assert np.array_equal(labels, expect_labels)
    assert np.allclose(sq, expect_sq, rtol=1e-12)


def test_flat_region_keeps_its_mean_colour():
    # A flat colour between two palette entries: the output alternates so
    # that its mean (in the fitting space) stays the input colour.
    height, width = 64, 64
    palette = np.array([[0.0, 0.0, 0.0], [1.0, 0.4, -0.2]])
    colors = 0.3 * palette[1:]  # 30 % of the way from one entry to the other
    inverse = np.zeros(height * width, dtype=np.int64)
    plain_index, _ = map_colors(colors, palette)
    index_map = dither(colors, inverse, (height, width), palette,
                       mean_sq_error=float(((colors - palette[plain_index]) ** 2)
                                           .sum()))
    out = palette[index_map]  # (H, W, 3)
    assert np.allclose(out.mean(axis=(0, 1)), colors[0], atol=0.01)
    plain_error = np.abs(palette[plain_index[0]] - colors[0]).max()
    assert plain_error > 0.1  # without dithering the whole patch is off


def test_dithered_flat_patch_in_an_image_keeps_its_mean():
    # Through quantize, k = 2: dark and light halves, and a patch of a middle
    # colour that neither entry has.
    image = np.zeros((60, 120, 3), dtype=np.uint8)
    image[:, :60] = (20, 30, 60)
    image[:, 60:] = (235, 225, 200)
    image[15:45, 40:80] = (120, 110, 140)
    for space in ("oklab", "rgb"):
        mean_in = colour.to_fit(image[30, 60], space)
        q = quantize(image, 2, space=space, dither=True)
        plain = quantize(image, 2, space=space)
        inner = (slice(18, 42), slice(44, 76))  # away from the patch's edges
        mean_out = colour.to_fit(q.image[inner], space).mean(axis=(0, 1))
        mean_plain = colour.to_fit(plain.image[inner], space).mean(
            axis=(0, 1))
        # the best two entries can do: the input's projection on their segment
        p0, p1 = colour.to_fit(q.palette, space)
        t = np.clip((mean_in - p0) @ (p1 - p0) / ((p1 - p0) @ (p1 - p0)), 0, 1)
        best = p0 + t * (p1 - p0)
        assert 0.2 < t < 0.8
        error = np.linalg.norm(mean_out - best)
        # measured (oklab): 11 % of the undithered error, 3.9 % of the step
        # between the entries, towards the nearer one (rule 2, the clamp,
        # causes most of it); rgb: 2 % and 0.9 %
        assert error < 0.15 * np.linalg.norm(mean_plain - best)
        assert error < 0.05 * np.linalg.norm(p1 - p0)


# -- quantize: spaces ----------------------------------------------------------------
def test_oklab_maps_every_colour_to_its_nearest_entry():
    image = _photo()
    q = quantize(image, 16, space="oklab")
    assert q.space == "oklab" and not q.dithered
    assert q.palette.shape == (16, 3) and q.palette.dtype == np.uint8
    pixels = image.reshape(-1, 3)
    dist = naive.sq_distances(colour.to_fit(pixels, "oklab"),
                              colour.to_fit(q.palette, "oklab"))
    assert np.array_equal(q.index_map.reshape(-1), dist.argmin(axis=1))


def test_oklab_lowers_delta_e_and_rgb_keeps_psnr():
    from compress import psnr

    image = _photo()
    rgb, lab = quantize(image, 16), quantize(image, 16, space="oklab")
    assert lab.delta_e < rgb.delta_e
    assert lab.delta_e_p95 < rgb.delta_e_p95
    assert psnr(image, rgb.image) > psnr(image, lab.image)


def test_delta_e_per_colour_equals_per_pixel():
    image = _photo()  # many colours per pixel: rgb fits on the pixels
    image = np.concatenate([image, image[::-1]], axis=0)  # rgb on the histogram
    for space in ("rgb", "oklab"):
        q = quantize(image, 8, space=space)
        assert q.pairs is not None
        mean, p95 = (q.delta_e, q.delta_e_p95)
        mean_px, p95_px = delta_e_stats(image, q.image)
        assert mean == pytest.approx(mean_px, rel=1e-12)
        assert p95_px <= p95 < p95_px + 1 / 1024 + 1e-12  # binned, rounded up


@pytest.mark.parametrize("n_channels", [1, 2, 4])
@pytest.mark.parametrize("dither_on", [False, True])
def test_grey_and_alpha_images(n_channels, dither_on):
    rng = np.random.default_rng(2)
    base = _gradient(24, 80)
    if n_channels == 1:
        image = base[:, :, 0]
    else:
        alpha = np.repeat(np.linspace(0, 255, 80)[None, :], 24, axis=0)
        alpha = np.rint(alpha).astype(np.uint8)
        colour_part = base[:, :, :1] if n_channels == 2 else base
        image = np.concatenate([colour_part, alpha[:, :, None]], axis=2)
    image = np.clip(image.astype(int) + rng.integers(-3, 4, image.shape), 0, 255
                    ).astype(np.uint8)
    q = quantize(image, 5, space="oklab", dither=dither_on)
    out = q.image
    assert out.shape == image.shape and out.dtype == np.uint8
    assert q.palette.shape == (5, n_channels)
    mean, p95 = (q.delta_e, q.delta_e_p95)
    assert 0 < mean <= p95


def test_exact_images_stay_exact_in_oklab_and_dithered():
    image = np.random.default_rng(3).integers(0, 256, (20, 20, 3), dtype=np.uint8)
    image[:, :10] = image[0, 0]
    n = len(np.unique(image.reshape(-1, 3), axis=0))
    q = quantize(image, n, space="oklab", dither=True)
    assert q.exact and not q.dithered
    assert np.array_equal(q.image, image)


def test_bad_space_and_mismatched_prepare_are_refused():
    from compress.quantization.fit_input import prepare

    image = _gradient(8, 8)
    with pytest.raises(ValueError, match="space must be one of"):
        quantize(image, 2, space="lab")
    with pytest.raises(ValueError, match="prepared is for space='rgb'"):
        quantize(image, 2, space="oklab", prepared=prepare(image, ks=(2,)))


# -- dithering through quantize -------------------------------------------------------
def test_dithered_output_uses_only_palette_colours_and_removes_bands():
    image = _gradient()
    for space in ("rgb", "oklab"):
        plain = quantize(image, 4, space=space)
        q = quantize(image, 4, space=space, dither=True)
        assert q.dithered
        assert q.index_map.max() < q.n_colors_out
        out = q.image
        used = np.unique(out.reshape(-1, 3), axis=0)
        assert {tuple(c) for c in used} <= {tuple(c) for c in q.palette}
        # column means follow the ramp much better with dithering (no bands)
        ramp = image.mean(axis=0)  # (W, 3)
        err_dither = np.abs(out.mean(axis=0) - ramp).mean()
        err_plain = np.abs(plain.image.mean(axis=0) - ramp).mean()
        assert err_dither < 0.5 * err_plain


_DIGEST = """
import hashlib, sys
import numpy as np
from sklearn.datasets import load_sample_image
from compress import quantize
image = load_sample_image("flower.jpg")[::2, ::2]
h = hashlib.sha256()
for space in ("rgb", "oklab"):
    q = quantize(image, 16, space=space, dither=True)
    h.update(q.palette.tobytes()); h.update(q.index_map.tobytes())
print(h.hexdigest())
"""


@pytest.mark.slow
def test_dithering_is_identical_across_reruns_and_thread_counts():
    pytest.importorskip("sklearn")
    digests = []
    for threads in ("1", "2", "2"):
        env = dict(os.environ, NUMBA_NUM_THREADS=threads,
                   PYTHONPATH=os.pathsep.join(
                       [str(REPO), os.environ.get("PYTHONPATH", "")]))
        done = subprocess.run([sys.executable, "-c", _DIGEST], env=env,
                              capture_output=True, text=True, timeout=600)
        assert done.returncode == 0, done.stderr
        digests.append(done.stdout.strip())
    assert len(digests[0]) == 64 and len(set(digests)) == 1
    # and in this process, twice
    image = _photo()
    a = quantize(image, 16, space="oklab", dither=True)
    b = quantize(image, 16, space="oklab", dither=True)
    assert hashlib.sha256(a.index_map.tobytes()).digest() == \
        hashlib.sha256(b.index_map.tobytes()).digest()


def test_pruned_search_equals_brute_force():
    from compress.quantization import _dither_kernel as kern

    rng = np.random.default_rng(5)
    palette = rng.random((64, 3))
    palette[10] = palette[20]  # ties go to the lowest index in both
    order, spread = palette_neighbours(palette)
    for _ in range(3000):
        target = rng.random(3) * 1.4 - 0.2
        guess = np.int32(rng.integers(0, 64))  # as dither_serpentine passes it
        assert kern._nearest_from(target, palette, guess, order, spread) == \
            kern._nearest(target, palette)
    target = palette[20].copy()
    assert kern._nearest_from(target, palette, np.int32(20), order, spread) == 10


@pytest.mark.parametrize("space,dither_on", [("rgb", True), ("oklab", False),
                                             ("oklab", True)])
def test_reported_mse_is_that_of_the_output(space, dither_on):
    from compress import mse

    image = _photo()
    q = quantize(image, 8, space=space, dither=dither_on)
    assert q.mse == pytest.approx(mse(image, q.image), rel=1e-12)


@pytest.mark.parametrize("band_rows", [1, 2, 5, 23])
def test_dither_in_bands_equals_the_whole_image(band_rows):
    """Bands with a one-row halo and the carried error: the same indices."""
    from compress.quantization.dither import DitherBand, dither

    rng = np.random.default_rng(3)
    noise = rng.integers(-40, 41, (23, 31, 3))  # rows differ: the halo matters
    image = np.clip(_gradient(23, 31) + noise, 0, 255).astype(np.uint8)
    colors, _, inverse = color_histogram(image.reshape(-1, 3))
    X = colour.to_fit(colors, "oklab")
    palette = colour.to_fit(rng.integers(0, 256, (6, 3), dtype=np.uint8), "oklab")
    whole = dither(X, inverse, (23, 31), palette, mean_sq_error=0.01)
    band = DitherBand.whole(31, 3)
    parts = []
    for y0 in range(0, 23, band_rows):
        y1 = min(y0 + band_rows, 23)
        top, bottom = max(0, y0 - 1), min(23, y1 + 1)
        band.y_start, band.above, band.below = y0, y0 - top, bottom - y1
        parts.append(dither(X, inverse[top * 31: bottom * 31], (bottom - top, 31),
                            palette, mean_sq_error=0.01, band=band))
    assert np.array_equal(np.concatenate(parts), whole)

"""compress.quantization.remap: the rate-aware remap behind ``--optimize``."""

import io

import numpy as np
import pytest
from helpers import photo_like, run_in_process
from PIL import Image

from compress import quantize
from compress.quantization.kernel_input import kernel_input
from compress.quantization.metrics import mse, psnr
from compress.quantization.remap import MAX_PSNR_LOSS_DB, _remap, remap_index_map


def naive_remap(pixels, palette, index_map, slack):
    """The module docstring's rule, one pixel at a time in Python."""
    def cost(y, x, j):
        return float(((pixels[y, x].astype(float) - palette[j]) ** 2).sum())

    out = np.empty_like(index_map)
    for y in range(index_map.shape[0]):
        for x in range(index_map.shape[1]):
            j = int(index_map[y, x])
            limit = cost(y, x, j) + slack
            choice = j
            if x > 0 and cost(y, x, out[y, x - 1]) <= limit:
                choice = out[y, x - 1]
            elif y > 0 and cost(y, x, out[y - 1, x]) <= limit:
                choice = out[y - 1, x]
            out[y, x] = choice
    return out


@pytest.fixture(scope="module")
def result():
    return quantize(photo_like(60, 80, seed=7), 24)


def _decoded(png: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(png)).convert("RGB"))


@pytest.mark.parametrize("slack", [0.0, 50.0, 400.0])
def test_kernel_matches_its_naive_twin(result, slack):
    out = np.empty_like(result.index_map)
    row_sse = np.empty(result.index_map.shape[0])
    _remap(kernel_input(result.original), result.palette, result.index_map, slack,
           out, row_sse)  # the pixels as remap_index_map passes them
    expected = naive_remap(result.original, result.palette, result.index_map, slack)
    assert np.array_equal(out, expected)
    assert row_sse.sum() / (out.size * 3) == mse(result.original, result.palette[out])


def test_hand_computed_row():
    pixels = np.array([[[0], [10], [12], [40]]], np.uint8)  # one grey row
    palette = np.array([[0], [11], [40]], np.uint8)
    plain = np.array([[0, 1, 1, 2]], np.uint8)
    # pixel 10: entry 0 costs 100, entry 1 costs 1: repeat only if slack >= 99
    assert naive_remap(pixels, palette, plain, 98.0).tolist() == [[0, 1, 1, 2]]
    assert naive_remap(pixels, palette, plain, 99.0).tolist() == [[0, 0, 1, 2]]
    # no MSE bound: the bisection ends just below SLACK_MAX * 1 channel * 100
    out = remap_index_map(pixels, palette, plain, max_mse=1e9, base_mse=100.0)
    assert out.tolist() == [[0, 0, 0, 2]]  # 12 costs 144 at entry 0, 40 costs 1600


def test_psnr_loss_is_bounded_and_reported_exactly(result):
    small = result.for_smaller_png()
    assert result.psnr - MAX_PSNR_LOSS_DB - 1e-9 <= small.psnr <= result.psnr + 1e-9
    assert small.psnr == psnr(result.original, small.image)
    assert small.mse == mse(result.original, small.image)
    assert not np.array_equal(small.index_map, result.index_map)


def test_min_psnr_is_kept(result):
    floor = result.psnr - 0.02
    assert result.for_smaller_png(min_psnr=floor).psnr >= floor


def test_delta_e_describes_the_remapped_image(result):
    from compress.quantization.delta_e import delta_e_to_palette

    small = result.for_smaller_png()
    pixels = small.original.reshape(-1, 3)
    mean, p95 = delta_e_to_palette(pixels, small.index_map.reshape(-1), small.palette)
    assert small.delta_e == pytest.approx(mean, rel=1e-12)
    assert small.delta_e_p95 == p95


def test_exact_and_dithered_results_are_kept():
    pixels = photo_like(30, 40, seed=2)
    exact = quantize(pixels[:4, :4], 64)
    assert exact.exact and exact.for_smaller_png() is exact
    dithered = quantize(pixels, 8, dither=True)
    assert dithered.for_smaller_png() is dithered


def test_optimized_file_is_the_reported_image_and_smaller(result):
    pytest.importorskip("oxipng")
    png = result.to_png(optimize=True)
    small = result.for_smaller_png()
    assert np.array_equal(_decoded(png), small.image)
    assert len(png) < len(result.to_png())


def test_cli_optimize_reports_the_written_file(tmp_path):
    pytest.importorskip("oxipng")
    pixels = photo_like(90, 120, seed=5)
    Image.fromarray(pixels).save(tmp_path / "in.png")
    proc = run_in_process("in.png", 32, "-o", "small.png", "--optimize", cwd=tmp_path,
                          check_rc=0)
    written = _decoded((tmp_path / "small.png").read_bytes())
    assert f"PSNR {psnr(pixels, written):.2f} dB" in proc.stdout + proc.stderr
    lib = quantize(pixels, 32).to_png(optimize=True)
    assert lib == (tmp_path / "small.png").read_bytes()


@pytest.mark.parametrize("channels", [1, 4])
def test_grey_and_alpha_images_decode_to_the_reported_image(channels):
    pytest.importorskip("oxipng")
    rgb = photo_like(40, 50, seed=9)
    pixels = rgb[:, :, :1] if channels == 1 else np.dstack([rgb, rgb[:, :, :1]])
    result = quantize(pixels, 12)
    small = result.for_smaller_png()
    mode = "L" if channels == 1 else "RGBA"
    written = np.asarray(Image.open(io.BytesIO(result.to_png(optimize=True)))
                         .convert(mode)).reshape(small.original.shape)
    assert np.array_equal(written, small.palette[small.index_map])
    assert small.mse == mse(small.original, written)

"""QuantizeResult as a user meets it: repr, notebook display, attributes, save."""

from __future__ import annotations

import shutil

import numpy as np
import pytest
from helpers import china_path, photo_like, run_in_process, save

from compress import quantize
from compress.quantization.metrics import psnr_from_mse


def test_repr_is_one_short_line(china):
    q = quantize(china, 16)
    text = repr(q)
    assert len(text) <= 300 and "\n" not in text
    for part in ("k=16", "640x427", "96,615 -> 16", "PSNR", "dB", "ΔE2000",
                 "iterations"):
        assert part in text, text
    assert "index_map" not in text and "history" not in text


def test_repr_stays_short_at_k_256():
    q = quantize(photo_like(64, 96), 256)
    assert len(repr(q)) <= 300


def test_html_shows_both_images_palette_and_numbers(china):
    q = quantize(china, 5)
    page = q._repr_html_()
    assert page.count("<img") == 2
    assert page.count("data:image/") == 2
    assert page.count("background:rgb(") == 5  # one swatch per entry
    assert f"{q.psnr:.2f} dB" in page and f"{q.delta_e:.2f}" in page
    assert "96,615 → 5" in page
    assert len(page) < 100_000  # a downscaled preview, not the photo


def test_attributes(china):
    q = quantize(china, 8)
    assert q.image.shape == china.shape and q.image.dtype == np.uint8
    np.testing.assert_array_equal(q.image, q.palette[q.index_map])
    assert q.psnr == psnr_from_mse(q.mse)
    assert 0 < q.delta_e < q.delta_e_p95
    assert q.fit.n_iter >= 1 and len(q.fit.history) >= 1  # reachable


def _rgba_image() -> np.ndarray:
    rgb = photo_like(40, 56, seed=3)
    alpha = np.tile(np.linspace(0, 255, 56).astype(np.uint8), (40, 1))[:, :, None]
    return np.concatenate([rgb, alpha], axis=2)  # (40, 56, 4), real transparency


def _grey_image() -> np.ndarray:
    return photo_like(40, 56, seed=4)[:, :, 1]  # (40, 56)


@pytest.mark.parametrize("kind, k", [("photo", 16), ("photo", 300), ("rgba", 6),
                                     ("grey", 3)])
def test_save_writes_the_cli_bytes(tmp_path, kind, k):
    """result.save(p) == python -m compress IMAGE K -o p, byte for byte."""
    source = tmp_path / "in.png"
    if kind == "photo":
        shutil.copy(china_path(), tmp_path / "in.jpg")
        source = tmp_path / "in.jpg"
    else:
        save(source, _rgba_image() if kind == "rgba" else _grey_image())
    run_in_process(source, k, "-o", "cli.png", "-q", cwd=tmp_path, check_rc=0)
    written = quantize(source, k).save(tmp_path / "lib.png")
    assert written.read_bytes() == (tmp_path / "cli.png").read_bytes()


def test_save_rgb_like_the_cli_flag(tmp_path):
    source = save(tmp_path / "in.png", photo_like(32, 48))
    run_in_process(source, 8, "--rgb", "-o", "cli.png", "-q", cwd=tmp_path,
                   check_rc=0)
    quantize(source, 8).save(tmp_path / "lib.png", output_format="rgb")
    assert (tmp_path / "lib.png").read_bytes() == (tmp_path / "cli.png").read_bytes()


def test_save_optimized_like_the_cli_flag(tmp_path):
    pytest.importorskip("oxipng")
    source = save(tmp_path / "in.png", photo_like(32, 48))
    run_in_process(source, 8, "--optimize", "-o", "cli.png", "-q", cwd=tmp_path,
                   check_rc=0)
    quantize(source, 8).save(tmp_path / "lib.png", optimize=True)
    assert (tmp_path / "lib.png").read_bytes() == (tmp_path / "cli.png").read_bytes()
    plain = quantize(source, 8).to_png()
    assert len((tmp_path / "lib.png").read_bytes()) <= len(plain)

"""compress.io.png ``optimize=True`` / ``--optimize``: smaller, the same pixels."""

import io
import sys

import numpy as np
import pytest
from helpers import photo_like, run_in_process
from PIL import Image

from compress import quantize
from compress.commands.request import Request, check_request
from compress.errors import CompressError
from compress.io.png import encode_palette_png, encode_png
from compress.quantization.metrics import psnr
from compress.quantization.remap import MAX_PSNR_LOSS_DB


def _pixels(png: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(png)).convert("RGBA"))


@pytest.fixture(scope="module")
def result():
    return quantize(photo_like(120, 160, seed=3), 40)


def test_palette_png_keeps_every_pixel_in_fewer_bytes(result):
    pytest.importorskip("oxipng")
    plain = encode_palette_png(result.index_map, result.palette)
    small = encode_palette_png(result.index_map, result.palette, optimize=True)
    assert len(small) < len(plain)
    assert np.array_equal(_pixels(small), _pixels(plain))


def test_rgb_and_alpha_pngs_keep_every_pixel(result):
    pytest.importorskip("oxipng")
    rgba = np.dstack([result.image, np.full(result.index_map.shape, 200,
                                                    np.uint8)])
    for pixels in (result.image, rgba):
        small = encode_png(pixels, optimize=True)
        assert np.array_equal(_pixels(small), _pixels(encode_png(pixels)))


def test_without_pyoxipng_the_error_says_what_to_install(result, monkeypatch):
    monkeypatch.setitem(sys.modules, "oxipng", None)  # import oxipng fails
    with pytest.raises(CompressError, match=r"kmeans-compress\[optimize\]"):
        encode_palette_png(result.index_map, result.palette, optimize=True)


def test_cli_refuses_optimize_before_fitting_without_pyoxipng(monkeypatch):
    monkeypatch.setattr("importlib.util.find_spec", lambda name: None)
    with pytest.raises(CompressError, match="pyoxipng"):
        check_request(Request("compress", "x.png", ks=[4], optimize=True))


def test_cli_optimize_writes_a_smaller_file_within_the_psnr_bound(tmp_path):
    pytest.importorskip("oxipng")
    Image.fromarray(photo_like(90, 120, seed=5)).save(tmp_path / "in.png")
    run_in_process("in.png", 32, "-o", "plain.png", "-q", cwd=tmp_path, check_rc=0)
    run_in_process("in.png", 32, "-o", "small.png", "-q", "--optimize", cwd=tmp_path,
                   check_rc=0)
    plain, small = ((tmp_path / f).read_bytes() for f in ("plain.png", "small.png"))
    assert len(small) < len(plain)  # the pixels differ: see test_remap.py
    source = _pixels((tmp_path / "in.png").read_bytes())
    loss = psnr(source, _pixels(plain)) - psnr(source, _pixels(small))
    assert loss <= MAX_PSNR_LOSS_DB

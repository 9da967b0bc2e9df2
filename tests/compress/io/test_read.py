"""Reading every supported input layout, writing palette PNGs, atomic writes."""

from __future__ import annotations

import io

import numpy as np
import pytest
from helpers import (
    blobs_image,
    decode_palette_png,
    gradient_image,
    png16,
    png_header,
    save,
)
from PIL import Image

from compress import CompressError, encode_palette_png, load_image, write_atomically


@pytest.mark.parametrize("suffix", [".jpg", ".png", ".bmp", ".tif", ".webp", ".gif"])
def test_every_format_loads_as_rgb(tmp_path, suffix):
    img = blobs_image(16, 20, noise=0)
    path = save(tmp_path / f"a{suffix}", img)
    loaded = load_image(path)
    assert loaded.pixels.shape == (16, 20, 3) and loaded.pixels.dtype == np.uint8
    assert loaded.file_bytes == path.stat().st_size
    if suffix in (".png", ".bmp", ".tif", ".gif"):  # lossless for 4 colours
        np.testing.assert_array_equal(loaded.pixels, img)


def test_greyscale_stays_grey(tmp_path):
    grey = gradient_image()[:, :, 1]
    loaded = load_image(save(tmp_path / "g.png", grey))
    assert loaded.mode == "L" and loaded.pixels.shape == (*grey.shape, 1)
    np.testing.assert_array_equal(loaded.pixels[:, :, 0], grey)


def test_16_bit_grey_is_scaled_not_clipped(tmp_path):
    # Pillow's convert("L") would clip every value above 255 to white.
    values = np.array([[0, 257, 32768, 65535]], dtype=np.uint16)[:, :, None]
    path = tmp_path / "g16.png"
    path.write_bytes(png16(values))
    loaded = load_image(path)
    np.testing.assert_array_equal(loaded.pixels[0, :, 0], [0, 1, 128, 255])
    assert any("16-bit" in n for n in loaded.notes)


def test_16_bit_rgb_is_reduced_with_a_note(tmp_path):
    values = np.array([[[0, 32768, 65535], [65535, 0, 1000]]], dtype=np.uint16)
    path = tmp_path / "c16.png"
    path.write_bytes(png16(values))
    loaded = load_image(path)
    np.testing.assert_array_equal(loaded.pixels, [[[0, 128, 255], [255, 0, 3]]])
    assert any("16-bit" in n for n in loaded.notes)


def test_palette_input_is_expanded(tmp_path):
    im = Image.fromarray(blobs_image(8, 8, noise=0)).quantize(4)
    im.save(tmp_path / "p.png")
    loaded = load_image(tmp_path / "p.png")
    assert loaded.mode == "RGB"
    assert any("palette image expanded" in n for n in loaded.notes)


def test_palette_with_transparency_becomes_rgba(tmp_path):
    im = Image.fromarray(np.array([[0, 1], [1, 0]], dtype=np.uint8))
    im.putpalette([255, 0, 0, 0, 0, 255])
    im.save(tmp_path / "t.png", transparency=0)
    loaded = load_image(tmp_path / "t.png")
    assert loaded.mode == "RGBA"
    np.testing.assert_array_equal(loaded.pixels[0, 0], [255, 0, 0, 0])
    np.testing.assert_array_equal(loaded.pixels[0, 1], [0, 0, 255, 255])


def test_rgba_keeps_alpha_and_opaque_alpha_is_dropped(tmp_path):
    rgba = np.dstack([gradient_image(), np.full((48, 64), 255, np.uint8)])
    assert load_image(save(tmp_path / "o.png", rgba)).mode == "RGB"
    rgba[:10, :, 3] = 40
    loaded = load_image(save(tmp_path / "a.png", rgba))
    assert loaded.mode == "RGBA"
    np.testing.assert_array_equal(loaded.pixels, rgba)
    la = np.dstack([rgba[:, :, 0], rgba[:, :, 3]])
    assert load_image(save(tmp_path / "la.png", la)).mode == "LA"


def test_animated_gif_uses_first_frame(tmp_path):
    frames = [Image.fromarray(np.full((6, 6, 3), v, np.uint8)) for v in (10, 200)]
    frames[0].save(tmp_path / "anim.gif", save_all=True, append_images=frames[1:])
    loaded = load_image(tmp_path / "anim.gif")
    assert loaded.pixels[0, 0, 0] == 10
    assert any("2 frames" in n for n in loaded.notes)


def test_exif_orientation_is_applied(tmp_path):
    img = np.zeros((10, 20, 3), dtype=np.uint8)
    img[:, :10] = 255  # left half white
    exif = Image.Exif()
    exif[0x0112] = 6  # "rotate 90 CW to view"
    Image.fromarray(img).save(tmp_path / "r.jpg", exif=exif, quality=95)
    loaded = load_image(tmp_path / "r.jpg")
    assert loaded.pixels.shape == (20, 10, 3)
    assert loaded.pixels[2, 5].mean() > 200 and loaded.pixels[17, 5].mean() < 50
    assert any("EXIF orientation 6" in n for n in loaded.notes)


def test_cmyk_is_converted(tmp_path):
    Image.fromarray(gradient_image()).convert("CMYK").save(tmp_path / "c.jpg")
    loaded = load_image(tmp_path / "c.jpg")
    assert loaded.mode == "RGB" and any("CMYK" in n for n in loaded.notes)


@pytest.mark.parametrize("k", [1, 2, 3, 4, 5, 16, 17, 256])
def test_palette_png_bit_depth_and_roundtrip(tmp_path, k):
    rng = np.random.default_rng(k)
    palette = rng.integers(0, 256, (k, 3), dtype=np.uint8)
    index = (np.arange(7 * 9) % k).reshape(7, 9).astype(np.uint8)
    path = tmp_path / "p.png"
    path.write_bytes(encode_palette_png(index, palette))
    header = png_header(path)
    assert header["color_type"] == 3
    assert header["bit_depth"] == {1: 1, 2: 1, 3: 2, 4: 2, 5: 4, 16: 4}.get(k, 8)
    assert header["palette_size"] == k
    got_index, got_palette = decode_palette_png(path)
    np.testing.assert_array_equal(got_index, index)
    np.testing.assert_array_equal(got_palette[:k], palette)


def test_palette_png_with_alpha_and_grey(tmp_path):
    palette = np.array([[10, 0], [200, 128], [255, 255]], dtype=np.uint8)  # grey, alpha
    index = np.array([[0, 1, 2]], dtype=np.uint8)
    png = encode_palette_png(index, palette)
    with Image.open(io.BytesIO(png)) as im:
        rgba = np.asarray(im.convert("RGBA"))
    np.testing.assert_array_equal(rgba[0], [[10, 10, 10, 0], [200, 200, 200, 128],
                                            [255, 255, 255, 255]])


def test_write_atomically_all_or_nothing(tmp_path):
    good = tmp_path / "a.bin"
    missing_dir = tmp_path / "nope" / "b.bin"
    with pytest.raises(CompressError, match="cannot write"):
        write_atomically({good: b"1", missing_dir: b"2"})
    assert list(tmp_path.iterdir()) == []  # no target and no temporary file
    write_atomically({good: b"new"})
    assert good.read_bytes() == b"new"
    assert [p.name for p in tmp_path.iterdir()] == ["a.bin"]

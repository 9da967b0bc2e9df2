"""End-to-end: ``python -m compress`` in a subprocess, on generated images and china."""

from __future__ import annotations

import math

import numpy as np
import pytest
from helpers import (
    blobs_image,
    china_path,
    decode,
    decode_palette_png,
    gradient_image,
    png_header,
    run_cli,
    run_json,
    save,
)
from PIL import Image

from compress import png_bit_depth, psnr


def _check_palette_output(path, k, source_pixels):
    """At most k colours, right bit depth, every pixel = palette[index]."""
    header = png_header(path)
    assert header["color_type"] == 3, "a palette PNG"
    n = header["palette_size"]
    assert 1 <= n <= k
    assert header["bit_depth"] == png_bit_depth(n)
    index, palette = decode_palette_png(path)
    assert index.max() < n
    rgb = decode(path)
    np.testing.assert_array_equal(rgb, palette[index])
    assert len(np.unique(rgb.reshape(-1, 3), axis=0)) <= k
    assert rgb.shape == source_pixels.shape
    return rgb


def _check_report(result, source, out_path, pixels, k, cwd):
    assert result["k"] == k
    assert (cwd / result["output"]).resolve() == out_path.resolve()
    assert result["output_bytes"] == out_path.stat().st_size
    assert result["input_bytes"] == source.stat().st_size
    assert result["raw_bytes"] == pixels.size
    assert result["output_to_input"] == pytest.approx(
        out_path.stat().st_size / source.stat().st_size)
    recomputed = psnr(pixels, decode(out_path))
    if math.isinf(recomputed):
        assert result["psnr_db"] is None and result["exact"]
    else:
        assert result["psnr_db"] == pytest.approx(recomputed, abs=1e-9)


def test_china_one_k_palette_png_report_and_identical_reruns(tmp_path):
    source = china_path()
    pixels = decode(source)
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    doc = run_json(source, 16, "--out-dir", "a", cwd=tmp_path)
    out = tmp_path / "a" / "china-k16.png"
    _check_palette_output(out, 16, pixels)
    (result,) = doc["results"]
    _check_report(result, source, out, pixels, 16, tmp_path)
    # 96,615 = len(set(map(tuple, pixels))), see test_compress_library
    assert result["colors_in"] == doc["input"]["colors"] == 96_615
    assert result["bits_per_pixel"] == 4 and result["output_format"] == "palette"
    assert result["output_bytes"] < result["input_bytes"]
    assert 25 < result["psnr_db"] < 35
    run_cli(source, 16, "--out-dir", "b", "-q", cwd=tmp_path, check_rc=0)
    assert (tmp_path / "b" / "china-k16.png").read_bytes() == out.read_bytes()


def test_default_output_beside_input_and_one_line_report(tmp_path):
    src = save(tmp_path / "photo.png", gradient_image())
    proc = run_cli("photo.png", 5, cwd=tmp_path, check_rc=0)
    out = tmp_path / "photo-k5.png"
    assert out.exists()
    line, = proc.stdout.strip().splitlines()
    assert line.startswith("photo.png -> ") and "k=5" in line and "PSNR" in line
    assert f"{out.stat().st_size:,} bytes" in line or f"{out.stat().st_size:,}" in line
    _check_palette_output(out, 5, decode(src))


def test_several_k_outputs_table_sheet_and_reruns(tmp_path):
    src = save(tmp_path / "img.png", gradient_image(96, 128))
    pixels = decode(src)
    ks = [1, 2, 3, 5, 20]
    proc = run_cli("img.png", *ks, cwd=tmp_path, check_rc=0)
    lines = proc.stdout.splitlines()
    assert "colours in" in lines[1] and "PSNR dB" in lines[1]
    assert len([ln for ln in lines if ln.strip().endswith(".png")
                and ln.split()[0].isdigit()]) == len(ks)
    outputs = {k: tmp_path / f"img-k{k}.png" for k in ks}
    for k, path in outputs.items():
        _check_palette_output(path, k, pixels)
    sheet = tmp_path / "img-sheet.png"
    with Image.open(sheet) as im:
        im.verify()
    assert png_header(sheet)["width"] > 500
    first = {p: p.read_bytes() for p in [*outputs.values(), sheet]}
    # Reruns give identical bytes (the default seed is fixed).
    doc = run_json("img.png", *ks, "--force", cwd=tmp_path)
    assert {p: p.read_bytes() for p in first} == first
    for result in doc["results"]:
        _check_report(result, src, outputs[result["k"]], pixels, result["k"],
                      tmp_path)
    assert doc["sheet"] == sheet.name
    psnrs = [r["psnr_db"] for r in doc["results"]]
    assert psnrs == sorted(psnrs), "more colours, better PSNR"


def test_k_above_distinct_colours_writes_the_exact_image(tmp_path):
    img = blobs_image(20, 20, noise=0)  # 4 colours
    save(tmp_path / "four.png", img)
    proc = run_cli("four.png", 9, cwd=tmp_path, check_rc=0)
    assert "lossless" in proc.stdout and "PSNR" not in proc.stdout
    assert "note: k=9: the image has only 4 distinct colours" in proc.stderr
    assert "exact image with 4 colours" in proc.stderr
    assert "LARGER than the input" in proc.stderr  # 127 bytes against 103
    quiet = run_cli("four.png", 9, "-f", "-q", cwd=tmp_path, check_rc=0)
    assert quiet.stderr == "" and "note" not in quiet.stdout
    out = tmp_path / "four-k9.png"
    np.testing.assert_array_equal(decode(out), img)
    assert png_header(out)["bit_depth"] == 2 and png_header(out)["palette_size"] == 4


def test_grey_and_rgba_inputs(tmp_path):
    grey = gradient_image()[:, :, 0]
    rgba = np.dstack([gradient_image(), np.where(np.arange(64) < 32, 0, 255)
                      .astype(np.uint8)[None, :].repeat(48, axis=0)])
    save(tmp_path / "g.png", grey)
    save(tmp_path / "a.png", rgba)
    run_cli("g.png", 4, cwd=tmp_path, check_rc=0)
    run_cli("a.png", 6, cwd=tmp_path, check_rc=0)
    g_index, g_palette = decode_palette_png(tmp_path / "g-k4.png")
    assert (g_palette[:, 0] == g_palette[:, 1]).all(), "grey palette"
    a_header = png_header(tmp_path / "a-k6.png")
    assert a_header["color_type"] == 3 and a_header["trns"] is not None
    out = decode(tmp_path / "a-k6.png", "RGBA")
    assert set(np.unique(out[:, :, 3])) == {0, 255}


def test_rgb_option_and_large_k(tmp_path):
    save(tmp_path / "n.png", np.random.default_rng(0).integers(
        0, 256, (30, 40, 3), dtype=np.uint8))
    doc = run_json("n.png", 300, "--out-dir", ".", cwd=tmp_path)
    (result,) = doc["results"]
    assert result["output_format"] == "rgb" and result["colors_out"] == 300
    assert png_header(tmp_path / "n-k300.png")["color_type"] == 2
    assert any("RGB PNG" in n for n in result["notes"])
    run_cli("n.png", 8, "--rgb", "-o", "rgb8.png", cwd=tmp_path, check_rc=0)
    header = png_header(tmp_path / "rgb8.png")
    assert header["color_type"] == 2 and header["bit_depth"] == 8
    assert len(np.unique(decode(tmp_path / "rgb8.png").reshape(-1, 3), axis=0)) <= 8


def test_elbow_finds_four_blobs(tmp_path):
    save(tmp_path / "blobs.png", blobs_image())
    proc = run_cli("elbow", "blobs.png", "--k", "1-10", cwd=tmp_path, check_rc=0)
    assert "suggested k: 4" in proc.stdout
    plot = tmp_path / "blobs-elbow.png"
    with Image.open(plot) as im:
        im.verify()
    assert png_header(plot)["width"] > 300
    doc = run_json("elbow", "blobs.png", "--k", "1,2,3,4,5,6", "--plot", "e.png",
                   cwd=tmp_path)
    assert doc["knee"] == 4 and [r["k"] for r in doc["elbow"]] == [1, 2, 3, 4, 5, 6]
    inertia = [r["inertia"] for r in doc["elbow"]]
    assert inertia == sorted(inertia, reverse=True)
    assert (tmp_path / "e.png").exists()


def test_several_k_with_elbow_reuses_the_fits(tmp_path):
    """The exercise in one run: one PNG per k, the sheet, and the elbow plot."""
    save(tmp_path / "blobs.png", blobs_image())
    doc = run_json("blobs.png", "1", "2", "3", "4", "5", "6", "--elbow", cwd=tmp_path)
    assert doc["knee"] == 4
    assert doc["elbow_plot"].endswith("blobs-elbow.png")
    with Image.open(tmp_path / "blobs-elbow.png") as im:
        im.verify()
    assert all((tmp_path / f"blobs-k{k}.png").exists() for k in range(1, 7))
    # The same inertia as the elbow command, which fits each k itself.
    alone = run_json("elbow", "blobs.png", "--k", "1-6", "--plot", "e.png",
                     cwd=tmp_path)
    assert [r["inertia"] for r in doc["results"]] == [
        r["inertia"] for r in alone["elbow"]]
    proc = run_cli("blobs.png", "5", "--elbow", "--force", cwd=tmp_path, check_rc=2)
    assert "--elbow needs several k" in proc.stderr


def test_elbow_says_when_there_is_no_clear_knee(tmp_path):
    save(tmp_path / "two.png", blobs_image(16, 16, noise=0)[:, :8])  # 2 colours
    proc = run_cli("elbow", "two.png", "--k", "1-2", cwd=tmp_path, check_rc=0)
    assert "no clear knee" in proc.stdout


def test_sample_writes_to_current_directory(tmp_path):
    proc = run_cli("sample", "8", cwd=tmp_path, check_rc=0)
    out = tmp_path / "grace_hopper-k8.png"
    assert out.exists() and "grace_hopper.jpg -> " in proc.stdout
    assert png_header(out)["bit_depth"] == 4
    assert sorted(p.name for p in tmp_path.iterdir()) == ["grace_hopper-k8.png"]


def test_help_mentions_the_commands(tmp_path):
    proc = run_cli("--help", cwd=tmp_path, check_rc=0)
    assert "elbow" in proc.stdout and "sample" in proc.stdout
    assert "exit codes" in proc.stdout


@pytest.mark.slow
def test_sample_several_k_and_seed(tmp_path):
    doc = run_json("sample", "2", "4", "16", "--seed", "3", cwd=tmp_path)
    assert [r["bits_per_pixel"] for r in doc["results"]] == [1, 2, 4]
    assert (tmp_path / "grace_hopper-sheet.png").exists()

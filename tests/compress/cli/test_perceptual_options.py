"""``python -m compress ... --space oklab --dither``: input kinds, report fields."""

from __future__ import annotations

import numpy as np
import pytest
from helpers import decode, gradient_image, run_in_process, run_json, save
from naive_delta_e import delta_e_stats

from compress.commands import report


@pytest.mark.parametrize("mode", ["L", "LA", "RGB", "RGBA"])
def test_space_and_dither_for_every_input_kind(tmp_path, mode):
    rgb = gradient_image(40, 56)
    pixels = {"L": rgb[:, :, 0], "LA": np.dstack([rgb[:, :, 0], rgb[:, :, 1]]),
              "RGB": rgb, "RGBA": np.dstack([rgb, rgb[:, :, 2]])}[mode]
    source = save(tmp_path / f"in_{mode}.png", pixels)
    doc = run_json(source, 6, "--space", "oklab", "--dither", "-q", cwd=tmp_path)
    (row,) = doc["results"]
    assert row["space"] == "oklab" and row["dithered"] is True
    assert 0 < row["delta_e_mean"] <= row["delta_e_p95"]
    out = tmp_path / row["output"]
    written = decode(out, "RGBA" if mode in ("LA", "RGBA") else "RGB")
    assert len(np.unique(written.reshape(-1, written.shape[-1]), axis=0)) <= 6
    # the reported ΔE is that of the written file
    expect = delta_e_stats(decode(source), decode(out))
    assert row["delta_e_mean"] == pytest.approx(expect[0], rel=1e-9)
    assert expect[1] <= row["delta_e_p95"] < expect[1] + 1 / 1024 + 1e-12


def test_default_is_rgb_undithered_and_text_report_shows_delta_e(tmp_path):
    source = save(tmp_path / "g.png", gradient_image(32, 48))
    proc = run_in_process(source, 4, "8", "-q", "--no-sheet", cwd=tmp_path, check_rc=0)
    header = proc.stdout.splitlines()[1]
    assert "ΔE00" in header and "p95" in header
    doc = run_json(source, 4, "-q", "-f", cwd=tmp_path)
    assert doc["results"][0]["space"] == "rgb"
    assert doc["results"][0]["dithered"] is False


def test_bad_space_is_a_one_line_usage_error(tmp_path):
    source = save(tmp_path / "g.png", gradient_image(8, 8))
    proc = run_in_process(source, 4, "--space", "lab", cwd=tmp_path, check_rc=2)
    assert len(proc.stderr.strip().splitlines()) == 1
    assert "--space" in proc.stderr and "Traceback" not in proc.stderr
    assert not (tmp_path / "g-k4.png").exists()


def test_format_line_names_space_and_dither():
    row = report.Row(k=4, colors_in=10, colors_out=4, bits_per_pixel=2, output="o",
                     output_format="palette", input_bytes=10, output_bytes=5,
                     raw_bytes=30, mse=1.0, psnr_db=48.1, inertia=0.5, n_iter=3,
                     converged=True, fit_seconds=0.1, exact=False,
                     delta_e_mean=1.234, delta_e_p95=3.456, space="oklab",
                     dithered=True)
    line = report.format_line("in.png", row)
    assert "ΔE2000 mean 1.23 p95 3.46" in line and "oklab, dithered" in line


def test_elbow_in_oklab_and_compress_elbow_plot_with_delta_e(tmp_path):
    source = save(tmp_path / "g.png", gradient_image(32, 48))
    doc = run_json("elbow", source, "--k", "1-4", "--space", "oklab", "-q",
                   cwd=tmp_path)
    rgb = run_json("elbow", source, "--k", "1-4", "-q", "-f", cwd=tmp_path)
    inertia_lab = [row["inertia"] for row in doc["elbow"]]
    inertia_rgb = [row["inertia"] for row in rgb["elbow"]]
    assert inertia_lab == sorted(inertia_lab, reverse=True)
    assert inertia_lab != inertia_rgb  # a different space, different units
    run_in_process(source, "2-4", "--elbow", "--space", "oklab", "--dither", "-q",
            "--no-sheet", "-f", cwd=tmp_path, check_rc=0)
    assert decode(tmp_path / "g-elbow.png").shape[2] == 3

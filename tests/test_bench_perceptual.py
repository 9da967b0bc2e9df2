"""The perceptual benchmark's smoke size runs, writes its report and crops,
and says so when pngquant is absent; its blur matches a textbook Gaussian."""

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

REPO = Path(__file__).resolve().parent.parent


def _bench(tmp_path, *args):
    pytest.importorskip("sklearn")
    pytest.importorskip("skimage")
    out = tmp_path / "perceptual.md"
    proc = subprocess.run(
        [sys.executable, "-m", "bench.perceptual", "--smoke", "--out", str(out),
         *args], cwd=REPO, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return out.read_text(), tmp_path / "perceptual_crops"


@pytest.mark.slow
def test_perceptual_smoke_writes_targets_results_and_crops(tmp_path):
    from PIL import Image

    report, crops = _bench(tmp_path)
    assert "## Targets (issue 12, quality part)" in report
    assert "| china | 16 | ours --space oklab --dither |" in report
    with Image.open(crops / "china-k16.png") as im:
        assert im.width > 0 and im.height > 0
    import shutil
    if shutil.which("pngquant"):
        assert "| china | 16 | pngquant --nofs |" in report
        assert "not run" not in report


@pytest.mark.slow
def test_perceptual_smoke_says_when_pngquant_is_absent(tmp_path):
    report, _ = _bench(tmp_path, "--without-pngquant")
    assert "pngquant is NOT installed" in report
    assert "not run (pngquant absent)" in report
    assert "pngquant --nofs |" not in report


def test_gaussian_blur_is_separable_and_normalised():
    from bench.quality import gaussian_blur

    image = np.zeros((21, 21, 1))
    image[10, 10, 0] = 1.0
    out = gaussian_blur(image, 1.0)[:, :, 0]
    assert out.sum() == pytest.approx(1.0)
    x = np.arange(-3, 4)
    g = np.exp(-0.5 * x**2)
    g /= g.sum()
    assert np.allclose(out[7:14, 7:14], np.outer(g, g))
    flat = np.full((9, 9, 3), 0.3)
    assert np.allclose(gaussian_blur(flat), 0.3)

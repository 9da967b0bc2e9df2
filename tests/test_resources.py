"""Peak memory of whole CLI runs on 24- and 100-megapixel images (slow).

The peak is the child's ``ru_maxrss`` from ``wait4`` (what ``/usr/bin/time -v``
reports as "Maximum resident set size").  The 100-megapixel image is above the
default decompression-bomb limit (89.5 MP), so it runs with ``--max-pixels``;
its bound is the size of its pixels as float64, which the CLI must never hold.
"""

from __future__ import annotations

import pytest
from helpers import cli_env, encode, photo_like, run_timed, sha256
from PIL import Image

MIB = 1024 * 1024


def measure(tmp_path, height: int, width: int, args) -> float:
    image = tmp_path / f"photo-{height}x{width}.jpg"
    pixels = photo_like(height, width, seed=24)
    image.write_bytes(encode(Image.fromarray(pixels), "JPEG", quality=90))
    del pixels
    digest = sha256(image)
    out = tmp_path / "out"
    out.mkdir()
    run = run_timed([image, *args, "--out-dir", out, "-q"], cwd=tmp_path,
                  env=cli_env(), timeout=900)
    assert run.returncode == 0, run.stderr
    assert sha256(image) == digest
    print(f"{height * width / 1e6:.0f} MP, args {args}: peak RSS "
          f"{run.peak_rss_mib:.0f} MiB, {run.seconds:.1f} s")
    return run.peak_rss_mib


@pytest.mark.slow
def test_peak_memory_24_megapixels(tmp_path):
    peak = measure(tmp_path, 4000, 6000, [4, 16])
    assert peak < 500


@pytest.mark.slow
def test_peak_memory_100_megapixels(tmp_path):
    n_pixels = 10_000 * 10_000
    peak = measure(tmp_path, 10_000, 10_000, [16, "--max-pixels", n_pixels])
    float64_pixels = n_pixels * 3 * 8 / MIB  # 2,289 MiB
    assert peak < float64_pixels

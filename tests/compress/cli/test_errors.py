"""Every bad input: exit code, one clear line on stderr, nothing created or changed."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from helpers import gradient_image, run_cli, save, snapshot
from PIL import Image


@pytest.fixture
def workdir(tmp_path):
    """A directory holding a small valid image ``ok.png`` and an existing output."""
    save(tmp_path / "ok.png", gradient_image(12, 16))
    (tmp_path / "taken-k3.png").write_bytes(b"precious")
    save(tmp_path / "taken.png", gradient_image(12, 16, seed=1))
    return tmp_path


def _fails(workdir: Path, args, code: int, *fragments: str) -> str:
    """Run the CLI, expect ``code``, one stderr line with ``fragments``, no change."""
    before = snapshot(workdir)
    proc = run_cli(*args, cwd=workdir)
    err = proc.stderr
    assert proc.returncode == code, (proc.returncode, proc.stdout, err)
    assert "Traceback" not in err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("python -m compress") and "error:" in lines[0]
    for fragment in fragments:
        assert fragment in lines[0], lines[0]
    assert proc.stdout == ""
    assert snapshot(workdir) == before, "files appeared or changed"
    return lines[0]


def test_missing_file(workdir):
    _fails(workdir, ["nope.jpg", "5"], 1, "nope.jpg", "no such file")


def test_directory(workdir):
    (workdir / "adir").mkdir()
    _fails(workdir, ["adir", "5"], 1, "is a directory")


def test_empty_file(workdir):
    (workdir / "empty.jpg").write_bytes(b"")
    _fails(workdir, ["empty.jpg", "5"], 1, "is empty")


def test_non_image_file(workdir):
    (workdir / "notes.txt").write_text("hello, not an image\n")
    _fails(workdir, ["notes.txt", "5"], 1, "not an image file", "JPEG, PNG")


@pytest.mark.parametrize("suffix", [".png", ".jpg"])
def test_truncated_image(workdir, suffix):
    full = save(workdir / f"full{suffix}", gradient_image(64, 64))
    data = full.read_bytes()
    (workdir / f"cut{suffix}").write_bytes(data[: len(data) // 2])
    full.unlink()
    _fails(workdir, [f"cut{suffix}", "5"], 1, "truncated or corrupt")


def test_corrupt_image(workdir):
    data = bytearray((workdir / "ok.png").read_bytes())
    data[40:80] = bytes(40)  # zero the start of the compressed pixel data
    (workdir / "bad.png").write_bytes(bytes(data))
    _fails(workdir, ["bad.png", "5"], 1, "bad.png")


@pytest.mark.parametrize("k", ["0", "-3"])
def test_k_below_one(workdir, k):
    _fails(workdir, ["ok.png", k], 2, "k must be >= 1")


@pytest.mark.parametrize("k", ["2.5", "five", "3-"])
def test_k_not_an_integer(workdir, k):
    _fails(workdir, ["ok.png", k], 2, "k must be a whole number")


def test_k_above_256_with_palette_output(workdir):
    _fails(workdir, ["ok.png", "300", "--palette"], 2, "k=300", "--rgb")


def test_missing_k(workdir):
    _fails(workdir, ["ok.png"], 2, "give at least one k", "--min-psnr")


def test_output_exists(workdir):
    line = _fails(workdir, ["ok.png", "3", "-o", "taken-k3.png"], 1, "already exists",
                  "--force")
    assert "taken-k3.png" in line


def test_default_output_exists(workdir):
    _fails(workdir, ["taken.png", "3"], 1, "taken-k3.png", "already exists")


def test_contact_sheet_exists(workdir):
    (workdir / "ok-sheet.png").write_bytes(b"old sheet")
    _fails(workdir, ["ok.png", "2", "3"], 1, "ok-sheet.png", "already exists")


def test_output_is_the_input(workdir):
    _fails(workdir, ["ok.png", "3", "-o", "ok.png"], 2, "is the input")
    _fails(workdir, ["ok.png", "3", "-o", "./sub/../ok.png", "--force"], 2,
           "is the input")


def test_output_not_png(workdir):
    _fails(workdir, ["ok.png", "3", "-o", "out.jpg"], 2, "must end in .png")


def test_one_output_for_several_k(workdir):
    _fails(workdir, ["ok.png", "3", "5", "-o", "x.png"], 2, "--out-dir")


def test_missing_output_directory(workdir):
    _fails(workdir, ["ok.png", "3", "--out-dir", "nowhere"], 1, "does not exist")


def test_output_directory_is_a_file(workdir):
    _fails(workdir, ["ok.png", "3", "--out-dir", "ok.png"], 1, "not a directory")


def test_unwritable_output_directory(workdir):
    if os.geteuid() == 0:
        # root writes through permission bits; /proc refuses new files even so.
        target = "/proc"
    else:
        locked = workdir / "locked"
        locked.mkdir()
        locked.chmod(0o555)
        target = "locked"
    _fails(workdir, ["ok.png", "3", "--out-dir", target], 1, "cannot write")


def test_decompression_bomb_limit_option(workdir):
    _fails(workdir, ["ok.png", "3", "--max-pixels", "100"], 1,
           "decompression-bomb limit", "--max-pixels 192")


def test_decompression_bomb_default_limit(workdir):
    # 10000 x 9000 = 90 M pixels, above Pillow's default 89,478,485; a 1-bit
    # PNG of zeros is only ~11 kB on disk.
    Image.new("1", (10_000, 9_000)).save(workdir / "bomb.png")
    _fails(workdir, ["bomb.png", "2"], 1, "90,000,000 pixels",
           "--max-pixels 90000000")


def test_unknown_option(workdir):
    _fails(workdir, ["ok.png", "3", "--colour", "red"], 2, "unrecognized")


def test_elbow_errors(workdir):
    _fails(workdir, ["elbow", "nope.png"], 1, "no such file")
    _fails(workdir, ["elbow", "ok.png", "--k", "0-4"], 2, "k must be >= 1")
    _fails(workdir, ["elbow", "ok.png", "--plot", "taken-k3.png"], 1, "already exists")
    _fails(workdir, ["elbow", "ok.png", "--plot", "plot.svg"], 2, "must end in .png")


def test_sample_errors(tmp_path):
    (tmp_path / "grace_hopper-k16.png").write_bytes(b"keep me")
    _fails(tmp_path, ["sample"], 1, "already exists")
    _fails(tmp_path, ["sample", "0"], 2, "k must be >= 1")


def test_k_empty_range(workdir):
    _fails(workdir, ["ok.png", "5-2"], 2, "empty range")


def test_request_checked_before_the_image_is_read(workdir):
    """A corrupt image is not even opened when the request itself is refused."""
    (workdir / "taken.jpg").write_bytes(b"\xff\xd8 not really a JPEG")
    (workdir / "taken-k4.png").write_bytes(b"precious")
    _fails(workdir, ["taken.jpg", "4"], 1, "already exists")
    _fails(workdir, ["taken.jpg", "4", "--elbow"], 2, "--elbow needs several k")
    _fails(workdir, ["taken.jpg", "4", "5", "-o", "x.png"], 2, "names one file")
    _fails(workdir, ["taken.jpg", "4", "--out-dir", "nowhere"], 1, "does not exist")
    _fails(workdir, ["taken.jpg", "2", "5"], 1, "not an image file")  # then read

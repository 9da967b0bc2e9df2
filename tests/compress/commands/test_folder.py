"""Whole folders: ``python -m compress DIR K...`` and ``compress_many``.

Every output of a batch must be byte-identical to the single-image run on that
image; a bad file costs one line and the others finish (exit 1, with counts).
"""

from __future__ import annotations

import io
import json

import numpy as np
import pytest
from helpers import (
    blobs_image,
    gradient_image,
    run_cli,
    run_in_process,
    save,
    snapshot,
)

from compress import CompressError, UsageError, load_image
from compress.commands.folder import compress_many, find_images
from compress.commands.request import Request


@pytest.fixture()
def photos(tmp_path, china):
    """Three images of different kinds, and a file that is not an image."""
    folder = tmp_path / "photos"
    folder.mkdir()
    save(folder / "china.png", china[::4, ::4])  # (107, 160, 3)
    save(folder / "gradient.jpg", gradient_image(40, 56), quality=90)
    save(folder / "blobs.bmp", blobs_image(30, 20))
    (folder / "notes.jpg").write_bytes(b"this is not a JPEG")
    return folder


GOOD = ("blobs.bmp", "china.png", "gradient.jpg")


def test_folder_outputs_equal_single_runs_and_bad_file_is_one_line(photos, tmp_path):
    proc = run_cli(photos, 4, 12, "--jobs", "2", cwd=tmp_path, check_rc=1)
    err_lines = proc.stderr.strip().splitlines()
    assert "Traceback" not in proc.stderr
    assert err_lines[0].startswith("python -m compress: error: ")
    assert "notes.jpg" in err_lines[0] and len(err_lines) == 2
    assert err_lines[1] == ("python -m compress: error: 1 of 4 images failed "
                            "(see the lines above).")
    assert "4 images: 3 written, 1 failed" in proc.stdout
    single = tmp_path / "single"
    single.mkdir()
    for name in GOOD:  # the references in this process: no start-up each
        run_in_process(photos / name, 4, 12, "--out-dir", single, cwd=tmp_path,
                       check_rc=0)
    for name in GOOD:
        stem = name.rsplit(".", 1)[0]
        for suffix in ("-k4.png", "-k12.png", "-sheet.png"):
            batch_bytes = (photos / (stem + suffix)).read_bytes()
            assert batch_bytes == (single / (stem + suffix)).read_bytes(), stem + suffix
    assert not (photos / "notes-k4.png").exists()


def test_rerun_skips_our_outputs_and_json_counts(photos, tmp_path):
    run_cli(photos, 3, cwd=tmp_path, check_rc=1)
    before = snapshot(photos)
    # Without --force every good image now fails (its output exists), one line each.
    proc = run_cli(photos, 3, "--jobs", "1", cwd=tmp_path, check_rc=1)
    assert proc.stderr.count("already exists") == 3
    assert "already exists" not in proc.stdout  # each error shown once
    assert snapshot(photos) == before
    proc = run_cli(photos, 3, "--force", "--json", "--jobs", "2", cwd=tmp_path,
                   check_rc=1)
    doc = json.loads(proc.stdout)
    assert [img["input"].rsplit("/", 1)[1] for img in doc["images"]] == [
        "blobs.bmp", "china.png", "gradient.jpg", "notes.jpg"]  # not *-k3.png
    assert (doc["written"], doc["failed"]) == (3, 1)
    rows = doc["images"][1]["rows"]
    assert rows[0]["k"] == 3
    assert rows[0]["output_bytes"] == (photos / "china-k3.png").stat().st_size


def test_several_files_and_missing_file(photos, tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    proc = run_cli(photos / "china.png", tmp_path / "missing.png", photos / "blobs.bmp",
                   5, "--out-dir", out, cwd=tmp_path, check_rc=1)
    assert "missing.png" in proc.stderr and "Traceback" not in proc.stderr
    assert sorted(p.name for p in out.iterdir()) == ["blobs-k5.png", "china-k5.png"]


def test_requests_that_cannot_work_change_nothing(photos, tmp_path):
    save(photos / "china.jpg", blobs_image(8, 8))  # china.png and china.jpg collide
    before = snapshot(photos)
    proc = run_in_process(photos, 4, cwd=tmp_path, check_rc=2)
    assert "would both write china-k*.png" in proc.stderr
    proc = run_in_process(photos, 4, "-o", tmp_path / "x.png", cwd=tmp_path, check_rc=2)
    assert "names one file" in proc.stderr
    empty = tmp_path / "empty"
    empty.mkdir()
    proc = run_in_process(empty, 4, cwd=tmp_path, check_rc=1)
    assert "is a directory with no images" in proc.stderr
    assert snapshot(photos) == before


def test_library_call_in_process(photos):
    (photos / "notes.jpg").unlink()
    out, err = io.StringIO(), io.StringIO()
    result = compress_many([str(photos)], Request("compress", "", ks=[6]), n_jobs=1,
                           out=out, err=err)  # str or Path
    assert result.exit_code == 0 and not result.failed
    assert [o.path.rsplit("/", 1)[1] for o in result.outcomes] == list(GOOD)
    assert "3 images: 3 written, 0 failed" in out.getvalue()
    assert find_images([photos]) == [photos / n for n in GOOD]  # outputs skipped
    with pytest.raises(UsageError):
        compress_many([photos], Request("compress", "", ks=[6], sheet=photos / "s.png"))
    (photos / "empty").mkdir()
    with pytest.raises(CompressError, match="with no images"):
        compress_many([photos / "empty"], Request("compress", "", ks=[6]))


def test_on_a_dask_cluster(photos, tmp_path):
    distributed = pytest.importorskip("distributed")
    (photos / "notes.jpg").unlink()
    single = tmp_path / "single"
    single.mkdir()
    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=True,
                                  host="127.0.0.1", dashboard_address=None) as cluster:
        proc = run_cli(photos, 7, "--scheduler", cluster.scheduler_address,
                       cwd=tmp_path, check_rc=0)
    assert "3 images: 3 written, 0 failed" in proc.stdout
    assert "Dask at tcp://127.0.0.1:" in proc.stdout
    for name in GOOD:  # the references in this process: no start-up each
        run_in_process(photos / name, 7, "--out-dir", single, cwd=tmp_path, check_rc=0)
        stem = name.rsplit(".", 1)[0]
        assert (photos / f"{stem}-k7.png").read_bytes() == (
            single / f"{stem}-k7.png").read_bytes()
    proc = run_cli(photos, 7, "--force", "--scheduler", "tcp://127.0.0.1:1",
                   cwd=tmp_path, check_rc=1)
    assert "cannot connect to the Dask scheduler" in proc.stderr
    assert "connection refused" in proc.stderr  # at once, not after a 10 s retry
    assert proc.stderr.count("\n") == 1


def test_png_outputs_are_real_images(photos, tmp_path):
    run_cli(photos, 2, "--jobs", "2", cwd=tmp_path, check_rc=1)
    for name in GOOD:
        stem = name.rsplit(".", 1)[0]
        pixels = load_image(photos / f"{stem}-k2.png").pixels
        assert len(np.unique(pixels.reshape(-1, pixels.shape[2]), axis=0)) <= 2


def test_ctrl_c_stops_the_batch_cleanly(tmp_path):
    import os
    import signal
    import subprocess
    import sys
    import time

    from helpers import REPO

    folder = tmp_path / "many"
    folder.mkdir()
    for i in range(8):  # about 1 s each: 3 s of work left when the first is written
        save(folder / f"g{i}.png", gradient_image(300, 450, seed=i))
    env = dict(os.environ, PYTHONPATH=str(REPO) + os.pathsep
               + os.environ.get("PYTHONPATH", ""))
    proc = subprocess.Popen(
        [sys.executable, "-m", "compress", str(folder), "64", "128", "--jobs", "2"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
        start_new_session=True)  # a terminal's Ctrl-C reaches the whole group
    deadline = time.monotonic() + 120
    while not list(folder.glob("*-k64.png")) and time.monotonic() < deadline:
        time.sleep(0.05)  # interrupt once the first image is written
    os.killpg(proc.pid, signal.SIGINT)
    _, err = proc.communicate(timeout=120)
    if proc.returncode in (0, 1):
        pytest.skip("the batch finished before the interrupt arrived")
    assert proc.returncode == 130, err
    assert err.strip().splitlines()[-1] == "python -m compress: interrupted."
    assert "Traceback" not in err
    assert not [p for p in folder.iterdir() if p.name.startswith(".")]  # no temps
    for png in folder.glob("*-k*.png"):  # what was written is whole
        assert load_image(png).pixels.shape == (300, 450, 3)

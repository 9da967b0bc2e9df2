"""Interrupting ``python -m compress`` and racing two of them on one output.

Whenever a run is stopped (SIGINT, SIGKILL) the input is unchanged and every
file under a final output name is a complete PNG (outputs appear by atomic
rename).  SIGINT also removes its temporary files and says so on one line;
SIGKILL cannot clean up, so a ``.NAME.XXXX.tmp`` may remain, never a partial
file under the final name.
"""

from __future__ import annotations

import os
import random
import signal
import time
from pathlib import Path

import pytest
from hostile_corpus import (
    PROG,
    cli_env,
    encode,
    photo_like,
    run_cli,
    sha256,
    start_cli,
    wait_cli,
)
from PIL import Image

KS = (8, 32, 64, 128)  # a multi-k run: several seconds of fitting


@pytest.fixture(scope="module")
def big_image(tmp_path_factory):
    path = tmp_path_factory.mktemp("big") / "big.jpg"
    path.write_bytes(encode(Image.fromarray(photo_like(1200, 1600, seed=9)), "JPEG",
                            quality=92))
    return path


def final_outputs(directory, stem: str) -> list:
    return sorted(directory.glob(f"{stem}-*.png"))


def temp_files(directory) -> list:
    return sorted(directory.glob(".*.tmp"))


def assert_complete_png(path) -> None:
    with Image.open(path) as im:
        assert im.format == "PNG"
        im.load()  # raises on a truncated file


def interrupt(image, out_dir, sig: int, delay: float, log_dir, wait_for=None):
    """Start a multi-k run, send ``sig`` after ``delay`` s, check the aftermath.

    ``wait_for(pid)``, if given, is polled first, and ``delay`` counts from
    when it returns true.
    """
    before = sha256(image)
    started = time.perf_counter()
    proc, out_log, err_log = start_cli(
        [image, *KS, "--out-dir", out_dir, "-q"], cwd=log_dir, env=cli_env(),
        out_dir=log_dir)
    while wait_for is not None and not wait_for(proc.pid):
        time.sleep(0.001)
    time.sleep(delay)
    # No poll(): it would reap the child, and wait_cli needs it for wait4.  A
    # child that already exited is a zombie until then, and ignores the signal.
    os.kill(proc.pid, sig)
    run = wait_cli(proc, out_log, err_log, started=started)
    assert sha256(image) == before, "input changed"
    outputs = final_outputs(out_dir, image.stem)
    for path in outputs:
        assert_complete_png(path)
    # All or nothing: a signal after the renames (while the report prints)
    # still exits 130, with every file complete.
    assert len(outputs) in (0, len(KS) + 1), "some outputs appeared without others"
    if run.returncode == 0:  # finished before the signal arrived
        assert len(outputs) == len(KS) + 1
    if sig == signal.SIGINT:
        assert "Traceback" not in run.stderr, run.stderr
        if run.returncode == 130:  # caught by compress.jobs.run
            assert run.stderr.strip() == f"{PROG}: interrupted."
        elif run.returncode != 0:  # before main() or after it returned: Python
            assert run.returncode == -signal.SIGINT, run.stderr  # dies by SIGINT
        assert temp_files(out_dir) == []
    else:
        assert run.returncode in (0, -signal.SIGKILL)
    return run


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGKILL])
def test_interrupt_during_fit(big_image, tmp_path, sig):
    out = tmp_path / "out"
    out.mkdir()
    run = interrupt(big_image, out, sig, delay=4.0, log_dir=tmp_path)
    print(f"signal {sig} after 4 s: exit {run.returncode}, "
          f"{len(temp_files(out))} temporary file(s) left")


def numpy_is_loading(pid: int) -> bool:
    """Whether process ``pid`` has mapped NumPy's core extension (Linux).

    NumPy is the first thing ``compress`` imports, so from then on our code
    runs.  Before, a Ctrl-C is the interpreter's own business (during its site
    import it prints a "Fatal Python error"), which we do not test.
    """
    try:
        return "_multiarray_umath" in Path(f"/proc/{pid}/maps").read_text()
    except OSError:  # gone already
        return True


@pytest.mark.skipif(not Path("/proc/self/maps").exists(), reason="needs /proc")
@pytest.mark.parametrize("after", [0.0, 0.01, 0.03, 0.06, 0.1, 0.2, 0.35])
def test_interrupt_during_start_up(big_image, tmp_path, after):
    """Ctrl-C while the package imports NumPy and Pillow, and runpy starts it."""
    out = tmp_path / "out"
    out.mkdir()
    run = interrupt(big_image, out, signal.SIGINT, delay=after, log_dir=tmp_path,
                    wait_for=numpy_is_loading)
    assert run.returncode in (130, -signal.SIGINT), run.stderr


@pytest.mark.slow
@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGKILL])
def test_interrupt_at_random_moments(big_image, tmp_path, sig):
    full = run_cli([big_image, *KS, "--out-dir", tmp_path, "-q"], cwd=tmp_path)
    assert full.returncode == 0, full.stderr
    rng = random.Random(sig)
    left = 0
    for i in range(10):
        out = tmp_path / f"run{i}"
        out.mkdir()
        interrupt(big_image, out, sig, rng.uniform(0.0, full.seconds), tmp_path)
        left += len(temp_files(out))
    print(f"signal {sig}: 10 random moments in {full.seconds:.1f} s runs, "
          f"{left} temporary file(s) left")


@pytest.mark.parametrize("force", [True, False])
def test_two_processes_same_output(big_image, tmp_path, force):
    """Two runs write one ``-o`` target at once: one wins, the file is whole."""
    target = tmp_path / "same.png"
    procs = [start_cli([big_image, k, "-o", target, "-q", *(["-f"] if force else [])],
                       cwd=tmp_path, env=cli_env(NUMBA_NUM_THREADS="1"))
             for k in (4, 8)]
    runs = [wait_cli(*p, timeout=120) for p in procs]
    for run in runs:
        assert "Traceback" not in run.stderr, run.stderr
        if run.returncode != 0:  # lost the race before writing: a clean refusal
            assert not force and run.returncode == 1
            assert "already exists" in run.stderr
    assert any(run.returncode == 0 for run in runs)
    assert_complete_png(target)
    with Image.open(target) as im:
        assert im.mode == "P" and len(im.getpalette()) // 3 in (4, 8)
    assert temp_files(tmp_path) == []


def test_library_import_leaves_ctrl_c_alone():
    """Only ``python -m compress`` defers Ctrl-C during start-up."""
    import subprocess
    import sys

    code = ("import signal, compress; "
            "assert signal.getsignal(signal.SIGINT) is signal.default_int_handler")
    subprocess.run([sys.executable, "-c", code], check=True, capture_output=True)

"""Interrupting the CLI, through both entry points, and racing two runs.

Both ``python -m compress`` and the ``kmeans-compress`` console script call
``compress.cli.main``, which installs its Ctrl-C handler before importing
anything heavy.  A Ctrl-C at any moment after that gives one line
(``PROG: interrupted.``) and exit code 130; outputs appear all together or
not at all, and no temporary file is left.  The script is run through the
wrapper pip writes for it (``helpers.SCRIPT_WRAPPER``).  SIGKILL cannot clean
up: a ``.NAME.XXXX.tmp`` may remain, never a partial file under a final name.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from helpers import cli_env, encode, photo_like, sha256, start_cli, wait_cli
from PIL import Image

KS = (8, 32, 64, 128)  # a multi-k run: a few seconds of fitting
PROGS = {"module": "python -m compress", "script": "kmeans-compress"}



@pytest.fixture(autouse=True)
def _ctrl_c_reaches_the_children():
    """Children inherit an ignored SIGINT (a suite started with ``&`` or nohup):
    catch it here while the test runs, so that every child starts with Python's
    default handler."""
    before = signal.signal(signal.SIGINT, signal.default_int_handler)
    yield
    signal.signal(signal.SIGINT, before)

@pytest.fixture(scope="module")
def big_image(tmp_path_factory):
    path = tmp_path_factory.mktemp("big") / "big.jpg"
    path.write_bytes(encode(Image.fromarray(photo_like(1200, 1600, seed=9)), "JPEG",
                            quality=92))
    return path


def temp_files(directory) -> list:
    return sorted(directory.glob(".*.tmp")) + sorted(directory.glob(".*.bak"))


def assert_complete_png(path) -> None:
    with Image.open(path) as im:
        assert im.format == "PNG"
        im.load()  # raises on a truncated file


def numpy_is_loading(pid: int) -> bool:
    """Whether process ``pid`` has mapped NumPy's core extension (Linux).

    The CLI imports NumPy only after installing its handler; before that
    moment a Ctrl-C belongs to the interpreter's own start-up (and the few
    milliseconds of importing ``compress.cli``), which we do not test.
    """
    try:
        return "_multiarray_umath" in Path(f"/proc/{pid}/maps").read_text()
    except OSError:  # gone already
        return True


def interrupt(image, out_dir, sig: int, delay: float, log_dir, entry="module",
              wait_for=None):
    """Start a multi-k run, send ``sig`` after ``delay`` s, check the aftermath."""
    before = sha256(image)
    started = time.perf_counter()
    proc, out_log, err_log = start_cli(
        [image, *KS, "--out-dir", out_dir, "-q"], cwd=log_dir, env=cli_env(),
        out_dir=log_dir, entry=entry)
    while wait_for is not None and not wait_for(proc.pid):
        time.sleep(0.001)
    time.sleep(delay)
    # No poll(): it would reap the child, and wait_cli needs it for wait4.  A
    # child that already exited is a zombie until then, and ignores the signal.
    os.kill(proc.pid, sig)
    run = wait_cli(proc, out_log, err_log, started=started)
    assert sha256(image) == before, "input changed"
    outputs = sorted(out_dir.glob(f"{image.stem}-*.png"))
    for path in outputs:
        assert_complete_png(path)
    assert len(outputs) in (0, len(KS) + 1), "some outputs appeared without others"
    if run.returncode == 0:  # finished before the signal arrived
        assert len(outputs) == len(KS) + 1
    if sig == signal.SIGINT:
        # -SIGINT: the signal came before main() installed its handler (while
        # the interpreter started, or imported compress.cli: Python's own
        # KeyboardInterrupt, no output) or as Python shut down after the run
        # (it restores the default handler then: all outputs there).
        assert run.returncode in (0, 130, -signal.SIGINT), run.stderr
        if run.returncode == -signal.SIGINT:
            before_main = ", in main\n" not in run.stderr  # no frame of main()
            assert run.stderr == "" or (before_main and not outputs), run.stderr
        if run.returncode == 130:
            assert run.stderr == f"{PROGS[entry]}: interrupted.\n"
        assert temp_files(out_dir) == []
    else:
        assert run.returncode in (0, -signal.SIGKILL)
    return run


@pytest.mark.skipif(not Path("/proc/self/maps").exists(), reason="needs /proc")
@pytest.mark.parametrize("entry", ["module", "script"])
@pytest.mark.parametrize("after", [0.0, 0.03, 0.1, 0.3, 1.5])
def test_ctrl_c_at_start_up_and_work_moments(big_image, tmp_path, entry, after):
    """From NumPy's import (start-up) to fitting and encoding (1.5 s in)."""
    out = tmp_path / "out"
    out.mkdir()
    run = interrupt(big_image, out, signal.SIGINT, after, tmp_path, entry,
                    wait_for=numpy_is_loading)
    assert run.returncode == 130, (run.returncode, run.stderr)
    assert list(out.iterdir()) == []


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGKILL])
def test_interrupt_during_fit(big_image, tmp_path, sig):
    out = tmp_path / "out"
    out.mkdir()
    run = interrupt(big_image, out, sig, delay=3.0, log_dir=tmp_path)
    print(f"signal {sig} after 3 s: exit {run.returncode}, "
          f"{len(temp_files(out))} temporary file(s) left")


@pytest.mark.slow
@pytest.mark.parametrize("entry", ["module", "script"])
@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGKILL])
def test_interrupt_at_random_moments(big_image, tmp_path, sig, entry):
    started = time.perf_counter()
    proc, out_log, err_log = start_cli([big_image, *KS, "--out-dir", tmp_path, "-q"],
                                       cwd=tmp_path, out_dir=tmp_path, entry=entry)
    full = wait_cli(proc, out_log, err_log, started=started)
    assert full.returncode == 0, full.stderr
    rng = random.Random(f"{sig}-{entry}")
    left = 0
    for i in range(10):
        out = tmp_path / f"run{i}"
        out.mkdir()
        # A Ctrl-C during the interpreter's own start-up (before NumPy loads)
        # is Python's business, not ours: at its site import Python prints
        # "Fatal Python error" and exits 1 (seen in CI).  SIGKILL needs no wait.
        wait_for = numpy_is_loading if sig == signal.SIGINT else None
        interrupt(big_image, out, sig, rng.uniform(0.0, full.seconds), tmp_path,
                  entry, wait_for=wait_for)
        left += len(temp_files(out))
    print(f"{entry}, signal {sig}: 10 random moments in {full.seconds:.1f} s runs, "
          f"{left} temporary file(s) left")


_COMMIT_UNDER_CTRL_C = """\
import os, signal, sys
from pathlib import Path
from compress import interrupt
from compress.io import commit
interrupt.exit_on_interrupt("prog")
real_fsync = os.fsync
def fsync_and_interrupt(fd):  # Ctrl-C while the first file is being staged
    os.fsync = real_fsync
    os.kill(os.getpid(), signal.SIGINT)
    real_fsync(fd)
os.fsync = fsync_and_interrupt
out = Path(sys.argv[1])
commit.write_atomically({out / "a.png": b"a" * 1000, out / "b.png": b"b" * 1000})
print("not reached: the deferred Ctrl-C exits after the commit")
"""


_CTRL_C_WHILE_INSTALLING = """\
import os, signal
from compress import interrupt
real_signal = signal.signal
def ctrl_c_then_install(signum, handler):  # the Ctrl-C is pending at the call
    os.kill(os.getpid(), signal.SIGINT)
    return real_signal(signum, handler)
signal.signal = ctrl_c_then_install
interrupt.exit_on_interrupt("prog")
print("not reached: the Ctrl-C is answered as the handler would")
"""


def test_ctrl_c_while_the_handler_is_installed():
    """The one moment of main() before its handler is in place (seen in CI)."""
    done = subprocess.run([sys.executable, "-c", _CTRL_C_WHILE_INSTALLING],
                          capture_output=True, text=True, env=cli_env(), timeout=60)
    assert (done.returncode, done.stdout, done.stderr) == (
        130, "", "prog: interrupted.\n")


def test_ctrl_c_during_the_commit_is_held_until_it_is_done(tmp_path):
    done = subprocess.run([sys.executable, "-c", _COMMIT_UNDER_CTRL_C, str(tmp_path)],
                          capture_output=True, text=True, env=cli_env(), timeout=60)
    assert (done.returncode, done.stdout, done.stderr) == (
        130, "", "prog: interrupted.\n")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.png", "b.png"]
    assert (tmp_path / "b.png").read_bytes() == b"b" * 1000


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
        if run.returncode != 0:  # lost the race: a clean refusal
            assert not force and run.returncode == 1
            assert "already exists" in run.stderr
    assert any(run.returncode == 0 for run in runs)
    assert_complete_png(target)
    with Image.open(target) as im:
        assert im.mode == "P" and len(im.getpalette()) // 3 in (4, 8)
    assert temp_files(tmp_path) == []


def test_library_leaves_ctrl_c_alone():
    """Importing the package, even the CLI module, installs no handler."""
    code = ("import signal, compress, compress.cli, compress.commands.image; "
            "assert signal.getsignal(signal.SIGINT) is signal.default_int_handler; "
            "from compress import interrupt; "
            "ctx = interrupt.deferred(); ctx.__enter__(); "
            "assert signal.getsignal(signal.SIGINT) is signal.default_int_handler")
    subprocess.run([sys.executable, "-c", code], check=True, capture_output=True,
                   env=cli_env())

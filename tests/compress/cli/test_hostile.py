"""Every hostile input through the command line: a clean result or a clean error.

The corpus (``tests/hostile_corpus.py``) is generated into a temporary
directory.  Each item runs once with all of k = 1, 2, 16, 256 on one command
line (the CLI fits them in one process).  Whatever happens, there is no
traceback, the input's bytes are unchanged and no temporary file is left;
a successful run writes exactly the expected PNGs, a failed one writes
nothing and says why on one line of stderr.

The cases run in this process through ``compress.cli.main`` (what ``python -m
compress`` calls), which spares a start of Python, NumPy and Numba per case;
the cases in :data:`SUBPROCESS_CASES` run as ``python -m compress``, the
bomb because its peak memory is the check.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import subprocess

import numba
import numpy as np
import pytest
from helpers import PROG, cli_env, run_in_process, run_timed, snapshot
from hostile_corpus import CASE_NAMES, Case, build_all_colours, build_corpus
from PIL import Image

# One Numba thread: the corpus checks behaviour, not speed, and on a busy 2-core
# CI machine the parallel kernels' thread hand-offs made a 3,000-colour k=256
# fit take 0.2 s or 8 s depending on the load.  Threads are covered by
# test_determinism.py.
CORPUS_ENV = cli_env(NUMBA_NUM_THREADS="1")
SUBPROCESS_CASES = {"bomb", "exif-rotated", "unicode-name"}
# the temporary names of compress.io.commit.write_atomically
TEMP_FILE = re.compile(r"(^|/)\..*\.tmp$")


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> dict[str, Case]:
    return {case.name: case for case in build_corpus(tmp_path_factory.mktemp("c"))}


def test_corpus_builds_every_case(corpus):
    assert tuple(corpus) == CASE_NAMES


@contextlib.contextmanager
def read_only(directory):
    """Make ``directory`` unwritable, even for root (``chattr +i``) when we are root."""
    os.chmod(directory, 0o555)
    immutable = os.geteuid() == 0
    if immutable:
        if shutil.which("chattr") is None:
            os.chmod(directory, 0o755)
            pytest.skip("running as root without chattr: cannot make a read-only dir")
        done = subprocess.run(["chattr", "+i", str(directory)], capture_output=True)
        if done.returncode != 0:
            os.chmod(directory, 0o755)
            pytest.skip(f"chattr +i failed: {done.stderr.decode().strip()}")
    try:
        yield
    finally:
        if immutable:
            subprocess.run(["chattr", "-i", str(directory)], check=True)
        os.chmod(directory, 0o755)


def expected_outputs(case: Case) -> set[str]:
    """Names of the files a successful run writes beside its input."""
    stem = case.path.stem
    names = {f"{stem}-k{k}.png" for k in case.ks}
    if len(case.ks) > 1:
        names.add(f"{stem}-sheet.png")
    return names


def check_output(case: Case, path, k: int, row: dict) -> None:
    """A palette PNG of the input's size with at most k colours (exact if k >= n)."""
    with Image.open(path) as im:
        assert im.format == "PNG"
        assert im.size == case.size
        assert im.mode == "P"  # k <= 256: always a palette PNG
        assert len(im.getpalette()) // 3 <= k
        rgba = np.asarray(im.convert("RGBA"))
    n_out = len(np.unique(rgba.reshape(-1, 4), axis=0))
    assert n_out <= min(k, case.n_colours)
    assert row["k"] == k and row["colors_out"] <= k
    assert row["output_bytes"] == path.stat().st_size
    if case.lossless_rgba is not None and k >= case.n_colours:
        assert row["exact"]
        np.testing.assert_array_equal(rgba, case.lossless_rgba)


def run_case(case: Case, log_dir, env=CORPUS_ENV, own_process=False):
    """Run one corpus item and check everything the issue promises about it.

    In this process unless ``own_process`` or the case is in
    :data:`SUBPROCESS_CASES` (then the run's seconds and peak memory count).
    """
    work = case.path.parent
    before = snapshot(work)
    locked = work / "locked" if case.name == "read-only-output" else None
    args = [case.path, *case.ks, *case.args, "--json"]
    with read_only(locked) if locked else contextlib.nullcontext():
        if own_process or case.name in SUBPROCESS_CASES:
            run = run_timed(args, cwd=log_dir, env=env, log_dir=log_dir)
        else:
            run = _in_process(args, log_dir)
    after = snapshot(work)

    assert "Traceback" not in run.stderr, run.stderr
    for rel, digest in before.items():  # input (and neighbours) byte-identical
        assert after.get(rel) == digest, f"{rel} was changed or removed"
    assert not [rel for rel in after if TEMP_FILE.search(rel)], "temporary file left"
    if not case.must_succeed:
        assert run.returncode == case.exit_code, run.stderr
        lines = run.stderr.splitlines()
        assert len(lines) == 1, run.stderr
        assert lines[0].startswith(f"{PROG}: error: ")
        assert re.search(case.message, lines[0]), lines[0]
        assert run.stdout == ""
        assert after == before, "a failed run created files"
        return run
    assert run.returncode == 0, run.stderr
    created = set(after) - set(before)
    assert created == expected_outputs(case)
    report = json.loads(run.stdout)
    assert report["input"]["mode"] == case.mode
    assert (report["input"]["width"], report["input"]["height"]) == case.size
    assert report["input"]["colors"] == case.n_colours
    rows = report["results"]
    assert [row["k"] for row in rows] == sorted(case.ks)
    for row in rows:
        check_output(case, work / f"{case.path.stem}-k{row['k']}.png", row["k"], row)
    return run


def _in_process(args, cwd):
    """``compress.cli.main(args)`` with one Numba thread, as CORPUS_ENV has it."""
    threads = numba.get_num_threads()
    numba.set_num_threads(1)
    try:
        return run_in_process(*args, cwd=cwd)
    finally:
        numba.set_num_threads(threads)


@pytest.mark.parametrize("name", CASE_NAMES)
def test_hostile_input(corpus, name, tmp_path):
    case = corpus[name]
    run = run_case(case, tmp_path)
    if name == "bomb":
        # Refused from the header alone: 10 gigapixels would need 30 GB.
        assert run.peak_rss_mib < 200, run.peak_rss_mib
    notes = " ".join(json.loads(run.stdout)["input"]["notes"]) if run.stdout else ""
    if name == "exif-rotated":
        assert "EXIF orientation 6" in notes
    if name == "animated-gif":
        assert "3 frames" in notes


def test_closed_stdout_pipe_is_not_a_traceback(corpus, tmp_path):
    """``python -m compress IMAGE K --json | head -1``: the reader goes away."""
    case = corpus["two-colours"]
    read_end, write_end = os.pipe()
    os.close(read_end)  # nobody will read the report
    try:
        done = subprocess.run(
            [*cli_env_args(), str(case.path), "1", "2", "--json", "--out-dir",
             str(tmp_path), "-q"], stdout=write_end, stderr=subprocess.PIPE,
            env=CORPUS_ENV, timeout=120)
    finally:
        os.close(write_end)
    assert done.returncode == 1
    assert done.stderr == b""
    assert {p.name for p in tmp_path.iterdir()} == {"two-k1.png", "two-k2.png",
                                                   "two-sheet.png"}


def cli_env_args() -> list[str]:
    import sys

    return [sys.executable, "-m", "compress"]


@pytest.mark.slow
def test_all_16m_colours(tmp_path_factory, tmp_path):
    """4096 x 4096, every RGB colour once: the worst case for the histogram.

    It must finish within 60 s and 500 MiB: the fit then runs on the uint8
    pixels in place (compress.quantization.fit_input.prepare), not on a float64
    histogram.
    """
    case = build_all_colours(tmp_path_factory.mktemp("all"))
    run = run_case(case, tmp_path, env=cli_env(), own_process=True)
    print(f"all-colours k=2,16: {run.seconds:.1f} s, peak RSS "
          f"{run.peak_rss_mib:.0f} MiB")
    assert run.seconds < 60
    assert run.peak_rss_mib < 500, run.peak_rss_mib

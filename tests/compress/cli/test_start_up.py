"""Start-up of the command line: what it imports, when, and its help text.

The CLI skips Numba's SciPy BLAS probe (``compress.cli.entry.skip_scipy_blas_probe``).
These tests fail loudly if Numba stops probing that way (the skip is then
dead code: remove it) or if a run imports ``scipy.linalg`` anyway.
"""

from __future__ import annotations

import re
import subprocess
import sys

import numpy as np
import pytest
import tomllib
from helpers import REPO, cli_env, run_cli, save

import compress


def imported_modules(args: list[str], cwd) -> tuple[set[str], object]:
    """Run Python with ``-X importtime``; return the modules it imported."""
    done = subprocess.run([sys.executable, "-X", "importtime", *args], cwd=cwd,
                          capture_output=True, text=True, env=cli_env(), timeout=300)
    names = set(re.findall(r"^import time:\s+\d+ \|\s+\d+ \|\s+(\S.*)$",
                           done.stderr, flags=re.M))
    return {name.strip() for name in names}, done


def test_numba_still_probes_scipy_blas(tmp_path):
    """If this fails, Numba changed its probe: remove skip_scipy_blas_probe."""
    pytest.importorskip("scipy.linalg")
    modules, done = imported_modules(
        ["-c", "import numba; numba.njit(lambda x: x + 1)(1)"], tmp_path)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "scipy.linalg" in modules, (
        "Numba no longer imports scipy.linalg on its first compilation: the probe "
        "skip in compress/cli/entry.py is dead code; remove it.")


@pytest.mark.parametrize("mode", ["RGB", "RGBA", "L"])
def test_cli_runs_do_not_import_scipy_linalg(tmp_path, mode):
    pytest.importorskip("scipy.linalg")
    rng = np.random.default_rng(0)
    channels = {"RGB": 3, "RGBA": 4, "L": 1}[mode]
    pixels = rng.integers(0, 256, (24, 32, channels), dtype=np.uint8)
    if mode == "RGBA":
        pixels[..., 3] = rng.choice([0, 128, 255], (24, 32))
    save(tmp_path / "img.png", pixels[..., 0] if mode == "L" else pixels)
    modules, done = imported_modules(["-m", "compress", "img.png", "3", "-q"],
                                     tmp_path)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "numba.np.arraymath" in modules  # Numba did load its NumPy support
    assert "scipy.linalg" not in modules, f"{mode}: the probe ran"


def test_skip_leaves_scipy_importable_afterwards(tmp_path):
    pytest.importorskip("scipy.linalg")
    code = ("from compress.cli.entry import skip_scipy_blas_probe as s; s(); "
            "import sys; assert 'scipy.linalg' not in sys.modules; "
            "import scipy.linalg; print('ok')")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True,
                          text=True, env=cli_env(), timeout=300)
    assert done.stdout == "ok\n", done.stderr[-2000:]


def test_importing_the_package_and_cli_loads_nothing_heavy(tmp_path):
    modules, done = imported_modules(["-c", "import compress.cli"], tmp_path)
    assert done.returncode == 0
    assert not {"numpy", "PIL", "numba", "matplotlib"} & modules


def test_version_matches_pyproject(tmp_path):
    meta = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    assert compress.__version__ == meta["version"]
    proc = run_cli("--version", cwd=tmp_path, check_rc=0)
    assert proc.stdout == f"kmeans-compress {meta['version']}\n"
    script = meta["scripts"]["kmeans-compress"]
    assert script == "compress.cli:main"


def test_usage_names_every_command(tmp_path):
    proc = run_cli("--help", cwd=tmp_path, check_rc=0)
    usage = proc.stdout.split("\n\n")[0]
    for form in ("IMAGE|URL K...", "--min-psnr DB", "elbow IMAGE|URL", "sample [K...]",
                 "--version"):
        assert form in usage, usage
    assert "exit codes" in proc.stdout and "130" in proc.stdout


def test_elbow_flag_before_the_k_values(tmp_path):
    save(tmp_path / "img.png", np.random.default_rng(1).integers(
        0, 256, (16, 16, 3), dtype=np.uint8))
    proc = run_cli("img.png", "--elbow", "2", "3", "4", "-q", cwd=tmp_path,
                   check_rc=0)
    assert "elbow plot: img-elbow.png" in proc.stdout
    assert {p.name for p in tmp_path.iterdir()} == {
        "img.png", "img-k2.png", "img-k3.png", "img-k4.png", "img-sheet.png",
        "img-elbow.png"}


def test_console_script_is_the_same_program(tmp_path):
    """``kmeans-compress`` (pip's wrapper around compress.cli:main) names itself."""
    from helpers import cli_command

    script = cli_command("script", tmp_path)
    done = subprocess.run([*script, "--version"], capture_output=True, text=True,
                          env=cli_env(), timeout=120)
    assert done.returncode == 0 and done.stdout.startswith("kmeans-compress ")
    done = subprocess.run([*script, "nope.png", "3"], capture_output=True, text=True,
                          env=cli_env(), timeout=120, cwd=tmp_path)
    assert (done.returncode, done.stdout) == (1, "")
    assert done.stderr == "kmeans-compress: error: nope.png: no such file.\n"


def test_main_called_with_arguments_leaves_collection_on(tmp_path, monkeypatch):
    """Only the process's own command line pauses the cyclic collector."""
    import gc
    import signal

    from compress import cli

    save(tmp_path / "img.png", np.zeros((4, 5, 3), np.uint8))
    monkeypatch.chdir(tmp_path)
    handler = signal.getsignal(signal.SIGINT)
    try:
        assert cli.main(["img.png", "2", "-q"]) == 0
    finally:
        signal.signal(signal.SIGINT, handler)  # main() installed its own
    assert gc.isenabled()

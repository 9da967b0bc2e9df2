"""The README and the pages under docs/: links resolve, the Python snippet runs."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
# [text](target) and ![alt](target); the target up to a space or ")"
LINK = re.compile(r"!?\[[^\]]*\]\(([^)\s]+)[^)]*\)")


def _local_targets(page: Path) -> list[str]:
    text = re.sub(r"```.*?```", "", page.read_text(encoding="utf-8"), flags=re.S)
    return [t for t in LINK.findall(text)
            if not t.startswith(("http://", "https://", "mailto:", "#"))]


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_every_link_resolves(page):
    missing = [t for t in _local_targets(page)
               if not (page.parent / t.split("#")[0]).exists()]
    assert not missing, f"{page.name}: links to missing files {missing}"


def test_the_readme_is_a_screen_not_a_manual():
    assert len((ROOT / "README.md").read_text(encoding="utf-8").splitlines()) <= 250


def test_readme_test_commands_are_what_ci_runs():
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    install = re.search(r"## Install\n\n```\n(.*?)```", readme, flags=re.S).group(1)
    tests = [line for line in install.splitlines() if "pytest" in line]
    assert len(tests) == 2  # the fast suite, then the slow one
    ci_tests = [line for line in ci if "pytest" in line and not line.startswith("#")]
    assert ci_tests == tests


def test_the_readme_python_snippet_runs(tmp_path):
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    snippet = re.search(r"```python\n(.*?)```", readme, flags=re.S).group(1)
    rng = np.random.default_rng(0)
    yy, xx = np.mgrid[0:96, 0:128]
    photo = np.stack([xx * 2, yy * 2, xx + yy], axis=2)  # (96, 128, 3)
    photo = photo + rng.integers(0, 24, photo.shape)
    photo = np.clip(photo, 0, 255).astype(np.uint8)
    Image.fromarray(photo).save(tmp_path / "photo.jpg")
    script = "import matplotlib\nmatplotlib.use('Agg')\n" + snippet
    done = subprocess.run([sys.executable, "-c", script], cwd=tmp_path,
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    assert (tmp_path / "photo-k16.png").stat().st_size > 0
    assert "PSNR" in done.stdout or "psnr" in done.stdout

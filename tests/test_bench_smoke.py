"""The benchmark suite's smoke size runs end to end and writes its report.

CI runs only this tiny size, so the suite cannot rot.  It needs neither
``../shared`` (smoke mode uses a generated image) nor faiss nor pngquant: the
second test hides them and checks that their rows are skipped, not failed.
"""

import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
TIMEOUT = 240  # seconds; the smoke suite itself takes well under 60 s when idle


def _bench(tmp_path, *args):
    out = tmp_path / "report.md"
    proc = subprocess.run(
        [sys.executable, "-m", "bench", "--smoke", "--out", str(out), *args],
        cwd=REPO, capture_output=True, text=True, timeout=TIMEOUT,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    return out.read_text()


def test_smoke_suite_writes_report(tmp_path):
    report = _bench(tmp_path)
    for heading in ("## Machine", "## Targets (issue 4)", "## Images",
                    "## General data", "## Thread scaling", "## The exercise",
                    "## Dask: our fit vs dask-ml", "## Images larger than memory",
                    "## Whole folders"):
        assert heading in report
    assert "scikit-learn, all pixels" in report
    assert "ours: python -m compress (process)" in report
    assert "failed:" not in report


def test_smoke_skips_missing_peers(tmp_path):
    pytest.importorskip("sklearn")
    report = _bench(tmp_path, "--without", "faiss,pngquant", "--sections", "images")
    assert "faiss not installed: faiss rows skipped" in report
    assert "pngquant not installed: pngquant rows skipped" in report
    assert "faiss Kmeans" not in report
    assert "pngquant --nofs (process)" not in report
    assert "ours: fit on weighted histogram" in report

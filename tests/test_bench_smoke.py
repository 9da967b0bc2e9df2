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


@pytest.mark.slow  # the whole smoke suite in a subprocess: ~30 s
def test_smoke_suite_writes_report(tmp_path):
    report = _bench(tmp_path)
    for heading in ("## Machine", "## Targets (issue 18)", "## Images",
                    "## General data", "## Thread scaling", "## The exercise",
                    "## Dask: our fit vs dask-ml", "## Images larger than memory",
                    "## Whole folders"):
        assert heading in report
    assert "scikit-learn, all pixels" in report
    assert "ours: python -m compress (process)" in report
    assert "failed:" not in report


@pytest.mark.slow  # a bench subprocess that compiles on a cold cache: 3-27 s
def test_smoke_skips_missing_peers(tmp_path):
    pytest.importorskip("sklearn")
    report = _bench(tmp_path, "--without", "faiss,pngquant", "--sections", "images")
    assert "faiss not installed: faiss rows skipped" in report
    assert "pngquant not installed: pngquant rows skipped" in report
    assert "faiss Kmeans" not in report
    assert "pngquant --nofs (process)" not in report
    assert "ours: fit on weighted histogram" in report


def test_every_target_finds_its_rows_by_label():
    """Rows made with bench.labels are found by every target (none "not measured").

    Targets used to match rows by string prefix, so a renamed label silently
    became "not measured"; now both sides use the constants of bench.labels.
    """
    from bench import labels
    from bench.measure import Row, Timing
    from bench.targets import EARLIER_TARGETS, targets_table

    def row(section, case, k, method, seconds=1.0, **kw):
        timing = Timing(seconds, 3, 400.0, "process", [seconds] * 3)
        return Row(section, case, k, method, timing, **kw)

    ag, blobs = labels.AG, "n=1,000,000 d=32"
    rows = [row("image", ag, k, method, inertia=1.0, psnr_db=30.0, output_bytes=1000)
            for k in (20, 64, 256)
            for method in (labels.SKLEARN, labels.SKLEARN_HIST, labels.OURS_HIST,
                           labels.OURS_FIT, labels.OURS_PIXELS, labels.OURS_CLI,
                           labels.OURS_CLI_OKLAB, labels.OURS_CLI_OPTIMIZE,
                           labels.PNGQUANT)]
    rows += [row("image", "generated_24mp", 16, labels.OURS_CLI),
             row("blobs", blobs, 64, labels.BLOBS_SKLEARN),
             row("blobs", blobs, 64, labels.BLOBS_OURS),
             row("threads", ag, 20, labels.threads(1), 2.0),
             row("threads", ag, 20, labels.threads(2), 1.0),
             row("exercise", ag, 0, labels.EXERCISE_CLI),
             row("exercise", ag, 0, labels.EXERCISE_LIBRARY),
             row("exercise", ag, 0, labels.EXERCISE_SKLEARN)]
    _, statuses = targets_table(rows)
    _, earlier = targets_table(rows, EARLIER_TARGETS)
    assert (len(statuses), len(earlier)) == (6, 9)
    assert [s for _, s in statuses + earlier if s == "not measured"] == []

"""``--min-psnr``: the smallest k reaching a PSNR, by bisection."""

from __future__ import annotations

import math
import random

import pytest
from helpers import decode, gradient_image, run_in_process, run_json, save, snapshot

from compress import psnr, smallest_k_for_psnr


def naive_smallest_k(values: dict[int, float], target: float, k_max: int):
    """Scan k = 1, 2, ... and return the first that reaches ``target``."""
    return next((k for k in range(1, k_max + 1) if values[k] >= target), None)


@pytest.mark.parametrize("seed", range(30))
def test_bisection_agrees_with_a_scan_on_monotone_curves(seed):
    rng = random.Random(seed)
    n_colors = rng.choice([1, 2, 7, 100, 256, 10_000])
    k_max = min(256, n_colors)
    curve, value = {}, rng.uniform(5, 20)
    for k in range(1, k_max + 1):
        value += rng.choice([0.0, rng.uniform(0, 2)])  # flat steps included
        curve[k] = value
    if n_colors <= 256:
        curve[k_max] = math.inf  # every colour kept: lossless
    target = rng.uniform(5, value + 5)
    choice = smallest_k_for_psnr(curve.__getitem__, target, n_colors)
    assert choice.k == naive_smallest_k(curve, target, k_max)
    assert len(choice.tried) <= 1 + math.ceil(math.log2(k_max)) + 1
    assert all(curve[k_] == p for k_, p in choice.tried.items())


def test_nothing_reaches_the_target():
    choice = smallest_k_for_psnr(lambda k: 10.0 + k / 100, 40.0, 10**6)
    assert choice.k is None and choice.tried == {256: 12.56}


def test_cli_min_psnr_chooses_k_and_reports_the_search(tmp_path):
    save(tmp_path / "grad.png", gradient_image(48, 64))
    doc = run_json("grad.png", "--min-psnr", "30", cwd=tmp_path)
    search = doc["min_psnr"]
    k = search["k"]
    (row,) = doc["results"]
    assert row["k"] == k and row["psnr_db"] >= 30
    out = tmp_path / f"grad-k{k}.png"
    assert row["output"] == out.name
    measured = psnr(decode(tmp_path / "grad.png"), decode(out))
    assert measured == pytest.approx(row["psnr_db"], abs=1e-9)
    tried = {t["k"]: t["psnr_db"] for t in search["tried"]}
    assert tried[k] == pytest.approx(row["psnr_db"], abs=1e-9)
    assert tried[k - 1] < 30, "k - 1 was measured below the target"
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(["grad.png", out.name])
    line = run_in_process("grad.png", "--min-psnr", "30", "-o", "x.png", cwd=tmp_path,
                   check_rc=0).stdout
    assert f"k = {k} is the smallest k" in line
    assert (tmp_path / "x.png").read_bytes() == out.read_bytes()


def test_cli_min_psnr_out_of_reach_is_one_line(tmp_path):
    save(tmp_path / "grad.png", gradient_image(48, 64))
    before = snapshot(tmp_path)
    proc = run_in_process("grad.png", "--min-psnr", "90", cwd=tmp_path)
    assert proc.returncode == 1 and proc.stdout == ""
    assert proc.stderr.count("\n") == 1
    assert "even 256 colours reach only" in proc.stderr
    assert snapshot(tmp_path) == before
    proc = run_in_process("grad.png", "5", "--min-psnr", "30", cwd=tmp_path)
    assert proc.returncode == 2 and "not both" in proc.stderr


def test_elbow_marks_the_min_psnr_choice(tmp_path):
    save(tmp_path / "grad.png", gradient_image(48, 64))
    doc = run_json("elbow", "grad.png", "--k", "1-8", "--min-psnr", "25",
                   cwd=tmp_path)
    assert doc["min_psnr"]["k"] is not None and doc["plot"].endswith("-elbow.png")
    assert [r["k"] for r in doc["elbow"]] == list(range(1, 9))
    assert all(r["output"] == "" for r in doc["elbow"])
    assert sorted(p.name for p in tmp_path.iterdir()) == ["grad-elbow.png",
                                                          "grad.png"]

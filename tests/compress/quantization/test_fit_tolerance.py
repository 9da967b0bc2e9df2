"""quantization.fit_input.engine_tolerance: ``tol`` means the same in RGB and OKLab."""

import numpy as np
import pytest
from helpers import china_path, photo_like

from compress import load_image, quantize
from compress.quantization.colour import to_fit
from compress.quantization.fit_input import (
    OKLAB_PER_SRGB_STEP_SQ,
    engine_tolerance,
    prepare,
)


@pytest.fixture(scope="module")
def china():
    pytest.importorskip("sklearn")
    return load_image(china_path()).pixels


def test_rgb_tolerance_is_passed_through():
    prepared = prepare(photo_like(60, 80, seed=1), space="rgb")
    assert engine_tolerance(prepared, 1e-4) == 1e-4
    assert engine_tolerance(prepare(photo_like(60, 80), space="oklab"), 0.0) == 0.0


def test_the_constant_is_the_mean_squared_step_over_the_pixels(china):
    """One 8-bit step of one channel, in weighted OKLab, averaged over pixels."""
    prepared = prepare(china, space="oklab")
    w = prepared.weights / prepared.weights.sum()
    steps = []
    for channel in range(3):
        moved = prepared.colors.astype(np.int16)
        moved[:, channel] += np.where(moved[:, channel] < 255, 1, -1)
        d = to_fit(moved.astype(np.uint8), "oklab") - prepared.X
        steps.append(w @ (d * d).sum(axis=1) * 255.0**2)
    assert np.mean(steps) == pytest.approx(OKLAB_PER_SRGB_STEP_SQ, rel=0.02)


def test_oklab_absolute_tolerance_is_the_rgb_one_in_oklab_units(china):
    prepared = prepare(china, space="oklab")
    w = prepared.weights.astype(np.float64)

    def mean_var(X):
        mean = w @ X / w.sum()
        return (w @ (X - mean) ** 2 / w.sum()).mean()

    absolute = engine_tolerance(prepared, 1e-4) * mean_var(prepared.X)
    rgb = 1e-4 * mean_var(prepared.colors / 255.0)
    assert absolute == pytest.approx(rgb * OKLAB_PER_SRGB_STEP_SQ, rel=1e-12)


def test_oklab_fit_needs_no_more_iterations_than_rgb(china):
    """The issue: 92 OKLab iterations where RGB took 33 (china, k = 64)."""
    rgb = quantize(china, 64, space="rgb")
    oklab = quantize(china, 64, space="oklab")
    assert oklab.fit.n_iter <= rgb.fit.n_iter

"""Fixtures shared by the tests of compress."""

from __future__ import annotations

import pytest
from helpers import china_path

from compress import load_image


@pytest.fixture(scope="session")
def china():
    """scikit-learn's china.jpg as read by compress: (427, 640, 3) uint8, a photo."""
    return load_image(china_path()).pixels

"""Fixtures shared by the tests of compress."""

from __future__ import annotations

import pytest
from helpers import china_path

from compress import load_image


@pytest.fixture(scope="session")
def china():
    """scikit-learn's china.jpg as read by compress: (427, 640, 3) uint8, a photo."""
    return load_image(china_path()).pixels


@pytest.fixture(autouse=True)
def _ctrl_c_left_alone():
    """Every test leaves Python's Ctrl-C handler as it found it.

    Child processes inherit an ignored SIGINT, so a test that leaves one
    behind breaks the Ctrl-C tests of the command line that run after it.
    """
    import signal

    before = signal.getsignal(signal.SIGINT)
    yield
    after = signal.getsignal(signal.SIGINT)
    signal.signal(signal.SIGINT, before)
    assert after is before, f"the test left SIGINT handled by {after!r}"

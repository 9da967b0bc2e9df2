"""Shared set-up of the test suite.

The tests mirror the packages: ``tests/compress/...`` tests ``compress/...``
and ``tests/kmeans_core/...`` tests ``kmeans_core/...``.  Every folder is a
package (``tests.compress``), so that a test folder never shadows the package
it tests.  The helper modules (``helpers``, ``naive``, ``hostile_corpus``)
stay importable by their plain names: this folder goes at the *end* of
``sys.path``, after the repository root, for the same reason.
"""

from __future__ import annotations

import sys
from pathlib import Path

_HERE = str(Path(__file__).resolve().parent)
if _HERE not in sys.path:
    sys.path.append(_HERE)

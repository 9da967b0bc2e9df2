"""Parameters shared by every fit, in memory or on Dask: a leaf module.

Names of the E-step algorithms, how many runs ``n_init`` means, and the one
source of randomness.  It imports nothing from the rest of the engine but the
input checks, so every other module may import it.
"""

from __future__ import annotations

import numbers
import sys
import warnings

import numpy as np

from . import _validation as V

ALGORITHMS = ("auto", "lloyd", "hamerly", "blas")

# "auto": Hamerly's bounds pay off at low dimension; with many features the
# distance computations themselves dominate and BLAS does them fastest.
BLAS_MIN_FEATURES = 16


class KMeansWarning(UserWarning):
    """Raised for fits that succeed with a caveat (e.g. fewer distinct points)."""


def check_algorithm(algorithm: str, n_features: int) -> str:
    """Refuse an unknown name; map ``"auto"`` to a concrete E-step."""
    if algorithm not in ALGORITHMS:
        raise ValueError(f"algorithm must be one of {ALGORITHMS}, got {algorithm!r}.")
    if algorithm == "auto":
        return "blas" if n_features >= BLAS_MIN_FEATURES else "hamerly"
    return algorithm


def is_dask_array(X) -> bool:
    """Whether ``X`` is a ``dask.array.Array`` (without importing Dask)."""
    dask_array = sys.modules.get("dask.array")
    return dask_array is not None and isinstance(X, dask_array.Array)


def make_rng(random_state) -> np.random.Generator:
    """Build the one source of randomness, a Generator, from ``random_state``."""
    if isinstance(random_state, np.random.Generator):
        return random_state
    if isinstance(random_state, np.random.RandomState):
        return np.random.default_rng(random_state.randint(2**31 - 1))
    if random_state is None or isinstance(random_state, numbers.Integral):
        return np.random.default_rng(random_state)
    raise TypeError(
        "random_state must be None, an int or a numpy.random.Generator, got "
        f"{random_state!r}."
    )


def resolve_n_init(n_init, init) -> int:
    """``n_init="auto"``: 1 for k-means++ or explicit centres, 10 otherwise."""
    if isinstance(n_init, str):
        if n_init != "auto":
            raise ValueError(
                f"n_init must be a positive int or 'auto', got {n_init!r}."
            )
        is_random = isinstance(init, str) and init == "random"
        return 10 if is_random or callable(init) else 1
    n = V.check_int_param(n_init, "n_init", 1)
    if not isinstance(init, str) and not callable(init) and n != 1:
        warnings.warn(
            f"Explicit initial centres given: running one init instead of n_init={n}.",
            RuntimeWarning,
            stacklevel=3,
        )
        return 1
    return n

"""Choosing k by quality: the fewest colours whose result reaches a PSNR.

``--min-psnr DB`` asks for the smallest k in ``1 .. 256`` (what a palette PNG
holds) whose quantized image has a PSNR of at least ``DB``.  PSNR grows with
k, so the answer is found by bisection: about 8 fits instead of 256, each on
the colour histogram computed once.  k-means finds local optima, so PSNR is
not strictly monotone in k; near the answer it can dip by a few hundredths of
a dB.  The k returned always reaches ``DB`` (it was measured) and ``k - 1``
was measured below it whenever ``k > 1``.
"""

from __future__ import annotations

import math
from collections.abc import Callable

MAX_K = 256  # a palette PNG holds at most 256 colours


def smallest_k_for_psnr(
    psnr_of: Callable[[int], float],
    target_db: float,
    n_colors: int,
    *,
    k_max: int = MAX_K,
) -> tuple[int | None, list[tuple[int, float]]]:
    """Bisect for the smallest ``k`` with ``psnr_of(k) >= target_db``.

    Parameters
    ----------
    psnr_of : callable
        ``psnr_of(k)`` fits k colours and returns the PSNR in dB (``inf``
        when lossless).
    target_db : float
        The PSNR to reach.
    n_colors : int
        Distinct colours of the image: ``k = n_colors`` is lossless, so no
        larger k is tried.
    k_max : int, default=256
        Largest k allowed.

    Returns
    -------
    k : int or None
        The k chosen; None when even ``min(k_max, n_colors)`` falls short.
    tried : list of (k, psnr_db)
        Every k fitted, in order.
    """
    tried: list[tuple[int, float]] = []

    def reaches(k: int) -> bool:
        value = psnr_of(k)
        tried.append((k, value))
        return math.isinf(value) or value >= target_db

    hi = max(1, min(k_max, n_colors))
    if not reaches(hi):
        return None, tried
    lo = 0  # invariant: lo falls short (k = 0 would), hi reaches
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if reaches(mid):
            hi = mid
        else:
            lo = mid
    return hi, tried

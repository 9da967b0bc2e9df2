"""Choosing k by quality: the fewest colours whose result reaches a PSNR.

PSNR grows with k (up to dips of hundredths of a dB: k-means finds local
optima), so bisection finds k in about 8 fits; the k returned was measured to
reach the target, and ``k - 1`` below it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from ..io.png import MAX_PALETTE


@dataclass
class KChoice:
    """The outcome of :func:`smallest_k_for_psnr`.

    Attributes
    ----------
    k : int or None
        The k chosen; None when even ``min(k_max, n_colors)`` falls short.
    k_max : int
        The largest k allowed.
    tried : dict of int to float
        The PSNR (dB) of every k fitted, in the order fitted.
    """

    k: int | None
    k_max: int
    tried: dict[int, float] = field(default_factory=dict)


def smallest_k_for_psnr(psnr_of: Callable[[int], float], target_db: float,
                        n_colors: int, *, k_max: int = MAX_PALETTE) -> KChoice:
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
    choice : KChoice
    """
    choice = KChoice(None, k_max)

    def reaches(k: int) -> bool:
        choice.tried[k] = psnr_of(k)
        return choice.tried[k] >= target_db  # inf (lossless) reaches any target

    hi = max(1, min(k_max, n_colors))
    if not reaches(hi):
        return choice
    lo = 0  # invariant: lo falls short (k = 0 would), hi reaches
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if reaches(mid):
            hi = mid
        else:
            lo = mid
    choice.k = hi
    return choice

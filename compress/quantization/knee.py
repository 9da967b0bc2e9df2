"""Kneedle: find the knee (or elbow) of a curve.

The offline Kneedle algorithm of V. Satopaa, J. Albrecht, D. Irwin and
B. Raghavan, "Finding a 'Kneedle' in a Haystack: Detecting Knee Points in
System Behavior", ICDCS Workshops 2011, pp. 166-171, for the decreasing convex
curves of an elbow plot (inertia against k), without smoothing (the k values
are few and exact).  The steps of Section III are commented in the code.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

DEFAULT_SENSITIVITY = 1.0  # the paper's S, as it recommends offline (Section IV)


def find_knee(
    x: Sequence[int],
    y: Sequence[float],
    *,
    sensitivity: float = DEFAULT_SENSITIVITY,
) -> int | None:
    """Return the knee of a decreasing convex curve, or ``None`` if none is clear.

    Parameters
    ----------
    x : sequence of int
        Strictly increasing numbers of clusters k.
    y : sequence of float
        The curve, e.g. the inertia for each k.
    sensitivity : float, default=1.0
        The paper's ``S``: larger values need a sharper knee.

    Returns
    -------
    knee : int or None
        The k of the knee, or ``None`` when there are fewer than three
        points, the curve is flat, or no local maximum of the difference curve
        passes its threshold.
    """
    xs = np.asarray(x, dtype=np.float64)
    ys = np.asarray(y, dtype=np.float64)
    if xs.shape != ys.shape or xs.ndim != 1:
        raise ValueError(f"x and y must be 1-D of the same length, got {xs.shape} "
                         f"and {ys.shape}.")
    if xs.size < 3:
        return None
    if np.any(np.diff(xs) <= 0):
        raise ValueError("x must be strictly increasing.")
    y_span = ys.max() - ys.min()
    if y_span == 0:
        return None
    # Step 2: normalise to the unit square.
    x_n = (xs - xs[0]) / (xs[-1] - xs[0])  # (n,)
    y_n = (ys - ys.min()) / y_span  # (n,)
    # Step 3: difference curve of the concave increasing version 1 - y_n: the
    # knee is where the curve is farthest above the line joining its ends.
    d = (1.0 - y_n) - x_n  # (n,)
    # Step 5: a local maximum d[i] is a knee if d falls below
    # T_i = d[i] - S mean(diff(x_n)) before the next local maximum.
    step = sensitivity * float(np.mean(np.diff(x_n)))
    n = d.size
    peaks = [i for i in range(1, n - 1) if d[i] > d[i - 1] and d[i] >= d[i + 1]]
    for i, stop in zip(peaks, [*peaks[1:], n - 1], strict=False):  # to the next peak
        if np.any(d[i + 1: stop + 1] < d[i] - step):
            return int(x[i])
    return None

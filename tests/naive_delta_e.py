"""A NumPy CIEDE2000, the reference the compiled report kernel is tested against.

CIEDE2000 (CIE 142-2001) by the formulas of Sharma, Wu & Dalal (2005), "The
CIEDE2000 color-difference formula: implementation notes, supplementary test
data, and mathematical observations", Color Res. Appl. 30(1), 21-30,
eqs. (1)-(24), vectorised over whole arrays, as plainly as they read in the
paper; and the mean and nearest-rank 95th percentile of it over an image.
"""

from __future__ import annotations

import math

import numpy as np

from compress.quantization.colour import colour_channels, srgb8_to_cielab

P95 = 0.95


def ciede2000(lab1: np.ndarray, lab2: np.ndarray, *, kL: float = 1.0,
              kC: float = 1.0, kH: float = 1.0) -> np.ndarray:
    """CIEDE2000 difference of CIELAB colours, vectorised over leading axes.

    Parameters
    ----------
    lab1, lab2 : ndarray of shape (..., 3)
        ``(L*, a*, b*)``; broadcast against each other.
    kL, kC, kH : float, default=1
        Parametric weights (1 for the reference conditions).

    Returns
    -------
    delta_e : ndarray of shape (...), float64
    """
    lab1 = np.asarray(lab1, dtype=np.float64)
    lab2 = np.asarray(lab2, dtype=np.float64)
    L1, a1, b1 = lab1[..., 0], lab1[..., 1], lab1[..., 2]
    L2, a2, b2 = lab2[..., 0], lab2[..., 1], lab2[..., 2]

    # (2)-(6): a* stretched by 1 + G near the neutral axis, then C' and h'.
    c_bar7 = ((np.hypot(a1, b1) + np.hypot(a2, b2)) / 2.0) ** 7
    g = 0.5 * (1.0 - np.sqrt(c_bar7 / (c_bar7 + 25.0 ** 7)))
    a1p, a2p = (1.0 + g) * a1, (1.0 + g) * a2
    c1p, c2p = np.hypot(a1p, b1), np.hypot(a2p, b2)
    h1p = np.degrees(np.arctan2(b1, a1p)) % 360.0  # atan2(0, 0) = 0, as (7) asks
    h2p = np.degrees(np.arctan2(b2, a2p)) % 360.0

    # (8)-(10): differences; the hue difference is 0 when either chroma is 0.
    chroma_product = c1p * c2p
    dh = h2p - h1p
    dh = np.where(dh > 180.0, dh - 360.0, np.where(dh < -180.0, dh + 360.0, dh))
    dh = np.where(chroma_product == 0.0, 0.0, dh)
    dL = L2 - L1
    dC = c2p - c1p
    dH = 2.0 * np.sqrt(chroma_product) * np.sin(np.radians(dh) / 2.0)

    # (12)-(14): means; the mean hue takes the short way round the circle.
    L_bar = (L1 + L2) / 2.0
    C_bar = (c1p + c2p) / 2.0
    h_sum = h1p + h2p
    h_bar = np.where(np.abs(h1p - h2p) <= 180.0, h_sum / 2.0,
                     np.where(h_sum < 360.0, (h_sum + 360.0) / 2.0,
                              (h_sum - 360.0) / 2.0))
    h_bar = np.where(chroma_product == 0.0, h_sum, h_bar)

    # (15)-(22): weighting functions and the rotation term of the blue region.
    T = (1.0 - 0.17 * np.cos(np.radians(h_bar - 30.0))
         + 0.24 * np.cos(np.radians(2.0 * h_bar))
         + 0.32 * np.cos(np.radians(3.0 * h_bar + 6.0))
         - 0.20 * np.cos(np.radians(4.0 * h_bar - 63.0)))
    d_theta = 30.0 * np.exp(-(((h_bar - 275.0) / 25.0) ** 2))
    C_bar7 = C_bar ** 7
    R_C = 2.0 * np.sqrt(C_bar7 / (C_bar7 + 25.0 ** 7))
    L50 = (L_bar - 50.0) ** 2
    S_L = 1.0 + 0.015 * L50 / np.sqrt(20.0 + L50)
    S_C = 1.0 + 0.045 * C_bar
    S_H = 1.0 + 0.015 * C_bar * T
    R_T = -np.sin(np.radians(2.0 * d_theta)) * R_C

    # (23)
    tL, tC, tH = dL / (kL * S_L), dC / (kC * S_C), dH / (kH * S_H)
    return np.sqrt(tL * tL + tC * tC + tH * tH + R_T * tC * tH)


def weighted_percentile(values: np.ndarray, weights: np.ndarray, q: float) -> float:
    """Nearest-rank percentile of ``values`` repeated ``weights`` times.

    The smallest ``v`` with at least a fraction ``q`` of the weight on values
    ``<= v``: with unit weights, ``sorted(values)[ceil(q n) - 1]``.
    """
    order = np.argsort(values, kind="stable")
    cumulative = np.cumsum(weights[order], dtype=np.float64)
    rank = max(1, math.ceil(q * cumulative[-1] - 1e-9))
    return float(values[order][np.searchsorted(cumulative, rank)])


def delta_e_of_pairs(original: np.ndarray, output: np.ndarray,
                     counts: np.ndarray | None = None) -> tuple[float, float]:
    """Mean and nearest-rank 95th-percentile CIEDE2000 over pairs of 8-bit colours.

    ``original`` and ``output`` (n_pairs, C), alpha ignored; ``counts`` the
    pixels of each pair (None: 1 each).
    """
    n_colour = colour_channels(original.shape[1])
    values = ciede2000(srgb8_to_cielab(original[:, :n_colour]),
                       srgb8_to_cielab(output[:, :n_colour]))  # (n_pairs,)
    if counts is None:
        counts = np.ones(values.shape[0], dtype=np.int64)
    mean = float((values * counts).sum() / counts.sum())
    return mean, weighted_percentile(values, counts, P95)


def delta_e_stats(reference: np.ndarray, test: np.ndarray) -> tuple[float, float]:
    """Mean and 95th-percentile CIEDE2000 between two images, over all pixels.

    ``reference`` and ``test``: uint8, of the same shape (H, W) or (H, W, C);
    alpha is ignored.
    """
    if reference.shape != test.shape:
        raise ValueError(f"images differ in shape: {reference.shape} and "
                         f"{test.shape}.")
    n_channels = 1 if reference.ndim == 2 else reference.shape[-1]
    return delta_e_of_pairs(reference.reshape(-1, n_channels),
                            test.reshape(-1, n_channels))

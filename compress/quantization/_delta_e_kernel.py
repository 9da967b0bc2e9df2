"""Compiled CIEDE2000 of pixels against their palette entries, for the report.

CIEDE2000 by the formulas of Sharma, Wu & Dalal (2005), "The CIEDE2000
color-difference formula: implementation notes, supplementary test data, and
mathematical observations", Color Res. Appl. 30(1), 21-30, eqs. (1)-(23); one
pair at a time, in parallel over pairs (each independent: the same bits for
any thread count).  Design notes: docs/internals.md, ``delta_e.py``.
"""

from __future__ import annotations

import math

import numba

from kmeans_core import jit  # the project's one compile policy (cache, IEEE math)

_25_POW_7 = 25.0 ** 7


@jit(inline=True)
def _hue_degrees(b, a_prime):  # IN float, IN float; returns degrees in [0, 360)
    """Eq. (7): ``atan2(b, a')`` in degrees, 0 for the neutral point."""
    if b == 0.0 and a_prime == 0.0:
        return 0.0
    h = math.degrees(math.atan2(b, a_prime))
    return h + 360.0 if h < 0.0 else h


@jit()
def _ciede2000(L1, a1, b1, L2, a2, b2):  # IN six floats; returns float
    """CIEDE2000 of one pair of CIELAB colours, kL = kC = kH = 1."""
    c_bar7 = ((math.hypot(a1, b1) + math.hypot(a2, b2)) / 2.0) ** 7
    g = 0.5 * (1.0 - math.sqrt(c_bar7 / (c_bar7 + _25_POW_7)))
    a1p, a2p = (1.0 + g) * a1, (1.0 + g) * a2
    c1p, c2p = math.hypot(a1p, b1), math.hypot(a2p, b2)
    h1p, h2p = _hue_degrees(b1, a1p), _hue_degrees(b2, a2p)
    chroma_product = c1p * c2p
    # (10): hue difference, the short way round; 0 when a chroma is 0
    dh = h2p - h1p
    if chroma_product == 0.0:
        dh = 0.0
    elif dh > 180.0:
        dh -= 360.0
    elif dh < -180.0:
        dh += 360.0
    dL = L2 - L1
    dC = c2p - c1p
    dH = 2.0 * math.sqrt(chroma_product) * math.sin(math.radians(dh) / 2.0)
    # (12)-(14): means
    L_bar = (L1 + L2) / 2.0
    C_bar = (c1p + c2p) / 2.0
    h_sum = h1p + h2p
    if chroma_product == 0.0:
        h_bar = h_sum
    elif abs(h1p - h2p) <= 180.0:
        h_bar = h_sum / 2.0
    elif h_sum < 360.0:
        h_bar = (h_sum + 360.0) / 2.0
    else:
        h_bar = (h_sum - 360.0) / 2.0
    # (15)-(22): weights and the rotation term
    T = (1.0 - 0.17 * math.cos(math.radians(h_bar - 30.0))
         + 0.24 * math.cos(math.radians(2.0 * h_bar))
         + 0.32 * math.cos(math.radians(3.0 * h_bar + 6.0))
         - 0.20 * math.cos(math.radians(4.0 * h_bar - 63.0)))
    d_theta = 30.0 * math.exp(-(((h_bar - 275.0) / 25.0) ** 2))
    C_bar7 = C_bar ** 7
    R_C = 2.0 * math.sqrt(C_bar7 / (C_bar7 + _25_POW_7))
    L50 = (L_bar - 50.0) ** 2
    S_L = 1.0 + 0.015 * L50 / math.sqrt(20.0 + L50)
    S_C = 1.0 + 0.045 * C_bar
    S_H = 1.0 + 0.015 * C_bar * T
    R_T = -math.sin(math.radians(2.0 * d_theta)) * R_C
    tL, tC, tH = dL / S_L, dC / S_C, dH / S_H
    return math.sqrt(tL * tL + tC * tC + tH * tH + R_T * tC * tH)


@jit(inline=True)
def _lab_f(t):  # IN float; returns float
    """CIELAB's ``f``: cube root above ``(6/29)^3``, a line below it."""
    if t > 0.008856451679035631:  # (6/29)^3
        return t ** (1.0 / 3.0)
    return t / 0.12841854934601665 + 4.0 / 29.0  # 3 (6/29)^2


@jit(inline=True)
def _srgb8_to_lab(colors, i, n_colour, linear, to_xyz):  # IN; returns (L*, a*, b*)
    """CIELAB of row ``i`` of 8-bit sRGB (or grey) ``colors``.

    Linear light from the table ``linear``, ``XYZ / white = to_xyz @ rgb``,
    then ``L* = 116 f(Y) - 16``, ``a* = 500 (f(X) - f(Y))``,
    ``b* = 200 (f(Y) - f(Z))`` (CIE 15:2004, section 8.2.1).
    """
    r = linear[colors[i, 0]]
    g = linear[colors[i, 1]] if n_colour == 3 else r
    b = linear[colors[i, 2]] if n_colour == 3 else r
    fx = _lab_f(to_xyz[0, 0] * r + to_xyz[0, 1] * g + to_xyz[0, 2] * b)
    fy = _lab_f(to_xyz[1, 0] * r + to_xyz[1, 1] * g + to_xyz[1, 2] * b)
    fz = _lab_f(to_xyz[2, 0] * r + to_xyz[2, 1] * g + to_xyz[2, 2] * b)
    return 116.0 * fy - 16.0, 500.0 * (fx - fy), 200.0 * (fy - fz)


@jit(parallel=True)
def colors_to_lab(
    colors,  # IN (n_rows, n_channels) uint8, sRGB (or grey) of each row
    n_colour,  # IN int, colour channels (1 grey or 3 RGB; alpha is ignored)
    linear,  # IN (256,) float64, sRGB 8-bit -> linear light
    to_xyz,  # IN (3, 3) float64, linear RGB -> XYZ over the white point
    out,  # OUT (n_rows, 3) float64
):
    """``out[i] = Lab(colors[i])``, bitwise as in :func:`delta_e_colors_to_entries`."""
    for i in numba.prange(colors.shape[0]):
        out[i, 0], out[i, 1], out[i, 2] = _srgb8_to_lab(colors, i, n_colour, linear,
                                                         to_xyz)


@jit(parallel=True)
def delta_e_colors_to_entries(
    colors,  # IN (n_rows, n_channels) uint8, sRGB (or grey) of each row
    n_colour,  # IN int, colour channels (1 grey or 3 RGB; alpha is ignored)
    index,  # IN (n_rows,) integer, palette entry of each row
    palette_lab,  # IN (n_entries, 3) float64, CIELAB of the palette
    linear,  # IN (256,) float64, sRGB 8-bit -> linear light
    to_xyz,  # IN (3, 3) float64, linear RGB -> XYZ over the white point
    out,  # OUT (n_rows,) float64
):
    """``out[i] = CIEDE2000(Lab(colors[i]), palette_lab[index[i]])``, no temporaries."""
    for i in numba.prange(colors.shape[0]):
        L, a, b = _srgb8_to_lab(colors, i, n_colour, linear, to_xyz)
        j = index[i]
        out[i] = _ciede2000(L, a, b, palette_lab[j, 0], palette_lab[j, 1],
                            palette_lab[j, 2])


@jit(parallel=True)
def delta_e_to_entries(
    lab,  # IN (n_rows, 3) float64, CIELAB of each pixel or colour
    index,  # IN (n_rows,) integer, its palette entry
    palette_lab,  # IN (n_entries, 3) float64, CIELAB of the palette
    out,  # OUT (n_rows,) float64
):
    """``out[i] = CIEDE2000(lab[i], palette_lab[index[i]])``."""
    for i in numba.prange(lab.shape[0]):
        j = index[i]
        out[i] = _ciede2000(lab[i, 0], lab[i, 1], lab[i, 2], palette_lab[j, 0],
                            palette_lab[j, 1], palette_lab[j, 2])

"""Colour spaces: sRGB, linear light, OKLab, weighted OKLab (fitting) and CIELAB.

* sRGB <-> linear light: the sRGB transfer function (IEC 61966-2-1).
* linear sRGB <-> OKLab: Ottosson (2020), "A perceptual color space for image
  processing", two 3 x 3 matrices around a cube root.
* Weighted OKLab ``(L, w a, w b)``, ``w = OKLAB_AB_WEIGHT``, is what
  ``quantize(..., space="oklab")`` fits in (:func:`to_fit`).
* CIELAB is only for the CIEDE2000 report, never a fitting space.

Design notes: docs/perceptual.md, "The fitting space".
"""

from __future__ import annotations

import numpy as np

SPACES = ("rgb", "oklab")

OKLAB_AB_WEIGHT = 2.0  # of the a and b axes: deltaEOK2 (docs/perceptual.md)

# Ottosson (2020): linear sRGB -> cone-like LMS, and cube-rooted LMS -> Lab.
_RGB_TO_LMS = np.array([
    [0.4122214708, 0.5363325363, 0.0514459929],
    [0.2119034982, 0.6806995451, 0.1073969566],
    [0.0883024619, 0.2817188376, 0.6299787005],
])
_LMS_TO_LAB = np.array([
    [0.2104542553, 0.7936177850, -0.0040720468],
    [1.9779984951, -2.4285922050, 0.4505937099],
    [0.0259040371, 0.7827717662, -0.8086757660],
])
# The inverses are computed, not typed in: the published inverse matrices are
# rounded to 10 digits, which would make round trips err by ~1e-9.
_LMS_TO_RGB = np.linalg.inv(_RGB_TO_LMS)
_LAB_TO_LMS = np.linalg.inv(_LMS_TO_LAB)

# Linear sRGB -> CIE XYZ (D65), IEC 61966-2-1, and the D65 white point
# (the values scikit-image uses, so the CIEDE2000 tests compare like for like).
RGB_TO_XYZ = np.array([
    [0.412453, 0.357580, 0.180423],
    [0.212671, 0.715160, 0.072169],
    [0.019334, 0.119193, 0.950227],
])
D65 = np.array([0.95047, 1.0, 1.08883])


def srgb_to_linear(srgb: np.ndarray) -> np.ndarray:
    """Decode sRGB values in ``[0, 1]`` to linear light (IEC 61966-2-1).

    ``c / 12.92`` for ``c <= 0.04045``, else ``((c + 0.055) / 1.055) ** 2.4``.
    """
    srgb = np.asarray(srgb, dtype=np.float64)
    return np.where(srgb <= 0.04045, srgb / 12.92,
                    ((np.maximum(srgb, 0.04045) + 0.055) / 1.055) ** 2.4)


def linear_to_srgb(linear: np.ndarray) -> np.ndarray:
    """Encode linear light to sRGB values (inverse of :func:`srgb_to_linear`).

    ``12.92 l`` for ``l <= 0.0031308``, else ``1.055 l ** (1 / 2.4) - 0.055``.
    Values outside ``[0, 1]`` are extended (odd symmetry below 0), not clipped.
    """
    linear = np.asarray(linear, dtype=np.float64)
    high = 1.055 * np.abs(linear) ** (1.0 / 2.4) - 0.055
    return np.where(np.abs(linear) <= 0.0031308, 12.92 * linear,
                    np.sign(linear) * high)


# 8-bit sRGB -> linear, looked up: 256 entries instead of a power per pixel.
LINEAR_LUT = srgb_to_linear(np.arange(256) / 255.0)  # (256,)


def srgb8_to_linear(srgb8: np.ndarray) -> np.ndarray:
    """Linear light of 8-bit sRGB values (any shape, uint8), as float64."""
    return LINEAR_LUT[np.asarray(srgb8, dtype=np.uint8)]


def linear_to_oklab(rgb: np.ndarray) -> np.ndarray:
    """OKLab ``(L, a, b)`` of linear sRGB, last axis of length 3 (Ottosson 2020)."""
    lms = np.asarray(rgb, dtype=np.float64) @ _RGB_TO_LMS.T  # (..., 3)
    return np.cbrt(lms) @ _LMS_TO_LAB.T  # (..., 3)


def oklab_to_linear(lab: np.ndarray) -> np.ndarray:
    """Linear sRGB of OKLab ``(L, a, b)`` (inverse of :func:`linear_to_oklab`)."""
    lms_root = np.asarray(lab, dtype=np.float64) @ _LAB_TO_LMS.T  # (..., 3)
    return (lms_root ** 3) @ _LMS_TO_RGB.T  # (..., 3)


def srgb8_to_oklab(srgb8: np.ndarray) -> np.ndarray:
    """OKLab of 8-bit sRGB colours, last axis of length 3."""
    return linear_to_oklab(srgb8_to_linear(srgb8))


def oklab_to_srgb8(lab: np.ndarray) -> np.ndarray:
    """8-bit sRGB of OKLab colours: clipped to the gamut, rounded to nearest."""
    return _to_uint8(linear_to_srgb(oklab_to_linear(lab)))


def _to_uint8(unit: np.ndarray) -> np.ndarray:
    """Values in ``[0, 1]`` as 8-bit: scaled, rounded, clipped."""
    return np.clip(np.rint(unit * 255.0), 0, 255).astype(np.uint8)


def colour_channels(n_channels: int) -> int:
    """Channels of an image's colour: ``n_channels`` without its alpha (2 or 4)."""
    return n_channels - 1 if n_channels in (2, 4) else n_channels


# -- the fitting space ----------------------------------------------------------
def check_space(space: str) -> None:
    """Raise ``ValueError`` unless ``space`` is one of :data:`SPACES`."""
    if space not in SPACES:
        raise ValueError(f"space must be one of {', '.join(SPACES)}, got {space!r}.")


def to_fit(colors: np.ndarray, space: str) -> np.ndarray:
    """Fitting-space coordinates (float64) of 8-bit grey/grey+alpha/RGB/RGBA colours.

    ``"rgb"``: the values over 255 (the exercise's units).  ``"oklab"``:
    ``(L,)``, ``(L, alpha)``, ``(L, w a, w b)`` or ``(L, w a, w b, alpha)``.
    """
    check_space(space)
    colors = np.asarray(colors, dtype=np.uint8)
    if space == "rgb":
        return colors / 255.0
    n_colour = colour_channels(colors.shape[-1])
    if n_colour == 1:
        # A grey's LMS responses equal its linear value (each row of the first
        # matrix sums to 1), and so does L (its row sums to 1): L = cbrt(linear).
        coords = np.cbrt(srgb8_to_linear(colors[..., :1]))  # (..., 1)
    else:
        coords = srgb8_to_oklab(colors[..., :3])  # (..., 3)
        coords[..., 1:] *= OKLAB_AB_WEIGHT
    if n_colour < colors.shape[-1]:  # alpha
        coords = np.concatenate([coords, colors[..., -1:] / 255.0], axis=-1)
    return coords


def from_fit(coords: np.ndarray, space: str) -> np.ndarray:
    """8-bit colours of fitting-space coordinates (inverse of :func:`to_fit`).

    Out-of-gamut points (a k-means centre can be one) are clipped to
    ``[0, 255]`` per channel after conversion, then rounded.
    """
    check_space(space)
    coords = np.asarray(coords, dtype=np.float64)
    if space == "rgb":
        return _to_uint8(coords)
    n_colour = colour_channels(coords.shape[-1])
    if n_colour == 1:
        out = _to_uint8(linear_to_srgb(np.maximum(coords[..., :1], 0.0) ** 3))
    else:
        lab = coords[..., :3].copy()
        lab[..., 1:] /= OKLAB_AB_WEIGHT
        out = oklab_to_srgb8(lab)
    if n_colour < coords.shape[-1]:  # alpha
        out = np.concatenate([out, _to_uint8(coords[..., -1:])], axis=-1)
    return out


# -- CIELAB, for the CIEDE2000 report --------------------------------------------
def _lab_f(t: np.ndarray) -> np.ndarray:
    """CIELAB's ``f``: cube root above ``(6/29)^3``, a line below it."""
    eps = (6.0 / 29.0) ** 3
    return np.where(t > eps, np.cbrt(t), t / (3.0 * (6.0 / 29.0) ** 2) + 4.0 / 29.0)


def srgb8_to_cielab(srgb8: np.ndarray) -> np.ndarray:
    """CIELAB ``(L*, a*, b*)`` (D65, 2-degree observer) of 8-bit sRGB, float64.

    A grey image (last axis of length 1) is treated as R = G = B.
    """
    return linear_to_cielab(srgb8_to_linear(srgb8))


def linear_to_cielab(linear: np.ndarray) -> np.ndarray:
    """CIELAB of linear sRGB (last axis 3, or 1 for grey), as float64."""
    linear = np.asarray(linear, dtype=np.float64)
    if linear.shape[-1] == 1:
        linear = np.repeat(linear, 3, axis=-1)
    xyz = (linear @ RGB_TO_XYZ.T) / D65  # (..., 3), white = (1, 1, 1)
    fx, fy, fz = (_lab_f(xyz[..., i]) for i in range(3))
    return np.stack([116.0 * fy - 16.0, 500.0 * (fx - fy), 200.0 * (fy - fz)],
                    axis=-1)

"""Colour spaces: sRGB, linear light, OKLab and the weighted OKLab k-means fits in.

* sRGB <-> linear light: the piecewise sRGB transfer function (IEC 61966-2-1).
* linear sRGB <-> OKLab: Ottosson (2020), "A perceptual color space for image
  processing", two 3 x 3 matrices around a cube root.  OKLab is built so that
  Euclidean distance tracks perceived difference much better than in sRGB,
  where a step in the blues looks smaller than the same step in the greens.
* Weighted OKLab, the space ``quantize(..., space="oklab")`` fits in:
  ``(L, w a, w b)`` with ``w = OKLAB_AB_WEIGHT = 2``, the ``deltaEOK2``
  weighting (plain OKLab under-weights chroma); grey fits on ``L`` alone and
  alpha is an axis of its own (``to_fit``).  The measurements behind w = 2 and
  the channel table: docs/perceptual.md, "The fitting space".

CIELAB (for CIEDE2000, :mod:`compress.quantization.delta_e`) is here too: it is only a
report metric, never a fitting space.
"""

from __future__ import annotations

import numpy as np

SPACES = ("rgb", "oklab")

# Weight of the a and b axes in the fitting space (see the module docstring).
OKLAB_AB_WEIGHT = 2.0

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
    srgb = linear_to_srgb(oklab_to_linear(lab))
    return np.clip(np.rint(srgb * 255.0), 0, 255).astype(np.uint8)


def grey8_to_lightness(grey8: np.ndarray) -> np.ndarray:
    """OKLab lightness of 8-bit grey levels: ``cbrt(linear)`` (a = b = 0).

    For a grey, the three LMS responses equal the linear value (the rows of
    the first matrix each sum to 1) and L's row sums to 1, so L is the cube
    root of the linear light.
    """
    return np.cbrt(srgb8_to_linear(grey8))


def lightness_to_grey8(lightness: np.ndarray) -> np.ndarray:
    """8-bit grey of OKLab lightness (inverse of :func:`grey8_to_lightness`)."""
    grey = linear_to_srgb(np.asarray(lightness, dtype=np.float64) ** 3)
    return np.clip(np.rint(grey * 255.0), 0, 255).astype(np.uint8)


# -- the fitting space ----------------------------------------------------------
def _check_space(space: str) -> None:
    if space not in SPACES:
        raise ValueError(f"space must be one of {', '.join(SPACES)}, got {space!r}.")


def to_fit(colors: np.ndarray, space: str) -> np.ndarray:
    """Fitting-space coordinates (float64) of 8-bit grey/grey+alpha/RGB/RGBA colours.

    ``"rgb"``: the values over 255 (the exercise's units).  ``"oklab"``:
    ``(L,)``, ``(L, alpha)``, ``(L, w a, w b)`` or ``(L, w a, w b, alpha)``.
    """
    _check_space(space)
    colors = np.asarray(colors, dtype=np.uint8)
    if space == "rgb":
        return colors / 255.0
    n_channels = colors.shape[-1]
    has_alpha = n_channels in (2, 4)
    colour = colors[..., : n_channels - 1] if has_alpha else colors
    if colour.shape[-1] == 1:
        coords = grey8_to_lightness(colour)  # (..., 1)
    else:
        coords = srgb8_to_oklab(colour)  # (..., 3)
        coords[..., 1:] *= OKLAB_AB_WEIGHT
    if has_alpha:
        coords = np.concatenate([coords, colors[..., -1:] / 255.0], axis=-1)
    return coords


def from_fit(coords: np.ndarray, space: str) -> np.ndarray:
    """8-bit colours of fitting-space coordinates (inverse of :func:`to_fit`).

    Out-of-gamut points (a k-means centre can be one) are clipped to
    ``[0, 255]`` per channel after conversion, then rounded.
    """
    _check_space(space)
    coords = np.asarray(coords, dtype=np.float64)
    if space == "rgb":
        return np.clip(np.rint(coords * 255.0), 0, 255).astype(np.uint8)
    n_channels = coords.shape[-1]
    has_alpha = n_channels in (2, 4)
    colour = coords[..., : n_channels - 1] if has_alpha else coords
    if colour.shape[-1] == 1:
        out = lightness_to_grey8(np.maximum(colour, 0.0))
    else:
        lab = colour.copy()
        lab[..., 1:] /= OKLAB_AB_WEIGHT
        out = oklab_to_srgb8(lab)
    if has_alpha:
        alpha = np.clip(np.rint(coords[..., -1:] * 255.0), 0, 255).astype(np.uint8)
        out = np.concatenate([out, alpha], axis=-1)
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

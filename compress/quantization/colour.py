"""Colour spaces: sRGB, linear light, OKLab and the weighted OKLab k-means fits in.

* sRGB <-> linear light: the piecewise sRGB transfer function (IEC 61966-2-1).
* linear sRGB <-> OKLab: Ottosson (2020), "A perceptual color space for image
  processing", two 3 x 3 matrices around a cube root.  OKLab is built so that
  Euclidean distance tracks perceived difference much better than in sRGB,
  where a step in the blues looks smaller than the same step in the greens.
* Weighted OKLab, the space ``quantize(..., space="oklab")`` fits in:
  ``(L, w a, w b)`` with ``w = OKLAB_AB_WEIGHT = 2``.  Plain OKLab
  under-weights chroma differences: Ottosson's fit to colour-difference data
  found a factor of about 2.02-2.05 relative to lightness; doubling a and b
  is the ``deltaEOK2`` weighting of the CSS Color 4 discussions.  Measured
  (``python -m bench.perceptual``, 6 images x k in {16, 64, 256}, against
  ``pngquant --nofs``):

  ======  ======================  ===================  ================
  w       lower mean ΔE2000 in    lower p95 ΔE2000 in  SSIM within 0.01
  ======  ======================  ===================  ================
  1.0     15 of 18                16 of 18             15 of 18
  1.5     18 of 18                18 of 18             15 of 18
  1.75    18 of 18                18 of 18             12 of 18
  2.0     18 of 18                18 of 18             8 of 18
  ======  ======================  ===================  ================

  A smaller weight gives lightness more palette entries, which SSIM rewards,
  but at k = 16 it loses hues: with w = 1.5 or 1.75 the olive-brown fuel
  tank of scikit-image's astronaut turns grey-brown (undithered) or
  red-brown (dithered), the very hue shift that ``pngquant`` shows; with
  w = 2 it stays olive.  Hue is what this option is for, so w = 2.

For the fit, images with other channel counts map as follows (``to_fit``):

====  ==========================  =======================================
C     image                       fitting-space coordinates
====  ==========================  =======================================
1     grey                        ``(L,)``: OKLab lightness of the grey
2     grey + alpha                ``(L, alpha)``
3     RGB                         ``(L, w a, w b)``
4     RGBA                        ``(L, w a, w b, alpha)``
====  ==========================  =======================================

Greys have ``a = b = 0`` exactly in OKLab (up to rounding), so a grey image
fits on lightness alone: "oklab" then means "perceptually even grey steps"
(more levels in the shadows than RGB k-means gives).  Alpha, in ``[0, 1]``,
is kept as its own axis with the same scale as ``L``: a palette entry still
has one alpha, as a PNG palette needs, and an alpha step of 1/255 costs about
as much as the smallest visible lightness step.

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
    """Coordinates of 8-bit colours in the fitting space, float64.

    Parameters
    ----------
    colors : ndarray of shape (..., n_channels), uint8
        Grey, grey + alpha, RGB or RGBA values.
    space : {"rgb", "oklab"}
        ``"rgb"``: the values over 255 (the exercise's units).  ``"oklab"``:
        weighted OKLab as in the module docstring's table.

    Returns
    -------
    coords : ndarray of shape (..., n_channels), float64
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

    Parameters
    ----------
    coords : ndarray of shape (..., n_channels), float
    space : {"rgb", "oklab"}

    Returns
    -------
    colors : ndarray of shape (..., n_channels), uint8
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
    """CIELAB ``(L*, a*, b*)`` (D65, 2-degree observer) of 8-bit sRGB colours.

    A grey image (last axis of length 1) is treated as R = G = B.

    Parameters
    ----------
    srgb8 : ndarray of shape (..., 3) or (..., 1), uint8

    Returns
    -------
    lab : ndarray of shape (..., 3), float64
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

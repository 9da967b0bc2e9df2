"""Mapping pixels to a palette in the fitting space, plain or dithered.

:func:`map_colors` gives each distinct colour its nearest palette entry;
:func:`dither` runs the damped serpentine Floyd-Steinberg kernel of
:mod:`compress.quantization._dither_kernel`, whose three rules the constants
below set.  Their measurements: docs/internals.md, ``_dither_kernel.py``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .kernel_input import kernel_input

# Rule 1 (leak): fraction of the received error a pixel keeps.
DAMPING = 15 / 16
# Rule 2 (clamp): received errors whose squared size exceeds CLAMP_RATIO times
# the undithered mapping's mean squared error are scaled by CLAMP_SCALE.
CLAMP_RATIO = 2.4
CLAMP_SCALE = 0.75
# Rule 3 (contrast): a pixel whose largest squared difference to a neighbour,
# g, exceeds CONTRAST_RATIO times the undithered mean squared error m passes
# on only CONTRAST_RATIO * m / g of its error.
CONTRAST_RATIO = 0.25


def map_colors(colors: np.ndarray, palette: np.ndarray) -> tuple[np.ndarray,
                                                                 np.ndarray]:
    """Nearest palette entry of every colour, and the squared distance to it.

    ``colors`` (n_colors, C) and ``palette`` (n_entries, C) are in the fitting
    space (:func:`compress.quantization.colour.to_fit`); the entries come back
    as ``(n_colors,)`` int32, ties going to the lowest index.
    """
    from ._dither_kernel import nearest_entries  # imports Numba: only when mapping

    colors = np.ascontiguousarray(colors, dtype=np.float64)
    palette = np.ascontiguousarray(palette, dtype=np.float64)
    labels = np.empty(colors.shape[0], dtype=np.int32)
    sq_dist = np.empty(colors.shape[0], dtype=np.float64)
    nearest_entries(colors, palette, labels, sq_dist)
    return labels, sq_dist


def palette_neighbours(palette: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each entry's entries by increasing distance, and those distances.

    ``order[j]`` (int32) lists every entry, ``j`` itself first, then by
    distance and index; ``spread[j, r] = |palette[j] - palette[order[j, r]]|``.
    """
    diff = palette[:, None, :] - palette[None, :, :]  # (k, k, C)
    dist = np.sqrt((diff * diff).sum(axis=2))  # (k, k)
    n = palette.shape[0]
    # Sort by distance, then index; j itself first even if an entry repeats it.
    key = np.lexsort((np.arange(n)[None, :].repeat(n, 0), dist,
                      (np.arange(n)[None, :] != np.arange(n)[:, None])), axis=1)
    order = key.astype(np.int32)
    return order, np.take_along_axis(dist, order, axis=1)


def contrast_strength(contrast: np.ndarray, mean_sq_error: float,
                      ratio: float = CONTRAST_RATIO) -> np.ndarray:
    """Fraction of its error each pixel passes on (rule 3), in ``(0, 1]``.

    ``min(1, ratio * m / g)`` with ``g`` the pixel's local contrast and ``m``
    the undithered mean squared error: 1 in smooth areas, falling as the
    image varies faster than the palette's typical step.  ``ratio = inf``
    turns the rule off.
    """
    limit = ratio * mean_sq_error
    with np.errstate(divide="ignore", invalid="ignore"):
        strength = np.where(contrast > limit, limit / contrast, 1.0)
    return np.nan_to_num(strength, nan=1.0)


def dither(colors: np.ndarray, inverse: np.ndarray, shape: tuple[int, int],
           palette: np.ndarray, *, mean_sq_error: float,
           damping: float = DAMPING, clamp_ratio: float = CLAMP_RATIO,
           clamp_scale: float = CLAMP_SCALE,
           contrast_ratio: float = CONTRAST_RATIO,
           nearest: np.ndarray | None = None,
           band: DitherBand | None = None) -> np.ndarray:
    """Palette index of every pixel by damped serpentine Floyd-Steinberg.

    Parameters
    ----------
    colors : ndarray of shape (n_colors, n_channels), float64
        The image's distinct colours in the fitting space.
    inverse : ndarray of shape (height * width,), integer
        Row of ``colors`` of every pixel, in raster order (below 2**32).
    shape : (height, width)
    palette : ndarray of shape (n_entries, n_channels), float64
        The palette in the fitting space.
    mean_sq_error : float
        Mean squared error of the undithered mapping: the scale of rules 2, 3.
    damping, clamp_ratio, clamp_scale, contrast_ratio : float
        The three rules' settings; ``damping=1, clamp_scale=1,
        contrast_ratio=inf`` is plain serpentine Floyd-Steinberg.
    nearest : ndarray of shape (n_colors,), optional
        Entry nearest to each colour (:func:`map_colors`), if already known.
    band : DitherBand, optional
        The pixels are this band of a taller image (``inverse`` and ``shape``
        with its halo rows); the bands' index maps, put together in order,
        equal the whole image's bit for bit.

    Returns
    -------
    index_map : ndarray of shape (height, width), int32
        Without the halo rows when ``band`` is given.
    """
    from ._dither_kernel import dither_serpentine, local_contrast

    height, width = shape
    band = band or DitherBand.whole(width, palette.shape[1])
    colors = np.ascontiguousarray(colors, dtype=np.float64)
    palette = np.ascontiguousarray(palette, dtype=np.float64)
    inverse = kernel_input(inverse, np.uint32).reshape(-1)  # one kernel type
    if nearest is None:
        nearest, _ = map_colors(colors, palette)  # (n_colors,)
    guess = np.ascontiguousarray(nearest, dtype=np.int32)  # where searches start
    order, spread = palette_neighbours(palette)
    if np.isfinite(contrast_ratio):
        contrast = np.empty((height, width), dtype=np.float64)  # (H, W)
        local_contrast(colors, inverse, height, width, contrast)
        strength = contrast_strength(contrast, mean_sq_error, contrast_ratio)
    else:
        strength = np.ones((height, width), dtype=np.float64)  # (H, W)
    inner = slice(band.above, height - band.below)  # rows without the halo
    index_map = np.empty((height - band.above - band.below, width), dtype=np.int32)
    dither_serpentine(colors, inverse[inner.start * width: inner.stop * width],
                      palette, guess, order, spread,
                      np.ascontiguousarray(strength[inner]), float(damping),
                      float(clamp_ratio * mean_sq_error), float(clamp_scale),
                      band.y_start, band.carry, index_map)
    return index_map


@dataclass
class DitherBand:
    """Where a band of rows sits in its image, and the error it receives.

    Rule 3 reads each pixel's 8 neighbours: ``above`` and ``below`` are the
    halo rows (0 or 1) given with the band, read but not dithered.
    """

    y_start: int  # image row of the band's first (non-halo) row
    carry: np.ndarray  # (width + 2, n_channels) float64, updated in place
    above: int = 0
    below: int = 0

    @classmethod
    def whole(cls, width: int, n_channels: int) -> DitherBand:
        """Return the first band of an image: row 0, no error received yet."""
        return cls(0, np.zeros((width + 2, n_channels), dtype=np.float64))

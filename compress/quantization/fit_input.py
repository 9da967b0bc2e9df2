"""What k-means runs on for one image: the colour histogram, or the pixels.

Design notes: docs/internals.md, ``compress/quantization/fit_input.py``.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from .colour import check_space, to_fit
from .delta_e import MAX_KEPT_LAB_ROWS, colors_to_cielab
from .histogram import color_histogram, count_distinct

# Fit on the pixels, not the histogram, above this many distinct colours per
# pixel: American Gothic has 0.12, a 24-megapixel photo 0.14, all colours 1.
PIXEL_FIT_FRACTION = 0.5

# Squared length in weighted OKLab of a one-level step of one sRGB channel,
# over (1 / 255)^2, averaged over an image's pixels and channels: 1.106 on
# American Gothic, 1.115 on china.  See :func:`engine_tolerance`.
OKLAB_PER_SRGB_STEP_SQ = 1.11


def as_pixels(image: np.ndarray) -> np.ndarray:
    """Return ``image`` as an ``(H, W, C)`` uint8 array, refusing other input."""
    image = np.asarray(image)
    if image.dtype != np.uint8:
        raise TypeError(f"image must be uint8, got {image.dtype}; read files with "
                        "compress.load_image, or convert with "
                        "np.clip(x, 0, 255).astype(np.uint8).")
    if image.ndim == 2:
        image = image[:, :, None]
    if image.ndim != 3 or not 1 <= image.shape[2] <= 4:
        raise ValueError("image must have shape (H, W) or (H, W, C) with C in 1..4, "
                         f"got {image.shape}.")
    if image.shape[0] == 0 or image.shape[1] == 0:
        raise ValueError(f"image is empty: shape {image.shape}.")
    return image


@dataclass
class FitInput:
    """What k-means runs on for one image, prepared once for every k.

    Attributes
    ----------
    X : ndarray of shape (n_rows, n_channels)
        Distinct colours in the fitting space (float64; for ``"rgb"`` scaled
        to [0, 1]), or the pixels themselves (uint8, read in place) when
        ``weights`` is None.
    weights : ndarray of shape (n_rows,) or None
        Pixel count of each colour; None when every row is one pixel.
    inverse : ndarray of shape (n_pixels,) or None
        Row of ``X`` of every pixel; None when the rows are the pixels, or
        when the histogram was counted band by band (:func:`from_histogram`).
    n_colors : int
        Distinct colours of the image.
    scale : float
        ``X`` is the image in [0, 1] units times ``scale`` (1 or 255).
    colors : ndarray of shape (n_rows, n_channels), uint8
        The rows of ``X`` as 8-bit colours (``X`` itself on the pixel route),
        to measure the error of a palette exactly.
    space : {"rgb", "oklab"}
        The fitting space of ``X``.
    """

    X: np.ndarray
    weights: np.ndarray | None
    inverse: np.ndarray | None
    n_colors: int
    scale: float
    colors: np.ndarray
    space: str = "rgb"

    @functools.cached_property
    def kept_lab(self) -> Callable[[], np.ndarray] | None:
        """Return ``lab()``, the CIELAB of ``colors`` converted once for every k.

        It holds the colours, not the per-pixel ``inverse``.  None on the
        pixel route or above ``MAX_KEPT_LAB_ROWS`` colours.
        """
        if self.weights is None or self.n_colors > MAX_KEPT_LAB_ROWS:
            return None
        return functools.cache(functools.partial(colors_to_cielab, self.colors))


def prepare(image: np.ndarray, *, ks=(), space: str = "rgb",
            dither: bool = False) -> FitInput:
    """Choose and build what k-means runs on: histogram or pixels.

    Parameters
    ----------
    image : ndarray of shape (H, W) or (H, W, C), uint8
        The image (not copied: the pixel route reads it in place).
    ks : iterable of int, default=()
        The k that will be fitted.  The pixels are used only when every k is
        below the number of colours and more than ``PIXEL_FIT_FRACTION`` of
        the pixels have distinct colours.
    space : {"rgb", "oklab"}, default="rgb"
        Fitting space (see :func:`quantize`); other than ``"rgb"`` always
        uses the histogram.
    dither : bool, default=False
        Whether the pixels will be dithered; then too the histogram is used.

    Returns
    -------
    fit_input : FitInput
    """
    check_space(space)
    pixels = as_pixels(image)
    rows = pixels.reshape(-1, pixels.shape[2])  # (n_pixels, C), a view
    n_colors = count_distinct(rows)
    k_max = max(ks, default=0)
    if (space == "rgb" and not dither
            and n_colors > PIXEL_FIT_FRACTION * rows.shape[0] and k_max < n_colors):
        rows = np.ascontiguousarray(rows)
        return FitInput(rows, None, None, n_colors, 255.0, rows)
    colors, counts, inverse = color_histogram(rows)
    return dataclasses.replace(from_histogram(colors, counts, space), inverse=inverse)


def from_histogram(colors: np.ndarray, counts: np.ndarray,
                   space: str = "rgb") -> FitInput:
    """Build the fit input of a colour histogram counted elsewhere (by bands).

    ``colors`` (n_colors, C) uint8, sorted as :func:`color_histogram` sorts
    them, and their pixel ``counts``.  No ``inverse``: the caller maps its
    pixels to the rows itself.
    """
    X = to_fit(colors, space)  # (n_colors, C); for rgb: exercise units
    return FitInput(X, counts, None, colors.shape[0], 1.0, colors, space)


def rescaled(fit, scale: float):
    """``fit`` with centres and inertia in [0, 1] units (undo ``scale``)."""
    if scale == 1.0:
        return fit
    sq = scale * scale
    history = [dataclasses.replace(h, inertia=h.inertia / sq,
                                   center_shift=h.center_shift / sq)
               for h in fit.history]
    return dataclasses.replace(fit, centers=fit.centers / scale,
                               inertia=fit.inertia / sq, history=history)


def _mean_variance(X: np.ndarray, weights: np.ndarray) -> float:
    """Mean over features of the weighted variance of ``X``."""
    mean = weights @ X / weights.sum()  # (n_features,)
    var = weights @ (X - mean) ** 2 / weights.sum()  # (n_features,)
    return float(var.mean())


def engine_tolerance(prepared: FitInput, tol: float) -> float:
    """Return the engine's ``tol`` for ``prepared.X``: the user's ``tol`` of RGB.

    The engine's ``tol`` is relative to the variance of what it fits; every
    space gets the absolute tolerance of the RGB fit, in its own units::

        tol_fit = tol * var_rgb * OKLAB_PER_SRGB_STEP_SQ / var_fit

    Design notes: docs/internals.md, ``compress/quantization/fit_input.py``.
    """
    if prepared.space == "rgb" or tol == 0:
        return tol
    weights = prepared.weights.astype(np.float64)  # other spaces: a histogram
    var_fit = _mean_variance(prepared.X, weights)
    if var_fit == 0:
        return tol
    var_rgb = _mean_variance(prepared.colors / 255.0, weights)
    return tol * var_rgb * OKLAB_PER_SRGB_STEP_SQ / var_fit

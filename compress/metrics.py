"""Quality and size measures: MSE, PSNR, bits per pixel, size ratios."""

from __future__ import annotations

import math

import numpy as np

PEAK = 255.0  # largest value of an 8-bit channel


def mse(reference: np.ndarray, test: np.ndarray) -> float:
    """Mean squared error over all pixels and channels, in 8-bit units.

    Parameters
    ----------
    reference, test : ndarray of the same shape
        Images as integers in ``[0, 255]`` (any shape, any numeric dtype).

    Returns
    -------
    mse : float
        ``mean((reference - test)^2)``, computed in float64.
    """
    if reference.shape != test.shape:
        raise ValueError(
            f"images differ in shape: {reference.shape} and {test.shape}."
        )
    diff = reference.astype(np.float64) - test.astype(np.float64)
    return float(np.mean(diff * diff))


def psnr(reference: np.ndarray, test: np.ndarray) -> float:
    """Peak signal-to-noise ratio in dB, ``10 log10(255^2 / MSE)``.

    Parameters
    ----------
    reference, test : ndarray of the same shape
        Images as integers in ``[0, 255]``.

    Returns
    -------
    psnr : float
        ``math.inf`` for identical images.
    """
    err = mse(reference, test)
    if err == 0:
        return math.inf
    return 10.0 * math.log10(PEAK * PEAK / err)


def index_bits(n_colors: int) -> int:
    """Bits per pixel of the stored index map: the PNG palette bit depth.

    ``ceil(log2(n_colors))`` rounded up to 1, 2, 4 or 8, as PNG allows; 0 is
    never returned because even a one-colour PNG stores 1 bit per pixel.
    """
    for bits in (1, 2, 4, 8):
        if n_colors <= 1 << bits:
            return bits
    raise ValueError(f"{n_colors} colours do not fit in an 8-bit palette.")


def file_bits_per_pixel(n_bytes: int, n_pixels: int) -> float:
    """Compressed size in bits per pixel: ``8 * n_bytes / n_pixels``."""
    return 8.0 * n_bytes / n_pixels

"""What a person sees: CIEDE2000, SSIM and CIEDE2000 after a 1-pixel blur.

* ΔE2000 mean and nearest-rank p95, per pixel: scikit-image's
  ``deltaE_ciede2000`` of our CIELAB (an implementation that is not ours).
* SSIM (Wang, Bovik, Sheikh & Simoncelli 2004), scikit-image's
  ``structural_similarity`` with the paper's settings: Gaussian window of
  sigma 1.5, no sample-covariance correction, 8-bit data range, the mean over
  the R, G and B channels.
* Blurred ΔE2000: both images blurred by a Gaussian of sigma 1 pixel in
  linear light, then mean CIEDE2000.  A dithered image is meant to be seen
  from a distance where neighbouring pixels merge; comparing it pixel by pixel
  counts the dither pattern itself as error, which the eye does not see.
  Blurring in linear light mixes light the way the eye does (averaging sRGB
  values would darken the mix).
"""

from __future__ import annotations

import numpy as np

from compress.quantization.colour import (
    linear_to_cielab,
    srgb8_to_cielab,
    srgb8_to_linear,
)

BLUR_SIGMA = 1.0  # pixels


def gaussian_blur(image: np.ndarray, sigma: float = BLUR_SIGMA) -> np.ndarray:
    """Separable Gaussian blur of an (H, W, C) float image, edges reflected.

    The kernel is truncated at 3 sigma and normalised to sum 1.
    """
    radius = max(1, int(np.ceil(3.0 * sigma)))
    x = np.arange(-radius, radius + 1, dtype=np.float64)
    kernel = np.exp(-0.5 * (x / sigma) ** 2)
    kernel /= kernel.sum()  # (2 radius + 1,)
    out = np.asarray(image, dtype=np.float64)
    for axis in (0, 1):
        pad = [(0, 0)] * out.ndim
        pad[axis] = (radius, radius)
        padded = np.pad(out, pad, mode="reflect")
        acc = np.zeros_like(out)
        n = out.shape[axis]
        for i, w in enumerate(kernel):
            acc += w * np.take(padded, np.arange(i, i + n), axis=axis)
        out = acc
    return out


def blurred_delta_e(reference: np.ndarray, test: np.ndarray) -> float:
    """Mean CIEDE2000 after blurring both 8-bit RGB images in linear light."""
    lab_ref = linear_to_cielab(gaussian_blur(srgb8_to_linear(reference)))
    lab_test = linear_to_cielab(gaussian_blur(srgb8_to_linear(test)))
    return float(ciede2000(lab_ref, lab_test).mean())


def ciede2000(lab1: np.ndarray, lab2: np.ndarray) -> np.ndarray:
    """scikit-image's CIEDE2000 of CIELAB arrays of the same shape (..., 3)."""
    from skimage.color import deltaE_ciede2000

    return deltaE_ciede2000(lab1, lab2)


def delta_e_stats(reference: np.ndarray, test: np.ndarray) -> tuple[float, float]:
    """Mean and nearest-rank 95th-percentile CIEDE2000 over the pixels (H, W, 3)."""
    values = ciede2000(srgb8_to_cielab(reference), srgb8_to_cielab(test)).ravel()
    return (float(values.mean()),
            float(np.percentile(values, 95, method="inverted_cdf")))


def ssim(reference: np.ndarray, test: np.ndarray) -> float:
    """Mean SSIM over the RGB channels (Wang et al. 2004 settings)."""
    from skimage.metrics import structural_similarity

    return float(structural_similarity(
        reference, test, channel_axis=2, data_range=255, gaussian_weights=True,
        sigma=1.5, use_sample_covariance=False))


def measure(reference: np.ndarray, test: np.ndarray) -> dict[str, float]:
    """Every quality number of ``test`` against ``reference`` (both (H, W, 3))."""
    from compress import psnr

    mean, p95 = delta_e_stats(reference, test)
    return {"psnr": psnr(reference, test), "de_mean": mean, "de_p95": p95,
            "ssim": ssim(reference, test),
            "de_blur": blurred_delta_e(reference, test)}

"""Colour quantization with k-means: :func:`quantize` and :func:`count_colors`.

What the fit runs on (the exact colour histogram, or the pixels) is prepared
once per image by :func:`compress.quantization.fit_input.prepare`.

``space="oklab"`` fits the distinct colours in weighted OKLab instead
(:mod:`compress.quantization.colour`): the histogram is still exact and in RGB, only the
coordinates the fit sees change.  The palette comes back to 8-bit sRGB
(clipped, rounded) and every colour takes the palette entry nearest to it in
that space.  ``dither=True`` maps the pixels by damped error diffusion in
the fitting space (:mod:`compress.quantization.dither`) instead of colour by colour.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from .colour import to_fit
from .fit_input import PIXEL_FIT_FRACTION, FitInput, as_pixels, prepare
from .histogram import count_distinct
from .metrics import pair_counts, palette_mse
from .palette import DEFAULT_SEED, fit_palette

__all__ = ["PIXEL_FIT_FRACTION", "FitInput", "QuantizeResult",
           "count_colors", "inertia_curve", "prepare", "quantize", "quantize_each"]

def count_colors(image: np.ndarray) -> int:
    """Count the distinct colours (distinct pixel values) of an image.

    Parameters
    ----------
    image : ndarray of shape (H, W) or (H, W, C), uint8

    Returns
    -------
    n_colors : int
        For *American Gothic* (``../shared/data``) this is 114,571.  The
        original exercise printed ``np.unique(img, axis=0).size`` = 2,899,800,
        which counts the elements of the distinct *rows* of the H x W x 3
        array, not colours.
    """
    pixels = as_pixels(image)
    return count_distinct(pixels.reshape(-1, pixels.shape[2]))


@dataclass
class QuantizeResult:
    """A quantized image: palette, index map and the k-means fit.

    Attributes
    ----------
    palette : ndarray of shape (n_colors_out, n_channels), uint8
        Colours sorted by luminance; ``n_colors_out = min(k, n_colors_in)``.
    index_map : ndarray of shape (H, W), smallest unsigned dtype
        Palette index of every pixel.
    fit : kmeans_core.KMeansResult
        The engine's result (``inertia`` and ``centers`` in the fitting
        space's units, for ``"rgb"`` the exercise's; ``n_iter``,
        ``history``, ...), on the colour histogram or on the pixels (see
        :func:`prepare`).  Its ``centers`` and ``labels`` are in fit order,
        not palette order.
    k : int
        The number of colours asked for.
    n_colors_in : int
        Distinct colours of the input.
    fit_seconds : float
        Wall time of the k-means fit.
    exact : bool
        True when ``k >= n_colors_in``: every colour kept, lossless.
    mse : float
        Mean squared error of ``reconstruct()`` against the image, in 8-bit
        units (PSNR: :func:`compress.quantization.metrics.psnr_from_mse`).
    space : {"rgb", "oklab"}
        The fitting space.
    dithered : bool
        Whether the index map was made by error diffusion.
    """

    palette: np.ndarray
    index_map: np.ndarray
    fit: object
    k: int
    n_colors_in: int
    fit_seconds: float
    exact: bool
    mse: float
    _grey2d: bool = False
    space: str = "rgb"
    dithered: bool = False
    # (colours, their palette entries, their pixel counts or None for pixels):
    # the output's histogram against the input, from which MSE and CIEDE2000
    # are exact without the pixels.
    _pairs: tuple | None = None

    @property
    def n_colors_out(self) -> int:
        """Number of palette entries."""
        return int(self.palette.shape[0])

    @property
    def inertia(self) -> float:
        """Sum of squared distances of pixels (scaled to [0, 1]) to their centre."""
        return float(self.fit.inertia)

    def reconstruct(self) -> np.ndarray:
        """Return the quantized image, ``palette[index_map]``.

        Returns
        -------
        image : ndarray, uint8
            Same shape as the image given to :func:`quantize`.
        """
        out = self.palette[self.index_map]  # (H, W, C)
        return out[:, :, 0] if self._grey2d else out

    def delta_e(self, image: np.ndarray) -> tuple[float, float]:
        """Mean and 95th-percentile CIEDE2000 of the output against ``image``.

        Parameters
        ----------
        image : ndarray
            The image given to :func:`quantize`.  Not read: the result keeps
            the output's histogram against it, from which the values follow.

        Returns
        -------
        mean, p95 : float
            Over all pixels; alpha is ignored (colours compared as opaque).
        """
        from .delta_e import delta_e_to_palette

        colors, index, counts = self._pairs  # one ΔE per pair, weighted
        return delta_e_to_palette(colors, index, self.palette, counts)


def quantize(
    image: np.ndarray,
    k: int,
    *,
    seed: int = DEFAULT_SEED,
    n_init: int = 1,
    max_iter: int = 300,
    tol: float = 1e-4,
    prepared: FitInput | None = None,
    space: str = "rgb",
    dither: bool = False,
) -> QuantizeResult:
    """Reduce an image to at most ``k`` colours with k-means.

    Parameters
    ----------
    image : ndarray of shape (H, W) or (H, W, C), uint8
        Grey (C=1), grey + alpha (2), RGB (3) or RGBA (4).  Alpha is clustered
        together with the colour, so each palette entry has one alpha value
        (what a PNG palette can store).
    k : int
        Number of colours, at least 1.  When the image has at most ``k``
        distinct colours, they are all kept and the result is exact.
    seed : int, default=0
        Seed of the k-means++ initialisation; fixed so reruns are identical.
    n_init : int, default=1
        Number of k-means runs; the one of lowest inertia is kept.
    max_iter : int, default=300
        Maximum Lloyd iterations per run.
    tol : float, default=1e-4
        Relative tolerance on the centre shift (see :func:`kmeans_core.kmeans`)
        of an ``"rgb"`` fit; other spaces stop at the same shift counted in
        sRGB steps (:func:`compress.quantization.fit_input.engine_tolerance`).
    prepared : FitInput, optional
        ``prepare(image, ks=..., space=..., dither=...)``, if already computed
        (e.g. to quantize one image for several k).
    space : {"rgb", "oklab"}, default="rgb"
        Where k-means measures distance.  ``"rgb"``: sRGB values over 255,
        the exercise's objective (best PSNR).  ``"oklab"``: weighted OKLab
        (:mod:`compress.quantization.colour`; lower CIEDE2000, what a person sees); grey
        images fit on OKLab lightness, alpha stays an axis of its own.  The
        inertia is in the units of the space.
    dither : bool, default=False
        Map the pixels by damped serpentine Floyd-Steinberg error diffusion in
        the fitting space (:mod:`compress.quantization.dither`): no bands in smooth
        gradients, at the price of grain and larger files.  With alpha, the
        alpha error is diffused too (it is an axis of the fitting space).  Has
        no effect when the result is exact.

    Returns
    -------
    result : QuantizeResult
    """
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < 1:
        raise ValueError(f"k must be an integer >= 1, got {k!r}.")
    grey2d = np.asarray(image).ndim == 2
    pixels = as_pixels(image)
    height, width, n_channels = pixels.shape
    if prepared is None:
        prepared = prepare(pixels, ks=(k,), space=space, dither=dither)
    if prepared.space != space or (dither and prepared.inverse is None):
        raise ValueError(f"prepared is for space={prepared.space!r}"
                         f"{'' if prepared.inverse is not None else ' on pixels'}; "
                         f"call prepare(image, ks=..., space={space!r}, "
                         f"dither={dither}).")
    if k >= prepared.n_colors and prepared.inverse is None:
        prepared = prepare(pixels, ks=(k,))  # an exact result lists the colours
    fitted = fit_palette(prepared, k, seed=seed, n_init=n_init, max_iter=max_iter,
                         tol=tol, dither=dither)
    palette = fitted.palette
    if dither and not fitted.exact:
        from .dither import dither as diffuse

        index_map = diffuse(prepared.X, prepared.inverse, (height, width),
                            to_fit(palette, space), mean_sq_error=fitted.mean_sq_error,
                            nearest=fitted.slots).astype(fitted.slots.dtype)  # (H, W)
        rows, entries, counts = pair_counts(prepared.inverse, index_map,
                                            palette.shape[0])
        pairs = (prepared.colors[rows], entries, counts)
    else:
        pairs = (prepared.colors, fitted.slots, prepared.weights)
        if prepared.inverse is not None:
            index_map = fitted.slots[prepared.inverse].reshape(height, width)  # (H, W)
        else:
            index_map = fitted.slots.reshape(height, width)  # rows are the pixels
    error = palette_mse(pairs[0], pairs[2], palette, pairs[1])
    return QuantizeResult(palette, index_map, fitted.fit, int(k), prepared.n_colors,
                          fitted.fit_seconds, fitted.exact, error, grey2d, space,
                          bool(dither and not fitted.exact), pairs)


def quantize_each(
    image: np.ndarray,
    ks,
    *,
    seed: int = DEFAULT_SEED,
    n_init: int = 1,
    max_iter: int = 300,
    tol: float = 1e-4,
    prepared: FitInput | None = None,
    space: str = "rgb",
    dither: bool = False,
) -> Iterator[QuantizeResult]:
    """Quantize one image for each k in turn, sharing one :func:`prepare`.

    The one loop over k of the package: the command line's jobs and
    :func:`inertia_curve` use it.  A generator, so a caller can keep what it
    needs of each result (a summary, an encoded PNG) and drop the image-sized
    index map before the next k is fitted.

    Parameters
    ----------
    image : ndarray of shape (H, W) or (H, W, C), uint8
        The image.
    ks : iterable of int
        The values of k, fitted in the order given.
    seed, n_init, max_iter, tol, space, dither
        As in :func:`quantize`.
    prepared : FitInput, optional
        ``prepare(image, ks=ks, space=space, dither=dither)``, if already
        computed.

    Yields
    ------
    result : QuantizeResult
        One per k.
    """
    ks = list(ks)
    if prepared is None:
        prepared = prepare(image, ks=ks, space=space, dither=dither)
    for k in ks:
        yield quantize(image, k, seed=seed, n_init=n_init, max_iter=max_iter,
                       tol=tol, prepared=prepared, space=space, dither=dither)


def inertia_curve(
    image: np.ndarray,
    ks,
    *,
    seed: int = DEFAULT_SEED,
    n_init: int = 1,
    max_iter: int = 300,
    tol: float = 1e-4,
    space: str = "rgb",
    dither: bool = False,
) -> list[QuantizeResult]:
    """Quantize one image for each k: ``list(quantize_each(...))``.

    Parameters
    ----------
    image : ndarray of shape (H, W) or (H, W, C), uint8
        The image.
    ks : iterable of int
        The values of k.
    seed, n_init, max_iter, tol, space, dither
        As in :func:`quantize`.

    Returns
    -------
    results : list of QuantizeResult
        One per k, in the order given (each holds its index map: for many k
        of a large image, iterate :func:`quantize_each` instead).
    """
    return list(quantize_each(image, ks, seed=seed, n_init=n_init,
                              max_iter=max_iter, tol=tol, space=space,
                              dither=dither))

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

import time
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from .colour import from_fit, to_fit
from .fit_input import (
    PIXEL_FIT_FRACTION,
    FitInput,
    as_pixels,
    engine_tolerance,
    prepare,
    rescaled,
)
from .histogram import count_distinct
from .metrics import ERROR_CHUNK_ROWS, palette_mse

__all__ = ["DEFAULT_SEED", "PIXEL_FIT_FRACTION", "FitInput", "QuantizeResult",
           "count_colors", "inertia_curve", "prepare", "quantize", "quantize_each"]

# Default seed: fixed so that reruns give identical palettes and files.
DEFAULT_SEED = 0

# Palette order.  Entries are sorted by luminance (Rec. 601 luma, then alpha),
# not by frequency or left in fit order.  Measured palette PNG bytes
# (compress.io.png.encode_palette_png, Pillow 13), luminance / frequency / fit order:
#   american_gothic.jpg k=5   107,861 / 128,622 / 121,686
#                       k=16  251,854 / 285,403 / 299,253
#                       k=64  446,800 / 446,773 / 446,966
#   sklearn china.jpg   k=5    29,442 /  34,263 /  36,449
#                       k=16   60,597 /  64,635 /  66,757
#   grace_hopper.jpg    k=16   48,755 /  51,365 /  53,405
# Luminance is 4-16% smaller for k <= 16 and ties (within 0.03%) at k = 64:
# neighbouring pixels have similar brightness, so with luminance order their
# indices are numerically close, which the packed sub-byte rows and zlib reward.
_LUMA = np.array([0.299, 0.587, 0.114])


def _index_dtype(n_colors: int) -> np.dtype:
    """Smallest unsigned dtype that holds indices ``0 .. n_colors - 1``."""
    for dtype in (np.uint8, np.uint16, np.uint32):
        if n_colors - 1 <= np.iinfo(dtype).max:
            return np.dtype(dtype)
    return np.dtype(np.uint64)


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


def _index_map_mse(pixels: np.ndarray, index_map: np.ndarray,
                   palette: np.ndarray) -> float:
    """Mean squared error, in 8-bit units, of ``palette[index_map]`` (dithered).

    Pixel by pixel, ``ERROR_CHUNK_ROWS`` pixels at a time; exact as in
    :func:`compress.quantization.metrics.palette_mse`.
    """
    rows = pixels.reshape(-1, pixels.shape[2])  # (n_pixels, C)
    index = index_map.reshape(-1)
    total = 0.0
    for start in range(0, rows.shape[0], ERROR_CHUNK_ROWS):
        stop = start + ERROR_CHUNK_ROWS
        diff = rows[start:stop].astype(np.float64) - palette[index[start:stop]]
        total += float((diff * diff).sum())
    return total / rows.size


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
    # (distinct colours, their palette index, their counts) when every pixel of
    # a colour took the same entry: CIEDE2000 is then computed per colour.
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
            The image given to :func:`quantize`.

        Returns
        -------
        mean, p95 : float
            Over all pixels; alpha is ignored (colours compared as opaque).
        """
        from .delta_e import delta_e_to_palette

        if self._pairs is not None:  # one ΔE per distinct colour, weighted
            colors, index, counts = self._pairs
            return delta_e_to_palette(colors, index, self.palette, counts)
        pixels = as_pixels(image)
        return delta_e_to_palette(pixels.reshape(-1, pixels.shape[2]),
                                  self.index_map.reshape(-1), self.palette)


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
    from kmeans_core import KMeansResult, kmeans  # imports Numba: only when fitting

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
    n_colors_in = prepared.n_colors

    start = time.perf_counter()
    exact = k >= n_colors_in
    if exact and prepared.inverse is None:
        prepared = prepare(pixels, ks=(k,))  # an exact result lists the colours
    if exact:
        # Every colour is its own cluster: nothing to fit, inertia 0.
        fit = KMeansResult(centers=prepared.X, inertia=0.0, n_iter=0, converged=True,
                           labels=np.arange(n_colors_in, dtype=np.int32))
    else:
        fit = kmeans(prepared.X, int(k), sample_weight=prepared.weights,
                     n_init=n_init, max_iter=max_iter,
                     tol=engine_tolerance(prepared, tol), random_state=seed,
                     algorithm="auto")
        fit = rescaled(fit, prepared.scale)
    # Without the first run's kernel compilation (kmeans_core measures it).
    fit_seconds = fit.seconds if not exact else time.perf_counter() - start

    if exact:
        centers = prepared.colors  # the colours themselves, not a round trip
    else:
        centers = from_fit(fit.centers, space)  # (k, C) uint8: clipped, rounded
    order = luminance_order(centers)  # palette slot -> fit cluster
    palette = centers[order]
    rank = np.empty_like(order)
    rank[order] = np.arange(order.size)  # fit cluster -> palette slot
    index_dtype = _index_dtype(order.size)
    labels = fit.labels
    sq_dist = None
    if not exact and (space != "rgb" or dither):
        # Each colour takes the entry nearest in the fitting space to the
        # palette as stored (rounded), not to the unrounded centre.
        from .dither import map_colors

        labels, sq_dist = map_colors(prepared.X, to_fit(centers, space))
    row_index = rank.astype(index_dtype)[labels]  # (n_rows,)
    pairs = None
    if not exact and dither:
        from .dither import dither as diffuse

        mean_sq = float(np.dot(sq_dist, prepared.weights) / prepared.weights.sum())
        index_map = diffuse(prepared.X, prepared.inverse, (height, width),
                            to_fit(palette, space), mean_sq_error=mean_sq,
                            nearest=row_index).astype(index_dtype)  # (H, W)
        error = _index_map_mse(pixels, index_map, palette)
    else:
        error = palette_mse(prepared.colors, prepared.weights, centers, labels)
        if prepared.inverse is not None:
            pairs = (prepared.colors, row_index, prepared.weights)
            index_map = row_index[prepared.inverse].reshape(height, width)  # (H, W)
        else:
            index_map = row_index.reshape(height, width)  # rows are the pixels
    return QuantizeResult(palette, index_map, fit, int(k), n_colors_in,
                          fit_seconds, exact, error, grey2d, space,
                          bool(dither and not exact), pairs)


def luminance_order(palette: np.ndarray) -> np.ndarray:
    """Return indices that sort palette entries by luma, then alpha, index."""
    n_colors, n_channels = palette.shape
    has_alpha = n_channels in (2, 4)
    colour = palette[:, : n_channels - 1] if has_alpha else palette
    luma = colour[:, 0].astype(np.float64) if colour.shape[1] == 1 else colour @ _LUMA
    alpha = palette[:, -1] if has_alpha else np.zeros(n_colors)
    return np.lexsort((np.arange(n_colors), alpha, luma)).astype(np.intp)


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

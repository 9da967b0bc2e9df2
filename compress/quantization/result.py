"""What :func:`compress.quantize` returns: a quantized image that shows itself.

A one-line ``repr``; in a notebook, both images, the palette and the numbers
(``_repr_html_``); ``save`` writes the command line's file for the same k.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..io.commit import write_atomically
from ..io.png import encode_quantized
from ..io.read import MODE_OF_CHANNELS
from .metrics import Pairs, psnr_from_mse


@dataclass(repr=False, eq=False)
class QuantizeResult:
    """A quantized image: palette, index map, quality and the k-means fit.

    Attributes
    ----------
    palette : ndarray of shape (n_colors_out, n_channels), uint8
        Colours sorted by luminance; ``n_colors_out = min(k, n_colors_in)``.
    index_map : ndarray of shape (H, W), smallest unsigned dtype
        Palette index of every pixel.
    fit : kmeans_core.KMeansResult
        The engine's result, in the fitting space's units and in fit order
        (not palette order), on the histogram or the pixels.
    k : int
        The number of colours asked for.
    n_colors_in : int
        Distinct colours of the input.
    fit_seconds : float
        Wall time of the k-means fit.
    exact : bool
        True when ``k >= n_colors_in``: every colour kept, lossless.
    mse : float
        Mean squared error of :attr:`image` against the input, in 8-bit units.
    original : ndarray of shape (H, W, C), uint8
        The input's pixels (not copied).
    grey2d : bool
        The input was a 2-D grey image: :attr:`image` is 2-D too.
    space : {"rgb", "oklab"}
        The fitting space.
    dithered : bool
        Whether the index map was made by error diffusion.
    pairs : Pairs
        The output's histogram against the input (MSE and CIEDE2000 from it).
    """

    palette: np.ndarray
    index_map: np.ndarray
    fit: object
    k: int
    n_colors_in: int
    fit_seconds: float
    exact: bool
    mse: float
    original: np.ndarray
    grey2d: bool = False
    space: str = "rgb"
    dithered: bool = False
    pairs: Pairs | None = None

    @property
    def image(self) -> np.ndarray:
        """The compressed image, ``palette[index_map]``: uint8, the input's shape."""
        out = self.palette[self.index_map]  # (H, W, C)
        return out[:, :, 0] if self.grey2d else out

    @property
    def n_colors_out(self) -> int:
        """Number of palette entries."""
        return int(self.palette.shape[0])

    @property
    def inertia(self) -> float:
        """Sum of squared distances of pixels (scaled to [0, 1]) to their centre."""
        return float(self.fit.inertia)

    @property
    def psnr(self) -> float:
        """PSNR in dB against the input (``inf`` when lossless), as the CLI reports."""
        return psnr_from_mse(self.mse)

    @property
    def delta_e(self) -> float:
        """Mean CIEDE2000 against the input over all pixels (alpha ignored)."""
        return self._delta_e_stats[0]

    @property
    def delta_e_p95(self) -> float:
        """95th-percentile CIEDE2000 against the input."""
        return self._delta_e_stats[1]

    @functools.cached_property
    def _delta_e_stats(self) -> tuple[float, float]:
        return self.pairs.delta_e(self.palette)  # on first use: one per pair

    def to_png(self, *, output_format: str = "auto", optimize: bool = False) -> bytes:
        """Encode the result as the command line does (``-o FILE``).

        Parameters
        ----------
        output_format : {"auto", "palette", "rgb"}, default="auto"
            ``"auto"``: a palette PNG up to 256 colours, else RGB(A);
            ``"rgb"`` is the command line's ``--rgb``.
        optimize : bool, default=False
            The command line's ``--optimize``: the smallest PNG (oxipng; needs
            ``pip install "kmeans-compress[optimize]"``) of
            :meth:`for_smaller_png`'s image, up to 0.1 dB below this one's
            PSNR; that result's ``psnr`` and ``delta_e`` describe the file.

        Returns
        -------
        png : bytes
        """
        result = self.for_smaller_png() if optimize else self
        return encode_quantized(result.palette, result.index_map, output_format,
                                optimize=optimize)

    def for_smaller_png(self, min_psnr: float | None = None) -> QuantizeResult:
        """Remap the index map so that the PNG is smaller (``--optimize``).

        Pixels take a neighbour's palette entry where that costs little error
        (:mod:`compress.quantization.remap`), giving up at most 0.1 dB of PSNR
        and never going below ``min_psnr``.

        Returns
        -------
        result : QuantizeResult
            A new result with its own ``mse``, ``psnr`` and ``delta_e``; this
            one when exact or dithered.
        """
        from .remap import remap_for_size

        return remap_for_size(self, min_psnr)

    def save(self, path, *, output_format: str = "auto",
             optimize: bool = False) -> Path:
        """Write :meth:`to_png` to ``path``: the bytes the command line writes.

        Parameters
        ----------
        path : str or path-like
            The file to write (replaced if it exists; written atomically).
        output_format, optimize
            As in :meth:`to_png`.

        Returns
        -------
        path : Path
        """
        path = Path(path)
        write_atomically({path: self.to_png(output_format=output_format,
                                             optimize=optimize)})
        return path

    def __repr__(self) -> str:
        height, width = self.index_map.shape
        mode = MODE_OF_CHANNELS[self.original.shape[2]]
        flags = "".join([", exact" if self.exact else "",
                         f", space={self.space}" if self.space != "rgb" else "",
                         ", dithered" if self.dithered else ""])
        return (f"QuantizeResult(k={self.k}, {width}x{height} {mode}, colours "
                f"{self.n_colors_in:,} -> {self.n_colors_out:,}, PSNR "
                f"{self.psnr:.2f} dB, ΔE2000 {self.delta_e:.2f}, "
                f"{int(self.fit.n_iter)} iterations{flags})")

    def _repr_html_(self) -> str:
        from .display import result_html

        return result_html(self)

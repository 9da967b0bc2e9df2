"""``compress.elbow``: the command line's ``--elbow`` for a notebook.

The same fits, PNG sizes, knee and figure, returned with the numbers.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..figures.plots import elbow_figure, figure_png
from ..io.inputs import read_input
from ..quantization.knee import find_knee
from ..quantization.palette import DEFAULT_SEED
from ..quantization.quantizer import quantize_each

DEFAULT_KS = tuple(range(1, 21))  # the exercise's k = 1-20 plot


@dataclass(repr=False)
class Elbow:
    """An elbow plot and the numbers drawn in it, one entry per k.

    Attributes
    ----------
    figure : matplotlib.figure.Figure
        The plot (shown inline when the result is displayed in a notebook).
    ks : list of int
    inertia : list of float
        Sum of squared distances (pixels scaled to [0, 1] for ``"rgb"``).
    psnr : list of float
        In dB, ``inf`` when lossless.
    delta_e : list of float
        Mean CIEDE2000.
    png_bytes : list of int
        Size of the PNG the command line writes for each k.
    knee : int or None
        The knee of the inertia curve (Kneedle), None if there is no clear one.
    """

    figure: object
    ks: list[int]
    inertia: list[float]
    psnr: list[float]
    delta_e: list[float]
    png_bytes: list[int]
    knee: int | None

    def __repr__(self) -> str:
        finite = [p for p in self.psnr if p != float("inf")] or [float("inf")]
        return (f"Elbow(k={self.ks[0]}..{self.ks[-1]} ({len(self.ks)} values), "
                f"knee={self.knee}, PSNR {min(finite):.2f}-{max(finite):.2f} dB, "
                f"PNG {min(self.png_bytes):,}-{max(self.png_bytes):,} bytes)")

    def _repr_png_(self) -> bytes:
        return figure_png(self.figure)


def elbow(image, ks=DEFAULT_KS, *, seed: int = DEFAULT_SEED, space: str = "rgb",
          dither: bool = False, title: str | None = None) -> Elbow:
    """Quantize ``image`` for each k and draw the elbow plot of ``--elbow``.

    Parameters
    ----------
    image : str, path-like, PIL.Image.Image or ndarray
        As in :func:`compress.quantize`.  For a file or a URL, the plot also
        shows the input file's size.
    ks : iterable of int, default=1..20
        Values of k (sorted, duplicates dropped, as the command line does).
    seed, space, dither
        As in :func:`compress.quantize`.
    title : str, optional
        Names the image in the plot (default: the file name, or "image").

    Returns
    -------
    elbow : Elbow
        The figure and the numbers.
    """
    loaded = read_input(image)
    ks = sorted(set(ks))
    curve = Elbow(None, ks, [], [], [], [], None)
    n_colors = 0
    for q in quantize_each(loaded.pixels, ks, seed=seed, space=space, dither=dither):
        curve.inertia.append(q.inertia)
        curve.psnr.append(q.psnr)
        curve.delta_e.append(q.delta_e)
        curve.png_bytes.append(len(q.to_png()))
        n_colors = q.n_colors_in
    curve.knee = find_knee(ks, curve.inertia) if len(ks) >= 3 else None
    name = title or (loaded.path.name if loaded.path is not None else "image")
    curve.figure = elbow_figure(
        ks, curve.inertia, curve.psnr, curve.png_bytes, knee=curve.knee,
        input_bytes=loaded.file_bytes, space=space, delta_e=curve.delta_e,
        title=f"{name} ({n_colors:,} colours)")
    return curve

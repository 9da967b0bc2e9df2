"""Figures: the contact sheet of a multi-k run and the elbow plot, as PNG bytes.

Design notes: docs/internals.md, ``compress/figures/plots.py``.
"""

from __future__ import annotations

import contextlib
import io
import math
import warnings
from collections.abc import Sequence

import numpy as np

PANEL_INCHES = 2.4  # width of one contact-sheet panel: 4 columns are 960 pixels
DPI = 100
MAX_COLUMNS = 4
MAX_PANEL_ASPECT = 3.0  # tallest panel (height / width); a taller image is narrower
OVERSAMPLE = 2  # at most this many image pixels per panel pixel along each axis
MAX_DECIMALS = 6  # of an axis's tick labels (matplotlib's ticks are round)
LEGEND_FONT = 8.5  # legends and labels on the plot; matplotlib's default is 10


def preload() -> None:
    """Import matplotlib's figure and Agg canvas now (~0.35 s), beside the encoder."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg  # noqa: F401
    from matplotlib.figure import Figure  # noqa: F401


def _figure(width: float, height: float):
    """Make a matplotlib Figure attached to an Agg canvas."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), dpi=DPI)
    FigureCanvasAgg(fig)
    return fig


@contextlib.contextmanager
def _missing_glyphs_quiet():
    """Silence matplotlib's warnings for characters (CJK, emoji) its font lacks."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=r"Glyph \d+ .*missing from font",
                                category=UserWarning)
        yield


def figure_png(fig) -> bytes:
    """Render ``fig``, laid out by its maker; encode it as an RGB PNG (it is opaque)."""
    from PIL import Image

    canvas = fig.canvas
    with _missing_glyphs_quiet():
        canvas.draw()
    rgba = np.asarray(canvas.buffer_rgba())  # (height, width, 4)
    buf = io.BytesIO()
    Image.fromarray(np.ascontiguousarray(rgba[:, :, :3])).save(
        buf, format="PNG", compress_level=6)
    return buf.getvalue()


def panel_stride(height: int, width: int) -> int:
    """Row and column step at which :func:`contact_sheet` samples an image.

    The largest step that still leaves ``OVERSAMPLE`` image pixels per panel
    pixel along both axes; 1 for images no larger than that.
    """
    aspect = min(height / width, MAX_PANEL_ASPECT)
    step = min(width // max(1, int(OVERSAMPLE * PANEL_INCHES * DPI)),
               height // max(1, int(OVERSAMPLE * PANEL_INCHES * aspect * DPI)))
    return max(1, step)


def _show(ax, image: np.ndarray) -> None:
    """Draw an (H, W, C) uint8 image on ``ax``, grey with a grey colormap."""
    n_channels = image.shape[2]
    if n_channels == 1:
        ax.imshow(image[:, :, 0], cmap="gray", vmin=0, vmax=255,
                  interpolation="antialiased")
    elif n_channels == 2:  # grey + alpha -> RGBA
        ax.imshow(image[:, :, [0, 0, 0, 1]])
    else:
        ax.imshow(image)
    ax.set_axis_off()


def contact_sheet(
    original: np.ndarray,
    panels: Sequence[tuple[np.ndarray, str]],
    *,
    title: str,
    original_caption: str = "original",
) -> bytes:
    """Draw the original and each quantized version side by side, captioned.

    Parameters
    ----------
    original : ndarray of shape (H, W, C), uint8
        The input image.
    panels : sequence of (image, caption)
        Quantized images (same layout as ``original``, or already sampled
        every :func:`panel_stride` rows and columns) and their captions.
    title : str
        Figure title, e.g. the file name.
    original_caption : str, default="original"
        Caption of the first panel.

    Returns
    -------
    png : bytes
    """
    items = [(original, original_caption), *panels]
    n_cols = min(MAX_COLUMNS, len(items))
    n_rows = math.ceil(len(items) / n_cols)
    height, width = original.shape[:2]
    aspect = min(height / width, MAX_PANEL_ASPECT)
    panel_h = PANEL_INCHES * aspect + 0.5  # room for a two-line caption
    fig = _figure(PANEL_INCHES * n_cols, panel_h * n_rows + 0.4)
    for i in range(n_rows * n_cols):
        ax = fig.add_subplot(n_rows, n_cols, i + 1)
        if i < len(items):
            image, caption = items[i]
            step = panel_stride(*image.shape[:2])
            _show(ax, image[::step, ::step])
            ax.set_title(caption, fontsize=8)
        else:
            ax.set_axis_off()
    fig.suptitle(title, fontsize=10)
    with _missing_glyphs_quiet():
        fig.tight_layout()
    return figure_png(fig)


def k_ticks(ks: Sequence[int], max_ticks: int = 16) -> list[int]:
    """Return the k to label on an elbow plot: all, or a subset with both ends.

    Up to ``max_ticks`` values of k are all labelled.  More are thinned to
    round steps (1, 2, 5, 10, ...) that keep the first and last k, dropping
    a round tick that would crowd an end.
    """
    ks = sorted(ks)
    if len(ks) <= max_ticks:
        return ks
    span = ks[-1] - ks[0]
    step = next(s * 10**e for e in range(8) for s in (1, 2, 5)
                if span / (s * 10**e) <= max_ticks - 2)
    inner = [k for k in ks if k % step == 0
             and min(k - ks[0], ks[-1] - k) >= step / 2]
    return [ks[0], *inner, ks[-1]]


def tick_format(ticks: Sequence[float]) -> str:
    """Return a format for tick labels with the fewest decimals that show them.

    The fewest decimals (up to ``MAX_DECIMALS``) with which every tick is
    written exactly (0.002 -> 3, 12.5 -> 1): distinct ticks, distinct labels.
    """
    values = np.asarray(ticks, dtype=np.float64)
    scale = max(1.0, float(np.abs(values).max(initial=0.0)))
    decimals = next((d for d in range(MAX_DECIMALS + 1)
                     if np.all(np.abs(np.round(values, d) - values) <= 1e-9 * scale)),
                    MAX_DECIMALS)
    return f"{{x:,.{decimals}f}}"


def _label_ticks(axis) -> None:
    """Label ``axis`` by :func:`tick_format` of the ticks it has when drawn."""
    from matplotlib.ticker import Formatter

    class ExactFormatter(Formatter):
        fmt = ""  # for the ticks last set; chosen once, not once per label

        def set_locs(self, locs):
            self.fmt = tick_format(locs) if len(locs) else ""

        def __call__(self, x, pos=None):
            return (self.fmt or tick_format([x])).format(x=x)

    axis.set_major_formatter(ExactFormatter())


def elbow_plot(ks: Sequence[int], inertias: Sequence[float], psnrs: Sequence[float],
               sizes: Sequence[int], **options) -> bytes:
    """Return :func:`elbow_figure` (same arguments) as PNG bytes, for ``--elbow``."""
    return figure_png(elbow_figure(ks, inertias, psnrs, sizes, **options))


def elbow_figure(
    ks: Sequence[int],
    inertias: Sequence[float],
    psnrs: Sequence[float],
    sizes: Sequence[int],
    *,
    knee: int | None,
    title: str,
    chosen: int | None = None,
    min_psnr: float | None = None,
    input_bytes: int | None = None,
    delta_e: Sequence[float] | None = None,
    space: str = "rgb",
):
    """Two panels against k: inertia (the elbow) above, PSNR and PNG size below.

    The knee and the ``--min-psnr`` choice are marked on both; every curve
    and line is named in a legend above its panel (docs/internals.md).

    Parameters
    ----------
    ks : sequence of int
        Values of k, increasing.
    inertias : sequence of float
        Inertia for each k (pixels scaled to [0, 1]).
    psnrs : sequence of float
        PSNR in dB for each k (``inf`` when lossless: drawn at the top).
    sizes : sequence of int
        PNG bytes for each k.
    knee : int or None
        The suggested k, or None if there is no clear knee.
    title : str
        Names the image.
    chosen : int, optional
        The k that ``--min-psnr`` chose.
    min_psnr : float, optional
        The PSNR asked for (a horizontal line).
    input_bytes : int, optional
        Size of the input file (a horizontal line on the size axis).
    delta_e : sequence of float, optional
        Mean CIEDE2000 for each k, drawn in the upper panel against a second
        axis on the right.
    space : {"rgb", "oklab"}, default="rgb"
        Fitting space, for the inertia axis's units.

    Returns
    -------
    figure : matplotlib.figure.Figure
        On an Agg canvas, laid out.
    """
    ks = list(ks)
    fig = _figure(7.0, 7.2)
    top = fig.add_subplot(2, 1, 1)
    bottom = fig.add_subplot(2, 1, 2, sharex=top)
    top_lines = top.plot(ks, inertias, "o-", color="tab:blue", markersize=4,
                         label="inertia")
    units = "pixels in [0, 1]" if space == "rgb" else "weighted OKLab"
    top.set_ylabel(f"inertia\n(sum of squared distances,\n{units})", fontsize=9,
                   color="tab:blue")
    knee_note = "" if knee is not None else ": no clear knee"
    fig.suptitle(f"Elbow: {title}{knee_note}", fontsize=10)
    finite = [p for p in psnrs if math.isfinite(p)]
    ceiling = (max(finite) + 3.0) if finite else 60.0  # where "lossless" is drawn
    shown = [p if math.isfinite(p) else ceiling for p in psnrs]
    bottom_lines = bottom.plot(ks, shown, "o-", color="tab:green", markersize=4,
                               label="PSNR (dB, left)")
    bottom.set_ylabel("PSNR (dB)", color="tab:green")
    bottom.set_xlabel("k (number of colours)")
    size_ax = bottom.twinx()
    bottom_lines += size_ax.plot(ks, [b / 1000 for b in sizes], "s--",
                                 color="tab:orange", markersize=3,
                                 label="PNG size (kB, right)",
                                 clip_on=False)  # k = 1's marker sits on 0
    size_ax.set_ylabel("PNG size (kB)", color="tab:orange")
    if input_bytes:
        bottom_lines.append(size_ax.axhline(
            input_bytes / 1000, color="tab:orange", linewidth=1.0, linestyle=":",
            label=f"input file ({input_bytes / 1000:,.0f} kB)"))
    size_ax.set_ylim(bottom=0)
    if min_psnr is not None:
        bottom_lines.append(bottom.axhline(
            min_psnr, color="tab:purple", linewidth=0.8, linestyle=":",
            label=f"--min-psnr {min_psnr:g} dB"))
    marks = [(knee, "tab:red", "--", f"knee (Kneedle): k = {knee}")]
    if chosen is not None:
        where = "" if ks[0] <= chosen <= ks[-1] else " (outside this range)"
        marks.append((chosen, "tab:purple", "-.",
                      f"--min-psnr choice: k = {chosen}{where}"))
    for ax, lines in ((top, top_lines), (bottom, bottom_lines)):
        ax.grid(True, alpha=0.3)
        for at, colour, style, label in marks:
            if at is not None and ks[0] <= at <= ks[-1]:
                line = ax.axvline(at, color=colour, linestyle=style, linewidth=1,
                                  label=label)
                if ax is top:
                    lines.append(line)
    if knee is not None:
        top.plot([knee], [inertias[ks.index(knee)]], "o", color="tab:red",
                 markersize=8, fillstyle="none")
    axes = [top.yaxis, bottom.yaxis, size_ax.yaxis]
    if delta_e is not None:
        de_ax = top.twinx()
        top_lines[1:1] = de_ax.plot(ks, delta_e, "s--", color="tab:brown",
                                    markersize=3, linewidth=1,
                                    label="mean CIEDE2000 (right)")
        de_ax.set_ylabel("mean CIEDE2000\n(about 1 = just noticeable)",
                         color="tab:brown", fontsize=9)
        de_ax.set_ylim(bottom=0)
        top.set_zorder(de_ax.get_zorder() + 1)  # inertia in front of the ΔE line
        top.patch.set_visible(False)
        axes.append(de_ax.yaxis)
    for ax, lines in ((top, top_lines), (bottom, bottom_lines)):
        ax.legend(handles=lines, loc="lower left", bbox_to_anchor=(0.0, 1.01),
                  ncol=2, fontsize=LEGEND_FONT, frameon=False, borderaxespad=0.0,
                  handlelength=2.5)
    ticks = k_ticks(ks)
    if knee is not None and knee not in ticks:  # the knee's k is always labelled
        ticks = sorted([*ticks, knee])
    top.set_xticks(ticks)
    top.tick_params(labelbottom=False)
    for axis in axes:
        _label_ticks(axis)
    if not all(math.isfinite(p) for p in psnrs):
        bottom.annotate("lossless", xy=(ks[shown.index(ceiling)], ceiling),
                        xytext=(4, -10), textcoords="offset points",
                        fontsize=LEGEND_FONT, color="tab:green")
    with _missing_glyphs_quiet():
        fig.tight_layout()
    return fig

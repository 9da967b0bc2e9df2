"""Figures: the contact sheet of a multi-k run and the elbow plot.

Drawn with matplotlib's object API on the Agg canvas (no pyplot, no window,
no global state) and returned as PNG bytes, so the caller can write them
atomically like every other output.
"""

from __future__ import annotations

import contextlib
import io
import math
import warnings
from collections.abc import Sequence

import numpy as np

PANEL_INCHES = 2.4  # width of one contact-sheet panel
# A 4-column sheet is 960 pixels wide.  Photo panels compress poorly: for 8
# panels of American Gothic the sheet is 573 kB (1.05 MB at 3.2-inch panels).
DPI = 100
MAX_COLUMNS = 4
# Tallest panel, as height / width.  A taller image is drawn narrower inside its
# panel; unclamped, a 5000 x 1 strip asked for a 24,000-inch (2.4-million-pixel)
# high figure, and rendering it ran out of time and memory.
MAX_PANEL_ASPECT = 3.0
# Panels are drawn from a subsample with at most this many image pixels per
# panel pixel along each axis: enough for matplotlib's antialiasing, while a
# 24-megapixel photo handed to imshow whole took 1.4 GB of resampling buffers.
OVERSAMPLE = 2


def _figure(width: float, height: float):
    """Make a matplotlib Figure attached to an Agg canvas."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), dpi=DPI)
    FigureCanvasAgg(fig)
    return fig


@contextlib.contextmanager
def _missing_glyphs_quiet():
    """Silence matplotlib's warning for characters its font lacks.

    Titles carry the file name, which may hold CJK or emoji that DejaVu Sans
    does not have: matplotlib draws a box and would otherwise print two
    warning lines per character on stderr.
    """
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=r"Glyph \d+ .*missing from font",
                                category=UserWarning)
        yield


def _png_bytes(fig) -> bytes:
    """Lay out and render ``fig``; encode it as an RGB PNG (the figure is opaque)."""
    from PIL import Image

    canvas = fig.canvas
    with _missing_glyphs_quiet():
        fig.tight_layout()
        canvas.draw()
    rgba = np.asarray(canvas.buffer_rgba())  # (height, width, 4)
    buf = io.BytesIO()
    # RGB, not matplotlib's RGBA: the alpha is 255 everywhere and costs ~10%.
    # zlib level 6, not 9: the figures are previews, and on the 7-k sheet of
    # american_gothic optimize=True took 0.28 s against 0.11 s, for 1 % fewer bytes.
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
        grey = np.repeat(image[:, :, :1], 3, axis=2)
        ax.imshow(np.concatenate([grey, image[:, :, 1:]], axis=2))
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
    return _png_bytes(fig)


def elbow_plot(
    ks: Sequence[int],
    inertias: Sequence[float],
    *,
    knee: int | None,
    title: str,
    delta_e: Sequence[float] | None = None,
    space: str = "rgb",
) -> bytes:
    """Inertia against k, the knee marked (or "no clear knee" written).

    Parameters
    ----------
    ks : sequence of int
        Values of k, increasing.
    inertias : sequence of float
        Inertia for each k (pixels scaled to [0, 1]).
    knee : int or None
        The suggested k, or None if there is no clear knee.
    title : str
        Figure title; names the image.
    delta_e : sequence of float, optional
        Mean CIEDE2000 for each k, drawn against a second axis on the right.
    space : {"rgb", "oklab"}, default="rgb"
        Fitting space, for the inertia axis's units.

    Returns
    -------
    png : bytes
    """
    from matplotlib.ticker import MaxNLocator, StrMethodFormatter

    fig = _figure(6.4, 4.2)
    ax = fig.add_subplot(1, 1, 1)
    ax.plot(ks, inertias, "o-", color="tab:blue", markersize=4, label="inertia")
    ax.set_xlabel("k (number of colours)")
    units = "pixels in [0, 1]" if space == "rgb" else "weighted OKLab"
    ax.set_ylabel(f"inertia (sum of squared distances, {units})")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.yaxis.set_major_formatter(StrMethodFormatter("{x:,.0f}"))
    ax.set_title(title, fontsize=10)
    ax.grid(True, alpha=0.3)
    if knee is not None:
        y = inertias[list(ks).index(knee)]
        ax.axvline(knee, color="tab:red", linestyle="--", linewidth=1)
        ax.plot([knee], [y], "o", color="tab:red", markersize=8, fillstyle="none")
        ax.annotate(f"knee (Kneedle): k = {knee}", xy=(knee, y),
                    xytext=(12, 24), textcoords="offset points", color="tab:red")
    else:
        ax.text(0.97, 0.95, "no clear knee", transform=ax.transAxes,
                ha="right", va="top", color="tab:red")
    if delta_e is not None:
        ax2 = ax.twinx()
        ax2.plot(ks, delta_e, "s--", color="tab:green", markersize=3,
                 linewidth=1, label="mean ΔE2000")
        ax2.set_ylabel("mean CIEDE2000 (about 1 = just noticeable)",
                       color="tab:green")
        ax2.tick_params(axis="y", colors="tab:green")
        ax2.set_ylim(bottom=0)
    return _png_bytes(fig)

"""The notebook display of a :class:`~compress.quantization.result.QuantizeResult`.

Original and compressed image side by side (downscaled data URIs), the palette
as swatches, and the numbers of the ``repr``.
"""

from __future__ import annotations

import base64
import html
import io

import numpy as np
from PIL import Image

from ..io.png import encode_palette_png, encode_png

DISPLAY_PIXELS = 320  # longest side drawn: ~60 kB of HTML for American Gothic
JPEG_QUALITY = 85  # the original only, as a preview; the compressed image is PNG
MAX_SWATCHES = 256  # every palette entry up to the PNG palette's size


def _thumbnail(pixels: np.ndarray) -> np.ndarray:
    """Every n-th row and column, so the longest side is at most DISPLAY_PIXELS.

    Sampling, not averaging: what is shown has only the file's colours.
    """
    step = max(1, -(-max(pixels.shape[:2]) // DISPLAY_PIXELS))  # ceil
    return np.ascontiguousarray(pixels[::step, ::step])  # (h, w[, C])


def _data_uri(pixels: np.ndarray, palette: np.ndarray | None = None) -> str:
    """Return a data URI of a downscaled image: JPEG when opaque, else PNG.

    With ``palette``, ``pixels`` is an (H, W) index map: a palette PNG.
    """
    small = _thumbnail(pixels)
    if palette is not None and palette.shape[0] <= MAX_SWATCHES:
        kind, data = "png", encode_palette_png(small, palette)
    elif palette is not None:
        kind, data = "png", encode_png(palette[small])
    elif small.shape[2] in (1, 3):  # a photo: JPEG is ~5x smaller than PNG here
        buf = io.BytesIO()
        Image.fromarray(small[:, :, 0] if small.shape[2] == 1 else small).save(
            buf, format="JPEG", quality=JPEG_QUALITY)
        kind, data = "jpeg", buf.getvalue()
    else:
        kind, data = "png", encode_png(small)
    return f"data:image/{kind};base64,{base64.b64encode(data).decode('ascii')}"


def _img(uri: str, caption: str) -> str:
    """Return a captioned <img> of a data URI."""
    return (f'<figure style="margin:0 8px 0 0"><img src="{uri}" '
            f'style="image-rendering:pixelated;max-width:{DISPLAY_PIXELS}px"'
            f' alt="{html.escape(caption)}"/><figcaption style="font-size:90%">'
            f"{html.escape(caption)}</figcaption></figure>")


def _swatch(entry: np.ndarray) -> str:
    """One palette entry as a small coloured square, its value as the tooltip."""
    values = tuple(int(v) for v in entry)
    r, g, b = values[:1] * 3 if len(values) < 3 else values[:3]  # grey: r = g = b
    colour = (f"rgba({r},{g},{b},{values[-1] / 255:.3g})" if len(values) in (2, 4)
              else f"rgb({r},{g},{b})")
    return (f'<span title="{values}" style="display:'
            f'inline-block;width:14px;height:14px;background:{colour};'
            f'border:1px solid #888;margin:1px"></span>')


def result_html(result) -> str:
    """HTML showing a ``QuantizeResult``: both images, the palette, the numbers."""
    height, width = result.index_map.shape
    swatches = "".join(_swatch(entry) for entry in result.palette[:MAX_SWATCHES])
    rows = [
        ("k", f"{result.k}"),
        ("size", f"{width} x {height}, {result.original.shape[2]} channel(s)"),
        ("colours", f"{result.n_colors_in:,} → {result.n_colors_out:,}"),
        ("PSNR", f"{result.psnr:.2f} dB"),
        ("ΔE2000", f"mean {result.delta_e:.2f}, 95th percentile "
                   f"{result.delta_e_p95:.2f}"),
        ("fit", f"{int(result.fit.n_iter)} iterations, {result.fit_seconds:.2f} s, "
                f"space {result.space}{', dithered' if result.dithered else ''}"),
    ]
    table = "".join(f"<tr><th style='text-align:left'>{name}</th><td>{value}</td></tr>"
                    for name, value in rows)
    return (f'<div><div style="display:flex;align-items:flex-start">'
            f'{_img(_data_uri(result.original), "original")}'
            f'{_img(_data_uri(result.index_map, result.palette), f"k = {result.k}")}'
            "</div>"
            f'<div style="max-width:{2 * DISPLAY_PIXELS}px">{swatches}</div>'
            f"<table>{table}</table></div>")

"""Crops of smooth regions from every method, side by side in one picture.

Skies and plain backdrops show what metrics average away: bands (too few
colours, no dithering), specks (a pixel flipped to a far palette entry),
halos (a ring of wrong colour around a bright or dark object) and hue shifts.
Each crop holds a smooth area and a little of an edge next to it.
"""

from __future__ import annotations

import io

import numpy as np
from PIL import Image, ImageDraw

# image -> (top, left, height, width) at full size
CROPS = {
    "china": (40, 240, 128, 192),  # sky, and the pagoda roof's right end
    "astronaut": (0, 290, 128, 192),  # mottled backdrop, the shuttle's top
    "grace_hopper": (10, 320, 128, 192),  # blue backdrop, the cap's edge
}
ZOOM = 2  # enlarged by pixel repetition (no smoothing hides the dither)
COLUMNS = 2
LABEL_HEIGHT = 16


def crop_sheet(name: str, panels: list[tuple[str, np.ndarray]],
               shrink: int = 1) -> bytes:
    """One PNG with the crop ``CROPS[name]`` of every (label, image) panel.

    ``shrink`` divides the crop box, for images subsampled by that factor.
    """
    top, left, height, width = (v // shrink for v in CROPS[name])
    cell_w, cell_h = width * ZOOM, height * ZOOM + LABEL_HEIGHT
    rows = -(-len(panels) // COLUMNS)
    sheet = Image.new("RGB", (cell_w * COLUMNS, cell_h * rows), "white")
    draw = ImageDraw.Draw(sheet)
    for i, (label, pixels) in enumerate(panels):
        crop = pixels[top:top + height, left:left + width]
        crop = np.repeat(np.repeat(crop, ZOOM, axis=0), ZOOM, axis=1)
        x, y = (i % COLUMNS) * cell_w, (i // COLUMNS) * cell_h
        sheet.paste(Image.fromarray(np.ascontiguousarray(crop)),
                    (x, y + LABEL_HEIGHT))
        draw.text((x + 4, y + 2), label, fill="black")
    buf = io.BytesIO()
    sheet.save(buf, format="PNG", optimize=True)
    return buf.getvalue()

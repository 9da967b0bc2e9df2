"""compress: colour quantization of images with exact k-means.

``python -m compress photo.jpg 16`` writes ``photo-k16.png``, a palette PNG
of 16 colours chosen by k-means (:mod:`kmeans_core`).  The library's names
(``_EXPORTS`` below; :func:`quantize` first) are imported on first use
(PEP 562), so ``import compress`` and the command line start cheaply.
"""

from __future__ import annotations

import importlib

__version__ = "0.2.0"

# public name -> submodule that defines it
_EXPORTS = {
    "CompressError": "errors",
    "UsageError": "errors",
    "LoadedImage": "io.read",
    "decode_image": "io.read",
    "load_image": "io.read",
    "encode_palette_png": "io.png",
    "encode_png": "io.png",
    "png_bit_depth": "io.png",
    "write_atomically": "io.commit",
    "fetch_url": "io.fetch",
    "color_histogram": "quantization.histogram",
    "find_knee": "quantization.knee",
    "mse": "quantization.metrics",
    "psnr": "quantization.metrics",
    "QuantizeResult": "quantization.result",
    "elbow": "commands.elbow",
    "Elbow": "commands.elbow",
    "count_colors": "quantization.quantizer",
    "inertia_curve": "quantization.quantizer",
    "quantize": "quantization.quantizer",
    "quantize_each": "quantization.quantizer",
    "smallest_k_for_psnr": "quantization.choose",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str):
    """Import a public name from its submodule on first use."""
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'compress' has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_EXPORTS])

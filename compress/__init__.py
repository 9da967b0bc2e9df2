"""compress: colour quantization of images with exact k-means.

``python -m compress photo.jpg 16`` writes ``photo-k16.png``, a palette PNG
of 16 colours chosen by k-means (:mod:`kmeans_core`).  The library's names
(``_MODULES`` below) are imported on first use
(PEP 562), so ``import compress`` and the command line start cheaply.
"""

from __future__ import annotations

import importlib

__version__ = "0.2.0"

# submodule -> the public names it defines
_MODULES = {
    "errors": ("CompressError", "UsageError"),
    "io.read": ("LoadedImage", "decode_image", "load_image"),
    "io.png": ("encode_palette_png", "encode_png", "png_bit_depth"),
    "io.commit": ("write_atomically",),
    "io.fetch": ("fetch_url",),
    "quantization.histogram": ("color_histogram",),
    "quantization.knee": ("find_knee",),
    "quantization.metrics": ("mse", "psnr"),
    "quantization.result": ("QuantizeResult",),
    "commands.elbow": ("elbow", "Elbow"),
    "quantization.quantizer": ("count_colors", "inertia_curve", "quantize",
                               "quantize_each"),
    "quantization.choose": ("smallest_k_for_psnr",),
}
_EXPORTS = {name: module for module, names in _MODULES.items() for name in names}

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

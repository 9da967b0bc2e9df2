"""compress: colour quantization of images with exact k-means.

``python -m compress photo.jpg 16`` writes ``photo-k16.png``, a palette PNG
with 16 colours chosen by k-means (:mod:`kmeans_core`), and reports its size
and quality.  The library behind the command line:

* :func:`quantize` - an image reduced to k colours (palette + index map);
* :func:`quantize_each` - the same for several k, sharing one histogram;
* :func:`count_colors` - the true number of distinct colours of an image;
* :func:`color_histogram` - distinct colours, their counts, the inverse index;
* :func:`load_image`, :func:`decode_image`, :func:`fetch_url`,
  :func:`encode_palette_png`, :func:`encode_png`, :func:`write_atomically` -
  reading and writing;
* :func:`mse`, :func:`psnr` - quality against the original;
* :func:`find_knee` - the knee of an elbow curve (Kneedle);
* :func:`smallest_k_for_psnr` - the fewest colours that reach a PSNR.

Names are imported on first use (PEP 562), so that ``import compress`` and
the command line's start-up stay cheap until NumPy or Numba is needed.
"""

from __future__ import annotations

import importlib
import sys
import types

__version__ = "0.2.0"

# public name -> submodule that defines it
_EXPORTS = {
    "CompressError": "errors",
    "UsageError": "errors",
    "color_histogram": "histogram",
    "LoadedImage": "io",
    "decode_image": "io",
    "encode_palette_png": "io",
    "encode_png": "io",
    "load_image": "io",
    "png_bit_depth": "io",
    "write_atomically": "commit",
    "fetch_url": "fetch",
    "find_knee": "knee",
    "mse": "metrics",
    "psnr": "metrics",
    "QuantizeResult": "quantize",
    "count_colors": "quantize",
    "inertia_curve": "quantize",
    "quantize": "quantize",
    "quantize_each": "quantize",
    "smallest_k_for_psnr": "choose",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str):
    """Import a public name from its submodule on first use."""
    if name == "_quantize_function":  # see _Package
        return importlib.import_module(".quantize", __name__).quantize
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'compress' has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    if name != "quantize":
        globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_EXPORTS])


class _Package(types.ModuleType):
    """Module type of the package: keeps ``compress.quantize`` the function.

    Importing the submodule ``compress.quantize`` makes the import system set
    the package attribute ``quantize`` to that module, which would hide the
    function of the same name (an eager ``from .quantize import quantize``
    used to rebind it).  The property returns the function and ignores that
    assignment; ``from compress.quantize import ...`` is unaffected.
    """

    @property
    def quantize(self):
        """The function :func:`compress.quantize.quantize`."""
        return __getattr__("_quantize_function")

    @quantize.setter
    def quantize(self, value) -> None:
        pass  # the import system binding the submodule: keep the function


sys.modules[__name__].__class__ = _Package

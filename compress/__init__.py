"""compress: colour quantization of images with exact k-means.

``python -m compress photo.jpg 16`` writes ``photo-k16.png``, a palette PNG
with 16 colours chosen by k-means (:mod:`kmeans_core`), and reports its size
and quality.  The library behind the command line:

* :func:`quantize` - an image reduced to k colours (palette + index map);
* :func:`count_colors` - the true number of distinct colours of an image;
* :func:`color_histogram` - distinct colours, their counts, the inverse index;
* :func:`load_image`, :func:`encode_palette_png`, :func:`encode_png`,
  :func:`write_atomically` - reading and writing files;
* :func:`mse`, :func:`psnr` - quality against the original;
* :func:`find_knee` - the knee of an elbow curve (Kneedle).
"""

import sys

# ``python -m compress`` imports this package (NumPy, Pillow: ~0.2 s) before
# running ``__main__``, with ``sys.argv[0] == "-m"`` meanwhile (as documented
# for ``-m``).  A Ctrl-C in that window then gets the command line's one line
# and exit code 130, not a traceback; imported as a library, it propagates.
try:
    from .errors import CompressError, UsageError
    from .histogram import color_histogram
    from .io import (
        LoadedImage,
        encode_palette_png,
        encode_png,
        load_image,
        png_bit_depth,
        write_atomically,
    )
    from .knee import find_knee
    from .metrics import mse, psnr
    from .quantize import QuantizeResult, count_colors, inertia_curve, quantize
except KeyboardInterrupt:
    if sys.argv[:1] != ["-m"]:
        raise
    print("compress: interrupted.", file=sys.stderr)
    raise SystemExit(130) from None

__all__ = [
    "CompressError",
    "LoadedImage",
    "QuantizeResult",
    "UsageError",
    "color_histogram",
    "count_colors",
    "encode_palette_png",
    "encode_png",
    "find_knee",
    "inertia_curve",
    "load_image",
    "mse",
    "png_bit_depth",
    "psnr",
    "quantize",
    "write_atomically",
]

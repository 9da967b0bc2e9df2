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

import signal
import sys
import threading


# ``python -m compress`` imports this package (NumPy, Pillow: ~0.2 s), then
# compiles and runs ``__main__``.  A Ctrl-C in that window would interrupt
# NumPy's C extensions half-loaded, or runpy, and print a traceback; so for
# the command line (and only then) Ctrl-C is deferred until ``__main__`` has
# finished its imports and calls :func:`_end_start_up`, which exits with one
# line and code 130 if one came.
def _started_as_cli() -> bool:
    """Tell whether ``python -m compress`` is importing us (in the main thread)."""
    if (sys.argv[:1] != ["-m"]
            or threading.current_thread() is not threading.main_thread()):
        return False
    args = sys.orig_argv
    target = next((args[i + 1] if a == "-m" and i + 1 < len(args) else a[2:]
                   for i, a in enumerate(args) if a.startswith("-m")), "")
    return target in ("compress", "compress.__main__")


RUNNING_AS_CLI = _started_as_cli()  # this process is python -m compress
_deferred: list[int] = []  # SIGINTs received during start-up
_restore: list = []  # the SIGINT handler to put back, while deferring
if (RUNNING_AS_CLI
        and signal.getsignal(signal.SIGINT) is signal.default_int_handler):
    # (an inherited "ignore", as under nohup, is left alone)
    _restore.append(signal.signal(signal.SIGINT,
                                  lambda sig, frame: _deferred.append(sig)))


def _end_start_up() -> None:
    """Restore Ctrl-C after start-up; honour one that came meanwhile."""
    while _restore:
        signal.signal(signal.SIGINT, _restore.pop())
    if _deferred:
        print("python -m compress: interrupted.", file=sys.stderr)
        raise SystemExit(130)


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
except BaseException:
    _end_start_up()
    raise

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

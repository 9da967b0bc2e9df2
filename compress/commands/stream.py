"""Images larger than memory: quantize a TIFF or Zarr image band by band.

``python -m compress huge.tif 64`` streams when the image has more than
``STREAM_ABOVE_PIXELS`` pixels (or with ``--scheduler``): the image is never
held whole, only a few bands of rows at a time.

1. **Histogram** as a reduction over bands: each band's distinct colours and
   counts (:func:`compress.quantization.histogram.color_histogram`), added into one
   table on the caller (a dense ``2^(8C)`` count table for up to 3 channels, 128 MiB for
   RGB, one for the whole image; sorted-key merges for RGBA).  No per-band
   dense tables.
2. **Fit** on the merged weighted histogram (at most 16.7 M colours for RGB)
   with the in-memory engine: the same call as :func:`compress.quantize`
   makes, so the palette is the same.
3. **Labels** per band: the palette slot of every pixel through a lookup table
   of colour keys (the squared error for the PSNR comes from the histogram).
4. **Output**: the rows go, in order, to
:class:`compress.io.png_stream.PalettePNGStream`.

For an image whose in-memory run fits the histogram (fewer than half of its
pixels have a colour of their own: photos), the streamed PNG is byte-identical
to the in-memory one (tested).  Bands run on local threads, or as tasks on a
Dask cluster (``scheduler``) whose workers read the same file.
"""

from __future__ import annotations

import functools
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

import numpy as np

from ..errors import CompressError, UsageError
from ..io.png import png_bit_depth
from ..io.png_stream import PalettePNGStream
from ..io.read import DEFAULT_MAX_PIXELS
from ..quantization.colour import from_fit, to_fit
from ..quantization.histogram import color_histogram, pack_colors, unpack_colors
from ..quantization.metrics import psnr_from_mse
from ..quantization.quantizer import luminance_order
from . import report
from .workers import connect, usable_cores

# Stream TIFF/Zarr images above this many pixels: the largest image the
# in-memory path accepts by default (its --max-pixels), about 89.5 megapixels.
STREAM_ABOVE_PIXELS = DEFAULT_MAX_PIXELS
# Pixels per band: 8 M pixels is 24 MiB of RGB, ~100 MiB with the band's
# temporaries (keys, slots, the histogram's inverse index).
BAND_PIXELS = 8 * 1024 * 1024
DENSE_MAX_BITS = 24  # up to 3 channels: one dense count table on the caller
STREAM_SUFFIXES = (".tif", ".tiff", ".zarr")


# -- reading bands -----------------------------------------------------------------
@functools.lru_cache(maxsize=4)
def _open(path: str):
    """Open the image as a lazily read array (zarr), once per process."""
    import zarr

    if path.lower().endswith(".zarr"):
        array = zarr.open(path, mode="r")
    else:
        import tifffile

        array = zarr.open(tifffile.imread(path, aszarr=True), mode="r")
    if isinstance(array, zarr.Group):  # a pyramid: level 0 is full resolution
        array = array["0"]
    return array


def read_rows(path: str, y0: int, y1: int) -> np.ndarray:
    """Rows ``y0:y1`` of the image as ``(h, width, channels)`` uint8."""
    rows = np.asarray(_open(path)[y0:y1])
    return rows[:, :, None] if rows.ndim == 2 else rows


@dataclass(frozen=True)
class Source:
    """A TIFF or Zarr image read in bands of ``band_rows`` rows."""

    path: str
    height: int
    width: int
    channels: int
    band_rows: int

    @classmethod
    def open(cls, path: Path, band_pixels: int = BAND_PIXELS) -> Source:
        """Check the image's header (no pixels read) and choose the bands."""
        try:
            array = _open(str(path))
        except ImportError:
            raise CompressError("streaming large images needs tifffile and zarr: "
                                "pip install -e '.[dask]'.") from None
        except Exception as e:
            raise CompressError(f"cannot read {path} as a TIFF or Zarr image: "
                                f"{e}") from None
        shape = array.shape
        if array.dtype != np.uint8 or not (
                len(shape) == 2 or (len(shape) == 3 and 1 <= shape[2] <= 4)):
            raise CompressError(f"{path}: streaming reads 8-bit images of shape "
                                f"(H, W) or (H, W, 1..4), got {array.dtype} "
                                f"{shape}.")
        height, width = int(shape[0]), int(shape[1])
        chunk_rows = int(array.chunks[0])  # TIFF strips/tiles: whole ones per band
        rows = max(1, band_pixels // max(width, 1))
        rows = max(chunk_rows, rows // chunk_rows * chunk_rows)
        channels = 1 if len(shape) == 2 else int(shape[2])
        return cls(str(path), height, width, channels, rows)

    @property
    def bands(self) -> list[tuple[int, int]]:
        """Row ranges ``[y0, y1)`` of the bands, top to bottom."""
        return [(y, min(y + self.band_rows, self.height))
                for y in range(0, self.height, self.band_rows)]

    @property
    def n_pixels(self) -> int:
        """Pixels of the image."""
        return self.height * self.width


def should_stream(req) -> bool:
    """Tell whether ``req``'s image is a TIFF/Zarr to stream (big, or a cluster)."""
    path = Path(req.source)
    if path.suffix.lower() not in STREAM_SUFFIXES or not path.exists():
        return False
    if req.scheduler is not None:
        return True
    try:
        shape = _open(str(path)).shape
    except Exception:
        return False  # the in-memory path reports what is wrong with it
    return int(shape[0]) * int(shape[1]) > req.stream_above


# -- running band tasks in order, locally or on a cluster ---------------------------
class Runner:
    """Ordered map over bands with a bounded number of bands in flight."""

    def __init__(self, scheduler: str | None = None, threads: int | None = None):
        self.client = None
        if scheduler is not None:
            self.client = connect(scheduler)
            self.workers = max(1, sum(self.client.nthreads().values()))
        else:
            self.workers = threads or usable_cores()
        self.window = 2 * self.workers  # bands in flight: bounds the memory

    def share(self, value):
        """Make ``value`` available to every task (sent once per worker)."""
        if self.client is None:
            return value
        return self.client.scatter(value, broadcast=True)

    def map(self, fn: Callable, items: Sequence[tuple], *shared) -> Iterator:
        """``fn(*item, *shared)`` for every item, results in item order."""
        if self.client is not None:
            submit = functools.partial(self.client.submit, pure=False)
        else:
            from concurrent.futures import ThreadPoolExecutor

            pool = ThreadPoolExecutor(self.workers)
            submit = pool.submit
        pending = []
        try:
            for item in items:
                pending.append(submit(fn, *item, *shared))
                if len(pending) >= self.window:
                    yield pending.pop(0).result()
            while pending:
                yield pending.pop(0).result()
        finally:
            for f in pending:
                f.cancel()
            if self.client is None:
                pool.shutdown(wait=True)

    def close(self) -> None:
        """Disconnect from the cluster, if any."""
        if self.client is not None:
            self.client.close()


# -- the three passes ------------------------------------------------------------
def band_histogram(path: str, y0: int, y1: int) -> tuple[np.ndarray, np.ndarray]:
    """Distinct colour keys of one band (sorted) and their pixel counts."""
    rows = read_rows(path, y0, y1)
    colors, counts, _ = color_histogram(rows.reshape(-1, rows.shape[2]))
    return pack_colors(colors), counts


def image_histogram(src: Source, runner: Runner) -> tuple[np.ndarray, np.ndarray]:
    """Count the exact colour histogram: colours sorted as in memory, counts."""
    bits = 8 * src.channels
    if bits <= DENSE_MAX_BITS:
        table = np.zeros(1 << bits, dtype=np.int64)  # one table, on the caller
        for keys, counts in runner.map(band_histogram, _band_args(src)):
            table[keys] += counts  # keys are distinct within a band
        keys = np.flatnonzero(table).astype(np.uint32)
        counts = table[keys]
    else:
        keys, counts = np.zeros(0, np.uint32), np.zeros(0, np.int64)
        for band_keys, band_counts in runner.map(band_histogram, _band_args(src)):
            keys, inverse = np.unique(np.concatenate([keys, band_keys]),
                                      return_inverse=True)
            counts = np.bincount(inverse, np.concatenate([counts, band_counts]),
                                 minlength=keys.size).astype(np.int64)
    return unpack_colors(keys, src.channels), counts


def band_indices(path: str, y0: int, y1: int, keys: np.ndarray | None,
                 slots: np.ndarray) -> np.ndarray:
    """Palette index of every pixel of a band, ``(h, width)`` uint8.

    With ``keys`` None, ``slots`` is a lookup table indexed by the colour key;
    otherwise ``slots[i]`` is the slot of colour key ``keys[i]`` (sorted).
    """
    rows = read_rows(path, y0, y1)  # (h, width, C)
    packed = pack_colors(rows.reshape(-1, rows.shape[2]))  # (h * width,)
    index = slots[packed] if keys is None else slots[np.searchsorted(keys, packed)]
    return index.reshape(rows.shape[:2])


def squared_error(colors: np.ndarray, counts: np.ndarray, palette: np.ndarray,
                  slots: np.ndarray) -> int:
    """``sum_pixels ||x - palette[slot(x)]||^2`` from the histogram, exactly.

    Every pixel of colour ``u`` gets the same entry, so the sum over pixels is
    ``sum_u n_u ||u - p(u)||^2`` over the distinct colours: no pass over pixels.
    """
    diff = colors.astype(np.int64) - palette[slots].astype(np.int64)  # (n_colors, C)
    return int(np.dot(counts, (diff * diff).sum(axis=1)))


def _band_args(src: Source) -> list[tuple]:
    return [(src.path, y0, y1) for y0, y1 in src.bands]


@dataclass
class _Fit:
    palette: np.ndarray  # (n_out, C) uint8, luminance order
    slot_of_color: np.ndarray  # (n_colors,) uint8 palette slot of every colour
    inertia: float
    n_iter: int
    converged: bool
    seconds: float
    exact: bool


def fit_histogram(colors: np.ndarray, counts: np.ndarray, k: int, fit_opts) -> _Fit:
    """Fit as :func:`compress.quantize` does on a histogram; return the palette."""
    from kmeans_core import kmeans

    start = time.perf_counter()
    X = to_fit(colors, "rgb")  # (n_colors, C), exercise units, as in memory
    if k >= colors.shape[0]:  # every colour kept
        centers, labels = colors, np.arange(colors.shape[0])
        inertia, n_iter, converged = 0.0, 0, True
    else:
        fit = kmeans(X, int(k), sample_weight=counts, n_init=fit_opts.n_init,
                     max_iter=fit_opts.max_iter, tol=1e-4,
                     random_state=fit_opts.seed, algorithm="auto")
        centers, labels = from_fit(fit.centers, "rgb"), fit.labels  # (k, C) uint8
        inertia, n_iter, converged = fit.inertia, fit.n_iter, fit.converged
    order = luminance_order(centers)  # palette slot -> fit cluster
    rank = np.empty_like(order)
    rank[order] = np.arange(order.size)  # fit cluster -> palette slot
    palette = centers[order]
    slots = rank.astype(np.uint8)[labels]  # (n_colors,)
    return _Fit(palette, slots, float(inertia), int(n_iter), bool(converged),
                time.perf_counter() - start, k >= colors.shape[0])


def quantize_stream(src: Source, ks: Sequence[int], targets: dict[int, Path],
                    fit_opts, runner: Runner) -> tuple[int, list[report.Row]]:
    """Histogram once, then per k: fit, label the bands, stream the PNG."""
    colors, counts = image_histogram(src, runner)
    n_colors = colors.shape[0]
    keys = pack_colors(colors)  # (n_colors,) sorted
    input_bytes = _input_bytes(Path(src.path))
    rows = []
    for k in ks:
        fit = fit_histogram(colors, counts, k, fit_opts)
        if 8 * src.channels <= DENSE_MAX_BITS:
            lut = np.zeros(1 << (8 * src.channels), dtype=np.uint8)
            lut[keys] = fit.slot_of_color  # colour key -> palette slot
            shared = runner.share((None, lut))
        else:
            shared = runner.share((keys, fit.slot_of_color))
        with PalettePNGStream(targets[k], src.width, src.height, fit.palette) as png:
            for index in runner.map(_band_indices_packed, _band_args(src), shared):
                png.write(index)
        sse = squared_error(colors, counts, fit.palette, fit.slot_of_color)
        error = sse / (src.n_pixels * src.channels)
        n_out = fit.palette.shape[0]
        rows.append(report.Row(
            k=k, colors_in=n_colors, colors_out=n_out,
            bits_per_pixel=png_bit_depth(n_out), output=str(targets[k]),
            output_format="palette", input_bytes=input_bytes,
            output_bytes=targets[k].stat().st_size,
            raw_bytes=src.n_pixels * src.channels, mse=error,
            psnr_db=psnr_from_mse(error), inertia=fit.inertia, n_iter=fit.n_iter,
            converged=fit.converged, fit_seconds=fit.seconds, exact=fit.exact))
    return n_colors, rows


def _band_indices_packed(path, y0, y1, shared):
    keys, slots = shared
    return band_indices(path, y0, y1, keys, slots)


def _input_bytes(path: Path) -> int:
    if path.is_dir():  # a Zarr directory: all its files
        return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())
    return path.stat().st_size


# -- the command ---------------------------------------------------------------------
def compress_stream(req, *, band_pixels: int = BAND_PIXELS,
                    out: TextIO | None = None) -> list[report.Row]:
    """``python -m compress huge.tif K...`` in bounded memory (see the module doc).

    Parameters
    ----------
    req : compress.commands.request.Request
        The request: ``req.source`` a TIFF file or a Zarr directory, 8-bit,
        ``(H, W)`` or ``(H, W, C)``; ``req.scheduler`` a Dask scheduler
        address (its workers must see the file) or None for local threads.
        Palette output only (k <= 256, no ``--rgb``), and no contact sheet,
        elbow plot or ``--min-psnr`` (they need the whole image).
    band_pixels : int
        Pixels per band.
    out : file, optional
        Where the report goes (stdout).

    Returns
    -------
    rows : list of report.Row
    """
    from ..io.fetch import Source as Input
    from .request import check_request, check_targets, output_dir

    out = out if out is not None else sys.stdout
    input_path = Path(req.source)
    check_request(req)
    if req.min_psnr is not None or req.elbow or req.sheet is not None:
        raise UsageError("--min-psnr, --elbow and --sheet need the whole image in "
                         "memory; they are not available when streaming.")
    if req.optimize:
        raise UsageError("--optimize recompresses the whole file in memory; it is "
                         "not available when streaming.")
    if getattr(req, "space", "rgb") != "rgb" or getattr(req, "dither", False):
        raise UsageError("streaming fits RGB without dithering: drop --space and "
                         "--dither for images this large.")
    ks = sorted(set(req.ks))
    if req.output_format == "rgb" or ks[-1] > 256:
        raise UsageError("streamed images are written as palette PNGs: use k <= "
                         "256 and no --rgb.")
    src = Source.open(input_path, band_pixels)
    directory = output_dir(req.out_dir if req.out_dir is not None
                           else req.default_dir or input_path.parent)
    stem = input_path.name.split(".")[0] if input_path.is_dir() else input_path.stem
    targets = {k: directory / f"{stem}-k{k}.png" for k in ks}
    if req.output is not None:
        targets = {ks[0]: req.output}
    check_targets(list(targets.values()), Input.of(req.source), req.force)
    runner = Runner(req.scheduler)
    try:
        n_colors, rows = quantize_stream(src, ks, targets, req.fit, runner)
    finally:
        runner.close()
    info = {"path": str(input_path), "bytes": rows[0].input_bytes, "width": src.width,
            "height": src.height, "channels": src.channels, "colors": n_colors,
            "raw_bytes": rows[0].raw_bytes, "streamed": True,
            "band_rows": src.band_rows, "workers": runner.workers}
    if req.json:
        print(report.to_json(info, rows), file=out)
    elif len(rows) == 1:
        print(report.format_line(input_path.name, rows[0]), file=out)
    else:
        print(f"{input_path.name}: {src.width} x {src.height}, {n_colors:,} distinct "
              f"colours, streamed in bands of {src.band_rows} rows", file=out)
        print(report.format_table(rows), file=out)
    return rows


"""Images larger than memory: quantize a TIFF or Zarr image band by band.

Design notes: docs/internals.md, ``compress/commands/stream.py``.
"""

from __future__ import annotations

import dataclasses
import functools
import os
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

import numpy as np

from kmeans_core import announce_compiling

from ..errors import CompressError, UsageError
from ..io.commit import commit_staged
from ..io.inputs import Source
from ..io.png import MAX_PALETTE, png_bit_depth
from ..io.png_stream import PalettePNGStream
from ..quantization.colour import to_fit
from ..quantization.dither import DitherBand
from ..quantization.dither import dither as diffuse
from ..quantization.fit_input import FitInput, from_histogram
from ..quantization.histogram import color_histogram, pack_colors, unpack_colors
from ..quantization.metrics import Pairs, pair_counts, psnr_from_mse
from ..quantization.palette import PaletteFit, fit_palette
from . import report
from .request import check_request, plan_outputs
from .workers import Runner

# Pixels per band: 8 M pixels is 24 MiB of RGB, ~100 MiB with the band's
# temporaries (keys, slots, the histogram's inverse index).
BAND_PIXELS = 8 * 1024 * 1024
DENSE_MAX_BITS = 24  # up to 3 channels: one dense count table on the caller
STREAM_SUFFIXES = (".tif", ".tiff", ".zarr")


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
class Bands:
    """A TIFF or Zarr image read in bands of ``band_rows`` rows."""

    path: str
    height: int
    width: int
    channels: int
    band_rows: int

    @classmethod
    def open(cls, path: Path, band_pixels: int = BAND_PIXELS) -> Bands:
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

    def tasks(self, halo: int = 0) -> list[tuple]:
        """Task arguments ``(path, y0, y1)`` of every band, widened by ``halo`` rows."""
        return [(self.path, max(0, y0 - halo), min(self.height, y1 + halo))
                for y0, y1 in self.bands]


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


def band_histogram(path: str, y0: int, y1: int) -> tuple[np.ndarray, np.ndarray]:
    """Distinct colour keys of one band (sorted) and their pixel counts."""
    rows = read_rows(path, y0, y1)
    colors, counts, _ = color_histogram(rows.reshape(-1, rows.shape[2]))
    return pack_colors(colors), counts


def image_histogram(src: Bands, runner: Runner) -> tuple[np.ndarray, np.ndarray]:
    """Count the exact colour histogram: colours sorted as in memory, counts."""
    bits = 8 * src.channels
    if bits <= DENSE_MAX_BITS:
        table = np.zeros(1 << bits, dtype=np.int64)  # one table, on the caller
        for keys, counts in runner.map(band_histogram, src.tasks()):
            table[keys] += counts  # keys are distinct within a band
        keys = np.flatnonzero(table).astype(np.uint32)
        counts = table[keys]
    else:
        keys, counts = np.zeros(0, np.uint32), np.zeros(0, np.int64)
        for band_keys, band_counts in runner.map(band_histogram, src.tasks()):
            keys, inverse = np.unique(np.concatenate([keys, band_keys]),
                                      return_inverse=True)
            counts = np.bincount(inverse, np.concatenate([counts, band_counts]),
                                 minlength=keys.size).astype(np.int64)
    return unpack_colors(keys, src.channels), counts


def band_lookup(path: str, y0: int, y1: int, shared: tuple) -> np.ndarray:
    """Look ``shared`` (:func:`_lookup`) up for every pixel of rows ``y0:y1``."""
    keys, table = shared
    rows = read_rows(path, y0, y1)  # (h, width, C)
    packed = pack_colors(rows.reshape(-1, rows.shape[2]))  # (h * width,)
    found = table[packed] if keys is None else table[np.searchsorted(keys, packed)]
    return found.reshape(rows.shape[:2])


def _lookup(src: Bands, keys: np.ndarray, values: np.ndarray, runner: Runner):
    """Share a colour-key -> value table with the band tasks: ``(keys, table)``.

    ``keys`` None: ``table`` is indexed by the colour key; otherwise
    ``table[i]`` belongs to colour key ``keys[i]`` (sorted).  With the
    histogram rows as values, a band's lookup is its inverse index; with the
    palette entries, its index map.
    """
    if 8 * src.channels <= DENSE_MAX_BITS:
        lut = np.zeros(1 << (8 * src.channels), dtype=values.dtype)
        lut[keys] = values  # colour key -> value
        return runner.share((None, lut))
    return runner.share((keys, values))


def _map_bands(src: Bands, keys: np.ndarray, fitted: PaletteFit, prepared: FitInput,
               runner: Runner, png: PalettePNGStream, dither: bool) -> Pairs:
    """Write every band's palette indices to ``png``; return the output's pairs.

    Undithered, the pairs are the histogram; dithered bands go in order on
    this thread, each with a halo row and the error passed down from above.
    """
    if not dither or fitted.exact:
        shared = _lookup(src, keys, fitted.slots, runner)
        for index in runner.map(band_lookup, src.tasks(), shared):
            png.write(index)
        return Pairs(prepared.colors, fitted.slots, prepared.weights)
    rows_of = np.arange(keys.size, dtype=np.int32 if keys.size < 2**31 else np.int64)
    shared = _lookup(src, keys, rows_of, runner)
    band = DitherBand.whole(src.width, prepared.X.shape[1])
    parts = []  # the pairs of each band, colours as row numbers
    n_out = fitted.palette.shape[0]
    X_palette = to_fit(fitted.palette, prepared.space)
    for (y0, y1), inverse in zip(src.bands, runner.map(band_lookup, src.tasks(1),
                                                       shared), strict=True):
        band.y_start, band.above = y0, min(y0, 1)
        band.below = min(src.height - y1, 1)
        index = diffuse(prepared.X, inverse.reshape(-1), inverse.shape, X_palette,
                        mean_sq_error=fitted.mean_sq_error, nearest=fitted.slots,
                        band=band).astype(fitted.slots.dtype)  # (h, width)
        png.write(index)
        inner = inverse[band.above: inverse.shape[0] - band.below]
        parts.append(pair_counts(rows_of, inner, index, n_out))
    return pair_counts(prepared.colors, np.concatenate([p.colors for p in parts]),
                       np.concatenate([p.entries for p in parts]), n_out,
                       np.concatenate([p.counts for p in parts]))  # merged


def quantize_stream(src: Bands, ks: Sequence[int], targets: dict[int, Path],
                    fit_opts, runner: Runner, *, force: bool) -> list[report.Row]:
    """Histogram once, then per k: fit, map the bands, stream the PNG; commit all."""
    colors, counts = image_histogram(src, runner)
    prepared = from_histogram(colors, counts, fit_opts.space)
    keys = pack_colors(colors)  # (n_colors,) sorted
    input_bytes = _input_bytes(Path(src.path))
    rows, staged = [], {}
    try:
        for k in ks:
            fitted = fit_palette(prepared, k, seed=fit_opts.seed,
                                 n_init=fit_opts.n_init, max_iter=fit_opts.max_iter,
                                 dither=fit_opts.dither)
            with PalettePNGStream(targets[k], src.width, src.height,
                                  fitted.palette) as png:
                pairs = _map_bands(src, keys, fitted, prepared, runner, png,
                                   fit_opts.dither)
                staged[targets[k]] = png.finish()
            error = pairs.mse(fitted.palette)
            de_mean, de_p95 = pairs.delta_e(fitted.palette)
            n_out = fitted.palette.shape[0]
            rows.append(report.Row(
                k=k, colors_in=prepared.n_colors, colors_out=n_out,
                bits_per_pixel=png_bit_depth(n_out), output=str(targets[k]),
                output_format="palette", input_bytes=input_bytes,
                output_bytes=os.stat(staged[targets[k]]).st_size,
                raw_bytes=src.height * src.width * src.channels, mse=error,
                psnr_db=psnr_from_mse(error), inertia=float(fitted.fit.inertia),
                n_iter=int(fitted.fit.n_iter), converged=bool(fitted.fit.converged),
                fit_seconds=fitted.fit_seconds, exact=fitted.exact,
                delta_e_mean=de_mean, delta_e_p95=de_p95, space=fit_opts.space,
                dithered=bool(fit_opts.dither and not fitted.exact)))
    except BaseException:
        for tmp in staged.values():
            os.unlink(tmp)
        raise
    commit_staged(staged, overwrite=force)
    return rows


def _input_bytes(path: Path) -> int:
    if path.is_dir():  # a Zarr directory: all its files
        return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())
    return path.stat().st_size


def compress_stream(req, *, band_pixels: int | None = None,
                    out: TextIO | None = None) -> list[report.Row]:
    """``python -m compress huge.tif K...`` in bounded memory; one row per k.

    ``req.scheduler``: a Dask scheduler whose workers see the file, or None
    for local threads; ``band_pixels`` defaults to BAND_PIXELS.
    """
    check_request(req)
    if req.min_psnr is not None or req.elbow or req.sheet is not None:
        raise UsageError("--min-psnr, --elbow and --sheet need the whole image in "
                         "memory; they are not available when streaming.")
    if req.optimize:
        raise UsageError("--optimize recompresses the whole file in memory; it is "
                         "not available when streaming.")
    ks = sorted(set(req.ks))
    if req.output_format == "rgb" or ks[-1] > MAX_PALETTE:
        raise UsageError("streamed images are written as palette PNGs: use k <= "
                         f"{MAX_PALETTE} and no --rgb.")
    announce_compiling(not req.quiet)
    src = Bands.open(Path(req.source), band_pixels or BAND_PIXELS)
    source = Source.of(req.source)
    plan = plan_outputs(dataclasses.replace(req, make_sheet=False), source)
    runner = Runner(req.scheduler)
    try:
        rows = quantize_stream(src, ks, plan.pngs, req.fit, runner, force=req.force)
    finally:
        runner.close()
    info = {"path": source.text, "bytes": rows[0].input_bytes, "width": src.width,
            "height": src.height, "channels": src.channels, "colors": rows[0].colors_in,
            "raw_bytes": rows[0].raw_bytes, "streamed": True,
            "band_rows": src.band_rows, "workers": runner.workers}
    header = (f"{source.name}: {src.width} x {src.height}, {rows[0].colors_in:,} "
              f"distinct colours, streamed in bands of {src.band_rows} rows")
    report.print_report(req, source.name, info, header, rows, plan,
                        out=out or sys.stdout, err=sys.stderr)
    return rows

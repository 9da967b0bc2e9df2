"""Palette PNG size against encoding time: what ``--optimize`` should do.

``python -m bench.png_size [--ks 64,256] [--images american_gothic,china,flower]
[--out FILE.md]`` quantizes each image once per k (``compress.quantize``,
defaults) and encodes the same palette and index map many ways, one run each:

* **default**: :func:`compress.io.png.encode_palette_png` (Pillow at zlib
  level 7 for 8-bit palettes);
* **--optimize**: ``QuantizeResult.to_png(optimize=True)``, the rate-aware
  remap (:mod:`compress.quantization.remap`) then oxipng; the remap at other
  PSNR loss bounds, with zopfli inside oxipng, and oxipng without the remap;
* **Pillow level L**: Pillow's writer at zlib levels 1, 3, 6, 9;
* **filter F + deflater**: a plain PNG writer (``compress.io.png_stream`` chunks)
  with every row filtered by one PNG filter (none, Sub, Up, Average, Paeth,
  or Pillow's per-row minimum-sum choice) and deflated by zlib 9 or
  libdeflate 12 (``deflate`` package);
* **palette order O**: the same writer with the palette in luminance
  (today's), fit, frequency or nearest-neighbour-chain order;
* **oxipng L**: ``pyoxipng`` level 1-6 on the default bytes (lossless: the same
  pixels; it reorders the palette and picks filters itself);
* **zopfli**: ``zopfli.png.optimize`` on the default bytes (slow);
* **pngquant --nofs K** on a lossless copy of the image, whole process.

Each row has bytes, ratio to pngquant's bytes, the PSNR of the written
image and seconds.  Every encoding is decoded and checked against the index
map it was written from.  About 5 minutes on a quiet 2-core
machine with every image and both k; the host may be shared, so read the
seconds as ratios within one table.
"""

from __future__ import annotations

import argparse
import io
import shutil
import subprocess
import sys
import tempfile
import time
import zlib
from collections.abc import Callable
from pathlib import Path

import numpy as np
from PIL import Image

from compress import quantize
from compress.io.png import OXIPNG_FILTERS, OXIPNG_LEVEL, encode_palette_png
from compress.io.png_stream import PNG_SIGNATURE, chunk, filter_rows
from compress.quantization.colour import from_fit
from compress.quantization.metrics import psnr
from compress.quantization.palette import luminance_order
from compress.quantization.remap import MAX_PSNR_LOSS_DB, remap_index_map

from . import images

LUMA = np.array([0.299, 0.587, 0.114])


# -- a plain palette PNG writer with a chosen filter and deflater ------------------

def _filtered(raw: np.ndarray, kind: str) -> np.ndarray:
    """Rows of ``raw`` (h, w) uint8 filtered by one PNG filter, type byte first."""
    if kind == "minsum":
        return filter_rows(raw, np.zeros(raw.shape[1], dtype=np.uint8))
    above = np.vstack([np.zeros((1, raw.shape[1]), np.uint8), raw[:-1]])  # b
    left = np.zeros_like(raw)
    left[:, 1:] = raw[:, :-1]  # a
    code = {"none": 0, "sub": 1, "up": 2, "average": 3, "paeth": 4}[kind]
    if kind == "none":
        data = raw
    elif kind == "sub":
        data = raw - left
    elif kind == "up":
        data = raw - above
    elif kind == "average":
        data = raw - ((left.astype(np.uint16) + above) // 2).astype(np.uint8)
    else:
        above_left = np.zeros_like(raw)
        above_left[:, 1:] = above[:, :-1]  # c
        a, b, c = (x.astype(np.int16) for x in (left, above, above_left))
        pa, pb, pc = np.abs(b - c), np.abs(a - c), np.abs(a + b - 2 * c)
        data = raw - np.where((pa <= pb) & (pa <= pc), left,
                              np.where(pb <= pc, above, above_left))
    out = np.empty((raw.shape[0], raw.shape[1] + 1), np.uint8)
    out[:, 0] = code
    out[:, 1:] = data
    return out


def _zlib9(data: bytes) -> bytes:
    return zlib.compress(data, 9)


def _libdeflate(level: int) -> Callable[[bytes], bytes]:
    import deflate

    return lambda data: deflate.zlib_compress(data, level)


def write_png(index_map: np.ndarray, palette: np.ndarray, kind: str,
              deflater: Callable[[bytes], bytes]) -> bytes:
    """An 8-bit palette PNG: IHDR, PLTE, one IDAT, IEND."""
    h, w = index_map.shape
    head = chunk(b"IHDR", np.array([w, h], ">u4").tobytes() + bytes([8, 3, 0, 0, 0]))
    body = deflater(_filtered(np.ascontiguousarray(index_map, np.uint8),
                              kind).tobytes())
    return (PNG_SIGNATURE + head + chunk(b"PLTE", palette.tobytes())
            + chunk(b"IDAT", body) + chunk(b"IEND", b""))


# -- palette orders --------------------------------------------------------------

def _reorder(index_map, palette, order):
    rank = np.empty_like(order)
    rank[order] = np.arange(order.size)
    return rank.astype(np.uint8)[index_map], palette[order]


def _chain_order(palette: np.ndarray) -> np.ndarray:
    """Darkest first, then always the nearest unvisited colour."""
    p = palette.astype(np.float64)
    left = list(range(len(p)))
    order = [int(np.argmin(p @ LUMA))]
    left.remove(order[0])
    while left:
        d = ((p[left] - p[order[-1]]) ** 2).sum(axis=1)
        order.append(left.pop(int(np.argmin(d))))
    return np.array(order)


def orders(result) -> dict[str, np.ndarray]:
    """Permutations of today's (luminance-sorted) palette to try."""
    index_map, palette = result.index_map, result.palette
    counts = np.bincount(index_map.ravel(), minlength=len(palette))
    # fit order: new slot j holds cluster j, which is at rank[j] today
    fit = np.argsort(luminance_order(from_fit(result.fit.centers, result.space)))
    return {"luminance (today)": np.arange(len(palette)),
            "frequency": np.argsort(-counts, kind="stable"),
            "nearest-neighbour chain": _chain_order(palette),
            "fit": fit}


# -- one case --------------------------------------------------------------------

def _timed(fn):
    start = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - start


def _decoded(png: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(png)).convert("RGB"))


def _pillow(index_map, palette, level):
    im = Image.fromarray(index_map)
    im.putpalette(palette.tobytes(), rawmode="RGB")
    buf = io.BytesIO()
    im.save(buf, format="PNG", compress_level=level)
    return buf.getvalue()


def _remapped(result, loss_db: float) -> np.ndarray:
    """The index map remapped with a PSNR loss bound of ``loss_db``."""
    return remap_index_map(result.original, result.palette, result.index_map,
                           result.mse * 10 ** (loss_db / 10), result.mse)


def remap_ways(result) -> list[tuple[str, Callable, Callable]]:
    """(name, encode, index map) of the lossy ways: remap, then oxipng."""
    import oxipng

    ix, pal = result.index_map, result.palette
    ways = [("--optimize: QuantizeResult.to_png(optimize=True) "
             f"(remap <= {MAX_PSNR_LOSS_DB} dB + oxipng)",
             lambda: result.to_png(optimize=True),
             lambda: result.for_smaller_png().index_map)]
    for loss in (0.0, 0.15, 0.2, 0.25):
        ways.append((f"remap <= {loss} dB + oxipng as --optimize",
                     lambda lo=loss: encode_palette_png(_remapped(result, lo), pal,
                                                        optimize=True),
                     lambda lo=loss: _remapped(result, lo)))
    zop = {"level": OXIPNG_LEVEL, "deflate": oxipng.Deflaters.zopfli(15)}
    for name in OXIPNG_FILTERS:
        f = getattr(oxipng.RowFilter, name)
        ways.append((f"remap <= {MAX_PSNR_LOSS_DB} dB + oxipng level {OXIPNG_LEVEL}, "
                     f"filter {name}, zopfli 15",
                     lambda f=f: oxipng.optimize_from_memory(encode_palette_png(
                         result.for_smaller_png().index_map, pal), filter=[f], **zop),
                     lambda: result.for_smaller_png().index_map))
    ways.append(("oxipng as --optimize, no remap", lambda: encode_palette_png(
        ix, pal, optimize=True), lambda: ix))
    return ways


def encodings(result, quick: bool) -> list[tuple[str, Callable[[], bytes]]]:
    """(name, encode) for every lossless way, on ``result``'s palette and indices."""
    import oxipng

    ix, pal = result.index_map, result.palette
    today = encode_palette_png(ix, pal)
    ways = [("default: compress.io.png.encode_palette_png",
             lambda: encode_palette_png(ix, pal))]
    ways += [(f"Pillow level {lv}", lambda lv=lv: _pillow(ix, pal, lv))
             for lv in (1, 3, 6, 9)]
    for kind in ("none", "sub", "up", "average", "paeth", "minsum"):
        ways.append((f"filter {kind} + zlib 9",
                     lambda k=kind: write_png(ix, pal, k, _zlib9)))
        ways.append((f"filter {kind} + libdeflate 12",
                     lambda k=kind: write_png(ix, pal, k, _libdeflate(12))))
    for lv in (6, 9):
        ways.append((f"filter none + libdeflate {lv}",
                     lambda lv=lv: write_png(ix, pal, "none", _libdeflate(lv))))
    for name, order in orders(result).items():
        oix, opal = _reorder(ix, pal, order)
        for kind in ("none", "paeth"):
            ways.append((f"order {name}, filter {kind} + zlib 9",
                         lambda a=oix, b=opal, k=kind: write_png(a, b, k, _zlib9)))
    for lv in range(1, 7 if not quick else 5):
        ways.append((f"oxipng level {lv}",
                     lambda lv=lv: oxipng.optimize_from_memory(today, level=lv)))
    f = oxipng.RowFilter
    for lv, filters in ((3, [f.Entropy]), (4, [f.BigEnt]), (3, [f.NoOp, f.Entropy])):
        names = "+".join(str(x).rsplit(".", 1)[-1] for x in filters)
        ways.append((f"oxipng level {lv}, filters {names}",
                     lambda lv=lv, fs=filters: oxipng.optimize_from_memory(
                         today, level=lv, filter=fs)))
    if not quick:
        import zopfli.png

        ways.append(("zopfli.png.optimize (defaults)",
                     lambda: zopfli.png.optimize(today)))
    return ways


def _pngquant(case, k: int, workdir: Path) -> tuple[int, float, float] | None:
    exe = shutil.which("pngquant")
    if exe is None:
        return None
    out = workdir / f"{case.name}-pq{k}.png"
    start = time.perf_counter()
    subprocess.run([exe, "--nofs", "--force", "--output", str(out), str(k), "--",
                    str(case.png_path())], check=True)
    seconds = time.perf_counter() - start
    return out.stat().st_size, seconds, psnr(case.pixels, _decoded(out.read_bytes()))


def run_case(case, k: int, workdir: Path, quick: bool) -> list[str]:
    """Markdown lines of one (image, k) table."""
    result = quantize(case.pixels, k)
    expected = result.palette[result.index_map]  # (H, W, 3)
    pq = _pngquant(case, k, workdir)
    ours = psnr(case.pixels, expected)
    optimized = result.for_smaller_png().psnr
    lines = [f"### {case.name}, k = {k}", "",
             "| encoding | bytes | x pngquant | PSNR dB | seconds |",
             "|---|---:|---:|---:|---:|"]
    ways = [(name, encode, lambda: result.index_map)
            for name, encode in encodings(result, quick)] + remap_ways(result)
    for name, encode, index_map in ways:
        png, seconds = _timed(encode)
        image = result.palette[index_map()]  # (H, W, 3)
        if not np.array_equal(_decoded(png), image):
            raise AssertionError(f"{name}: the PNG does not decode to the image")
        ratio = f"{len(png) / pq[0]:.3f}" if pq else "-"
        value = psnr(case.pixels, image)
        lines.append(f"| {name} | {len(png):,} | {ratio} | {value:.2f} | "
                     f"{seconds:.3f} |")
        print(lines[-1], file=sys.stderr, flush=True)
    if pq:
        lines.append(f"| `pngquant --nofs {k}` (process) | {pq[0]:,} | 1.000 | "
                     f"{pq[2]:.2f} | {pq[1]:.3f} |")
        lines += ["", f"PSNR: ours {ours:.2f} dB (--optimize {optimized:.2f} dB), "
                  f"pngquant {pq[2]:.2f} dB.", ""]
    else:
        lines += ["", f"PSNR: ours {ours:.2f} dB (--optimize {optimized:.2f} dB); "
                  "pngquant not installed.", ""]
    return lines


def main(argv: list[str] | None = None) -> int:
    """Run every (image, k) and write the tables."""
    p = argparse.ArgumentParser(prog="python -m bench.png_size")
    p.add_argument("--ks", default="64,256")
    p.add_argument("--images", default="american_gothic,china,flower")
    p.add_argument("--quick", action="store_true",
                   help="oxipng levels 1-4 only, no zopfli")
    p.add_argument("--out", type=Path, default=None, metavar="FILE.md")
    args = p.parse_args(argv)
    out = ["# Palette PNG size vs time", "",
           f"Command: `python -m bench.png_size {' '.join(argv or sys.argv[1:])}`",
           ""]
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        for name in args.images.split(","):
            case = (images.american_gothic(workdir) if name == "american_gothic"
                    else images.sklearn_sample(f"{name}.jpg", workdir))
            if case is None:
                out.append(f"- {name}: not available, skipped")
                continue
            for k in (int(x) for x in args.ks.split(",")):
                out += run_case(case, k, workdir, args.quick)
    text = "\n".join(out) + "\n"
    if args.out:
        args.out.write_text(text)
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())

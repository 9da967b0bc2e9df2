"""Stream section: a TIFF larger than memory, quantized band by band by the CLI.

A photo-like RGB TIFF is generated band by band (never whole in memory) by
:func:`bench.images.photo_like_rows`, the generator of every synthetic photo
in the suite.  Rows, per size: ``python -m compress IMG.tif K``
streamed (``--stream-above 1``), and on the 24-megapixel image also the
in-memory run (``--stream-above`` above its size), whose PNG must be the same
bytes.  Each is a whole process; its peak RSS is the sum over processes when
the bands run on local threads (the default).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import numpy as np

from .images import REPO, photo_like_rows
from .measure import Plan, Row, Timing, run_process
from .peers import cli_argv

STRIP_ROWS = 256


def write_photo_like_tiff(path: Path, height: int, width: int) -> Path:
    """Write the image as an uncompressed striped TIFF, one strip at a time."""
    import tifffile

    strips = (photo_like_rows(height, width, y, min(y + STRIP_ROWS, height))
              for y in range(0, height, STRIP_ROWS))
    tifffile.imwrite(path, strips, shape=(height, width, 3), dtype=np.uint8,
                     rowsperstrip=STRIP_ROWS, photometric="rgb")
    return path


def run_stream(
    sizes: list[tuple[int, int, int]], compare_mp: float, plan: Plan, workdir: Path,
    log: Callable[[str], None],
) -> tuple[list[Row], list[str]]:
    """Run the CLI streamed on each ``(height, width, k)``, whole processes.

    Images of at most ``compare_mp`` megapixels also run in memory.  One run
    each (``plan`` is accepted for symmetry with the other sections).
    """
    try:
        import tifffile  # noqa: F401
        import zarr  # noqa: F401
    except ImportError:
        return [], ["tifffile/zarr not installed: stream section skipped"]
    rows: list[Row] = []
    notes = []
    for height, width, k in sizes:
        mp = height * width / 1e6
        log(f"  stream: generating {mp:.0f} MP TIFF")
        path = write_photo_like_tiff(workdir / f"photo_{height}x{width}.tif",
                                     height, width)
        case = f"{width} x {height} ({mp:,.0f} MP) TIFF"
        runs = {"streamed": ["--stream-above", "1"]}
        if mp <= compare_mp:
            runs["in memory"] = ["--stream-above", str(height * width + 1),
                                 "--max-pixels", str(height * width + 1)]
        outputs = {}
        for name, extra in runs.items():
            log(f"  stream: {name}, {case}, k={k}")
            out = workdir / f"{path.stem}-{name.replace(' ', '_')}-k{k}.png"
            argv = [*cli_argv(path, k, out), "--force", "--json", *extra]
            seconds, peak, stdout = run_process(argv, cwd=str(REPO))
            timing = Timing(seconds, 1, peak, "process", [seconds])
            outputs[name] = out.read_bytes()
            report = json.loads(stdout)
            result = report["results"][0]
            rows.append(Row("stream", case, k, f"{name} (process)", timing,
                            result["inertia"], psnr_db=result["psnr_db"],
                            output_bytes=result["output_bytes"],
                            n_iter=result["n_iter"],
                            extra={"megapixels": mp,
                                   "colors": report["input"]["colors"]}))
            out.unlink()
        if len(outputs) == 2:
            same = outputs["streamed"] == outputs["in memory"]
            notes.append(f"stream: {case}, k={k}: streamed PNG "
                         f"{'byte-identical to' if same else 'DIFFERS from'} the "
                         "in-memory PNG")
        path.unlink()
    return rows, notes


def stream_table(rows: list[Row]) -> list[str]:
    """Markdown: wall, wall per megapixel, peak memory, quality, bytes."""
    from .report import f_int, f_psnr, f_seconds, table

    lines = []
    for r in rows:
        if r.section != "stream":
            continue
        mp = r.extra["megapixels"]
        lines.append([r.case, str(r.k), r.method, f_seconds(r.seconds),
                      f"{r.seconds / mp * 1000:.0f} ms", f"{r.timing.peak_mib:,.0f}",
                      f_int(r.extra["colors"]), f_psnr(r.psnr_db),
                      f_int(r.output_bytes), f_int(r.n_iter)])
    return table(["image", "k", "run", "wall", "wall / MP", "peak MiB",
                  "distinct colours", "PSNR dB", "PNG bytes", "iters"], lines)

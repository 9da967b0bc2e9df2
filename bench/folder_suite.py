"""Folders section: many images in one command vs pngquant two at a time.

A folder of different images (0.3-2 megapixels) is made from the sample photos
that installed packages ship (scikit-learn's china.jpg and flower.jpg,
matplotlib's grace_hopper.jpg, scikit-image's bundled photos when present):
each a random crop, scaled to a random size, saved as PNG; seeded, so every
run makes the same folder.  Then, at k = 16:

* ours: ``python -m compress DIR 16 --jobs 2 --out-dir OUT`` (one process, two
  worker processes);
* ``pngquant --nofs 16`` on every file, two at a time (``xargs -P 2``).

Wall time of the whole command, peak RSS (of our process tree's parent; the
pngquant row's peak is of the xargs tree's largest process), mean PSNR over the
images and total bytes written.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import numpy as np

from .images import REPO
from .measure import Row, Timing, run_process
from .peers import has_pngquant

SEED = 7


def _sources() -> list[np.ndarray]:
    """The sample photos installed packages ship, as (H, W, 3) uint8."""
    from matplotlib import cbook
    from PIL import Image

    photos = []
    try:
        from sklearn.datasets import load_sample_image

        photos += [load_sample_image(n) for n in ("china.jpg", "flower.jpg")]
    except ImportError:
        pass
    hopper = cbook.get_sample_data("grace_hopper.jpg", asfileobj=False)
    photos.append(np.asarray(Image.open(hopper).convert("RGB")))
    try:
        from skimage import data

        for name in ("astronaut", "coffee", "chelsea", "rocket"):
            try:
                photos.append(np.asarray(getattr(data, name)())[:, :, :3])
            except Exception:  # not bundled in this version: skip it
                pass
    except ImportError:
        pass
    return photos


def make_folder(folder: Path, n_images: int, mp_range: tuple[float, float]) -> None:
    """Write ``n_images`` PNGs: random crops of the sources, scaled."""
    from PIL import Image

    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(SEED)
    sources = _sources()
    for i in range(n_images):
        src = sources[i % len(sources)]
        h, w = src.shape[:2]
        ch, cw = (int(s * rng.uniform(0.6, 1.0)) for s in (h, w))
        y0, x0 = int(rng.integers(0, h - ch + 1)), int(rng.integers(0, w - cw + 1))
        crop = Image.fromarray(src[y0:y0 + ch, x0:x0 + cw])
        scale = np.sqrt(rng.uniform(*mp_range) * 1e6 / (ch * cw))
        size = (max(1, round(cw * scale)), max(1, round(ch * scale)))
        crop.resize(size, Image.LANCZOS).save(folder / f"img{i:03d}.png")


def _mean_psnr(pairs: list[tuple[Path, Path]]) -> float:
    from compress import load_image, psnr

    return float(np.mean([psnr(load_image(a).pixels, load_image(b).pixels)
                          for a, b in pairs]))


def run_folders(n_images: int, mp_range: tuple[float, float], workdir: Path,
                log: Callable[[str], None]) -> tuple[list[Row], list[str]]:
    """Ours on the whole folder vs pngquant two at a time, one run each."""
    folder = workdir / "folder"
    log(f"  folders: making {n_images} images")
    make_folder(folder, n_images, mp_range)
    images = sorted(folder.glob("*.png"))
    total_mp = sum(_pixels(p) for p in images) / 1e6
    case = f"{n_images} images, {total_mp:.1f} MP in all"
    rows: list[Row] = []
    out = workdir / "folder-ours"
    out.mkdir()
    import sys

    log("  folders: ours")
    argv = [sys.executable, "-m", "compress", str(folder), "16", "--jobs", "2",
            "--out-dir", str(out), "--force", "--quiet"]
    seconds, peak, _ = run_process(argv, cwd=str(REPO))
    ours = [(p, out / f"{p.stem}-k16.png") for p in images]
    rows.append(Row("folders", case, 16, "ours: python -m compress DIR 16 --jobs 2",
                    Timing(seconds, 1, peak, "process", [seconds]),
                    psnr_db=_mean_psnr(ours),
                    output_bytes=sum(b.stat().st_size for _, b in ours)))
    notes = []
    if has_pngquant():
        log("  folders: pngquant")
        pq = workdir / "folder-pngquant"
        shutil.copytree(folder, pq)
        script = (f"cd {pq} && ls *.png | xargs -P 2 -I{{}} "
                  f"{shutil.which('pngquant')} --nofs --force --ext -pq.png 16 {{}}")
        seconds, peak, _ = run_process(["sh", "-c", script])
        theirs = [(p, pq / f"{p.stem}-pq.png") for p in images]
        rows.append(Row("folders", case, 16, "pngquant --nofs 16, xargs -P 2",
                        Timing(seconds, 1, peak, "process", [seconds]),
                        psnr_db=_mean_psnr(theirs),
                        output_bytes=sum(b.stat().st_size for _, b in theirs)))
    else:
        notes.append("pngquant not installed: folders compared with nothing")
    return rows, notes


def _pixels(path: Path) -> int:
    from PIL import Image

    with Image.open(path) as im:
        return im.size[0] * im.size[1]


def folders_table(rows: list[Row]) -> list[str]:
    """Markdown: wall, ratio to pngquant, mean PSNR, bytes, peak."""
    from .report import f_int, f_psnr, f_seconds, table

    sel = [r for r in rows if r.section == "folders"]
    ref = next((r for r in sel if r.method.startswith("pngquant")), None)
    lines = [[r.case, r.method, f_seconds(r.seconds),
              "—" if ref is None else f"{r.seconds / ref.seconds:.2f}x",
              f_psnr(r.psnr_db), f_int(r.output_bytes), f"{r.timing.peak_mib:,.0f}"]
             for r in sel]
    return table(["folder", "command", "wall", "× pngquant", "mean PSNR dB",
                  "bytes written", "peak MiB"], lines)

"""The methods compared on images, each measured the same way.

k-means methods all start from the same initial centres: greedy k-means++ of
:func:`kmeans_core.kmeans_plusplus` on the weighted colour histogram with seed
0, which are the centres ``python -m compress`` itself starts from.  Every
method gets the pixels scaled to ``[0, 1]`` (float64; faiss float32), and
inertia is in those units, like the original exercise.
"""

from __future__ import annotations

import io
import math
import shutil
import sys
from pathlib import Path

import numpy as np
from PIL import Image

import kmeans_core
from compress import color_histogram, psnr

from .images import ImageCase
from .labels import (
    FAISS,
    OURS_CLI,
    OURS_CLI_OKLAB,
    OURS_CLI_OPTIMIZE,
    OURS_FIT,
    OURS_HIST,
    OURS_PIXELS,
    PNGQUANT,
    SKLEARN,
    SKLEARN_HIST,
    pillow_label,
)
from .measure import Plan, Row, time_call, time_process

SEED = 0
TOL = 1e-4  # the default of scikit-learn and kmeans_core


# Peers to treat as missing (``python -m bench --without faiss,pngquant``): lets
# the smoke test check the skipping on a machine that has them.
DISABLED: set[str] = set()


def has_module(name: str) -> bool:
    """Whether ``import name`` works (and ``name`` is not disabled)."""
    if name in DISABLED:
        return False
    try:
        __import__(name)
    except ImportError:
        return False
    return True


def has_pngquant() -> bool:
    """Whether ``pngquant`` is on the PATH (and not disabled)."""
    return "pngquant" not in DISABLED and shutil.which("pngquant") is not None


class ImageData:
    """An image's pixels, histogram and shared initial centres for one k."""

    def __init__(self, case: ImageCase):
        self.case = case
        self.pixels = case.pixels.reshape(-1, 3)  # (n_pixels, 3) uint8
        self.X = self.pixels / 255.0  # (n_pixels, 3) float64
        colors, counts, inverse = color_histogram(self.pixels)
        self.hist_colors = colors  # (n_colors, 3) uint8
        self.hist_X = colors / 255.0  # (n_colors, 3) float64
        self.counts = counts
        self.inverse = inverse
        self._init: dict[int, np.ndarray] = {}

    def init(self, k: int) -> np.ndarray:
        """Initial centres for ``k``: k-means++ on the histogram, seed 0."""
        if k not in self._init:
            self._init[k], _ = kmeans_core.kmeans_plusplus(
                self.hist_X, k, sample_weight=self.counts, random_state=SEED)
        return self._init[k]

    def pixel_inertia(self, recon: np.ndarray) -> float:
        """Sum over pixels of the squared distance to ``recon`` (both /255)."""
        diff = self.pixels.astype(np.float64) - recon.reshape(-1, 3)
        return float(np.einsum("ij,ij->", diff, diff)) / 255.0**2

    def quality(self, recon: np.ndarray) -> float:
        """PSNR of ``recon`` against the image."""
        return psnr(self.case.pixels, recon.reshape(self.case.pixels.shape))


def _palette_image(centers: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """Pixels of a k-means result with centres rounded to 8 bits."""
    palette = np.clip(np.rint(centers * 255.0), 0, 255).astype(np.uint8)
    return palette[labels]  # (n_pixels, 3)


def sklearn_pixels(d: ImageData, k: int, plan: Plan) -> Row:
    """scikit-learn ``KMeans`` on every pixel, same initial centres, n_init=1."""
    from sklearn.cluster import KMeans

    def fit():
        return KMeans(k, init=d.init(k), n_init=1, random_state=SEED).fit(d.X)

    timing, km = time_call(fit, plan)
    return Row("image", d.case.name, k, SKLEARN, timing,
               float(km.inertia_), d.quality(_palette_image(km.cluster_centers_,
                                                             km.labels_)),
               n_iter=int(km.n_iter_))


def sklearn_histogram(d: ImageData, k: int, plan: Plan) -> Row:
    """scikit-learn on the weighted histogram, ``tol`` matched to the pixel run.

    scikit-learn's tolerance is ``tol`` times the *unweighted* mean variance of
    what it is given; on the histogram that differs from the pixels' variance,
    so ``tol`` is rescaled to give the same absolute tolerance as on pixels.
    """
    from sklearn.cluster import KMeans

    tol = TOL * np.var(d.X, axis=0).mean() / np.var(d.hist_X, axis=0).mean()

    def fit():
        return KMeans(k, init=d.init(k), n_init=1, random_state=SEED,
                      tol=tol).fit(d.hist_X, sample_weight=d.counts)

    timing, km = time_call(fit, plan)
    recon = _palette_image(km.cluster_centers_, km.labels_[d.inverse])
    return Row("image", d.case.name, k, SKLEARN_HIST,
               timing, float(km.inertia_), d.quality(recon), n_iter=int(km.n_iter_))


def _ours_8bit(d: ImageData, k: int, X8: np.ndarray, weights=None):
    """Fit the 8-bit values as ``compress`` does in RGB (exact integer sums).

    The same initial centres as the peers, times 255; the result's centres
    and inertia are brought back to the peers' units (over 255).
    """
    fit = kmeans_core.kmeans(X8, k, init=d.init(k) * 255.0, sample_weight=weights,
                             n_init=1, algorithm="auto")
    return fit.centers / 255.0, fit.labels, fit.inertia / 255.0**2, fit.n_iter


def ours_histogram(d: ImageData, k: int, plan: Plan) -> list[Row]:
    """kmeans_core on the histogram: whole (histogram, fit, labels) and fit alone."""

    def whole():
        colors, counts, inverse = color_histogram(d.pixels)
        fit = _ours_8bit(d, k, colors, counts)
        return fit, fit[1][inverse]  # labels of every pixel, as sklearn has

    timing, ((centers, _, inertia, n_iter), labels) = time_call(whole, plan)
    row = Row("image", d.case.name, k, OURS_HIST, timing, float(inertia),
              d.quality(_palette_image(centers, labels)), n_iter=int(n_iter))
    timing2, fit = time_call(lambda: _ours_8bit(d, k, d.hist_colors, d.counts), plan)
    row2 = Row("image", d.case.name, k, OURS_FIT, timing2, float(fit[2]),
               row.psnr_db, n_iter=int(fit[3]))
    return [row, row2]


def ours_pixels(d: ImageData, k: int, plan: Plan) -> Row:
    """kmeans_core on every pixel (no histogram), same initial centres."""
    timing, (centers, labels, inertia, n_iter) = time_call(
        lambda: _ours_8bit(d, k, d.pixels), plan)
    return Row("image", d.case.name, k, OURS_PIXELS, timing, float(inertia),
               d.quality(_palette_image(centers, labels)), n_iter=int(n_iter))


def faiss_pixels(d: ImageData, k: int, n_iter: int, plan: Plan) -> Row:
    """faiss ``Kmeans`` on every pixel (float32), same init, ``n_iter`` iterations.

    faiss has no tolerance: it runs a fixed number of iterations, here as many
    as scikit-learn needed.  ``max_points_per_centroid`` is raised so that faiss
    uses all points instead of a subsample.  The final assignment (labels of
    all pixels) is timed too, as scikit-learn's fit returns labels.
    """
    import faiss

    x = np.ascontiguousarray(d.X, dtype=np.float32)
    init = np.ascontiguousarray(d.init(k), dtype=np.float32)

    def fit():
        km = faiss.Kmeans(3, k, niter=n_iter, seed=SEED, verbose=False,
                          max_points_per_centroid=x.shape[0] + 1)
        km.train(x, init_centroids=init)
        sq_dist, labels = km.index.search(x, 1)
        return km, sq_dist, labels

    timing, (km, sq_dist, labels) = time_call(fit, plan)
    centers = km.centroids.astype(np.float64)
    return Row("image", d.case.name, k, FAISS, timing,
               float(sq_dist.astype(np.float64).sum()),
               d.quality(_palette_image(centers, labels[:, 0])), n_iter=n_iter,
               note=f"{n_iter} iterations (fixed, = scikit-learn's)")


def pillow(d: ImageData, k: int, method: str, plan: Plan) -> Row:
    """Pillow ``quantize`` without dithering, then PNG encoding (in memory)."""
    kinds = {"median cut": Image.Quantize.MEDIANCUT,
             "fast octree": Image.Quantize.FASTOCTREE}
    source = Image.fromarray(d.case.pixels)

    def run():
        q = source.quantize(colors=k, method=kinds[method], dither=Image.Dither.NONE)
        buf = io.BytesIO()
        q.save(buf, format="PNG")
        return q, buf.getbuffer().nbytes

    timing, (q, n_bytes) = time_call(run, plan)
    recon = np.asarray(q.convert("RGB"))
    return Row("image", d.case.name, k, pillow_label(method), timing,
               d.pixel_inertia(recon), d.quality(recon), n_bytes)


def _read_output(path: Path) -> np.ndarray:
    with Image.open(path) as im:
        return np.asarray(im.convert("RGB"))


def pngquant(d: ImageData, k: int, workdir: Path, plan: Plan) -> Row:
    """``pngquant --nofs K`` as a process (reads the PNG copy of the image)."""
    out = workdir / f"{d.case.name}-pngquant-k{k}.png"
    argv = [shutil.which("pngquant") or "pngquant", "--nofs", "--force", "--output",
            str(out), str(k), "--", str(d.case.png_path())]
    timing = time_process(argv, plan)
    recon = _read_output(out)
    return Row("image", d.case.name, k, PNGQUANT, timing,
               d.pixel_inertia(recon), d.quality(recon), out.stat().st_size)


def cli_argv(image: Path, k: int, out: Path, *options: str) -> list[str]:
    """``python -m compress IMAGE K --force -o OUT --quiet [OPTIONS]``."""
    return [sys.executable, "-m", "compress", str(image), str(k), "--force", "-o",
            str(out), "--quiet", *options]


# The CLI rows: label -> (output file tag, extra options).
CLI_VARIANTS = {OURS_CLI: ("ours", ()),
                OURS_CLI_OKLAB: ("oklab", ("--space", "oklab")),
                OURS_CLI_OPTIMIZE: ("optimize", ("--optimize",))}


def ours_cli(d: ImageData, k: int, workdir: Path, plan: Plan,
             label: str = OURS_CLI) -> Row:
    """The whole ``python -m compress`` command as a process (Python start-up too).

    ``label`` is one of :data:`CLI_VARIANTS`: the plain command, or with
    ``--space oklab`` or ``--optimize``.
    """
    tag, options = CLI_VARIANTS[label]
    out = workdir / f"{d.case.name}-{tag}-k{k}.png"
    timing = time_process(cli_argv(d.case.path, k, out, *options), plan)
    recon = _read_output(out)
    inertia = d.pixel_inertia(recon)
    return Row("image", d.case.name, k, label, timing,
               inertia, d.quality(recon), out.stat().st_size,
               note="inertia of the written 8-bit palette")


def relative(value: float | None, reference: float | None) -> float | None:
    """``value / reference - 1``, None when either is missing."""
    if value is None or reference is None or reference == 0 or math.isnan(reference):
        return None
    return value / reference - 1.0

"""The original exercise with the ``compress`` library, as one script.

``python bench/exercise_ours.py IMAGE OUTDIR``: the same work as
``exercise_sklearn.py`` (load, k-means for k in 1, 2, 3, 5, 10, 15, 20 sharing
one colour histogram, seven palette PNGs, the elbow plot) through the public
API of ``compress``, in one process.
"""

import sys
from pathlib import Path

from compress import encode_palette_png, find_knee, inertia_curve, load_image
from compress.figures.plots import elbow_plot
from compress.quantization.metrics import psnr_from_mse

KS = (1, 2, 3, 5, 10, 15, 20)


def main(image_path: str, out_dir: str) -> None:
    out = Path(out_dir)
    pixels = load_image(image_path).pixels  # (H, W, C) uint8
    results = inertia_curve(pixels, KS)
    sizes = []
    for k, q in zip(KS, results, strict=True):
        data = encode_palette_png(q.index_map, q.palette)
        (out / f"k{k}.png").write_bytes(data)
        sizes.append(len(data))
    inertias = [q.inertia for q in results]
    knee = find_knee(list(KS), inertias)
    png = elbow_plot(list(KS), inertias, [psnr_from_mse(q.mse) for q in results],
                     sizes, title="Elbow", knee=knee)
    (out / "elbow.png").write_bytes(png)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])

"""The original exercise with scikit-learn, as one script (the baseline process).

``python bench/exercise_sklearn.py IMAGE OUTDIR``: load the image, fit
``KMeans(k, n_init=1, random_state=0)`` on the pixels scaled to [0, 1] for
k in 1, 2, 3, 5, 10, 15, 20, write each quantized image as a PNG with imageio,
and save the elbow plot (inertia against k) with matplotlib.
"""

import sys
from pathlib import Path

import imageio.v3 as iio
import matplotlib
import numpy as np
from sklearn.cluster import KMeans

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402 - after choosing the backend

KS = (1, 2, 3, 5, 10, 15, 20)


def main(image_path: str, out_dir: str) -> None:
    out = Path(out_dir)
    img = iio.imread(image_path)[:, :, :3]  # (H, W, 3) uint8
    X = img.reshape(-1, 3) / 255.0  # (n_pixels, 3) float64
    inertias = []
    for k in KS:
        km = KMeans(n_clusters=k, n_init=1, random_state=0).fit(X)
        inertias.append(km.inertia_)
        recon = km.cluster_centers_[km.labels_].reshape(img.shape)
        iio.imwrite(out / f"k{k}.png", np.rint(recon * 255).astype(np.uint8))
    fig, ax = plt.subplots(figsize=(6, 4))
    ax.plot(KS, inertias, "o-")
    ax.set_xlabel("k")
    ax.set_ylabel("inertia")
    ax.set_title("Elbow")
    fig.savefig(out / "elbow.png", dpi=100)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])

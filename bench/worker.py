"""Subprocess worker for thread scaling (``python -m bench.worker``).

``python -m bench.worker IMAGE K RUNS`` fits ``kmeans_core.KMeans`` on every
pixel of IMAGE (scaled to [0, 1], no histogram) from the shared initial
centres, once untimed (loads the compiled kernels) and then RUNS times, and
prints a JSON line with the times.  The parent sets ``NUMBA_NUM_THREADS``.
"""

import json
import statistics
import sys
import time
from pathlib import Path

import numba

import kmeans_core
from compress import load_image

from .images import ImageCase
from .peers import ImageData


def main(image: str, k: int, runs: int) -> None:
    path = Path(image)
    d = ImageData(ImageCase(path.stem, path, load_image(path).pixels, path.parent))
    init = d.init(k)

    def fit():
        return kmeans_core.KMeans(k, init=init, n_init=1, algorithm="auto").fit(d.X)

    fit()  # untimed: compiled kernels loaded from the cache
    seconds = []
    for _ in range(runs):
        start = time.perf_counter()
        km = fit()
        seconds.append(time.perf_counter() - start)
    print(json.dumps({"threads": numba.get_num_threads(), "seconds": seconds,
                      "median": statistics.median(seconds), "n_iter": km.n_iter_,
                      "inertia": km.inertia_}))


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]), int(sys.argv[3]))

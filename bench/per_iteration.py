"""Per-iteration time of lloyd, hamerly and auto: one engine checkout against another.

``python -m bench.per_iteration REPO [RUNS]`` imports ``kmeans_core`` from the
checkout REPO (this one, or an older commit's worktree) and prints, per
algorithm, the min and median milliseconds per iteration over RUNS fits
(default 7) of American Gothic's pixels at k = 20 from the same initial
centres. Run two checkouts alternately, in the same hour, to compare them.
"""

import statistics
import sys
import time

import imageio.v3 as iio
import numpy as np

from .images import AMERICAN_GOTHIC


def main() -> None:
    repo, runs = sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 7
    sys.path.insert(0, repo)
    import kmeans_core

    assert kmeans_core.__file__.startswith(repo), kmeans_core.__file__
    pixels = iio.imread(AMERICAN_GOTHIC)[..., :3].reshape(-1, 3)  # (n_pixels, 3)
    X = np.ascontiguousarray(pixels)
    init = kmeans_core.kmeans_plusplus(X, 20, random_state=0)[0]
    out = []
    for algorithm in ("lloyd", "hamerly", "auto"):
        kmeans_core.kmeans(X, 20, init=init, algorithm=algorithm)  # warm: compile
        ms = []
        for _ in range(runs):
            start = time.perf_counter()
            fit = kmeans_core.kmeans(X, 20, init=init, algorithm=algorithm)
            ms.append((time.perf_counter() - start) / fit.n_iter * 1e3)
        out.append(f"{algorithm} min {min(ms):.2f} med {statistics.median(ms):.2f}")
    print(repo, " | ".join(out), flush=True)


if __name__ == "__main__":
    main()

"""Slow, obviously-correct NumPy versions of everything kmeans_core computes.

Each function here is the reference "twin" of a kernel or driver step in
``kmeans_core``: it is written for clarity, not speed (full distance matrices,
one boolean mask per cluster, Python loops), and every sum is done in float64.
Tests compare the fast code against these.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


def block_bounds(n_samples: int, n_blocks: int) -> list[tuple[int, int]]:
    """The ``n_blocks`` contiguous half-open sample ranges the kernels reduce over.

    Block ``b`` is ``[floor(b n / B), floor((b + 1) n / B))``.
    """
    return [
        ((b * n_samples) // n_blocks, ((b + 1) * n_samples) // n_blocks)
        for b in range(n_blocks)
    ]


def sq_distances(X: np.ndarray, centers: np.ndarray) -> np.ndarray:
    """Full ``(n_samples, n_clusters)`` matrix of ``||x_i - c_j||^2``, in float64."""
    X = np.asarray(X, dtype=np.float64)
    centers = np.asarray(centers, dtype=np.float64)
    diff = X[:, None, :] - centers[None, :, :]  # (n_samples, n_clusters, n_features)
    return (diff * diff).sum(axis=2)  # (n_samples, n_clusters)


def assign(X: np.ndarray, centers: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Nearest centre of every sample (ties -> lowest index) and its sq. distance."""
    d = sq_distances(X, centers)  # (n_samples, n_clusters)
    labels = d.argmin(axis=1)  # np.argmin returns the first of equal minima
    return labels, d[np.arange(d.shape[0]), labels]


def weighted_sums(
    X: np.ndarray, sample_weight: np.ndarray, labels: np.ndarray, n_clusters: int
) -> tuple[np.ndarray, np.ndarray]:
    """Per cluster ``sum_{l_i = j} w_i x_i`` and ``sum_{l_i = j} w_i``, in float64."""
    X = np.asarray(X, dtype=np.float64)
    w = np.asarray(sample_weight, dtype=np.float64)
    sums = np.zeros((n_clusters, X.shape[1]))
    weights = np.zeros(n_clusters)
    for j in range(n_clusters):
        mask = labels == j
        sums[j] = (w[mask, None] * X[mask]).sum(axis=0)
        weights[j] = w[mask].sum()
    return sums, weights


def weighted_means(
    X: np.ndarray,
    sample_weight: np.ndarray,
    labels: np.ndarray,
    centers_old: np.ndarray,
) -> np.ndarray:
    """Weighted mean of each cluster; a cluster of zero weight keeps its old centre."""
    sums, weights = weighted_sums(X, sample_weight, labels, centers_old.shape[0])
    return means_from_sums(sums, weights, centers_old)


def means_from_sums(
    sums: np.ndarray, weights: np.ndarray, centers_old: np.ndarray
) -> np.ndarray:
    """``sums_j / weights_j`` (float64), or the old centre where ``weights_j == 0``."""
    centers = np.array(centers_old, dtype=np.float64)
    for j in range(sums.shape[0]):
        if weights[j] > 0:
            centers[j] = sums[j] / weights[j]
    return centers


def inertia(
    X: np.ndarray, sample_weight: np.ndarray, centers: np.ndarray, labels: np.ndarray
) -> float:
    """``sum_i w_i ||x_i - c_{l_i}||^2`` in float64."""
    X = np.asarray(X, dtype=np.float64)
    w = np.asarray(sample_weight, dtype=np.float64)
    diff = X - np.asarray(centers, dtype=np.float64)[labels]  # (n_samples, n_features)
    return float((w * (diff * diff).sum(axis=1)).sum())


def weighted_tolerance(X: np.ndarray, sample_weight: np.ndarray, tol: float) -> float:
    """``tol * mean_f var_w(X[:, f])`` with ``var_w`` the weighted variance."""
    X = np.asarray(X, dtype=np.float64)
    w = np.asarray(sample_weight, dtype=np.float64)
    mean = (w[:, None] * X).sum(axis=0) / w.sum()  # (n_features,)
    var = (w[:, None] * (X - mean) ** 2).sum(axis=0) / w.sum()  # (n_features,)
    return float(tol * var.mean())


def relocate_empty(
    X: np.ndarray,
    sample_weight: np.ndarray,
    labels: np.ndarray,
    min_sq_dist: np.ndarray,
    sums: np.ndarray,
    weights: np.ndarray,
) -> int:
    """The relocation rule documented in ``kmeans_core._lloyd``, written plainly.

    Empty clusters (zero weight), in index order, each take one sample: of
    positive weight, not on its centre (``d_i <= (64 eps)^2 ||x_i||^2``), whose
    cluster keeps at least one other sample of positive weight; farthest from
    its centre first, ties to the lower sample index.  The sums are then
    recomputed from scratch with the moved samples in their new clusters.  An
    empty cluster left without such a sample copies the sums of the first
    cluster (by index) that has samples.  Modifies ``sums`` and
    ``weights``; returns the number of empty clusters.
    """
    eps = np.finfo(np.float32 if X.dtype == np.float32 else np.float64).eps
    X = np.asarray(X, dtype=np.float64)
    n_clusters = weights.shape[0]
    empty = [j for j in range(n_clusters) if weights[j] <= 0]
    if not empty:
        return 0
    norms = (X * X).sum(axis=1)  # (n_samples,)
    donors = [
        i for i in range(X.shape[0])
        if sample_weight[i] > 0 and min_sq_dist[i] > (64 * eps) ** 2 * norms[i]
    ]
    donors.sort(key=lambda i: (-min_sq_dist[i], i))
    members = np.bincount(labels[sample_weight > 0], minlength=n_clusters)
    new_labels = np.array(labels)
    copies = []
    for j in empty:
        while donors and members[labels[donors[0]]] <= 1:
            donors.pop(0)  # its cluster would become empty
        if not donors:
            copies.append(j)
            continue
        i = donors.pop(0)
        members[labels[i]] -= 1
        new_labels[i] = j
    sums[:], weights[:] = weighted_sums(X, sample_weight, new_labels, n_clusters)
    host = int(np.flatnonzero(weights > 0)[0])  # the first cluster with samples
    for j in copies:
        sums[j], weights[j] = sums[host], weights[host]
    return len(empty)


@dataclass
class StepResult:
    """One naive Lloyd iteration."""

    labels: np.ndarray
    min_sq_dist: np.ndarray
    inertia: float
    centers: np.ndarray
    shift: float
    relocated: int


def lloyd_step(
    X: np.ndarray, sample_weight: np.ndarray, centers: np.ndarray
) -> StepResult:
    """Assignment, then update with empty clusters relocated.

    New centres are rounded to the dtype of ``X`` (as kmeans_core stores them);
    ``shift`` is ``sum_j ||c_j^new - c_j^old||^2`` of the stored centres.
    """
    labels, min_sq_dist = assign(X, centers)
    sums, weights = weighted_sums(X, sample_weight, labels, centers.shape[0])
    relocated = relocate_empty(X, sample_weight, labels, min_sq_dist, sums, weights)
    new = means_from_sums(sums, weights, centers).astype(X.dtype)
    diff = new.astype(np.float64) - centers.astype(np.float64)
    return StepResult(
        labels,
        min_sq_dist,
        inertia(X, sample_weight, centers, labels),
        new,
        float((diff * diff).sum()),
        relocated,
    )


@dataclass
class LloydResult:
    """A naive Lloyd run."""

    centers: np.ndarray
    labels: np.ndarray
    inertia: float
    n_iter: int
    history: list[float] = field(default_factory=list)  # inertia per iteration
    relocated: int = 0  # clusters relocated over the whole run


def lloyd(
    X: np.ndarray,
    sample_weight: np.ndarray,
    centers_init: np.ndarray,
    *,
    max_iter: int = 300,
    tol: float = 1e-4,
) -> LloydResult:
    """Lloyd's algorithm with kmeans_core's (and scikit-learn's) stopping rules.

    Stop when the labels did not change (strict convergence) or when the summed
    squared centre shift is at most ``tol`` times the weighted mean feature
    variance, or after ``max_iter`` iterations; unless the labels converged
    strictly, assign once more so the labels belong to the returned centres.
    """
    abs_tol = weighted_tolerance(X, sample_weight, tol) if tol else 0.0
    centers = np.array(centers_init, dtype=X.dtype)
    labels_old = np.full(X.shape[0], -1)
    history: list[float] = []
    relocated = 0
    strict = False
    n_iter = 0
    for it in range(max_iter):
        step = lloyd_step(X, sample_weight, centers)
        centers = step.centers
        history.append(step.inertia)
        relocated += step.relocated
        n_iter = it + 1
        if np.array_equal(step.labels, labels_old):
            strict = True
            break
        if step.shift <= abs_tol:
            break
        labels_old = step.labels
    labels = step.labels if strict else assign(X, centers)[0]
    return LloydResult(
        centers,
        labels,
        inertia(X, sample_weight, centers, labels),
        n_iter,
        history,
        relocated,
    )


def greedy_kmeanspp_naive(
    X: np.ndarray,
    sample_weight: np.ndarray,
    n_clusters: int,
    rng: np.random.Generator,
    n_local_trials: int | None = None,
) -> np.ndarray:
    """Greedy k-means++ (Arthur & Vassilvitskii 2007), rows of ``X`` it picks.

    First row by weight; then, per centre, draw ``n_local_trials`` candidates
    with probability ``w_i D(x_i)^2 / phi`` and keep the one that leaves the
    smallest potential (ties to the first drawn).  Uniform draws in the order
    ``kmeans_core`` takes them from ``rng``.
    """
    if n_local_trials is None:
        n_local_trials = 2 + int(np.log(n_clusters))
    first_u = rng.random()
    trial_u = rng.random((n_clusters - 1, n_local_trials))
    C = X.astype(np.float64) if X.dtype.kind != "f" else X  # centre dtype

    def sq_dist_to(row):  # (n_samples,) float64, features added in order
        d = np.zeros(X.shape[0], dtype=C.dtype)
        for f in range(X.shape[1]):
            d = d + (X[:, f] - C[row, f]) ** 2
        return d.astype(np.float64)

    def draw(mass, u):  # the row whose running sum of mass first exceeds u
        cum = np.cumsum(mass)
        return min(int(np.searchsorted(cum, u * cum[-1], side="right")),
                   X.shape[0] - 1)

    rows = [draw(sample_weight, first_u)]
    closest = sq_dist_to(rows[0])  # D(x_i)^2
    for c in range(1, n_clusters):
        if not (sample_weight * closest).sum() > 0:
            rows.append(draw(sample_weight, trial_u[c - 1, 0]))
            continue
        trials = [draw(sample_weight * closest, u) for u in trial_u[c - 1]]
        potentials = [(sample_weight * np.minimum(closest, sq_dist_to(t))).sum()
                      for t in trials]
        rows.append(trials[int(np.argmin(potentials))])
        closest = np.minimum(closest, sq_dist_to(rows[-1]))
    return np.array(rows)


def png_filter_row(raw: bytes, previous: bytes) -> bytes:
    """One PNG row filtered as Pillow chooses (1 byte per pixel step), type first.

    Plain loops over the PNG 1.2 filters (sec. 6.3): the cost of a filtered row
    is ``sum min(v, 256 - v)``; none is tried first, then Up, Sub, Paeth, each
    kept only if strictly cheaper, and none after a cost of 0.
    """
    def paeth(a, b, c):
        p = a + b - c
        pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
        return a if pa <= pb and pa <= pc else b if pb <= pc else c

    n = len(raw)
    left = [0] + list(raw[:-1])
    up_left = [0] + list(previous[:-1])
    candidates = [
        (0, list(raw)),
        (2, [(raw[i] - previous[i]) % 256 for i in range(n)]),
        (1, [(raw[i] - left[i]) % 256 for i in range(n)]),
        (4, [(raw[i] - paeth(left[i], previous[i], up_left[i])) % 256
             for i in range(n)]),
    ]
    best_kind, best = candidates[0]
    best_cost = sum(min(v, 256 - v) for v in best)
    for kind, data in candidates[1:]:
        if best_cost == 0:
            break
        cost = sum(min(v, 256 - v) for v in data)
        if cost < best_cost:
            best_kind, best, best_cost = kind, data, cost
    return bytes([best_kind] + best)


# -- compress: palette mapping and dithering (quantization._dither_kernel) --
def local_contrast(image: np.ndarray) -> np.ndarray:
    """Largest squared difference of each pixel to its 8 neighbours, (H, W, C) in."""
    height, width, _ = image.shape
    out = np.zeros((height, width))
    for y in range(height):
        for x in range(width):
            for yy in range(max(y - 1, 0), min(y + 2, height)):
                for xx in range(max(x - 1, 0), min(x + 2, width)):
                    diff = image[y, x] - image[yy, xx]
                    out[y, x] = max(out[y, x], float(diff @ diff))
    return out


def dither_serpentine(image, palette, strength, damping, clamp_sq, clamp_scale):
    """Damped serpentine Floyd-Steinberg on an (H, W, C) float image, plainly.

    One full-size error array; the FS weights 7, 3, 5, 1 (/16) are applied to
    the neighbours inside the image, mirrored on odd rows.
    """
    height, width, _ = image.shape
    error = np.zeros(image.shape)
    index_map = np.zeros((height, width), dtype=np.int64)
    for y in range(height):
        step = 1 if y % 2 == 0 else -1
        xs = range(width) if step == 1 else range(width - 1, -1, -1)
        for x in xs:
            received = damping * error[y, x]
            if float(received @ received) > clamp_sq:
                received = clamp_scale * received
            target = image[y, x] + received
            sq = ((palette - target) ** 2).sum(axis=1)
            p = int(np.argmin(sq))
            index_map[y, x] = p
            e = strength[y, x] * (target - palette[p])
            for dy, dx, w in ((0, step, 7), (1, -step, 3), (1, 0, 5), (1, step, 1)):
                if 0 <= y + dy < height and 0 <= x + dx < width:
                    error[y + dy, x + dx] += w / 16 * e
    return index_map

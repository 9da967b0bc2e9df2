"""Hamerly's exact acceleration of the assignment step.

Hamerly (2010), "Making k-means even faster", SIAM SDM, sec. 3.  Lloyd's
assignment step computes all ``n_clusters`` distances of every sample.  Most of
them are wasted after the first few iterations, because most samples keep their
centre.  Hamerly keeps, for every sample ``i``, one lower bound

    l_i <= min_{j != a_i} ||x_i - c_j||            (a_i: current label)

and, for every centre, half the distance to its nearest other centre

    s_j = 1/2 min_{j' != j} ||c_j - c_j'|| .

If ``u_i = ||x_i - c_{a_i}|| <= max(s_{a_i}, l_i)`` then no other centre can be
closer (triangle inequality), and the sample keeps its label without the
``n_clusters`` distances.  When centres move by ``p_j = ||c_j^new - c_j^old||``
the bound stays valid as ``l_i <- l_i - max_{j != a_i} p_j``.

Variant used here: ``u_i`` is recomputed exactly every iteration (one distance,
``O(n_features)``), which gives the exact ``||x_i - c_{a_i}||^2`` that the
inertia and the empty-cluster rule need, so Hamerly returns *bitwise* the same
labels, centres, inertia and iteration count as Lloyd.  For that, a sample is
only skipped when the test passes with a safety margin that covers rounding of
the distances (see :func:`skip_margin`); a sample near a tie always gets the
full search, which breaks ties to the lowest index as Lloyd does.
"""

from __future__ import annotations

import numpy as np
from numba import prange

from ._config import center_dtype, jit
from ._kernels import add_sample, block_bounds, sq_dist


def skip_margin(X: np.ndarray) -> tuple[float, float]:
    """Relative and absolute slack for the skip test ``u + slack < max(s, l)``.

    Distances are computed in the dtype of the centres (that of ``X``, float64
    for integer ``X``; machine epsilon ``eps``): a
    squared distance summed over ``n_features`` terms is off by at most about
    ``(n_features + 2) eps`` relative to its terms, whose size is bounded by the
    data's magnitude.  We take 64 times that, relative to the distance plus the
    largest coordinate, and never less than 1e-9 relative: far more than
    rounding can do, far less than the gaps that make skipping worthwhile.
    """
    eps = float(np.finfo(center_dtype(X)).eps)
    rel = max(64.0 * (X.shape[1] + 2) * eps, 1e-9)
    scale = float(np.sqrt(X.shape[1]) * max(abs(float(X.min())), abs(float(X.max()))))
    return rel, rel * scale


@jit()
def center_distances(
    centers,  # IN (n_clusters, n_features)
    cc,  # OUT (n_clusters, n_clusters) float64
    s,  # OUT (n_clusters,) float64
):
    """``cc[j, j'] = ||c_j - c_j'||`` and ``s_j = 1/2 min_{j' != j} cc[j, j']``.

    ``s_j`` is ``inf`` when there is a single centre.
    """
    n_clusters = centers.shape[0]
    s[:] = np.inf
    for j in range(n_clusters):
        cc[j, j] = 0.0
        for jj in range(j + 1, n_clusters):
            d = np.sqrt(np.float64(sq_dist(centers, j, centers, jj)))
            cc[j, jj] = d
            cc[jj, j] = d
            if 0.5 * d < s[j]:
                s[j] = 0.5 * d
            if 0.5 * d < s[jj]:
                s[jj] = 0.5 * d


@jit(parallel=True)
def assign_hamerly(
    X,  # IN (n_samples, n_features)
    centers,  # IN (n_clusters, n_features)
    s,  # IN (n_clusters,) float64, half distance to the nearest other centre
    cc,  # IN (n_clusters, n_clusters) float64, centre-to-centre distances
    order,  # IN (n_clusters, n_clusters) int, row j: centres by distance from c_j
    center_shift,  # IN (n_clusters,) float64, how far each centre last moved
    first,  # IN bool, no bounds yet: search every sample
    rel,  # IN float, relative slack of the skip test
    abs_slack,  # IN float, absolute slack of the skip test
    sample_weight,  # IN (n_samples,) float64
    labels,  # INOUT (n_samples,) int32
    lower,  # INOUT (n_samples,) float64, l_i
    block_sums,  # OUT (n_blocks, n_clusters, n_features) float64
    block_weights,  # OUT (n_blocks, n_clusters) float64
    block_inertia,  # OUT (n_blocks,) float64
    block_changed,  # OUT (n_blocks,) int64, labels per block that changed
):
    """Hamerly's assignment step (Hamerly 2010, Algorithm 2, with exact ``u``).

    When the bounds fail, the nearest and second-nearest centres are searched
    among the centres sorted by their distance from the current centre
    ``c_a``, the idea behind Exponion (Newling & Fleuret 2016, "Fast k-means
    with accurate bounds", ICML, sec. 3.2): a centre ``c_j`` is at least
    ``||c_j - c_a|| - u`` away from ``x_i``, so once that exceeds the
    second-nearest distance found so far, no later centre in the list can be
    nearest or second-nearest and the search stops.  Ties go to the lowest
    index.

    This fuses the E-step (:func:`_kernels.assign_labels`) with the first part
    of the M-step (:func:`_kernels.accumulate_blocks`) in one pass over ``X``:
    labels, block inertia, block sums and change counts come out bitwise as
    those two kernels write them (same samples, same order of additions).
    """
    n_samples = X.shape[0]
    n_clusters = centers.shape[0]
    # The largest and second-largest centre shift: a sample whose own centre
    # moved the most only needs to subtract the second largest from l_i.
    grow = (1.0 + rel) * (1.0 + rel)  # the skip test's slack, squared
    p1, p2, j1 = 0.0, 0.0, -1
    for j in range(n_clusters):
        p = center_shift[j]
        if p > p1:
            p1, p2, j1 = p, p1, j
        elif p > p2:
            p2 = p
    # Blocks of consecutive samples, each scanned in order: on the first
    # iteration (no labels yet) a search starts from the previous sample's
    # centre, which for sorted data such as a colour histogram is usually the
    # right one.  The search is exact from any start, so this only saves time.
    for b in prange(block_sums.shape[0]):
        block_sums[b, :, :] = 0.0
        block_weights[b, :] = 0.0
        block_inertia[b] = 0.0
        block_changed[b] = 0
        start, stop = block_bounds(n_samples, block_sums.shape[0], b)
        previous = 0
        for i in range(start, stop):
            a = previous if first else labels[i]
            best = sq_dist(X, i, centers, a)  # u^2, exact
            best_j = a
            search = True
            if not first:
                lower[i] -= p2 if a == j1 else p1
                # Skip test u + slack < m, squared so that no sqrt is needed
                # for the samples that pass: u (1 + rel) < m - abs_slack.
                m = max(s[a], lower[i]) - abs_slack
                search = not (m > 0.0 and np.float64(best) * grow < m * m)
            if search:
                # Search outwards from c_a: nearest and second nearest, ties
                # to the lowest index.
                u = np.sqrt(np.float64(best))
                second = np.inf
                limit = np.inf  # u + sqrt(second) + slack: farther centres lose
                for t in range(n_clusters):
                    j = order[a, t]
                    if j == a:
                        continue
                    if cc[a, j] > limit:
                        break
                    d = sq_dist(X, i, centers, j)
                    if d < best or (d == best and j < best_j):
                        second = best
                        best = d
                        best_j = j
                    elif d < second:
                        second = d
                    else:
                        continue
                    reach = np.sqrt(np.float64(second))
                    limit = u + reach + rel * (reach + u) + abs_slack
                previous = best_j
                if labels[i] != best_j:
                    labels[i] = best_j
                    block_changed[b] += 1
                lower[i] = np.sqrt(np.float64(second))
            # The M-step's sums, in the same pass.  One call site for both
            # paths keeps the kernel small (2.5 -> 2.2 s of CPU to compile).
            block_inertia[b] += sample_weight[i] * np.float64(best)
            add_sample(X, i, sample_weight[i], best_j, b, block_sums, block_weights)

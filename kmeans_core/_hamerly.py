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
from ._exact_sums import add_integer_sample
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


@jit(inline=True)
def largest_shifts(center_shift):
    """Return the largest and second-largest centre shift, and the largest's centre.

    A sample whose own centre moved the most only needs to subtract the second
    largest from ``l_i``.
    """
    p1, p2, j1 = 0.0, 0.0, -1
    for j in range(center_shift.shape[0]):
        p = center_shift[j]
        if p > p1:
            p1, p2, j1 = p, p1, j
        elif p > p2:
            p2 = p
    return p1, p2, j1


@jit(inline=True)
def nearest_hamerly(X, i, centers, s, cc, order, a, first, rel, abs_slack, grow,
                    shift_other, lower):
    """Nearest centre of sample ``i`` and its squared distance, starting from ``a``.

    ``a`` is the current label (the previous sample's on the first pass);
    ``shift_other`` how far the farthest-moved other centre went, subtracted
    from ``lower[i]`` (updated in place).  See :func:`assign_hamerly`.
    """
    best = sq_dist(X, i, centers, a)  # u^2, exact
    best_j = a
    if not first:
        lower[i] -= shift_other
        # Skip test u + slack < m, squared so that no sqrt is needed for the
        # samples that pass: u (1 + rel) < m - abs_slack.
        m = max(s[a], lower[i]) - abs_slack
        if m > 0.0 and np.float64(best) * grow < m * m:
            return best_j, best
    # Search outwards from c_a: nearest and second nearest, ties to the
    # lowest index.
    n_clusters = centers.shape[0]
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
    lower[i] = np.sqrt(np.float64(second))
    return best_j, best


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
    grow = (1.0 + rel) * (1.0 + rel)  # the skip test's slack, squared
    p1, p2, j1 = largest_shifts(center_shift)
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
            best_j, best = nearest_hamerly(X, i, centers, s, cc, order, a, first,
                                           rel, abs_slack, grow,
                                           p2 if a == j1 else p1, lower)
            previous = best_j
            if labels[i] != best_j:
                labels[i] = best_j
                block_changed[b] += 1
            # The M-step's sums, in the same pass.
            block_inertia[b] += sample_weight[i] * np.float64(best)
            add_sample(X, i, sample_weight[i], best_j, b, block_sums, block_weights)


@jit(parallel=True)
def assign_hamerly_moves(
    X,  # IN (n_samples, n_features) uint8 or uint16
    centers,  # IN (n_clusters, n_features) float64
    s,  # IN (n_clusters,) float64, half distance to the nearest other centre
    cc,  # IN (n_clusters, n_clusters) float64, centre-to-centre distances
    order,  # IN (n_clusters, n_clusters) int, row j: centres by distance from c_j
    center_shift,  # IN (n_clusters,) float64, how far each centre last moved
    first,  # IN bool, no bounds yet: search every sample
    rel,  # IN float, relative slack of the skip test
    abs_slack,  # IN float, absolute slack of the skip test
    sample_weight,  # IN (n_samples,) float64, for the inertia
    integer_weight,  # IN (n_samples,) int64, w_i 2^-w_exp
    labels,  # INOUT (n_samples,) int32, -1 before the first pass
    lower,  # INOUT (n_samples,) float64, l_i
    block_moves,  # OUT (n_blocks, n_clusters, n_features) int64
    block_weights,  # OUT (n_blocks, n_clusters) int64
    block_inertia,  # OUT (n_blocks,) float64
    block_changed,  # OUT (n_blocks,) int64, labels per block that changed
):
    """Hamerly's assignment step, with the sums updated only where labels change.

    The same labels and inertia as :func:`assign_hamerly`; but instead of
    summing every sample, each block records how its samples that changed
    label change the integer cluster sums: for ``l_i: a -> a'``,

        S_a -= w_i x_i,   S_a' += w_i x_i,   W_a -= w_i,   W_a' += w_i

    (Hamerly 2010, sec. 3 keeps its sums ``c'(j)`` and counts ``q(j)`` this
    way, updated only for points that change cluster; exact here because
    every term is an integer, see :mod:`kmeans_core._exact_sums`).  On the first pass
    every label is -1, so every sample is added: the sums start from zero.
    """
    n_samples = X.shape[0]
    grow = (1.0 + rel) * (1.0 + rel)
    p1, p2, j1 = largest_shifts(center_shift)
    for b in prange(block_moves.shape[0]):
        block_moves[b, :, :] = 0
        block_weights[b, :] = 0
        block_inertia[b] = 0.0
        block_changed[b] = 0
        start, stop = block_bounds(n_samples, block_moves.shape[0], b)
        previous = 0
        for i in range(start, stop):
            old = labels[i]
            a = previous if first else old
            best_j, best = nearest_hamerly(X, i, centers, s, cc, order, a, first,
                                           rel, abs_slack, grow,
                                           p2 if a == j1 else p1, lower)
            previous = best_j
            block_inertia[b] += sample_weight[i] * np.float64(best)
            if old != best_j:
                labels[i] = best_j
                block_changed[b] += 1
                if old >= 0:
                    add_integer_sample(X, i, -integer_weight[i], old, b,
                                       block_moves, block_weights)
                add_integer_sample(X, i, integer_weight[i], best_j, b,
                                   block_moves, block_weights)

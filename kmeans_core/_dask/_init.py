"""Seeding on Dask data: k-means|| candidates, or random rows.

k-means|| (Bahmani, Moseley, Vattani, Kumar & Vassilvitskii 2012, "Scalable
k-means++", VLDB 5(7), Algorithm 2) replaces the ``k`` sequential passes of
k-means++ by a few rounds of independent sampling:

1. one candidate, drawn with probability ``w_i / sum w``;
2. each round, every sample joins the candidates independently with
   probability ``min(1, l w_i D(x_i)^2 / phi)``, where ``D(x_i)^2`` is the
   squared distance to the nearest candidate so far and
   ``phi = sum_i w_i D(x_i)^2`` (about ``l`` samples per round);
3. each candidate is weighted by the total weight of the samples nearest to it.

:func:`kmeans_core.kmeans` then reduces the weighted candidates to ``k``
centres with the same greedy k-means++ as in memory.  Random numbers come from
the caller's Generator: each round draws one seed per chunk, and a chunk's
draws depend only on its seed, so the candidates do not depend on the number
of workers.  ``D(x_i)^2`` stays on the workers, one float64 array per chunk.
"""

from __future__ import annotations

import dask
import numpy as np
from dask import delayed

from .. import _validation as V
from . import _chunks as C

# Oversampling factor l = OVERSAMPLING * k and number of rounds: the setting of
# Bahmani et al.'s experiments (sec. 5: l = 2k with 5 rounds already seeds as
# well as k-means++); about 1 + 10k candidates in all.
OVERSAMPLING = 2.0
ROUNDS = 5


def _weighted_pick(cumulative: np.ndarray, u: float) -> int:
    """Index drawn with probability proportional to its increment of ``cumulative``.

    ``u`` is uniform on [0, 1); ``side="right"`` never returns an entry of
    zero mass.
    """
    i = int(np.searchsorted(cumulative, u * cumulative[-1], side="right"))
    return min(i, cumulative.shape[0] - 1)


def _closest(x, d_old, candidates):
    """``min(d_old_i, min_c ||x_i - c||^2)`` in float64 for the rows of a chunk."""
    d = C.chunk_min_sq_dist(x, candidates)  # (n_chunk,) float64
    return d if d_old is None else np.minimum(d_old, d)


def _potential(d, w):
    """``sum_i w_i D(x_i)^2`` of a chunk (unscaled weights)."""
    return float(d.sum()) if w is None else float(np.dot(w, d))


def _oversample(x, w, d, scale, seed):
    """Draw each row of a chunk with probability ``min(1, scale w_i D(x_i)^2)``."""
    u = np.random.default_rng(seed).random(x.shape[0])  # (n_chunk,)
    p = scale * d if w is None else scale * (w * d)
    return np.ascontiguousarray(x[u < p])


def _pick_in_chunk(x, w, u):
    """One row of a chunk, drawn with probability proportional to its weight."""
    cum = np.arange(1.0, x.shape[0] + 1) if w is None else np.cumsum(w)
    return x[_weighted_pick(cum, u)][None, :]


def _random_keys(x, w, k, seed):
    """Keep the chunk's ``k`` rows of largest key ``log(u) / w`` (Efraimidis-Spirakis).

    Keeping the ``k`` largest keys ``log(u_i) / w_i`` draws ``k`` distinct rows
    with probability proportional to weight, without replacement (Efraimidis &
    Spirakis 2006, "Weighted random sampling with a reservoir", IPL 97(5)).
    Zero-weight rows come last, in random order.
    """
    rng = np.random.default_rng(seed)
    u, tie = rng.random(x.shape[0]), rng.random(x.shape[0])
    w = np.ones(x.shape[0]) if w is None else np.asarray(w, dtype=np.float64)
    with np.errstate(divide="ignore"):
        key = np.where(w > 0, np.log(u) / np.where(w > 0, w, 1.0), -np.inf)
    top = np.lexsort((-tie, -key))[:k]
    return key[top], tie[top], np.ascontiguousarray(x[top])


def random_centers(data, n_clusters: int, rng) -> np.ndarray:
    """``n_clusters`` distinct rows drawn with probability proportional to weight."""
    seeds = rng.integers(0, 2**63 - 1, size=len(data.x_blocks))
    parts = dask.compute(*[delayed(_random_keys, pure=True)(x, w, n_clusters, int(s))
                           for x, w, s in zip(data.x_blocks, data.w_blocks, seeds,
                                              strict=True)])
    key = np.concatenate([p[0] for p in parts])
    tie = np.concatenate([p[1] for p in parts])
    rows = np.concatenate([p[2] for p in parts])
    return rows[np.lexsort((-tie, -key))[:n_clusters]].astype(data.center_dtype)


def kmeans_parallel(data, n_clusters: int, rng,
                    rounds: int = ROUNDS) -> tuple[np.ndarray, np.ndarray]:
    """k-means|| candidates and their weights (see the module docstring)."""
    dtype = data.center_dtype
    blocks = list(zip(data.x_blocks, data.w_blocks, strict=True))
    # 1. First candidate: a chunk by its share of the weight, then a row in it.
    b = _weighted_pick(np.cumsum(data.chunk_weights), rng.random())
    x, w = blocks[b]
    cand = delayed(_pick_in_chunk)(x, w, rng.random()).compute().astype(dtype)
    new = cand  # candidates whose distances D(x)^2 does not include yet
    d = [None] * len(blocks)
    ell = OVERSAMPLING * n_clusters
    phi = 0.0
    for _ in range(rounds):
        if new.shape[0]:
            # D(x)^2 to the candidates added last, and the potential phi.
            d = [delayed(_closest, pure=True)(x, di, new)
                 for (x, _w), di in zip(blocks, d, strict=True)]
            pots = [delayed(_potential, pure=True)(di, w)
                    for (_x, w), di in zip(blocks, d, strict=True)]
            d, pots = dask.persist(d, pots)
            phi = float(np.sum(dask.compute(*pots)))  # chunks in order
        if not phi > 0.0:
            break  # every sample sits on a candidate
        # 2. Every sample joins independently with probability l w D^2 / phi.
        seeds = rng.integers(0, 2**63 - 1, size=len(blocks))
        drawn = dask.compute(*[
            delayed(_oversample, pure=True)(x, w, di, ell / phi, int(s))
            for (x, w), di, s in zip(blocks, d, seeds, strict=True)])
        new = np.concatenate(drawn).astype(dtype)
        cand = np.concatenate([cand, new])
    if cand.shape[0] < n_clusters:
        # Too few candidates (few distinct samples): add random rows.
        cand = np.concatenate([cand, random_centers(data, n_clusters - cand.shape[0],
                                                    rng)])
    # 3. Weight each candidate by the samples nearest to it: one E-step.
    cand = np.ascontiguousarray(cand)
    data.start(cand.shape[0], "lloyd")
    weights = data.e_step(cand, np.zeros(cand.shape[0])).weights  # scaled 2**w_exp
    if not weights.sum() > 0:  # cannot happen for validated weights
        weights = np.ones(cand.shape[0])
    return cand, V.kernel_weights(weights)

"""kmeans_core: an exact, from-scratch k-means engine.

Public API:

* :class:`KMeans` - a scikit-learn-compatible estimator;
* :func:`kmeans` - the functional form, returning a :class:`KMeansResult`;
* :func:`kmeans_plusplus` - greedy k-means++ seeding on its own;
* :func:`jit` - the compile policy of every kernel here (disk cache where
  writable, strict IEEE arithmetic, one thread launching parallel kernels at
  a time), for packages that add kernels of their own (``compress`` does).

How to read this package
------------------------

k-means looks for ``n_clusters`` centres ``c_j`` and a label ``l_i`` for every
sample ``x_i`` (weight ``w_i``) that make the objective

    J = sum_i w_i ||x_i - c_{l_i}||^2        (the "inertia")

small.  Lloyd's algorithm lowers J by alternating two steps until the labels
stop changing.  ``tests/naive.py`` in the repository has it in plain NumPy,
twenty lines for one iteration (``lloyd_step``): read that first.  Then:

1. ``_config.py`` - ``jit``, the one way every kernel here is compiled.  Numba
   turns a Python function on NumPy arrays into machine code the first time
   it is called with given argument types; ``cache=True`` keeps that code on
   disk, so later processes load it in milliseconds instead of compiling for
   seconds.  Fast-math stays off (``FASTMATH``): it would let LLVM reorder
   sums and fuse multiply-adds, so results would change with the compiler
   and the code path; we want the same bits everywhere.  A parallel kernel
   splits the samples into ``N_BLOCKS`` fixed blocks, sums each block in
   order and merges the blocks in order: the thread count decides who
   computes a block, never the order of an addition.
2. ``_kernels.py`` - the algorithm, one small compiled function each:
   ``sq_dist`` (the distance), ``nearest_center``, ``assign_labels`` (the
   E-step: every sample takes its nearest centre), then the M-step's sums,
   ``accumulate_blocks`` (weighted sums per cluster, per block) and
   ``merge_blocks`` (the blocks added in order), and ``average_centers``
   (each centre becomes the weighted mean).
3. ``_lloyd.py`` - the driver, written once for every kind of data:
   ``lloyd`` runs the E-step (the data's e_step), gives empty clusters
   a sample (``relocate_empty_clusters``), runs the M-step (``m_step``) and
   decides when to stop.  ``KMeansResult`` is what a run returns.
   ``_memory.py`` is the data in one array (``InMemory``): its e_step
   calls the kernels of step 2 and keeps the labels between iterations.
4. ``_seeding.py`` and ``_seeding_kernels.py`` - where the centres start:
   greedy k-means++ (``kmeans_plusplus_rows``).  Its plain twin is
   ``greedy_kmeanspp_naive`` in ``tests/naive.py``; the compiled
   ``greedy_kmeanspp`` picks the same rows, faster, by skipping blocks of
   samples whose bounding box proves they cannot change
   (``candidate_potentials``).
5. ``_api.py``, ``_params.py`` and ``_estimator.py`` - the public ``kmeans``
   function (checks, seeds, runs n_init times, for arrays in memory and
   on Dask alike) and the ``KMeans`` estimator; input checks are in
   ``_validation.py``.
6. Speed, once the above is clear: ``_hamerly.py`` (``assign_hamerly``: the
   same labels with most distances skipped by the triangle inequality, the
   E-step and the sums fused in one pass; on uint8/uint16 data with integer
   weights, ``assign_hamerly_moves`` instead patches exact int64 sums kept
   by ``_exact_sums.py`` for the samples whose label changed; with few
   features and centres, ``_tiles.py``'s ``assign_tiles`` sorts them into
   grid tiles and gives each tile's samples only the centres that can be
   nearest, Kanungo's filter), ``_blas.py``
   (``nearest_from_products``: distances from matrix products for many
   features) and ``_assign.py`` (``make_assigner``: which E-step runs).
   Dask arrays: the ``kmeans_core._dask`` package fits each chunk with ``InMemory`` in
   one task and merges the chunks' sums in order (its DaskData).
"""

from ._api import kmeans, kmeans_plusplus
from ._config import announce_compiling, jit
from ._estimator import KMeans
from ._lloyd import IterationRecord, KMeansResult
from ._params import KMeansWarning
from ._validation import NotFittedError

__all__ = [
    "IterationRecord",
    "KMeans",
    "KMeansResult",
    "KMeansWarning",
    "NotFittedError",
    "announce_compiling",
    "jit",
    "kmeans",
    "kmeans_plusplus",
]
__version__ = "0.2.0"

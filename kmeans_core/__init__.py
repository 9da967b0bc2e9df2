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
stop changing.  Read the files in this order:

1. ``_kernels.py`` - the algorithm itself, one small compiled function each:
   ``sq_dist`` (the distance), ``nearest_center``, ``assign_labels`` (the
   E-step: every sample takes its nearest centre), then the M-step:
   ``accumulate_blocks`` (weighted sums per cluster, per block of samples),
   ``merge_blocks`` (the blocks added in order, so any thread count gives the
   same bits) and ``average_centers`` (each centre becomes the mean).
2. ``_lloyd.py`` - the driver: ``lloyd`` allocates the buffers once, runs
   E-step and M-step, gives empty clusters a sample
   (``relocate_empty_clusters``) and decides when to stop
   (``weighted_tolerance``).  ``KMeansResult`` is what a run returns.
3. ``_seeding.py`` and ``_seeding_kernels.py`` - where the centres start:
   greedy k-means++ (``kmeans_plusplus_rows``), whose cost is kept down by
   bounding boxes of blocks of samples (``candidate_potentials``).
4. ``_api.py`` and ``_estimator.py`` - the public ``kmeans`` function and the
   ``KMeans`` estimator: input checks (``_validation.py``), several seeds,
   scikit-learn's conventions.
5. Speed, once the above is clear: ``_hamerly.py`` (``assign_hamerly``: the
   same labels with most distances skipped by the triangle inequality, E-step
   and sums fused in one pass), ``_blas.py`` (``nearest_from_products``:
   distances from matrix products for many features) and ``_assign.py``
   (``resolve_algorithm``: which E-step runs).  ``_config.py`` holds the
   compilation policy (``jit``, ``FASTMATH``, ``N_BLOCKS``).

``tests/naive.py`` in the repository has the same algorithm in plain NumPy,
twenty lines for one Lloyd iteration (``lloyd_step``).
"""

from ._api import KMeansResult, KMeansWarning, kmeans, kmeans_plusplus
from ._config import announce_compiling, jit
from ._estimator import KMeans
from ._lloyd import IterationRecord
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

"""kmeans_core: an exact, from-scratch k-means engine.

Lloyd's algorithm with greedy k-means++ seeding; the assignment and update steps
are Numba kernels (:mod:`kmeans_core._kernels`).  Public API:

* :class:`KMeans` - a scikit-learn-compatible estimator;
* :func:`kmeans` - the functional form, returning a :class:`KMeansResult`;
* :func:`kmeans_plusplus` - greedy k-means++ seeding on its own.
"""

from ._api import KMeansResult, KMeansWarning, kmeans, kmeans_plusplus
from ._estimator import KMeans
from ._lloyd import IterationRecord
from ._validation import NotFittedError

__all__ = [
    "IterationRecord",
    "KMeans",
    "KMeansResult",
    "KMeansWarning",
    "NotFittedError",
    "kmeans",
    "kmeans_plusplus",
]
__version__ = "0.1.0"

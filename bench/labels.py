"""Every method label of the benchmark, defined once.

Rows are created with these constants and found with the same constants by
exact match (``report.find``), so renaming a label here renames it
everywhere; a label typed out by hand elsewhere would not be found, and the
targets table would say "not measured" (``tests/test_bench_smoke.py`` checks
that the smoke run measures every row it should).
"""

from __future__ import annotations

# images: k-means and quantizers on the same pixels
SKLEARN = "scikit-learn, all pixels"
SKLEARN_HIST = "scikit-learn, weighted histogram (fit)"
OURS_HIST = "ours: histogram + fit + pixel labels"
OURS_FIT = "ours: fit on weighted histogram"
OURS_PIXELS = "ours: fit on all pixels"
OURS_CLI = "ours: python -m compress (process)"
OURS_CLI_OKLAB = "ours: python -m compress --space oklab (process)"
OURS_CLI_OPTIMIZE = "ours: python -m compress --optimize (process)"
FAISS = "faiss Kmeans, all pixels (float32)"
PNGQUANT = "pngquant --nofs (process)"


def pillow_label(method: str) -> str:
    """Label of Pillow's ``quantize`` with ``method`` (e.g. ``"median cut"``)."""
    return f"Pillow quantize, {method} (+ PNG)"


# blobs (general data)
BLOBS_SKLEARN = "scikit-learn"
BLOBS_OURS = 'ours, algorithm="auto"'


def threads(n: int) -> str:
    """Label of the thread-scaling row with ``n`` threads."""
    return f"{n} thread(s)"


# cold start
COLD = "first run, empty Numba cache"
WARM = "warm run, cache filled"

# the exercise's pipeline, whole processes
EXERCISE_CLI = "ours: python -m compress IMG 1 2 3 5 10 15 20 --elbow (1 process)"
EXERCISE_LIBRARY = "ours: bench/exercise_ours.py (1 process, library API)"
EXERCISE_SKLEARN = "scikit-learn: bench/exercise_sklearn.py (1 process)"

AG = "american_gothic"  # the case name of the reference painting

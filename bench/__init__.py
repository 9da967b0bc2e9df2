"""Benchmark suite for kmeans_core and compress (issue 4, item 5).

Run from the repository root: ``python -m bench [--smoke | --quick] [--out FILE]``.
See :mod:`bench.run` for what is measured and :mod:`bench.report` for the report.
"""

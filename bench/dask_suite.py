"""Dask section: our fit on a Dask array vs dask-ml's KMeans vs our in-memory fit.

Every Dask configuration gets a fresh ``LocalCluster`` (``n_workers`` processes
x 1 thread, on 127.0.0.1) so that peak memory per worker belongs to that fit
alone.  The data are Gaussian blobs (float32) generated on the workers, chunk
by chunk from fixed seeds, and persisted before timing; all methods start from
the same centres (k-means++ seed 0 on the first rows) and the inertia of every
result is recomputed here in float64 (dask-ml's ``inertia_`` sums *unsquared*
distances).  dask-ml's ``tol`` is absolute, so it gets our relative ``tol``
times the mean feature variance: both stop on the same shift threshold.

Per fit: wall time (one untimed warm-up fit on a slice first, which loads the
compiled kernels in every worker), iterations, wall per iteration, the share of
worker time spent idle (1 - task compute time / (workers x wall), from
``distributed``'s task stream: scheduling, transfers and the client's own
work), and the peak RSS of the busiest worker (VmHWM, reset before the fit).
"""

from __future__ import annotations

import os
import statistics
import time
from collections.abc import Callable

import numpy as np

from .measure import Plan, Row, Timing, time_call
from .peers import has_module
from .report import f_int, f_seconds, table

SEED = 0
TOL = 1e-4
INIT_ROWS = 100_000  # k-means++ for the shared centres runs on the first rows


def _blob_chunk(b: int, n_rows: int, centers: np.ndarray) -> np.ndarray:
    """Rows of chunk ``b``: a random true centre each, plus unit Gaussian noise."""
    rng = np.random.default_rng([SEED, b])
    labels = rng.integers(0, centers.shape[0], n_rows)
    noise = rng.standard_normal((n_rows, centers.shape[1]))
    return (centers[labels] + noise).astype(np.float32)  # (n_rows, n_features)


def make_blobs_dask(n_samples: int, n_features: int, k: int, n_chunks: int):
    """Lazy float32 blobs in ``n_chunks`` row chunks (generated where computed)."""
    import dask.array as da
    from dask import delayed

    centers = np.random.default_rng(SEED).uniform(-10, 10, (k, n_features))
    bounds = np.linspace(0, n_samples, n_chunks + 1).astype(int)
    parts = [da.from_delayed(delayed(_blob_chunk)(b, int(n), centers),
                             shape=(int(n), n_features), dtype=np.float32)
             for b, n in enumerate(np.diff(bounds))]
    return da.concatenate(parts)


def _inertia_rows(x: np.ndarray, c: np.ndarray) -> float:
    """``sum_i min_j ||x_i - c_j||^2`` of rows ``x``, in float64."""
    x = x.astype(np.float64)
    best = np.full(x.shape[0], np.inf)
    for cj in c:  # one centre at a time: no (n, k, d) temporary
        best = np.minimum(best, ((x - cj) ** 2).sum(axis=1))
    return float(best.sum())


def inertia_float64(X, centers: np.ndarray) -> float:
    """Inertia of ``centers`` on ``X`` (NumPy or Dask), engine-independent."""
    c = np.asarray(centers, dtype=np.float64)
    if isinstance(X, np.ndarray):
        step = 100_000
        return float(sum(_inertia_rows(X[i:i + step], c)
                         for i in range(0, X.shape[0], step)))
    parts = X.map_blocks(lambda x: np.array([_inertia_rows(x, c)]), drop_axis=1,
                         chunks=((1,) * X.numblocks[0],), dtype=np.float64)
    return float(np.sum(parts.compute()))


def _reset_peak() -> None:
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")


def _peak_mib() -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def _fit_on_cluster(method: str, n_workers: int, spec: dict, init: np.ndarray,
                    abs_tol: float, runs: int) -> dict:
    """Time ``method`` on a fresh cluster; return the measurements."""
    from distributed import Client, LocalCluster, get_task_stream, wait

    def fit(X):
        if method == "dask-ml":
            from dask_ml.cluster import KMeans as DMKMeans

            m = DMKMeans(spec["k"], init=init, tol=abs_tol, max_iter=300).fit(X)
            return m.cluster_centers_, int(m.n_iter_), None
        import kmeans_core

        m = kmeans_core.KMeans(spec["k"], init=init, tol=TOL, max_iter=300).fit(X)
        per_iter = statistics.median(h.seconds for h in m.history_)
        return m.cluster_centers_, int(m.n_iter_), per_iter

    with LocalCluster(n_workers=n_workers, threads_per_worker=1, processes=True,
                      host="127.0.0.1", dashboard_address=None) as cluster, \
            Client(cluster) as client:
        X = make_blobs_dask(spec["n"], spec["d"], spec["k"], spec["chunks"]).persist()
        wait(X)
        # Untimed: load the compiled kernels in every worker.  Small chunks
        # without dependencies spread over all workers.
        fit(make_blobs_dask(1000 * 4 * n_workers, spec["d"], spec["k"],
                            4 * n_workers))
        seconds, idle = [], []
        for _ in range(runs):
            client.run(_reset_peak)
            with get_task_stream(client) as ts:
                start = time.perf_counter()
                centers, n_iter, per_iter = fit(X)
                wall = time.perf_counter() - start
            busy = sum(ss["stop"] - ss["start"] for t in ts.data
                       for ss in t["startstops"] if ss["action"] == "compute")
            seconds.append(wall)
            idle.append(1.0 - busy / (n_workers * wall))
        peak = max(client.run(_peak_mib).values())
        inertia = inertia_float64(X, centers)
    return {"seconds": seconds, "n_iter": n_iter, "per_iter": per_iter,
            "idle": statistics.median(idle), "peak": peak, "inertia": inertia}


def run_dask(n_samples: int, n_features: int, k: int, n_chunks: int, plan: Plan,
             log: Callable[[str], None]) -> tuple[list[Row], list[str]]:
    """Every method and worker count on one blobs problem (see the module doc)."""
    if not (has_module("dask") and has_module("distributed")):
        return [], ["dask/distributed not installed: dask section skipped"]
    import dask

    import kmeans_core

    spec = {"n": n_samples, "d": n_features, "k": k, "chunks": n_chunks}
    case = f"n={n_samples:,}, d={n_features}, {n_chunks} chunks"
    with dask.config.set(scheduler="synchronous"):
        X_mem = make_blobs_dask(n_samples, n_features, k, n_chunks).compute()
    init, _ = kmeans_core.kmeans_plusplus(X_mem[:INIT_ROWS], k, random_state=SEED)
    abs_tol = TOL * float(X_mem.astype(np.float64).var(axis=0).mean())
    rows: list[Row] = []
    notes = [f"dask: {case}, k = {k}, float32 blobs; LocalCluster(n x 1 thread, "
             "processes) per row; tol 1e-4 (dask-ml: the same absolute threshold)"]
    runs = plan.runs if n_samples <= 1_000_000 else 1

    log(f"  dask: in-memory fit, n={n_samples:,}")
    kmeans_core.KMeans(k, init=init, max_iter=2).fit(X_mem[:5000])  # untimed
    t, m = time_call(lambda: kmeans_core.KMeans(k, init=init, tol=TOL).fit(X_mem),
                     plan)
    rows.append(Row("dask", case, k, "ours, in memory (NumPy, all threads)", t,
                    inertia_float64(X_mem, m.cluster_centers_),
                    n_iter=int(m.n_iter_),
                    extra={"per_iter": statistics.median(h.seconds
                                                         for h in m.history_)}))
    methods = ["ours"] + (["dask-ml"] if has_module("dask_ml") else [])
    if "dask-ml" not in methods:
        notes.append("dask-ml not installed: its rows skipped")
    for n_workers in (1, 2):
        for method in methods:
            log(f"  dask: {method}, {n_workers} worker(s)")
            try:
                r = _fit_on_cluster(method, n_workers, spec, init, abs_tol, runs)
            except Exception as exc:  # a peer's failure is a finding, not a crash
                if method == "ours":
                    raise
                notes.append(f"dask-ml, {n_workers} worker(s) failed, row skipped: "
                             f"{type(exc).__name__}: {exc}")
                continue
            timing = Timing(statistics.median(r["seconds"]), len(r["seconds"]),
                            r["peak"], "worker", r["seconds"])
            name = "ours, Dask" if method == "ours" else "dask-ml KMeans"
            rows.append(Row("dask", case, k, f"{name}, {n_workers} worker(s)", timing,
                            r["inertia"], n_iter=r["n_iter"],
                            extra={"per_iter": r["per_iter"], "idle": r["idle"],
                                   "workers": n_workers}))
    return rows, notes


def dask_table(rows: list[Row]) -> list[str]:
    """Markdown table of the dask section, ratios against dask-ml and in-memory."""
    sel = [r for r in rows if r.section == "dask"]
    mem = next((r for r in sel if "in memory" in r.method), None)
    lines = []
    for r in sel:
        workers = r.extra.get("workers")
        dml = next((x for x in sel if x.method.startswith("dask-ml")
                    and x.extra.get("workers") == workers), None)
        per_iter = r.extra.get("per_iter")
        if per_iter is None and r.seconds and r.n_iter:
            per_iter = r.seconds / r.n_iter
        idle = r.extra.get("idle")
        ref = mem.inertia if mem else None
        lines.append([
            r.method, f_seconds(r.seconds), str(r.timing.runs), f_int(r.n_iter),
            f_seconds(per_iter), "—" if idle is None else f"{100 * idle:.0f} %",
            "—" if dml is None or r is dml else f"{r.seconds / dml.seconds:.2f}x",
            "—" if mem is None or r is mem else f"{r.seconds / mem.seconds:.2f}x",
            "—" if ref is None or r.inertia is None else f"{r.inertia / ref - 1:+.1e}",
            "—" if r.timing.peak_mib is None else
            (f"{r.timing.peak_mib:,.0f}" if r.timing.peak_kind == "worker"
             else f"+{r.timing.peak_mib:,.0f}"),
        ])
    return table(["method", "median wall", "runs", "iters", "per iteration",
                  "workers idle", "× dask-ml", "× in-memory",
                  "inertia vs in-memory", "peak MiB"], lines)


DASK_TEXT = (
    "Blobs generated on the workers and persisted; every method starts from the "
    "same centres; inertia recomputed in float64 for all.  *per iteration*: median "
    "of our fit's per-iteration times (history), wall / iterations for dask-ml.  "
    "*workers idle*: 1 - task compute time / (workers x wall).  *peak MiB*: peak "
    "RSS of the busiest worker process (its share of the persisted data "
    "included); `+N` for the in-memory fit is the growth of this process's RSS.  "
    f"Machine: {os.cpu_count()} logical CPUs."
)

"""Fan-out of per-series work: in-process, a local process pool, or a Dask cluster.

`fn` must be a module-level function (picklable). Results come back in input order, so the
outcome never depends on how the work was spread.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import sys
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor

from tsrnn.errors import ConfigError


def n_workers(n_jobs: int | None) -> int:
    """1 for None/1, all cores for -1, else n_jobs (≥ 1)."""
    if n_jobs is None:
        return 1
    if n_jobs == -1:
        return os.cpu_count() or 1
    if n_jobs < 1:
        raise ConfigError(f"n_jobs must be a positive number or -1 (all cores), got {n_jobs}")
    return int(n_jobs)


def map_series(
    fn: Callable, items: Sequence, n_jobs: int | None = 1, scheduler: str | None = None
) -> list:
    """[fn(x) for x in items], spread over `n_jobs` processes or a Dask scheduler address
    ("tcp://host:8786", or "local" for a LocalCluster with n_jobs workers)."""
    items = list(items)
    if scheduler:
        return _dask_map(fn, items, n_jobs, scheduler)
    workers = min(n_workers(n_jobs), len(items))
    if workers <= 1:
        return [fn(x) for x in items]
    # fork is fast but unsafe once torch's thread pools exist; spawn is always safe
    ctx = mp.get_context("spawn" if "torch" in sys.modules else "fork")
    chunk = max(1, len(items) // (4 * workers))
    with ProcessPoolExecutor(workers, mp_context=ctx) as ex:
        return list(ex.map(_one_thread, [(fn, x) for x in items], chunksize=chunk))


def _one_thread(job):
    """fn(x) with the BLAS/OpenMP pools of this worker limited to one thread: the workers already
    fill the cores, and a multi-threaded BLAS in each oversubscribes them (measured 2.4x slower)."""
    from threadpoolctl import threadpool_limits

    fn, x = job
    with threadpool_limits(limits=1):
        return fn(x)


def _dask_map(fn, items, n_jobs, scheduler):
    try:
        from dask.distributed import Client, LocalCluster
    except ImportError:
        raise ConfigError(
            "a Dask scheduler was given but dask.distributed is not installed; "
            "pip install 'tsrnn[dask]'"
        ) from None
    if scheduler == "local":
        with (
            LocalCluster(
                n_workers=n_workers(n_jobs), threads_per_worker=1, processes=True
            ) as cluster,
            Client(cluster) as client,
        ):
            return client.gather(client.map(fn, items, pure=False))
    with Client(scheduler) as client:
        return client.gather(client.map(fn, items, pure=False))

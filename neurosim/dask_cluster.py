"""A Dask client for work spread over processes or machines (the `distributed` extra): a local
cluster of single-threaded worker processes, or a running scheduler's address."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from neurosim.errors import MissingExtraError, UserError


@contextmanager
def dask_client(scheduler: str, workers: int) -> Iterator:
    """A connected `dask.distributed.Client`: to the scheduler at `scheduler` (tcp://host:8786; its
    workers must see the same files), or, for "local", to a local cluster of `workers` processes
    with one thread each."""
    try:
        from dask.distributed import Client, LocalCluster
    except ImportError:
        raise MissingExtraError("running on a Dask cluster needs the optional Dask packages: "
                                "pip install 'neurosim-hw[distributed]'") from None
    if scheduler == "local":
        with LocalCluster(n_workers=max(workers, 1), threads_per_worker=1, processes=True,
                          dashboard_address=None) as cluster, Client(cluster) as client:
            yield client
        return
    try:
        client = Client(scheduler, timeout="10s")
    except (OSError, TimeoutError, ValueError) as e:
        raise UserError(f"--scheduler {scheduler}: cannot reach a Dask scheduler there ({e}); start one with "
                        "`dask scheduler` and workers with `dask worker ADDRESS`, or use --scheduler local") from None
    with client:
        yield client

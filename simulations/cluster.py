"""What-ifs on Dask distributed, for a population one machine cannot score in time.

The tasks are the same as on the local process pool (``shards``): each carries the run's
standards and scenario, so a worker on any machine compiles them itself and sends back a
small summary. ``scheduler`` is ``"local"`` — a ``LocalCluster`` of ``workers`` processes
started for the run and closed after it — or the address of a running scheduler.

Workers on other machines (simulations/README.md): install this package at the same version
as the machine that submits, then ``dask scheduler`` on one machine and
``dask worker tcp://<scheduler>:8786 --nthreads 1`` on each of the others (one thread: the
rules engine serialises its calls, so threads would only wait for each other).
"""

from __future__ import annotations

from collections.abc import Callable, Generator
from typing import Any

from xinzhi import tuning


def results(tasks: list[tuple[Callable[..., Any], tuple]], scheduler: str,
            workers: int) -> Generator[Any | None, None, None]:
    """Each task's result as it finishes, None each second without one; closing cancels what has not run."""
    from distributed import Client, LocalCluster, wait

    with tuning.every_cpu():  # the workers spread over the CPUs, even under a server (``tuning.python_on_one_cpu``)
        local = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None) \
            if scheduler == "local" else None
    client = Client(local if local is not None else scheduler)
    pending: set = set()
    try:
        pending = {client.submit(function, *args, pure=False) for function, args in tasks}
        while pending:
            try:
                done, still = wait(pending, timeout=1.0, return_when="FIRST_COMPLETED")
            except TimeoutError:
                yield None
                continue
            pending = set(still)
            for future in done:
                yield future.result()
    finally:
        client.cancel(list(pending))
        client.close()
        if local is not None:
            local.close()

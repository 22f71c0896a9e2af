"""The samples of one simulation as tasks on a Dask cluster (the `distributed` extra).

The compiled chip goes to every worker once (scattered, broadcast); its simulation plan is then built
once per worker and kept on the worker's copy (`plan_for` caches it on the chip), so tasks after the
first pay only for their samples. Each task simulates a slice of the samples single-threaded and the
slices join into one `SimResult`, equal to `simulate` on all of them in one process (samples are
independent: each starts from rest, or is a stream of its own).
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from neurosim.mapper.compiled import CompiledChip
from neurosim.sim.engine import SimResult, simulate


def join_results(parts: list[SimResult]) -> SimResult:
    """One SimResult from results over consecutive slices of the samples (in order)."""
    first = parts[0]

    def cat(name: str):
        xs = [getattr(p, name) for p in parts]
        return None if xs[0] is None else np.concatenate(xs, axis=0)

    return replace(first,
                   counts={k: np.concatenate([p.counts[k] for p in parts]) for k in first.counts},
                   spikes_per_population={k: np.concatenate([p.spikes_per_population[k] for p in parts])
                                          for k in first.spikes_per_population},
                   **{name: cat(name) for name in ("step_cycles", "step_s", "overhead_s", "core_busy_cycles",
                                                    "raster", "potentials", "link_loads", "injected",
                                                    "delivered")})


def _simulate_slice(chip: CompiledChip, inputs: np.ndarray, kw: dict) -> SimResult:
    import numba

    numba.set_num_threads(1)     # one task per worker process: parallel across tasks, not inside one
    return simulate(chip, inputs, **kw)


def simulate_on_cluster(chip: CompiledChip, inputs: np.ndarray, client, tasks: int | None = None,
                        **kw) -> SimResult:
    """`simulate(chip, inputs, **kw)` with the samples split into `tasks` slices (default: one per
    worker) run on the Dask `client`'s workers (`neurosim.dask_cluster.dask_client`). In streaming
    mode a slice holds whole streams."""
    inputs = np.asarray(inputs)
    per = kw.get("stream_length", 1) if kw.get("mode") == "streaming" else 1
    units = inputs.shape[0] // per
    n = max(1, min(tasks or len(client.scheduler_info()["workers"]) or 1, units))
    bounds = [per * (units * i // n) for i in range(n + 1)]
    shared = client.scatter(chip, broadcast=True)
    slices = client.scatter([inputs[a:b] for a, b in zip(bounds, bounds[1:], strict=False)])
    futures = [client.submit(_simulate_slice, shared, x, kw, pure=False) for x in slices]
    return join_results(client.gather(futures))

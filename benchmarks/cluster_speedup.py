#!/usr/bin/env python3
"""Speed-up of running on a local Dask cluster of 2 worker processes against 1 (`distributed` extra):
(a) the samples of one large simulation (`neurosim.sim.cluster.simulate_on_cluster`) and (b) the
points of a design-space sweep (`neurosim dse --scheduler local`).

    python benchmarks/cluster_speedup.py

(a) big_network(4, 65536, 16) (4.2 M synapses) on loihi_nahuku32, 16 inputs x 10 steps; each
cluster is started, the chip sent to its workers and the kernels warmed before the clock starts, so
the figure is the steady-state one; median of 3. (b) `neurosim dse workloads/ff784.yaml --hw loihi
--vary core.synapse_memory_bits=...` with 4 variants, the whole command timed (cluster start
included), after one run that fills the caches.
"""
from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from statistics import median

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from sim_speed import big_network  # noqa: E402

from neurosim.config import load_hardware  # noqa: E402
from neurosim.dask_cluster import dask_client  # noqa: E402
from neurosim.mapper import compile_network  # noqa: E402
from neurosim.sim.cluster import simulate_on_cluster  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]


def samples_speedup() -> dict:
    hw = load_hardware("loihi_nahuku32")[0]
    net = big_network(4, 65536, 16)
    x = (np.random.default_rng(1).random((16, 10, 65536)) < 0.1).astype(np.int8)
    chip = compile_network(net, hw, "sparse", objective="cores", inputs=x[:1])
    out = {}
    for workers in (1, 2):
        with dask_client("local", workers) as client:
            simulate_on_cluster(chip, x[:workers], client)          # chip to every worker, plan built, kernels warm
            times = []
            for _ in range(3):
                t0 = time.perf_counter()
                simulate_on_cluster(chip, x, client)
                times.append(time.perf_counter() - t0)
        out[workers] = median(times)
    return {"samples_seconds": out, "samples_speedup": out[1] / out[2]}


def sweep_speedup() -> dict:
    out = {}
    cli = str(Path(sys.executable).parent / "neurosim")
    base = [cli, "dse", str(ROOT / "workloads" / "ff784.yaml"), "--hw", "loihi",
            "--vary", "core.synapse_memory_bits=524288,1048576,2097152,4194304", "-q", "--ignore-limits",
            "--scheduler", "local"]
    with tempfile.TemporaryDirectory() as d:
        subprocess.run(base + ["--workers", "2", "--out", f"{d}/warm"], check=True, capture_output=True)
        for workers in (1, 2):
            t0 = time.perf_counter()
            subprocess.run(base + ["--workers", str(workers), "--out", f"{d}/w{workers}"], check=True,
                           capture_output=True)
            out[workers] = time.perf_counter() - t0
    return {"sweep_seconds": out, "sweep_speedup": out[1] / out[2]}


if __name__ == "__main__":
    print(json.dumps({**samples_speedup(), **sweep_speedup()}, indent=1))

"""Compile time and peak memory of the mapper on a large random network (no simulation).

    .venv/bin/python benchmarks/mapper_scale.py --neurons 1000000 --fan-in 100 --layers 4 --format sparse

Builds `layers` equal populations (the first is the input) fed forward with `fan-in` random sources
within +-window positions of each neuron (local receptive fields; duplicates dropped), maps them on a
Loihi-like chip whose mesh is enlarged to 64 x 64 cores, and prints the compile seconds and peak RSS.
"""

from __future__ import annotations

import argparse
import resource
import time
from dataclasses import replace

import numpy as np

from neurosim.config import load_hardware
from neurosim.ir import Network, Neuron, Population, Projection
from neurosim.mapper import compile_network


def random_layered(neurons: int, fan_in: int, layers: int, window: int = 1024, seed: int = 0) -> Network:
    rng = np.random.default_rng(seed)
    n = neurons // layers
    pops = [Population("input", n)] + [Population(f"l{i}", n, Neuron(threshold=64.0)) for i in range(1, layers)]
    projs = []
    for i in range(1, layers):
        post = np.repeat(np.arange(n, dtype=np.int64), fan_in)
        # local receptive fields: sources within +-window of the target's position (as in conv nets)
        pre = np.clip(post + rng.integers(-window, window + 1, size=post.size), 0, n - 1)
        # sort by (pre, post) without a lexsort over the whole array: bucket by pre with a stable argsort
        order = np.argsort(pre, kind="stable")
        pre, post = pre[order], post[order]
        keep = np.concatenate(([True], (pre[1:] != pre[:-1]) | (post[1:] != post[:-1])))
        w = rng.integers(-127, 128, size=int(keep.sum()), dtype=np.int32)
        w[w == 0] = 1
        projs.append(Projection(pops[i - 1].name, pops[i].name, pre[keep].astype(np.uint32),
                                post[keep].astype(np.uint32), w, kind="sparse"))
    return Network(pops, projs, name="scale", integer=True, state_bits=24)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--neurons", type=int, default=1_000_000)
    ap.add_argument("--fan-in", type=int, default=100)
    ap.add_argument("--layers", type=int, default=4)
    ap.add_argument("--window", type=int, default=1024)
    ap.add_argument("--format", default="sparse")
    ap.add_argument("--placement", default="traffic")
    ap.add_argument("--profile", action="store_true", help="print a cProfile of compile_network")
    a = ap.parse_args()
    t0 = time.perf_counter()
    net = random_layered(a.neurons, a.fan_in, a.layers, a.window)
    t1 = time.perf_counter()
    print(f"network: {net.n_neurons} neurons, {net.n_synapses} synapses, built in {t1 - t0:.1f} s", flush=True)
    hw = load_hardware("loihi")[0]
    side = 64
    hw = replace(hw, mesh=replace(hw.mesh, cols=side, rows=side, cores_per_router=1))
    if a.profile:
        import cProfile
        import pstats
        prof = cProfile.Profile()
        chip = prof.runcall(compile_network, net, hw, a.format, placement=a.placement)
        pstats.Stats(prof).sort_stats("cumtime").print_stats(25)
    else:
        chip = compile_network(net, hw, a.format, placement=a.placement, objective="cores")
    t2 = time.perf_counter()
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20
    print(f"compile ({a.format}, {a.placement}): {t2 - t1:.1f} s, {chip.n_cores} cores, {chip.row_core.size} rows, "
          f"{chip.syn_post.size} synapses; placement cost {chip.placement_cost_hops:.4g} vs serpentine "
          f"{chip.baseline_cost_hops:.4g}; peak RSS {rss:.2f} GiB")


if __name__ == "__main__":
    main()

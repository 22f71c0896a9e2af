#!/usr/bin/env python3
"""Peak memory and time per stage (build, quantize, map, plan, simulate) for networks of 10^7 ... 10^9 synapses,
with peak bytes per synapse and how each grows from one size to the next.

    python benchmarks/scale_memory.py                                   # local 1e7 1e8 1e9, random 1e7 1e8
    python benchmarks/scale_memory.py --synapses 1e7 1e8 --random-synapses   # chosen sizes, local only

Each size runs in a fresh process (so peaks do not carry over); a background thread samples the
process's resident memory every 20 ms, and each stage reports the highest resident memory seen while
it ran ("above start": less the interpreter, numpy and numba before the network is built). The network
(`layered_network`): an input and 4 LIF layers of equal width, every neuron sending 100 synapses to
distinct random targets in the next layer: within a window of +-1024 positions around its own (`local`,
receptive fields as in conv nets and cortical models) or anywhere in the layer (`random`, the worst case:
a source's targets fall on ever more cores, about one row per synapse). Built compactly with float32
weights, quantized to the chip's 8-bit weights (`narrow=True`: int8) and the float network dropped,
mapped in the sparse format onto a Loihi-like chip enlarged to hold it (sim_speed.big_chip), serpentine
placement (the traffic-aware search is capped and would only add time); then the deploy network's
synapses are dropped (the chip holds them), the plan built and 2 samples x 10 steps simulated at 10 %
input activity. A size whose peak, extrapolated from the two largest sizes measured, would pass
--max-gib is not run: the table says so.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
LAYERS, FAN_OUT, WINDOW = 4, 100, 1024


def rss_bytes() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * 4096


class Peak:
    """Highest resident memory seen between start() and stop(), sampled every 20 ms."""

    def __init__(self):
        self.value, self._on = 0, False

    def _run(self):
        while self._on:
            self.value = max(self.value, rss_bytes())
            time.sleep(0.02)

    def __enter__(self):
        self.value, self._on = rss_bytes(), True
        self._t = threading.Thread(target=self._run, daemon=True)
        self._t.start()
        self.t0 = time.perf_counter()
        return self

    def __exit__(self, *exc):
        self.seconds = time.perf_counter() - self.t0
        self._on = False
        self._t.join()
        self.value = max(self.value, rss_bytes())


def layered_network(layers: int, width: int, fan_out: int, window: int | None, seed: int = 7):
    """Float feed-forward network built compactly: an input and `layers` LIF layers of `width` neurons; every
    neuron sends `fan_out` synapses to distinct random targets of the next layer, within a receptive
    window of 2·window + 1 positions around its own (None: anywhere in the layer), float32 weights in
    [1, 8). Built a block of sources at a time straight into the sorted uint32 / float32 arrays the
    network keeps (12 bytes per synapse), with no temporaries of the whole projection."""
    import numpy as np

    from neurosim.ir import Network, Neuron, Population, Projection

    rng = np.random.default_rng(seed)
    neuron = Neuron(decay=0.9, threshold=float(2 * fan_out), reset="zero")
    pops = [Population("input", width)] + [Population(f"l{i}", width, neuron=neuron) for i in range(1, layers + 1)]
    span = width if window is None else min(width, 2 * window + 1)
    k = np.arange(fan_out, dtype=np.int64)
    block = max(1, (1 << 20) // fan_out)
    projs = []
    for i in range(layers):
        n = width * fan_out
        pre, post, w = np.empty(n, np.uint32), np.empty(n, np.uint32), np.empty(n, np.float32)
        for a in range(0, width, block):
            b = min(a + block, width)
            s = np.arange(a, b, dtype=np.int64)
            # fan_out distinct sorted offsets in [0, span): sorted draws from [0, span - fan_out] plus 0..fan_out-1
            d = rng.integers(0, span - fan_out + 1, size=(b - a, fan_out))
            d.sort(axis=1)
            d += k
            if window is not None:
                d += np.clip(s - window, 0, width - span)[:, None]
            pre[a * fan_out:b * fan_out] = np.repeat(s, fan_out)
            post[a * fan_out:b * fan_out] = d.ravel()
            w[a * fan_out:b * fan_out] = rng.random((b - a) * fan_out, dtype=np.float32) * 7 + 1
            del d, s
        projs.append(Projection(pops[i].name, pops[i + 1].name, pre, post, w, kind="sparse"))
        del pre, post, w
    return Network(pops, projs, name="layered")


def one_size(synapses: float, topology: str, window: int) -> dict:
    """Run every stage for one size in this process; returns per-stage peak bytes and seconds."""
    import numpy as np

    sys.path.insert(0, str(HERE))
    from sim_speed import big_chip

    from neurosim.ir import quantize
    from neurosim.mapper import compile_network
    from neurosim.sim import simulate
    from neurosim.sim.engine import plan_for

    width = int(round(synapses / (LAYERS * FAN_OUT)))
    out: dict = {"synapses_target": synapses, "topology": topology, "width": width, "stages": {},
                 "start": rss_bytes()}   # the interpreter, numpy and numba before any network
    with Peak() as p:   # the float network a user would bring (float32 weights)
        net = layered_network(LAYERS, width, FAN_OUT, window if topology == "local" else None)
    out["synapses"], out["neurons"] = net.n_synapses, net.n_neurons
    out["stages"]["build"] = (p.value, p.seconds)
    cores = -(-net.n_neurons // 1024)
    side = int(math.ceil(math.sqrt(-(-cores * 3 // 2) / 4)))
    hw = big_chip(side, side)
    with Peak() as p:
        net = quantize(net, hw.core.weight_bits, hw.core.state_bits, narrow=True)   # the float network is dropped
    out["stages"]["quantize"] = (p.value, p.seconds)
    with Peak() as p:
        chip = compile_network(net, hw, "sparse", objective="cores", placement="serpentine")
        del net                       # the chip holds every synapse: keep only the network's populations
        chip.drop_network_synapses()
    out["stages"]["map"] = (p.value, p.seconds)
    out["cores"], out["rows"] = chip.n_cores, int(chip.row_core.size)
    with Peak() as p:
        plan_for(chip)
    out["stages"]["plan"] = (p.value, p.seconds)
    x = (np.random.default_rng(1).random((2, 10, width)) < 0.1).astype(np.int8)
    simulate(chip, x[:, :2])            # compile the kernel outside the measurement
    with Peak() as p:
        res = simulate(chip, x)
    out["stages"]["simulate"] = (p.value, p.seconds)
    out["synaptic_ops"] = int(res.counts["synaptic_ops"].sum())
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--synapses", type=float, nargs="*", default=[1e7, 1e8, 1e9], help="sizes, local topology")
    ap.add_argument("--random-synapses", type=float, nargs="*", default=[1e7, 1e8],
                    help="sizes, random-source topology (the worst case)")
    ap.add_argument("--window", type=int, default=WINDOW, help="half-width of the local receptive window")
    ap.add_argument("--max-gib", type=float, default=20.0, help="skip a size projected above this peak")
    ap.add_argument("--one", type=float, help=argparse.SUPPRESS)
    ap.add_argument("--topology", default="local", help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.one:
        print(json.dumps(one_size(a.one, a.topology, a.window)))
        return
    # freed arrays go back to the system at once: glibc otherwise raises its mmap threshold to the size of
    # the largest array freed so far (up to 32 MiB), and blocks below it stay in the process after a free
    env = {**os.environ, "MALLOC_MMAP_THRESHOLD_": str(1 << 20)}
    rows: list[dict] = []
    for topo, sizes in (("local", a.synapses), ("random", a.random_synapses)):
        for s in sorted(sizes):
            done = [r for r in rows if "stages" in r and r["topology"] == topo]
            if len(done) >= 2:
                (s0, p0), (s1, p1) = [(r["synapses"], max(v[0] for v in r["stages"].values())) for r in done[-2:]]
                k = math.log(p1 / p0) / math.log(s1 / s0)
                projected = p1 * (s / s1) ** k / 2 ** 30
                if projected > a.max_gib:
                    rows.append({"synapses_target": s, "topology": topo,
                                 "skipped": f"projected peak {projected:.0f} GiB > {a.max_gib} GiB"})
                    print(json.dumps(rows[-1]), flush=True)
                    continue
            r = subprocess.run([sys.executable, __file__, "--one", str(s), "--topology", topo, "--window",
                                str(a.window)], capture_output=True, text=True, env=env)
            if r.returncode != 0:
                rows.append({"synapses_target": s, "topology": topo,
                             "skipped": f"failed (exit {r.returncode}): {r.stderr.strip()[-200:]}"})
            else:
                rows.append(json.loads(r.stdout.strip().splitlines()[-1]))
            print(json.dumps(rows[-1]), flush=True)
    print("\n| topology | synapses | neurons | cores | rows/synapse | stage | peak GiB | bytes/synapse | "
          "above start | seconds |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        if "skipped" in r:
            print(f"| {r['topology']} | {r['synapses_target']:.0e} | | | | all | not run: {r['skipped']} | | | |")
            continue
        for st, (b, sec) in r["stages"].items():
            print(f"| {r['topology']} | {r['synapses']:.3g} | {r['neurons']:,} | {r['cores']:,} | "
                  f"{r['rows'] / r['synapses']:.3f} | {st} | {b / 2**30:.2f} | {b / r['synapses']:.1f} | "
                  f"{(b - r['start']) / r['synapses']:.1f} | {sec:.1f} |")
    for topo in ("local", "random"):
        done = [r for r in rows if "stages" in r and r["topology"] == topo]
        for a_, b_ in zip(done, done[1:], strict=False):
            f = b_["synapses"] / a_["synapses"]
            grow = {st: (math.log(b_["stages"][st][0] / a_["stages"][st][0]) / math.log(f),
                         math.log(max(b_["stages"][st][1], 1e-3) / max(a_["stages"][st][1], 1e-3)) / math.log(f))
                    for st in a_["stages"]}
            print(f"\n{topo} {a_['synapses']:.3g} -> {b_['synapses']:.3g} synapses: exponent of growth (memory, time) "
                  "per stage: " + ", ".join(f"{st} ({m:.2f}, {t:.2f})" for st, (m, t) in grow.items()))


if __name__ == "__main__":
    main()

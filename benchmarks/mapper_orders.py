"""Neuron orders of conv layers compared (docs/mapping.md §2): cores, synapse memory, output axons
(packets if every neuron spikes once) and serpentine packet-hops under that uniform traffic, per
pruning level and format, for every order of `neurosim.mapper.order`. Maps on the Loihi preset with
a 16x16 tile mesh so that channel-major (255 cores) maps too.

    .venv/bin/python benchmarks/mapper_orders.py [--workload workloads/mnist_cnn.yaml]
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from neurosim.config import load_hardware, load_workload  # noqa: E402
from neurosim.ir import quantize  # noqa: E402
from neurosim.mapper import ORDERS, compile_network  # noqa: E402
from neurosim.prune.magnitude import prune_magnitude  # noqa: E402
from neurosim.sweep.sources import make_source  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--workload", default="workloads/mnist_cnn.yaml")
    ap.add_argument("--levels", default="0,0.5,0.8,0.9,0.95")
    ap.add_argument("--formats", default="sparse,dense,auto")
    a = ap.parse_args()
    path = Path(a.workload)
    net = make_source(load_workload(path)[0], path, progress=False).dense
    hw = load_hardware("loihi")[0]
    hw = replace(hw, mesh=replace(hw.mesh, cols=16, rows=16))
    print("| sparsity, format | " + " | ".join(f"{o}: cores / Mbit / fan-out / hops" for o in ORDERS) + " |")
    for s in (float(x) for x in a.levels.split(",")):
        q = quantize(prune_magnitude(net, s) if s > 0 else net, hw.core.weight_bits, hw.core.state_bits)
        for fmt in a.formats.split(","):
            cells = []
            for order in ORDERS:
                c = compile_network(q, hw, fmt, placement="serpentine", order=order, objective="cores")
                t = c.totals()
                cells.append(f"{c.n_cores} / {t['synapse_bits'] / 1e6:.2f} / {t['fan_out_axons']} / "
                             f"{c.baseline_cost_hops:.0f}")
            print(f"| {s:g}, {fmt} | " + " | ".join(cells) + " |", flush=True)


if __name__ == "__main__":
    main()

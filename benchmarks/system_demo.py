#!/usr/bin/env python3
"""A network that needs several Loihi chips, run end to end on a system (default: the 32-chip Nahuku
board): mapped with system-aware placement, simulated with inter-chip links and the system barrier,
priced with every chip's and the board's power. Prints the per-chip fit summary and the on-chip vs
inter-chip figures as JSON.

  python benchmarks/system_demo.py                       # 4 x 65,536 neurons, 4 M synapses: 8+ chips
  python benchmarks/system_demo.py --width 262144 --layers 4   # 1.3 M neurons, 16 M synapses: 32 chips
  python benchmarks/system_demo.py --layers 2 --width 32768 --objective latency   # mapping for latency
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from sim_speed import big_network, peak_gib  # noqa: E402

from neurosim.config import load_hardware  # noqa: E402
from neurosim.energy import INTER_CHIP, energy_breakdown, idle_power_w  # noqa: E402
from neurosim.mapper import compile_network  # noqa: E402
from neurosim.mapper.report import per_chip_lines  # noqa: E402
from neurosim.sim import simulate  # noqa: E402
from neurosim.sim.engine import plan_for  # noqa: E402
from neurosim.sim.plan import chips_used  # noqa: E402
from neurosim.sweep.pipeline import inter_chip_time_s  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--hw", default="loihi_nahuku32")
    ap.add_argument("--layers", type=int, default=4)
    ap.add_argument("--width", type=int, default=65_536)
    ap.add_argument("--fan-in", type=int, default=16)
    ap.add_argument("--samples", type=int, default=2)
    ap.add_argument("--steps", type=int, default=8)
    ap.add_argument("--objective", default="cores", choices=("cores", "latency"),
                    help="mapping objective (latency: spread the busiest layers, on the chips the network needs)")
    a = ap.parse_args()
    hw = load_hardware(a.hw)[0]
    t0 = time.perf_counter()
    net = big_network(a.layers, a.width, a.fan_in)
    t_build = time.perf_counter() - t0
    rng = np.random.default_rng(1)
    x = (rng.random((a.samples, a.steps, a.width)) < 0.1).astype(np.int32)
    t0 = time.perf_counter()
    chip = compile_network(net, hw, "sparse", objective=a.objective, inputs=x[:1])
    t_map = time.perf_counter() - t0
    t0 = time.perf_counter()
    res = simulate(chip, x)
    t_sim = time.perf_counter() - t0
    lat = float(res.latency_s().mean())
    link_time = inter_chip_time_s(chip, x, res.latency_s())[0]   # not in t_sim: a second run, on more than one chip
    barrier_time = float(plan_for(chip).barrier_cycles) / res.clock_hz * res.steps
    counts = res.mean_counts()
    b = energy_breakdown(counts, lat, hw, chip.n_cores)
    inter = sum(b[k] for k in INTER_CHIP)
    print("\n".join(per_chip_lines(chip)))
    print(json.dumps({
        "system": hw.name, "objective": chip.objective, "neurons": net.n_neurons, "synapses": net.n_synapses,
        "cores_used": chip.n_cores,
        "chips_used": chips_used(chip), "chips": hw.n_chips,
        "energy_per_inference_j": sum(b.values()), "inter_chip_energy_j": inter,
        "on_chip_dynamic_energy_j": sum(v for k, v in b.items() if k not in (*INTER_CHIP, "static", "armed")),
        "static_energy_j": b["static"], "armed_energy_j": b["armed"], "idle_power_w": idle_power_w(hw, chip.n_cores),
        "packets_per_inference": counts["packets"], "chip_crossings_per_inference": counts["chip_crossings"],
        "latency_s": lat, "mean_step_s": lat / res.steps, "barrier_cycles": float(plan_for(chip).barrier_cycles),
        "barrier_time_s": barrier_time, "inter_chip_time_s": link_time,
        "placement_cost_hops": chip.placement_cost_hops, "serpentine_cost_hops": chip.baseline_cost_hops,
        "seconds": {"build": round(t_build, 1), "map": round(t_map, 1), "simulate": round(t_sim, 1)},
        "peak_memory_gib": round(peak_gib(), 2)}, indent=1))


if __name__ == "__main__":
    main()

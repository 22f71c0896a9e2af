#!/usr/bin/env python3
"""Simulator speed on the standard workload ff784 (DESIGN §8), as a ratio to the bare reference kernel.

The workload is built exactly like `reference_kernel.make_workload` (784-1024-1024-10, random pruning
mask at sparsity s, per-layer gains bisected for 15 % activity, Bernoulli(0.15) input, T = 100,
seed 1234). The reference module is imported from --reference when that file exists (and its
kernel is timed in the same run); otherwise the construction below is used and no ratio is printed.
The network is quantized for the chip, mapped (compile time excluded, reported apart) and run
through the full simulator (NoC routing, contention and cycle accounting on). Input spikes are
encoded to events once, outside the timing, as the reference builds its input CSR outside its
timing; everything else `simulate` does is timed (tables, outputs, result). Figures are medians
over repeats. `single_thread` runs one sample on one numba thread (like for like with the reference);
`parallel` runs --samples samples over all threads (prange over samples).

  python benchmarks/sim_speed.py                          # all sparsities, JSON lines
  python benchmarks/sim_speed.py --sparsity 0.9 --repeats 5
  python benchmarks/sim_speed.py --big                    # >= 1 M neurons, >= 100 M synapses; peak memory
"""
from __future__ import annotations

import argparse
import importlib.util
import json
import resource
import sys
import time
from pathlib import Path

import numba
import numpy as np

from neurosim.config import load_hardware, parse_mapping
from neurosim.config.hardware import Hardware
from neurosim.ir import Network, Neuron, Population, Projection, quantize
from neurosim.mapper import compile_network
from neurosim.sim import encode_events, simulate
from neurosim.sim.engine import plan_for
from neurosim.sim.plan import FAST_DENSE_MIN_DENSITY, build_plan

SIZES = (784, 1024, 1024, 10)
T = 100
P_IN = 0.15
TARGET_RATE = 0.15
BETA = np.float32(np.exp(-0.1))
THETA = np.float32(1.0)
SPARSITIES = (0.0, 0.5, 0.9, 0.99)
DEFAULT_REF = Path(__file__).resolve().parent.parent.parent / "shared" / "bench" / "reference_kernel.py"


# --- workload construction (same as reference_kernel.make_workload) --------------------------------
def _layer(W, raster):
    v = np.zeros(W.shape[1], np.float32)
    out = np.zeros((raster.shape[0], W.shape[1]), bool)
    for t in range(raster.shape[0]):
        v *= BETA
        s = v >= THETA
        v += raster[t].astype(np.float32) @ W
        v[s] = 0.0
        out[t] = s
    return out


def make_workload(sparsity: float, seed: int = 1234):
    rng = np.random.default_rng(seed)
    inp = rng.random((T, SIZES[0])) < P_IN
    wrng = np.random.default_rng(seed + int(round(sparsity * 1000)) + 1)
    Ws, raster = [], inp
    for l in range(3):
        raw = wrng.normal(0.5, 1.0, size=(SIZES[l], SIZES[l + 1])).astype(np.float32)
        mask = wrng.random(raw.shape) >= sparsity
        if not mask.any():
            mask[0, 0] = True
        raw *= mask
        fan = max(SIZES[l] * (1.0 - sparsity) * raster.mean(), 1e-3)
        lo, hi = 1e-3 / fan, 200.0 / fan
        for _ in range(40):
            g = np.sqrt(lo * hi)
            r = _layer((raw * np.float32(g)).astype(np.float32), raster).mean()
            lo, hi = (g, hi) if r < TARGET_RATE else (lo, g)
        W = (raw * np.float32(np.sqrt(lo * hi))).astype(np.float32)
        W[~mask] = 0.0
        raster = _layer(W, raster)
        Ws.append(W)
    return inp, Ws


def load_reference(path: str | None):
    if not path or not Path(path).is_file():
        return None
    spec = importlib.util.spec_from_file_location("reference_kernel", path)
    mod = importlib.util.module_from_spec(spec)
    sys.modules["reference_kernel"] = mod  # numba's cache re-imports the module by this name
    spec.loader.exec_module(mod)
    return mod


def network_of(Ws) -> Network:
    """The reference's float weights as a neurosim network (LIF v ← βv + I, fire at v ≥ 1, reset to 0)."""
    neuron = Neuron(decay=float(BETA), threshold=1.0, reset="zero", fire_at_equal=True)
    pops = [Population("input", SIZES[0])] + [Population(f"lif{i}", SIZES[i], neuron=neuron) for i in (1, 2, 3)]
    projs = [Projection.from_dense(pops[i].name, pops[i + 1].name, W, kind="dense") for i, W in enumerate(Ws)]
    return Network(pops, projs, name="ff784")


def reference_runner(ref, inp, Ws):
    """(run, synaptic events) of the reference kernel on this workload, set up as reference.measure does."""
    counts = inp.sum(axis=1)
    inp_ptr = np.zeros(ref.T + 1, np.uint32)
    np.cumsum(counts, out=inp_ptr[1:])
    inp_idx = np.nonzero(inp)[1].astype(np.uint32)
    indptr, idx, w, offs = ref.global_csr(Ws)
    n_in, n_tot = np.uint64(offs[1]), np.uint64(offs[-1])
    v = np.zeros(int(n_tot), np.float32)
    cnt = np.zeros(int(n_tot), np.int64)
    sp = np.zeros(int(n_tot) + 1, np.uint32)

    def run():
        ref.sim_csr(ref.T, n_in, n_tot, inp_ptr, inp_idx, indptr, idx, w, ref.BETA, ref.THETA, v, cnt, sp)
    run()
    return run, int((cnt * np.diff(indptr.astype(np.int64))).sum())


def paired_times(fns, repeats: int, min_seconds: float) -> list[tuple[float, float]]:
    """Median (wall, cpu) seconds of each function, run interleaved so that load from other processes
    on the machine hits all of them alike."""
    for f in fns:
        f()
    wall = [[] for _ in fns]
    cpu = [[] for _ in fns]
    t0 = time.perf_counter()
    while len(wall[0]) < repeats or (time.perf_counter() - t0 < min_seconds * len(fns) and len(wall[0]) < 200):
        for i, f in enumerate(fns):
            w0, c0 = time.perf_counter(), time.process_time()
            f()
            wall[i].append(time.perf_counter() - w0)
            cpu[i].append(time.process_time() - c0)
    return [(float(np.median(w)), float(np.median(c))) for w, c in zip(wall, cpu, strict=True)]


def run_ff784(args, ref) -> None:
    hw, _, _ = load_hardware(args.hw)
    threads = numba.get_num_threads()
    records = {}
    for s in args.sparsity or SPARSITIES:
        inp, Ws = (ref.make_workload(s) if ref else make_workload(s))
        t0 = time.perf_counter()
        # fewest cores, as the speed contract was set: the latency objective multiplies the packets
        chip = compile_network(quantize(network_of(Ws), hw.core.weight_bits, hw.core.state_bits), hw, args.format,
                               objective="cores")
        plan = build_plan(chip, args.dense_min_density)
        compile_s = time.perf_counter() - t0
        one = encode_events(inp[None].astype(np.int32))  # outside the timing, as the reference's input CSR
        numba.set_num_threads(1)
        res = simulate(chip, one, plan=plan)
        ev = int(res.counts["synaptic_ops"][0])
        fns = [lambda c=chip, x=one, p=plan: simulate(c, x, plan=p)]
        if ref:
            ref_run, ref_ev = reference_runner(ref, inp, Ws)
            fns.append(ref_run)
        times = paired_times(fns, args.repeats, args.min_seconds)
        sec, cpu = times[0]
        rec = {"workload": "ff784", "sparsity": s, "hardware": hw.name, "cores": chip.n_cores,
               "dense_min_density": args.dense_min_density,
               "formats": sorted(set(chip.formats.values())), "timesteps": T, "steps": res.steps,
               "spikes": int(res.counts["spikes"][0]), "synaptic_events": ev, "seconds": sec,
               "events_per_second": ev / sec, "cpu_seconds": cpu, "compile_seconds": compile_s,
               "packets": int(res.counts["packets"][0]), "hops": int(res.counts["hops_x"][0] + res.counts["hops_y"][0]),
               "latency_s": float(res.latency_s()[0])}
        if ref:
            rsec, rcpu = times[1]
            rec.update(reference_synaptic_events=ref_ev, reference_seconds=rsec,
                       reference_events_per_second=ref_ev / rsec, ratio_to_reference=(ev / sec) / (ref_ev / rsec),
                       ratio_to_reference_cpu=(ev / cpu) / (ref_ev / rcpu))
        numba.set_num_threads(threads)
        if args.samples > 1:
            rng = np.random.default_rng(99)
            many = np.concatenate([inp[None], rng.random((args.samples - 1, T, SIZES[0])) < P_IN]).astype(np.int32)
            many = encode_events(many)
            resm = simulate(chip, many, plan=plan)
            secm = paired_times([lambda c=chip, x=many, p=plan: simulate(c, x, plan=p)], max(3, args.repeats // 3),
                                args.min_seconds)[0][0]
            evm = int(resm.counts["synaptic_ops"].sum())
            rec["parallel"] = {"threads": threads, "samples": args.samples, "seconds": secm,
                               "synaptic_events": evm, "events_per_second": evm / secm}
            if ref:
                rec["parallel"]["ratio_to_reference"] = evm / secm / (ref_ev / rsec)
        print(json.dumps(rec), flush=True)
        records[s] = rec
    if 0.0 in records and 0.9 in records:  # the speed contract's scaling figure (target <= 0.2)
        summary = {"summary": "ff784", "wall_0.9_over_0": records[0.9]["seconds"] / records[0.0]["seconds"]}
        if ref:
            summary["min_ratio_to_reference"] = min(r["ratio_to_reference"] for r in records.values())
        print(json.dumps(summary), flush=True)


# --- big network ---------------------------------------------------------------------------------------
def big_chip(cols: int, rows: int) -> Hardware:
    """A generic large mesh: 1024-neuron cores with 16 Mbit synapse memory (sparse format), Loihi timing."""
    q = lambda v: {"value": v, "source": "assumed: benchmark"}  # noqa: E731
    return parse_mapping(Hardware, {
        "name": f"big{cols}x{rows}", "mesh": {"cols": cols, "rows": rows, "cores_per_router": 4},
        "clock": {"frequency_hz": q(1e9)},
        "core": {"max_neurons": 1024, "synapse_memory_bits": 1 << 24, "synapse_word_bits": 64, "weight_bits": 8,
                 "state_bits": 24, "max_fan_in_axons": 1 << 18, "max_fan_out_axons": 1 << 16,
                 "routing_table_entries": 1 << 16, "routing_entry_bits": 40, "synapse_formats": ["sparse"],
                 "row_header_bits": 64, "neuron_state_bits": 64},
        "timing": {"synaptic_op_cycles": q(3.5), "synaptic_lanes": 1, "word_read_cycles": q(0.0),
                   "row_header_cycles": q(20.0), "neuron_update_active_cycles": q(8.4),
                   "neuron_update_idle_cycles": q(5.3), "spike_emit_cycles": q(2.1)},
        "noc": {"hop_x_cycles": q(4.1), "hop_y_cycles": q(6.5), "packet_bits": 32, "link_width_bits": 32,
                "barrier_cycles": q(465.0)},
        "energy": {k: q(1.0) for k in ("synaptic_op_pj", "word_read_pj", "neuron_update_active_pj",
                                        "neuron_update_idle_pj", "spike_generated_pj", "packet_injected_pj",
                                        "hop_x_pj", "hop_y_pj", "barrier_pj")},
        "power": {"core_static_w": q(1.0)},
    })


def big_network(layers: int, width: int, fan_in: int, seed: int = 7) -> Network:
    """Integer feed-forward network: `layers` LIF layers of `width` neurons, each neuron with `fan_in`
    random inputs from the previous layer (weights 1..8, thresholds set for sparse activity)."""
    rng = np.random.default_rng(seed)
    neuron = Neuron(decay=0.9, threshold=float(2 * fan_in), reset="zero")
    pops = [Population("input", width)] + [Population(f"l{i}", width, neuron=neuron) for i in range(1, layers + 1)]
    projs = []
    for i in range(layers):
        post = np.repeat(np.arange(width, dtype=np.uint32), fan_in)
        pre = rng.integers(0, width, size=post.size, dtype=np.uint32)
        w = rng.integers(1, 9, size=post.size, dtype=np.int32)
        order = np.lexsort((post, pre))
        projs.append(Projection(pops[i].name, pops[i + 1].name, pre[order], post[order], w[order], kind="sparse"))
        del post, pre, w, order
    return Network(pops, projs, name="big", integer=True, state_bits=24)


def peak_gib() -> float:
    """Peak resident memory of this process so far (ru_maxrss is in KiB on Linux)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2 ** 20


def run_big(args) -> None:
    peaks = {}
    t0 = time.perf_counter()
    net = big_network(args.big_layers, args.big_width, args.big_fan_in)
    build_s = time.perf_counter() - t0
    peaks["after_build"] = peak_gib()
    n_cores_needed = -(-net.n_neurons // 1024)
    side = int(np.ceil(np.sqrt(-(-n_cores_needed * 3 // 2) / 4)))
    hw = big_chip(side, side)
    t0 = time.perf_counter()
    chip = compile_network(net, hw, "sparse", objective="cores")
    compile_s = time.perf_counter() - t0
    peaks["after_compile"] = peak_gib()
    t0 = time.perf_counter()
    plan_for(chip)
    plan_s = time.perf_counter() - t0
    peaks["after_plan"] = peak_gib()
    rng = np.random.default_rng(1)
    inputs = (rng.random((args.samples_big, args.big_steps, args.big_width)) < 0.1).astype(np.int8)
    t0 = time.perf_counter()
    res = simulate(chip, inputs)
    sim_s = time.perf_counter() - t0
    peak = peak_gib()
    ev = int(res.counts["synaptic_ops"].sum())
    print(json.dumps({"workload": "big", "neurons": net.n_neurons, "synapses": net.n_synapses,
                      "chip": hw.name, "cores_used": chip.n_cores, "samples": args.samples_big,
                      "timesteps": args.big_steps, "steps": res.steps, "spikes": int(res.counts["spikes"].sum()),
                      "synaptic_events": ev, "build_seconds": build_s, "compile_seconds": compile_s,
                      "plan_seconds": plan_s, "simulate_seconds": sim_s, "events_per_second": ev / sim_s,
                      "latency_s": float(res.latency_s().mean()), "peak_memory_gib": peak,
                      "peak_memory_gib_by_stage": peaks}), flush=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sparsity", type=float, action="append")
    ap.add_argument("--hw", default="loihi", help="chip preset or file (default loihi)")
    ap.add_argument("--format", default="auto", help="synapse format (default auto)")
    ap.add_argument("--reference", default=str(DEFAULT_REF) if DEFAULT_REF.is_file() else None,
                    help="path of reference_kernel.py (default ../shared/bench/reference_kernel.py if present)")
    ap.add_argument("--repeats", type=int, default=15)
    ap.add_argument("--min-seconds", type=float, default=1.5)
    ap.add_argument("--samples", type=int, default=8, help="samples of the parallel run (1 = skip it)")
    ap.add_argument("--dense-min-density", type=float, default=None,
                    help="rows at least this dense are added as dense vectors (default: CSR rows only; "
                         f"the opt-in fast setting is {FAST_DENSE_MIN_DENSITY})")
    ap.add_argument("--big", action="store_true", help="run the >= 1 M neuron / >= 100 M synapse network")
    ap.add_argument("--big-layers", type=int, default=4)
    ap.add_argument("--big-width", type=int, default=262144)
    ap.add_argument("--big-fan-in", type=int, default=100)
    ap.add_argument("--big-steps", type=int, default=10)
    ap.add_argument("--samples-big", type=int, default=2)
    a = ap.parse_args()
    if a.big:
        run_big(a)
        return
    ref = load_reference(a.reference)
    if a.reference and ref is None:
        print(f"reference {a.reference} not found; printing neurosim figures only", file=sys.stderr)
    run_ff784(a, ref)


if __name__ == "__main__":
    main()

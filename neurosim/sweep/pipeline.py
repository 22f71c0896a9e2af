"""The per-level pipeline: network → prune (each level) → quantize (per chip) → map → simulate →
energy → one result record per (level, chip)."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from neurosim.config import Hardware, Workload
from neurosim.energy import energy_breakdown, ert_table
from neurosim.errors import FitError
from neurosim.ir import Network, Neuron, quantize
from neurosim.ir.synthetic import bernoulli_inputs, calibrated_feedforward
from neurosim.mapper import compile_network
from neurosim.prune.magnitude import connection_sparsity, prune_magnitude
from neurosim.report.records import provenance
from neurosim.sim import simulate


@dataclass
class Prepared:
    """What every pruning level starts from: the dense float network, the integer inputs the chip
    simulation is fed, and (for labelled data) the accuracy of an integer deploy network."""

    network: Network
    sim_inputs: np.ndarray
    accuracy: Callable[[Network], float] | None = None


@dataclass(frozen=True)
class Chip:
    """A loaded chip description with where it came from."""

    hw: Hardware
    path: Path
    sha256: str


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def prepare(wl: Workload, wl_path: Path) -> Prepared:
    """Build the dense network and simulation inputs the workload describes."""
    spec = wl.network
    if spec.synthetic is not None:
        s = spec.synthetic
        inputs = bernoulli_inputs(s.samples, wl.timesteps, s.sizes[0], s.input_rate, wl.seed)
        neuron = Neuron(decay=s.decay, threshold=s.threshold, reset=s.reset, fire_at_equal=s.fire_at_equal)
        net = calibrated_feedforward(s.sizes, inputs, s.target_rate, neuron, s.weight_mean, s.weight_std,
                                     seed=wl.seed + 1, name=wl.name)
        return Prepared(network=net, sim_inputs=inputs.astype(np.int32))
    raise NotImplementedError("network source not wired")  # config validation guarantees one source


def evaluate(pruned: Network, dense: Network, sparsity: float, method: str, chip: Chip, prepared: Prepared,
             samples: int, fmt: str, workload: str) -> dict:
    """One record: quantize for the chip, map, simulate `samples` inputs, price the counts."""
    hw = chip.hw
    rec: dict = {"workload": workload, "hardware": hw.name, "sparsity": sparsity, "method": method,
                 "connection_sparsity": connection_sparsity(pruned, dense)}
    qnet = quantize(pruned, hw.core.weight_bits, hw.core.state_bits)
    try:
        compiled = compile_network(qnet, hw, fmt)
    except FitError as e:
        rec.update(fits=False, fit_error=str(e))
        return rec
    res = simulate(compiled, prepared.sim_inputs[:samples])
    counts = res.mean_counts()
    lat = res.latency_s()
    latency = float(lat.mean())
    breakdown = energy_breakdown(counts, latency, hw, compiled.n_cores)
    per_sample_energy = [sum(energy_breakdown({k: float(v[i]) for k, v in res.counts.items()}, float(lat[i]), hw,
                                              compiled.n_cores).values()) for i in range(res.samples)]
    totals = compiled.totals()
    rec.update({
        "fits": True,
        "accuracy": prepared.accuracy(qnet) if prepared.accuracy else None,
        "synaptic_ops_per_inference": counts["synaptic_ops"],
        "energy_per_inference_j": sum(breakdown.values()),
        "energy_per_inference_std_j": float(np.std(per_sample_energy)),
        "energy_breakdown_j": breakdown,
        "latency_per_inference_s": latency,
        "throughput_inferences_per_s": 1.0 / latency if latency > 0 else None,
        "cores_used": compiled.n_cores,
        "synapse_memory_bits": totals["synapse_bits"],
        "synapse_memory_bits_by_format": compiled.synapse_bits_by_format(),
        "synapse_formats": compiled.formats,
        "neuron_memory_bits": totals["neuron_bits"],
        "routing_entries": totals["routing_entries"],
        "placement_cost_hops": compiled.placement_cost_hops,
        "packets_per_inference": counts["packets"],
        "hops_per_inference": counts["hops_x"] + counts["hops_y"],
        "spikes_per_inference": counts["spikes"],
        "neuron_updates_per_inference": counts["neuron_updates_active"] + counts["neuron_updates_idle"],
        "word_reads_per_inference": counts["word_reads"],
        "timesteps": res.timesteps,
        "steps_simulated": res.steps,
        "samples_simulated": res.samples,
    })
    return rec


def run_workload(wl: Workload, wl_path: Path, wl_sha: str, chips: list[Chip], fmt: str = "auto",
                 on_record: Callable[[dict], None] | None = None) -> tuple[dict, list[dict]]:
    """Every pruning level of the workload on every chip; returns (provenance, records)."""
    t0 = time.perf_counter()
    log(f"[neurosim] preparing {wl.name} ...")
    prepared = prepare(wl, wl_path)
    dense = prepared.network
    records = []
    for level in wl.pruning.levels:
        pruned = prune_magnitude(dense, level) if level > 0 else dense
        for chip in chips:
            t1 = time.perf_counter()
            rec = evaluate(pruned, dense, level, wl.pruning.method, chip, prepared, wl.simulation.samples, fmt,
                           wl.name)
            records.append(rec)
            status = "does not fit" if not rec["fits"] else f"{rec['energy_per_inference_j'] * 1e6:.3f} uJ"
            log(f"[neurosim] sparsity {level:.2f} on {chip.hw.name}: {status} ({time.perf_counter() - t1:.1f} s)")
            if on_record:
                on_record(rec)
    prov = provenance(wl.seed, {str(wl_path): wl_sha, **{str(c.path): c.sha256 for c in chips}},
                      {c.hw.name: ert_table(c.hw) for c in chips}, workload=wl.name,
                      wall_seconds=round(time.perf_counter() - t0, 2))
    return prov, records

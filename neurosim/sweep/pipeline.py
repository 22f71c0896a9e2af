"""The per-level pipeline: network → prune (each level, once) → quantize and score accuracy (once per
level and bit widths) → map → simulate → energy (per chip) → one result record per (level, chip).

Each finished (level, chip) point is written to `OUT/points/<key>.json` as soon as it completes;
the key hashes everything the point depends on (neurosim version, workload and chip file hashes,
level, method, format, samples), so an interrupted run resumes where it stopped and a changed
input never reuses a stale point (DESIGN §9)."""

from __future__ import annotations

import hashlib
import json
import math
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

import neurosim
from neurosim.config import Hardware, Workload
from neurosim.config.figures import edited
from neurosim.config.hardware import operating_state
from neurosim.energy import above_idle, armed_power_w, energy_breakdown, ert_table, idle_power_w
from neurosim.energy.area import chip_area_mm2
from neurosim.errors import FitError
from neurosim.files import display_path, file_sha256, set_aside, write_atomic
from neurosim.ir import Network
from neurosim.mapper import compile_network
from neurosim.mapper.compiled import CompiledChip
from neurosim.progress import NORMAL, VERBOSE, bar, say
from neurosim.prune.fit import workload_budget
from neurosim.report.records import mark_accuracy_floor, provenance
from neurosim.report.stats import mean_ci, relative_half_width, wilson
from neurosim.sim import simulate
from neurosim.sim.engine import kernels_cached, plan_for
from neurosim.sim.plan import chips_used, with_on_chip_links
from neurosim.sweep import grow
from neurosim.sweep.budget import check_budget, estimate_workload
from neurosim.sweep.sources import Level, Source, make_source


@dataclass(frozen=True)
class MapOptions:
    """How levels are mapped: the synapse format (`auto`: smallest per projection) and the mapping
    objective (`auto`, `cores`, `latency`; `mapper.balance`)."""

    format: str = "auto"
    objective: str = "auto"


@dataclass(frozen=True)
class Chip:
    """A loaded chip description with where it came from."""

    hw: Hardware
    path: Path
    sha256: str


def _spiking_neurons(net: Network) -> int:
    return sum(p.size for p in net.populations if not p.is_input and p.neuron.spiking)


MAPPING_MESSAGE_SYNAPSES = 2_000_000   # mapping takes about a second per 10⁶ synapses: say so beforehand


def compile_level(level: Level, chip: Chip, source: Source, mapping: MapOptions, prior: dict | None = None
                  ) -> tuple[Network, np.ndarray, CompiledChip]:
    """(deploy network, simulation inputs, compiled chip) of `level` on `chip`; raises FitError.
    Placement is traffic-aware, weighted by a profiling run of the deploy model on the same inputs.
    `prior[chip name]` (updated here) is the compiled chip of the previous, denser level."""
    hw = chip.hw
    qnet = source.deploy(level, hw.core.weight_bits, hw.core.state_bits)
    inputs = source.inputs_for(qnet)
    synapses = qnet.n_synapses
    say(f"[neurosim] mapping {synapses:,} synapses at sparsity {level.sparsity:.2f} onto {hw.name} ...",
        NORMAL if synapses > MAPPING_MESSAGE_SYNAPSES else VERBOSE)
    compiled = compile_network(qnet, hw, mapping.format, inputs=inputs, objective=mapping.objective,
                               prior=None if prior is None else prior.get(hw.name))
    if prior is not None:
        prior[hw.name] = compiled
    return qnet, inputs, compiled


def grow_to_system(level: Level, chip: Chip, source: Source, mapping: MapOptions, prior: dict | None
                   ) -> tuple[Chip, tuple[Network, np.ndarray, CompiledChip]] | None:
    """A level that does not fit one chip, mapped onto the smallest shipped system of that chip that
    takes it (`sweep.grow`); None when there is none."""
    found = grow.first_system_that_fits(chip.hw.name, chip.path, lambda loaded: compile_level(
        level, Chip(*loaded), source, mapping, prior))
    if found is None:
        return None
    system, compiled = Chip(*found[0]), found[1]
    say(f"[neurosim] sparsity {level.sparsity:.2f} does not fit one {chip.hw.name}: mapped onto {system.hw.name} "
        f"({chips_used(compiled[2])} of {system.hw.n_chips} chips)")
    return system, compiled


def inter_chip_time_s(compiled: CompiledChip, inputs, lat: np.ndarray, mode: str = "single",
                      stream_length: int = 1) -> tuple[float, float, float]:
    """Time per inference the inter-chip links cost (mean and 95 % interval over samples): the latency
    minus that of the same inputs run with every chip boundary as fast as an on-chip hop. Zero on one
    chip, with no second run."""
    if chips_used(compiled) < 2:
        return 0.0, 0.0, 0.0
    fast = simulate(compiled, inputs, mode=mode, stream_length=stream_length,
                    plan=with_on_chip_links(plan_for(compiled), compiled.hardware))
    return mean_ci(lat - fast.latency_s())


def evaluate(level: Level, chip: Chip, source: Source, mapping: MapOptions, workload: str,
             prior: dict | None = None) -> dict:
    """One record: quantize `level` for the chip, map, simulate the workload's samples, price the counts.
    `prior` (per chip name) holds the compiled chip of the previous, denser level: its partition is
    kept when it has fewer cores and still fits (cores never increase along the sweep)."""
    hw = chip.hw
    rec: dict = {"workload": workload, "hardware": hw.name, "sparsity": level.sparsity, "method": level.method,
                 **level.info}
    rec["system"] = None
    try:
        qnet, _, compiled = compile_level(level, chip, source, mapping, prior)
    except FitError as e:
        grown = grow_to_system(level, chip, source, mapping, prior)
        if grown is None:
            tried = grow.systems_of(chip.hw.name, chip.path)
            rec.update(fits=False, fit_error=str(e) + (f" (nor on the systems of {chip.hw.name}: {', '.join(tried)})"
                                                       if tried else ""))
            return rec
        chip, (qnet, _, compiled) = grown
        hw = chip.hw
        rec["system"] = hw.name
    sim = source.wl.simulation
    n_cores = compiled.n_cores
    inputs = source.inputs_for(qnet, source.inputs_needed(level))
    res = simulate(compiled, inputs, mode=sim.mode, stream_length=sim.stream_length)
    lat = res.latency_s()
    inter_chip_time = inter_chip_time_s(compiled, inputs, lat, sim.mode, sim.stream_length)
    per_inf = res.per_inference()
    per_sample = [energy_breakdown({k: float(v[i]) for k, v in per_inf.items()}, float(lat[i]), hw, n_cores)
                  for i in range(res.samples)]
    energy = mean_ci([sum(b.values()) for b in per_sample])
    latency_ci = mean_ci(lat)
    width = max(relative_half_width(energy), relative_half_width(latency_ci))
    counts = res.mean_counts()
    latency = float(lat.mean())
    breakdown = energy_breakdown(counts, latency, hw, n_cores)
    dynamic = mean_ci([above_idle(b) for b in per_sample])
    # inferences per second = 1 / mean latency (total inputs over total time); its interval from the latency's
    throughput = None if latency_ci[1] <= 0 else (1.0 / latency_ci[0], 1.0 / latency_ci[2], 1.0 / latency_ci[1])
    totals = compiled.totals()
    core = hw.core
    link_loads = np.asarray(res.link_loads)
    T = res.timesteps // res.inputs_per_sample
    acc = source.deploy_accuracy(level, hw.core.weight_bits, hw.core.state_bits)
    acc_ci = None if acc is None else wilson(*acc)
    op = operating_state(hw)
    rec.update({
        "fits": True,
        "mode": res.mode,
        "inputs_per_stream": res.inputs_per_sample if res.mode == "streaming" else None,
        "operating_point": {"name": op.name, "voltage_v": op.voltage_v, "min_step_s": op.min_step_s},
        "accuracy": None if acc_ci is None else acc_ci[0],
        "accuracy_ci95": None if acc_ci is None else list(acc_ci[1:]),
        "accuracy_test_inputs": None if acc is None else acc[1],
        "synaptic_ops_per_inference": counts["synaptic_ops"],
        "energy_per_inference_j": energy[0],
        "energy_per_inference_ci95_j": list(energy[1:]),
        "energy_above_idle_per_inference_j": dynamic[0],
        "energy_above_idle_per_inference_ci95_j": list(dynamic[1:]),
        "energy_breakdown_j": breakdown,
        "idle_power_w": idle_power_w(hw, n_cores),
        "armed_power_w": armed_power_w(hw),
        "energy_per_synaptic_op_j": energy[0] / counts["synaptic_ops"] if counts["synaptic_ops"] else None,
        "latency_per_inference_s": latency_ci[0],
        "latency_per_inference_ci95_s": list(latency_ci[1:]),
        "throughput_inferences_per_s": None if throughput is None else throughput[0],
        "throughput_inferences_per_s_ci95": None if throughput is None else list(throughput[1:]),
        "area_mm2": chip_area_mm2(hw),
        "chips_used": chips_used(compiled),
        "chips_available": hw.n_chips,
        "chip_crossings_per_inference": counts["chip_crossings"],
        "inter_chip_energy_j": breakdown["chip_crossings"],
        "inter_chip_time_per_inference_s": inter_chip_time[0],
        "inter_chip_time_per_inference_ci95_s": list(inter_chip_time[1:]),
        "cores_used": n_cores,
        "cores_available": hw.mesh.n_cores,
        "synapse_memory_capacity_bits": hw.mesh.n_cores * core.synapse_memory_bits,
        "cores_needed": compiled.cores_needed,
        "mapping_objective": compiled.objective,
        "synapse_memory_bits": totals["synapse_bits"],
        "synapse_memory_bits_by_format": compiled.synapse_bits_by_format(),
        "synapse_formats": compiled.formats,
        "neuron_memory_bits": totals["neuron_bits"],
        "routing_memory_bits": totals["routing_bits"],
        "routing_entries": totals["routing_entries"],
        "memory_utilisation": {
            "synapse": totals["synapse_bits"] / (n_cores * core.synapse_memory_bits),
            "neurons": totals["neurons"] / (n_cores * core.max_neurons),
            "routing_entries": totals["routing_entries"] / (n_cores * core.routing_table_entries)},
        "placement_cost_hops": compiled.placement_cost_hops,
        "baseline_placement_cost_hops": compiled.baseline_cost_hops,
        "placement": compiled.placement,
        "placement_traffic": compiled.traffic_source,
        "packets_per_inference": counts["packets"],
        "hops_per_inference": counts["hops_x"] + counts["hops_y"],
        "max_link_load": float(link_loads.mean(axis=0).max()) if link_loads.size else None,
        "spikes_per_inference": counts["spikes"],
        "activation_sparsity": 1.0 - counts["spikes"] / max(1, _spiking_neurons(qnet) * T),
        "input_messages_per_inference": counts["input_messages"],
        "output_messages_per_inference": counts["output_messages"],
        "neuron_updates_per_inference": counts["neuron_updates_active"] + counts["neuron_updates_idle"],
        "word_reads_per_inference": counts["word_reads"],
        "timesteps": T,
        "steps_simulated": res.steps,
        "samples_simulated": res.samples,
        "inputs_simulated": res.samples * res.inputs_per_sample,
        "ci_half_width": width if math.isfinite(width) else None,
        "ci_target_met": width <= sim.target_ci,
        "barrier_cycles": float(plan_for(compiled).barrier_cycles),
        "barrier_time_per_inference_s": float(plan_for(compiled).barrier_cycles) / res.clock_hz * res.steps
        / res.inputs_per_sample,
        "core_load": {"router_xy": compiled.router_xy.tolist(),
                      "busy_cycles": res.core_busy_cycles.mean(axis=0).round(1).tolist(),
                      "mesh_cols": hw.mesh.cols, "mesh_rows": hw.mesh.rows,
                      "chip_cols": None if hw.system is None else hw.system.chip_cols,
                      "chip_rows": None if hw.system is None else hw.system.chip_rows},
    })
    return rec


def inputs_sha(wl: Workload, wl_path: Path, wl_sha: str) -> str:
    """The workload file's hash, combined with the hash of the NIR file it names (if any): what the
    point keys use, so that a changed network file never reuses stale points."""
    fit = workload_budget(wl)
    if fit is not None:   # `run --fit` sets the budgets without changing the workload file
        wl_sha = hashlib.sha256((wl_sha + repr(fit)).encode()).hexdigest()
    nir = wl.network.nir_file(wl_path)
    if nir is None:
        return wl_sha
    data = wl.network.nir_data(wl_path)
    files = [nir] + ([Path(data.path)] if data is not None and data.path else [])
    try:
        digests = [hashlib.sha256(f.read_bytes()).hexdigest() for f in files]
    except OSError:
        return wl_sha  # reading the network (or the dataset) reports the missing file with its own message
    return hashlib.sha256((wl_sha + "".join(digests)).encode()).hexdigest()


def point_key(wl_sha: str, chip: Chip, sparsity: float, method: str, mapping: MapOptions, samples: int) -> str:
    raw = json.dumps([neurosim.__version__, wl_sha, chip.sha256, sparsity, method, mapping.format, mapping.objective,
                      samples])
    return hashlib.sha256(raw.encode()).hexdigest()[:20]


def run_workload(wl: Workload, wl_path: Path, wl_sha: str, chips: list[Chip], mapping: MapOptions = MapOptions(),
                 points_dir: Path | None = None, progress: bool = True, check_limits: bool = True
                 ) -> tuple[dict, list[dict]]:
    """Every pruning level of the workload on every chip; returns (provenance, records). With
    `points_dir`, finished points are stored there and reused when the run is repeated. With
    `check_limits`, a run estimated beyond this machine is refused first (`sweep.budget`)."""
    t0 = time.perf_counter()
    if check_limits:
        check_budget(estimate_workload(wl, wl_path, len(chips)))
    key_sha = inputs_sha(wl, wl_path, wl_sha)
    levels = sorted(wl.pruning.levels)
    keys = {(s, c): point_key(key_sha, c, s, wl.pruning.method, mapping, wl.simulation.samples)
            for s in levels for c in chips}
    cached = {k: _load_point(points_dir, key) for k, key in keys.items()}
    if progress:
        say(f"[neurosim] {wl.name}: {len(levels)} levels x {len(chips)} chips"
            + (f", {sum(v is not None for v in cached.values())} points from an earlier run"
               if any(v is not None for v in cached.values()) else ""))
    source: Source | None = None
    if any(v is None for v in cached.values()):
        if progress:
            say("[neurosim] preparing the network ...")
        source = make_source(wl, wl_path, progress=progress)
        if progress and not kernels_cached():
            say("[neurosim] compiling the simulator (once: about a minute; cached for later runs) ...")
    records = []
    prior: dict = {}  # chip name -> compiled chip of the previous (denser) level
    chained: set[str] = set()  # chips whose `prior` follows every earlier level (not resumed from disk)
    earlier: list[float] = []
    with bar(len(keys), f"{wl.name}:", unit="point", show=progress) as b:
        for sparsity in levels:
            todo = [c for c in chips if cached[(sparsity, c)] is None]
            if todo:
                t1 = time.perf_counter()
                level = source.level(sparsity)
                if progress:
                    say(f"[neurosim] pruned to {sparsity:.2f} ({level.method}) in {time.perf_counter() - t1:.1f} s",
                        VERBOSE)
                unchained = [c for c in todo if c.hw.name not in chained]
                if unchained and earlier:  # earlier levels came from disk: map them again, once for these chips
                    if progress:
                        say(f"[neurosim] mapping the earlier levels again on "
                            f"{', '.join(c.hw.name for c in unchained)} (cores never increase along the sweep)")
                    for s in earlier:
                        lvl = source.level(s)
                        for c in unchained:
                            try:
                                compile_level(lvl, c, source, mapping, prior)
                            except FitError:
                                pass
                chained.update(c.hw.name for c in todo)
            for chip in chips:
                rec = cached[(sparsity, chip)]
                if rec is None:
                    t1 = time.perf_counter()
                    rec = evaluate(level, chip, source, mapping, wl.name, prior)
                    if points_dir is not None:
                        _save_point(points_dir, keys[(sparsity, chip)], rec)
                    took = f"{time.perf_counter() - t1:.1f} s"
                else:
                    took = "from an earlier run"
                status = "does not fit" if not rec["fits"] else f"{rec['energy_per_inference_j'] * 1e6:.4g} uJ"
                b.update(1, f"sparsity {sparsity:.2f} on {chip.hw.name}: {status} ({took})")
                records.append(rec)
            earlier.append(sparsity)
    mark_accuracy_floor(records, wl.report.accuracy_floor, wl.report.accuracy_drop)
    return run_provenance(wl, wl_path, wl_sha, chips, mapping, time.perf_counter() - t0), records


def missing_levels(wl: Workload, wl_path: Path, wl_sha: str, chips: list[Chip], mapping: MapOptions,
                   points_dir: Path | None) -> list[float]:
    """The pruning levels with at least one (level, chip) point not yet stored in `points_dir`."""
    key_sha = inputs_sha(wl, wl_path, wl_sha)
    return [s for s in sorted(wl.pruning.levels) if any(
        _load_point(points_dir, point_key(key_sha, c, s, wl.pruning.method, mapping, wl.simulation.samples)) is None
        for c in chips)]


def run_provenance(wl: Workload, wl_path: Path, wl_sha: str, chips: list[Chip], mapping: MapOptions,
                   seconds: float) -> dict:
    """Provenance of a run: config hashes of the workload and every chip (paths as a user would write
    them), the network file or dataset it reads with their hashes, seed, ERTs with sources, and
    figures edited while still citing a preset's source."""
    data = {}
    nir = wl.network.nir_file(wl_path)
    if nir is not None:
        data[display_path(nir)] = file_sha256(nir)
    scored = wl.network.model or wl.network.nir_data(wl_path)   # the dataset a model or NIR network is scored on
    if scored is not None:
        from neurosim.snn.datasets import dataset_file

        f = dataset_file(scored, wl_path)
        if f is not None and f.is_file():   # a packaged dataset by its file name, a user's by its path
            name = display_path(f) if scored.dataset == "npz" else f.name
            data[f"{scored.dataset}: {name}"] = file_sha256(f)
    return provenance(wl.seed, {display_path(wl_path): wl_sha, **{display_path(c.path): c.sha256 for c in chips}},
                      {c.hw.name: ert_table(c.hw) for c in chips}, workload=wl.name, synapse_format=mapping.format,
                      mapping_objective=mapping.objective, data_sha256=data,
                      edited_figures={c.hw.name: e for c in chips if (e := edited(c.hw))},
                      wall_seconds=round(seconds, 2))


def _save_point(points_dir: Path, key: str, rec: dict) -> None:
    """One finished point as {sha256, record}: the checksum tells a damaged file from a good one."""
    points_dir.mkdir(parents=True, exist_ok=True)
    body = json.dumps(rec, sort_keys=True, allow_nan=False)
    write_atomic(points_dir / f"{key}.json",
                 json.dumps({"sha256": hashlib.sha256(body.encode()).hexdigest(), "record": json.loads(body)}))


def _load_point(points_dir: Path | None, key: str) -> dict | None:
    """A stored point, or None: missing, or damaged (then set aside with one line, and recomputed)."""
    if points_dir is None:
        return None
    p = points_dir / f"{key}.json"
    try:
        data = json.loads(p.read_text())
        rec = data["record"]
        if hashlib.sha256(json.dumps(rec, sort_keys=True, allow_nan=False).encode()).hexdigest() != data["sha256"]:
            raise ValueError("checksum mismatch")
        return rec
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError, TypeError, UnicodeDecodeError) as e:
        set_aside(p, f"stored point {p} is unusable ({type(e).__name__}: {e})")
        return None

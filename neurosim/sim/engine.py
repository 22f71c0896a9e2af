"""Run a compiled chip on input samples and collect what the energy model and reports need."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from neurosim.ir.quantize import leak_delta
from neurosim.mapper.compiled import CompiledChip
from neurosim.sim import kernels as K

ACTIONS = ("synaptic_ops", "word_reads", "rows_served", "packets", "hops_x", "hops_y",
           "neuron_updates_active", "neuron_updates_idle", "spikes", "barriers")


@dataclass
class SimResult:
    """Per-sample action counts and timing of a simulation.

    counts[action] is an int64 array over samples; step_cycles is (samples, steps);
    core_busy_cycles is (samples, cores). `raster` (samples, steps, neurons) is kept when asked."""

    counts: dict[str, np.ndarray]
    step_cycles: np.ndarray
    core_busy_cycles: np.ndarray
    steps: int
    timesteps: int
    clock_hz: float
    min_step_s: float
    spikes_per_population: dict[str, np.ndarray]
    raster: np.ndarray | None
    potentials: np.ndarray | None   # (samples, steps, k) of recorded neurons (readouts)

    @property
    def samples(self) -> int:
        return self.step_cycles.shape[0]

    def step_seconds(self) -> np.ndarray:
        """(samples, steps) wall time of each step: cycles / clock, at least the chip's minimum step."""
        return np.maximum(self.step_cycles / self.clock_hz, self.min_step_s)

    def latency_s(self) -> np.ndarray:
        """Time per inference (per sample): Σ step times."""
        return self.step_seconds().sum(axis=1)

    def mean_counts(self) -> dict[str, float]:
        return {k: float(v.mean()) for k, v in self.counts.items()}


def encode_events(inputs: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(S, T, n_in) integer input → CSR over (sample, step) of (input index, value) for nonzero values."""
    S, T, n_in = inputs.shape
    flat = inputs.reshape(S * T, n_in)
    r, c = np.nonzero(flat)
    ptr = np.zeros(S * T + 1, np.uint64)
    np.cumsum(np.bincount(r, minlength=S * T), out=ptr[1:])
    return ptr, c.astype(np.uint32), flat[r, c].astype(np.int32)


def simulate(chip: CompiledChip, inputs: np.ndarray, record_raster: bool = False) -> SimResult:
    """Simulate every sample of `inputs` (S, T, n_input) — spikes (0/1) or graded integers — with
    hardware timing (one-step delay per layer), on the compiled chip."""
    net, hw = chip.network, chip.hardware
    (inp,) = net.inputs
    S, T = inputs.shape[:2]
    steps = net.steps(T, "hardware")
    offsets = net.offsets
    n = int(offsets[-1])
    in_ptr, in_idx, in_val = encode_events(np.asarray(inputs))
    in_idx = (in_idx + np.uint32(offsets[net.index(inp.name)])).astype(np.uint32)

    is_input = np.zeros(n, np.bool_)
    start = np.zeros(n, np.int64)
    thr = np.zeros(n, np.int64)
    delta = np.zeros(n, np.int64)
    subtract = np.zeros(n, np.bool_)
    fire_eq = np.zeros(n, np.bool_)
    spiking = np.zeros(n, np.bool_)
    bias = np.zeros(n, np.int64)
    stages = net.stages()
    record = []
    for i, p in enumerate(net.populations):
        sl = slice(offsets[i], offsets[i + 1])
        if p.is_input:
            is_input[sl] = True
            continue
        start[sl] = stages[p.name]
        thr[sl] = int(p.neuron.threshold)
        delta[sl] = leak_delta(p.neuron.decay)
        subtract[sl] = p.neuron.reset == "subtract"
        fire_eq[sl] = p.neuron.fire_at_equal
        spiking[sl] = p.neuron.spiking
        if p.bias is not None:
            bias[sl] = p.bias
        if not p.neuron.spiking:
            record.extend(range(offsets[i], offsets[i + 1]))
    record_idx = np.array(record, np.int64)
    smax = (1 << (net.state_bits - 1)) - 1
    n_slots = int(max(chip.row_delay.max(initial=0), 1)) + 1
    f = hw.clock.frequency_hz.value
    tm, noc = hw.timing, hw.noc
    counters = np.zeros((S, K.N_COUNTERS), np.int64)
    step_cycles = np.zeros((S, steps), np.float64)
    core_busy = np.zeros((S, chip.n_cores), np.float64)
    raster = np.zeros((S, steps, n) if record_raster else (0, 0, 0), np.bool_)
    recorded = np.zeros((S, steps, record_idx.size), np.int64)
    serial = float(-(-noc.packet_bits // noc.link_width_bits))
    K.run_samples(steps, T, in_ptr, in_idx, in_val,
                  chip.src_row_ptr, chip.row_core, chip.row_delay, chip.row_words, chip.row_syn_ptr,
                  chip.syn_post, chip.syn_weight,
                  np.maximum(chip.neuron_core, 0).astype(np.uint32), is_input, start, thr, delta, subtract,
                  fire_eq, spiking, bias, -smax - 1, smax,
                  chip.router_xy[:, 0].astype(np.int64), chip.router_xy[:, 1].astype(np.int64),
                  int(noc.input_router[0]), int(noc.input_router[1]),
                  tm.row_header_cycles.value, tm.word_read_cycles.value, tm.synaptic_op_cycles.value,
                  float(tm.synaptic_lanes), tm.neuron_update_active_cycles.value, tm.neuron_update_idle_cycles.value,
                  tm.spike_emit_cycles.value, noc.hop_x_cycles.value, noc.hop_y_cycles.value, serial,
                  noc.barrier_cycles.value, n_slots, record_idx,
                  counters, step_cycles, core_busy, raster, recorded)
    counts = {a: counters[:, i].copy() for i, a in enumerate(ACTIONS)}
    per_pop = {}
    if record_raster:
        for i, p in enumerate(net.populations):
            if not p.is_input and p.neuron.spiking:
                per_pop[p.name] = raster[:, :, offsets[i]:offsets[i + 1]].sum(axis=(1, 2))
    return SimResult(counts=counts, step_cycles=step_cycles, core_busy_cycles=core_busy, steps=steps,
                     timesteps=T, clock_hz=f, min_step_s=hw.clock.min_step_s, spikes_per_population=per_pop,
                     raster=raster if record_raster else None, potentials=recorded if record_idx.size else None)

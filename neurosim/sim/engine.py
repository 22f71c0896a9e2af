"""Run a compiled chip on input samples and collect what the energy model and reports need."""

from __future__ import annotations

from dataclasses import dataclass

import numba
import numpy as np

from neurosim.mapper.compiled import CompiledChip
from neurosim.sim import kernels as K
from neurosim.sim.plan import (
    DIRECTIONS,
    N_SRC_STATS,
    SRC_DELIVERIES,
    SRC_HOPS_X,
    SRC_HOPS_Y,
    SRC_PACKETS,
    SRC_ROWS,
    SRC_SYN_OPS,
    SRC_WORDS,
    SimPlan,
    acc_dtype_for,
    build_plan,
)

ACTIONS = ("synaptic_ops", "word_reads", "rows_served", "packets", "hops_x", "hops_y",
           "neuron_updates_active", "neuron_updates_idle", "spikes", "barriers", "deliveries")
_STATIC = {"synaptic_ops": SRC_SYN_OPS, "word_reads": SRC_WORDS, "rows_served": SRC_ROWS, "packets": SRC_PACKETS,
           "hops_x": SRC_HOPS_X, "hops_y": SRC_HOPS_Y, "deliveries": SRC_DELIVERIES}


@dataclass
class SimResult:
    """Per-sample action counts and timing of a simulation.

    counts[action] is an int64 array over samples (actions: `ACTIONS`; `packets` are packets
    injected, `deliveries` packet arrivals at cores — equal under unicast); step_cycles is
    (samples, steps); core_busy_cycles is (samples, cores) of work (service + updates + spikes);
    link_loads is (samples, 4 · cols · rows) packets over each directed mesh link (id
    (y · cols + x) · 4 + d, d = E, W, N, S; see `link_load_mesh`); injected / delivered are packets per
    node (cores, then the host port) and per core. `raster` (samples, steps, neurons) is kept when asked."""

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
    link_loads: np.ndarray | None = None
    injected: np.ndarray | None = None
    delivered: np.ndarray | None = None
    mesh_shape: tuple[int, int] = (0, 0)  # (cols, rows)

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

    def link_load_mesh(self) -> np.ndarray:
        """(samples, rows, cols, 4) packets leaving each router per direction (E, W, N, S)."""
        cols, rows = self.mesh_shape
        return self.link_loads.reshape(self.samples, rows, cols, len(DIRECTIONS))


@dataclass(frozen=True)
class InputEvents:
    """Input samples as events: per (sample, frame) row of a CSR, the input neurons with a nonzero
    value and that value. `simulate` takes this or the dense (S, T, n_input) array; encode once with
    `encode_events` to simulate the same inputs on several chips."""

    ptr: np.ndarray      # uint64 [S · T + 1]
    idx: np.ndarray      # uint32 input neuron (index within the input population)
    val: np.ndarray      # int32 value (1 for spikes, else graded)
    samples: int
    timesteps: int
    n_input: int

    @property
    def max_abs(self) -> float:
        return float(np.abs(self.val).max(initial=1))


def encode_events(inputs: np.ndarray) -> InputEvents:
    """(S, T, n_in) integer inputs → `InputEvents` (the nonzero values)."""
    S, T, n_in = inputs.shape
    flat = np.ascontiguousarray(inputs).reshape(S * T, n_in)
    if flat.dtype == np.bool_:
        flat = flat.view(np.uint8)
    nnz = int(K.count_nonzero_rows(flat))
    ptr = np.zeros(S * T + 1, np.uint64)
    idx = np.zeros(nnz, np.uint32)
    val = np.zeros(nnz, np.int32)
    K.encode_rows(flat, ptr, idx, val)
    return InputEvents(ptr, idx, val, S, T, n_in)


def plan_for(chip: CompiledChip) -> SimPlan:
    """The chip's simulation plan, built once and cached on the chip object."""
    plan = getattr(chip, "_sim_plan", None)
    if plan is None:
        plan = build_plan(chip)
        chip._sim_plan = plan
    return plan


def kernel_tables(plan: SimPlan, hw, state_bits: int) -> tuple:
    """The static arguments of the kernel (everything between the inputs and the outputs)."""
    tm, noc = hw.timing, hw.noc
    return (plan.n_cores, plan.serial_cycles, plan.el_latency, plan.rt_ptr, plan.el_channel,
            plan.el_parent, plan.max_route, plan.src_info, plan.src_row_ptr, plan.src_grp_ptr,
            plan.pk_route, plan.pk_hop, plan.pk_grp, plan.grp_core, plan.grp_el, plan.grp_service, plan.row_delay,
            plan.any_dense, plan.row_dense_lo, plan.row_dense_len,
            plan.row_dense_ptr, plan.dense_w, plan.row_syn_ptr, plan.syn_off, plan.syn_w, plan.sends, plan.src_stats,
            plan.seg_g0, plan.seg_g1, plan.seg_core, plan.seg_start, plan.seg_thr, plan.seg_cmp,
            plan.seg_delta, plan.seg_subtract, plan.seg_delta_u, plan.seg_refractory, plan.seg_floor, plan.seg_plain,
            plan.seg_record, plan.bias, np.int64(state_bits), np.int64((1 << (state_bits - 1)) - 1), plan.n_slots,
            tm.neuron_update_active_cycles.value, tm.neuron_update_idle_cycles.value,
            tm.spike_emit_cycles.value, noc.barrier_cycles.value)


def simulate(chip: CompiledChip, inputs: np.ndarray | InputEvents, record_raster: bool = False,
             plan: SimPlan | None = None) -> SimResult:
    """Simulate every sample of `inputs` (S, T, n_input) — spikes (0/1) or graded integers, dense or
    as `InputEvents` — with hardware timing (one-step delay per layer), on the compiled chip.
    Samples run in parallel."""
    net, hw = chip.network, chip.hardware
    plan = plan or plan_for(chip)
    (inp,) = net.inputs
    ev = inputs if isinstance(inputs, InputEvents) else encode_events(np.asarray(inputs))
    if ev.n_input != inp.size:
        raise ValueError(f"inputs have {ev.n_input} channels; the network's input '{inp.name}' has {inp.size}")
    S, T = ev.samples, ev.timesteps
    steps = net.steps(T, "hardware")
    n = plan.n
    n_seg = plan.seg_g0.size
    counters = np.zeros((S, N_SRC_STATS), np.int64)
    step_cycles = np.zeros((S, steps), np.float64)
    core_busy = np.zeros((S, plan.n_cores), np.float64)
    ch_load = np.zeros((S, plan.n_channels), np.int64)
    seg_spikes = np.zeros((S, n_seg), np.int64)
    seg_active = np.zeros((S, n_seg), np.int64)
    raster = np.zeros((S, steps, n) if record_raster else (S, 1, 0), np.bool_)
    recorded = np.zeros((S, steps, plan.n_record), np.int64)
    acc = np.zeros((S, plan.n_slots * n), acc_dtype_for(plan, ev.max_abs))
    v = np.zeros((S, n), np.int64)
    stateful = not plan.seg_plain.all()          # current state and refractory counters only where used
    u = np.zeros((S, n if stateful else 0), np.int64)
    ref = np.zeros((S, n if stateful else 0), np.int64)
    in_base = np.uint64(net.offsets[net.index(inp.name)])
    args = (steps, T, ev.ptr, in_base, ev.idx, ev.val, kernel_tables(plan, hw, net.state_bits))
    outs = (acc, v, u, ref, counters, step_cycles, core_busy, ch_load, seg_spikes, seg_active, raster, recorded)
    if S == 1 or numba.get_num_threads() == 1:  # serial: a parallel launch costs more than it gives here
        for i in range(S):
            K.run_one(i, *args, *(o[i] for o in outs))
    else:
        K.run_samples(*args, *outs)
    counts = {a: counters[:, i].copy() for a, i in _STATIC.items()}
    seg_size = (plan.seg_g1 - plan.seg_g0).astype(np.int64)
    updates = (seg_size * np.maximum(steps - plan.seg_start, 0)).sum()
    active = seg_active.sum(axis=1)
    counts["neuron_updates_active"] = active
    counts["neuron_updates_idle"] = updates - active
    counts["spikes"] = seg_spikes.sum(axis=1)
    counts["barriers"] = np.full(S, steps, np.int64)
    counts = {a: counts[a] for a in ACTIONS}
    per_pop = {}
    for i, p in enumerate(net.populations):
        if not p.is_input and p.neuron.spiking:
            per_pop[p.name] = seg_spikes[:, plan.seg_pop == i].sum(axis=1)
    m = plan.n_mesh_links
    return SimResult(counts=counts, step_cycles=step_cycles, core_busy_cycles=core_busy, steps=steps,
                     timesteps=T, clock_hz=hw.clock.frequency_hz.value, min_step_s=hw.clock.min_step_s,
                     spikes_per_population=per_pop, raster=raster if record_raster else None,
                     potentials=recorded if plan.n_record else None, link_loads=ch_load[:, :m],
                     injected=ch_load[:, m:m + plan.n_nodes], delivered=ch_load[:, m + plan.n_nodes:],
                     mesh_shape=(plan.cols, plan.rows))

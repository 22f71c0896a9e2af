"""Run a compiled chip on input samples and collect what the energy model and reports need."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numba
import numpy as np

from neurosim.config.hardware import FORMATS, operating_state
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
    SRC_SYN_OPS_FMT0,
    SRC_WORDS,
    SimPlan,
    acc_dtype_for,
    build_plan,
)

ACTIONS = ("synaptic_ops", "word_reads", "rows_served", "packets", "hops_x", "hops_y",
           "neuron_updates_active", "neuron_updates_idle", "spikes", "barriers", "deliveries",
           "input_messages", "output_messages", "output_hops_x", "output_hops_y", "steps", "core_steps",
           "inferences",
           *(f"synaptic_ops_{f}" for f in FORMATS))
_STATIC = {"synaptic_ops": SRC_SYN_OPS, "word_reads": SRC_WORDS, "rows_served": SRC_ROWS, "packets": SRC_PACKETS,
           "hops_x": SRC_HOPS_X, "hops_y": SRC_HOPS_Y, "deliveries": SRC_DELIVERIES,
           **{f"synaptic_ops_{f}": SRC_SYN_OPS_FMT0 + k for k, f in enumerate(FORMATS)}}
Mode = Literal["single", "streaming"]


@dataclass
class SimResult:
    """Action counts and timing of a simulation, per simulated sample: one input (`single` mode:
    each inference starts from rest) or a stream of `inputs_per_sample` inputs run back to back
    without reset (`streaming`). Per-inference figures divide by `inputs_per_sample`.

    counts[action] is an int64 array over samples (actions: `ACTIONS`; `packets` are packets
    injected, `deliveries` packet arrivals at cores — equal under unicast; `input_messages` /
    `output_messages` messages from / to the host, `output_hops_x/y` the hops of output spikes to the
    host's router; `steps` and `core_steps` (used cores × steps) the
    per-step work; `inferences` the set-ups between inputs; `synaptic_ops_<format>` split
    `synaptic_ops`); step_cycles is (samples, steps) of chip work; step_s the wall time of each step:
    the chip's cycles at the operating point's clock combined with the host's serial work (added, or
    overlapped when `host.overlap`), at least the operating point's min_step_s; overhead_s
    (samples,) time outside the steps (set-up between inferences, reading readout values);
    core_busy_cycles is (samples, cores) of work (service + updates + spikes + sends); link_loads is
    (samples, 4 · cols · rows) packets over each directed mesh link (id (y · cols + x) · 4 + d, d = E,
    W, N, S; see `link_load_mesh`); injected / delivered are packets per node (cores, then the host
    port) and per core. `raster` (samples, steps, neurons) is kept when asked."""

    counts: dict[str, np.ndarray]
    step_cycles: np.ndarray
    step_s: np.ndarray
    overhead_s: np.ndarray
    core_busy_cycles: np.ndarray
    steps: int
    timesteps: int
    inputs_per_sample: int
    mode: str
    clock_hz: float
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

    def latency_s(self) -> np.ndarray:
        """Time per inference, per sample: (Σ step times + overhead) / inputs per sample."""
        return (self.step_s.sum(axis=1) + self.overhead_s) / self.inputs_per_sample

    def per_inference(self) -> dict[str, np.ndarray]:
        """Action counts per inference, per sample (float)."""
        return {k: v / self.inputs_per_sample for k, v in self.counts.items()}

    def mean_counts(self) -> dict[str, float]:
        """Action counts per inference, averaged over samples."""
        return {k: float(v.mean()) for k, v in self.per_inference().items()}

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
    tm = hw.timing
    return (plan.n_cores, plan.serial_cycles, plan.el_latency, plan.rt_ptr, plan.el_channel,
            plan.el_parent, plan.max_route, plan.src_info, plan.src_row_ptr, plan.src_grp_ptr,
            plan.pk_route, plan.pk_hop.reshape(-1), plan.pk_service, plan.pk_grp, plan.grp_core, plan.grp_el,
            plan.grp_service, plan.row_delay, plan.any_dense, plan.row_dense_lo, plan.row_dense_len,
            plan.row_dense_ptr, plan.dense_w, plan.row_syn_ptr, plan.syn_off, plan.syn_w, plan.seg_send_ptr,
            plan.seg_send_bits, plan.src_stats,
            plan.seg_g0, plan.seg_g1, plan.seg_core, plan.seg_start, plan.seg_thr, plan.seg_cmp,
            plan.seg_delta, plan.seg_subtract, plan.seg_delta_u, plan.seg_refractory, plan.seg_floor, plan.seg_plain,
            plan.seg_output, plan.seg_record, plan.bias, np.int64(state_bits),
            np.int64((1 << (state_bits - 1)) - 1), plan.n_slots, plan.node_interval, plan.send_cycles,
            tm.neuron_update_active_cycles.value, tm.neuron_update_idle_cycles.value,
            tm.spike_emit_cycles.value, plan.barrier_cycles)


def as_streams(ev: InputEvents, per_stream: int) -> InputEvents:
    """The samples of `ev` grouped into streams of `per_stream` consecutive inputs, each run as one
    sample of per_stream · T frames (no copy: the event rows are sample-major already)."""
    if per_stream < 1 or ev.samples % per_stream:
        raise ValueError(f"{ev.samples} inputs do not split into streams of {per_stream}")
    return InputEvents(ev.ptr, ev.idx, ev.val, ev.samples // per_stream, ev.timesteps * per_stream, ev.n_input)


@dataclass
class _Static:
    """What `simulate` derives from the chip and its plan alone: built on the first run and cached on the
    plan (per chip and hardware object), so that a run does only per-input work in Python."""

    chip: CompiledChip
    hw: object
    tables: tuple
    max_stage: int
    n_input: int
    input_name: str
    in_base: np.uint64
    stateful: bool                  # current state and refractory counters are kept (some segment is not plain)
    seg_size: np.ndarray
    seg_start: np.ndarray
    out_hops: np.ndarray            # (2, output segments) x and y hops of output segments to the host's router
    pop_segs: dict                  # spiking population -> its segments
    clock_hz: float
    min_step_s: float
    t_in: float
    t_out: float


def _static(chip: CompiledChip, plan: SimPlan) -> _Static:
    st = plan.__dict__.get("_static")
    if st is not None and st.chip is chip and st.hw is chip.hardware:
        return st
    net, hw = chip.network, chip.hardware
    (inp,) = net.inputs
    op = operating_state(hw)
    pop_segs = {p.name: np.nonzero(plan.seg_pop == i)[0] for i, p in enumerate(net.populations)
                if not p.is_input and p.neuron.spiking}
    st = _Static(chip=chip, hw=hw, tables=kernel_tables(plan, hw, net.state_bits),
                 max_stage=max(net.stages().values()), n_input=inp.size, input_name=inp.name,
                 in_base=np.uint64(net.offsets[net.index(inp.name)]), stateful=not plan.seg_plain.all(),
                 seg_size=(plan.seg_g1 - plan.seg_g0).astype(np.int64), seg_start=plan.seg_start,
                 out_hops=np.ascontiguousarray(plan.seg_host_hops[plan.seg_output].T), pop_segs=pop_segs,
                 clock_hz=op.clock_hz, min_step_s=op.min_step_s,
                 t_in=hw.host.message_s(hw.host.input_message_s), t_out=hw.host.message_s(hw.host.output_message_s))
    plan.__dict__["_static"] = st
    return st


def simulate(chip: CompiledChip, inputs: np.ndarray | InputEvents, record_raster: bool = False,
             plan: SimPlan | None = None, mode: Mode = "single", stream_length: int = 1) -> SimResult:
    """Simulate `inputs` (S, T, n_input) — spikes (0/1) or graded integers, dense or as
    `InputEvents` — with hardware timing (one-step delay per layer), on the compiled chip. `single`:
    every input is an inference from rest (S samples). `streaming`: inputs run back to back without
    reset, in S / stream_length streams of stream_length inputs (each stream one sample). Samples run
    in parallel."""
    hw = chip.hardware
    plan = plan or plan_for(chip)
    st = _static(chip, plan)
    ev = inputs if isinstance(inputs, InputEvents) else encode_events(np.asarray(inputs))
    if ev.n_input != st.n_input:
        raise ValueError(f"inputs have {ev.n_input} channels; the network's input '{st.input_name}' has "
                         f"{st.n_input}")
    per = stream_length if mode == "streaming" else 1
    if mode == "streaming":
        ev = as_streams(ev, per)
    S, T = ev.samples, ev.timesteps
    steps = T + st.max_stage                      # net.steps(T, "hardware")
    n = plan.n
    n_seg = plan.seg_g0.size
    counters = np.zeros((S, N_SRC_STATS), np.int64)
    step_cycles = np.zeros((S, steps), np.float64)
    core_busy = np.zeros((S, plan.n_cores), np.float64)
    ch_load = np.zeros((S, plan.n_channels), np.int64)
    seg_spikes = np.zeros((S, n_seg), np.int64)
    seg_active = np.zeros((S, n_seg), np.int64)
    out_steps = np.zeros((S, steps), np.int64)
    raster = np.zeros((S, steps, n) if record_raster else (S, 1, 0), np.bool_)
    recorded = np.zeros((S, steps, plan.n_record), np.int64)
    acc = np.zeros((S, plan.n_slots * n), acc_dtype_for(plan, ev.max_abs))
    v = np.zeros((S, n), np.int64)
    u = np.zeros((S, n if st.stateful else 0), np.int64)
    ref = np.zeros((S, n if st.stateful else 0), np.int64)
    args = (steps, T, ev.ptr, st.in_base, ev.idx, ev.val, st.tables)
    outs = (acc, v, u, ref, counters, step_cycles, core_busy, ch_load, seg_spikes, seg_active, out_steps, raster,
            recorded)
    if S == 1 or numba.get_num_threads() == 1:  # serial: a parallel launch costs more than it gives here
        for i in range(S):
            K.run_one(i, *args, *(o[i] for o in outs))
    else:
        K.run_samples(*args, *outs)
    counts = {a: counters[:, i].copy() for a, i in _STATIC.items()}
    updates = (st.seg_size * np.maximum(steps - st.seg_start, 0)).sum()
    active = seg_active.sum(axis=1)
    counts["neuron_updates_active"] = active
    counts["neuron_updates_idle"] = updates - active
    counts["spikes"] = seg_spikes.sum(axis=1)
    counts["barriers"] = np.full(S, steps, np.int64)
    # the host: input events in, output spikes (and their hops to the host's router) and readout values out
    in_steps = np.zeros((S, steps), np.int64)
    in_steps[:, :T] = np.diff(ev.ptr.astype(np.int64)).reshape(S, T)
    readouts = plan.n_record  # values read per inference (non-spiking outputs)
    out_spk = seg_spikes[:, plan.seg_output]
    counts["output_hops_x"] = out_spk @ st.out_hops[0]
    counts["output_hops_y"] = out_spk @ st.out_hops[1]
    counts["input_messages"] = in_steps.sum(axis=1)
    counts["output_messages"] = out_steps.sum(axis=1) + readouts * per
    counts["steps"] = np.full(S, steps, np.int64)
    counts["core_steps"] = np.full(S, steps * plan.n_cores, np.int64)
    counts["inferences"] = np.full(S, per if mode == "single" else 0, np.int64)
    counts = {a: counts[a] for a in ACTIONS}
    step_s, overhead_s = _wall_time(hw, st, step_cycles, in_steps, out_steps, readouts * per, mode)
    per_pop = {name: seg_spikes[:, segs].sum(axis=1) for name, segs in st.pop_segs.items()}
    m = plan.n_mesh_links
    return SimResult(counts=counts, step_cycles=step_cycles, step_s=step_s, overhead_s=overhead_s,
                     core_busy_cycles=core_busy, steps=steps, timesteps=T, inputs_per_sample=per, mode=mode,
                     clock_hz=st.clock_hz, spikes_per_population=per_pop,
                     raster=raster if record_raster else None,
                     potentials=recorded if plan.n_record else None, link_loads=ch_load[:, :m],
                     injected=ch_load[:, m:m + plan.n_nodes], delivered=ch_load[:, m + plan.n_nodes:],
                     mesh_shape=(plan.cols, plan.rows))


def _wall_time(hw, st: _Static, step_cycles: np.ndarray, in_steps: np.ndarray, out_steps: np.ndarray, reads: int,
               mode: str) -> tuple[np.ndarray, np.ndarray]:
    """(step_s, overhead_s): each step is the chip's cycles at the operating clock, with the host's
    serial work of that step (its messages in and out and its per-step work) added — or, when the host
    overlaps the step, run beside it (its input messages are then timed inside the kernel) — and at
    least the operating point's shortest step. Overhead: set-up between inferences (single mode) and
    reading the readout values at the end of each inference."""
    h = hw.host
    chip_s = step_cycles / st.clock_hz
    t_in, t_out = st.t_in, st.t_out
    host_s = in_steps * t_in + out_steps * t_out + h.per_step_s.value
    step_s = np.maximum(chip_s, host_s) if h.overlap else chip_s + host_s
    step_s = np.maximum(step_s, st.min_step_s)
    setup = h.per_inference_s.value if mode == "single" else 0.0
    overhead = np.full(step_cycles.shape[0], reads * t_out + setup)
    return step_s, overhead

"""Run a compiled chip on input samples and collect what the energy model and reports need."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Literal

import numba
import numpy as np

from neurosim.config.hardware import FORMATS, operating_state
from neurosim.errors import UserError
from neurosim.mapper.compiled import CompiledChip
from neurosim.sim import kernels as K
from neurosim.sim.plan import (
    DIRECTIONS,
    N_SRC_STATS,
    SRC_CROSSINGS,
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
    chips_used,
)

ACTIONS = ("synaptic_ops", "word_reads", "rows_served", "packets", "hops_x", "hops_y", "chip_crossings",
           "neuron_updates_active", "neuron_updates_idle", "spikes", "barriers", "deliveries",
           "input_messages", "output_messages", "output_hops_x", "output_hops_y", "steps", "core_steps",
           "inferences",
           *(f"synaptic_ops_{f}" for f in FORMATS))
_STATIC = {"synaptic_ops": SRC_SYN_OPS, "word_reads": SRC_WORDS, "rows_served": SRC_ROWS, "packets": SRC_PACKETS,
           "hops_x": SRC_HOPS_X, "hops_y": SRC_HOPS_Y, "chip_crossings": SRC_CROSSINGS,
           "deliveries": SRC_DELIVERIES,
           **{f"synaptic_ops_{f}": SRC_SYN_OPS_FMT0 + k for k, f in enumerate(FORMATS)}}
Mode = Literal["single", "streaming"]
_ROW = {a: i for i, a in enumerate(ACTIONS)}
_STATIC_ROWS = np.array([_ROW[a] for a in _STATIC], np.int64)
_STATIC_COLS = np.array(list(_STATIC.values()), np.int64)
_DYN_ROWS = np.array([_ROW[a] for a in K.DYN_ACTIONS], np.int64)
assert sorted([*_STATIC, *K.DYN_ACTIONS]) == sorted(ACTIONS)

@dataclass
class SimResult:
    """Action counts and timing of a simulation, per simulated sample: one input (`single` mode:
    each inference starts from rest) or a stream of `inputs_per_sample` inputs run back to back
    without reset (`streaming`). Per-inference figures divide by `inputs_per_sample`.

    counts[action] is an int64 array over samples (actions: `ACTIONS`; `packets` are packets
    injected, `deliveries` packet arrivals at cores — equal under unicast; `input_messages` /
    `output_messages` messages from / to the host, `output_hops_x/y` the hops of output spikes to the
    host's router; `chip_crossings` packet crossings of inter-chip links (systems of chips); `steps`
    and `core_steps` (used cores × steps) the
    per-step work; `inferences` the set-ups between inputs; `synaptic_ops_<format>` split
    `synaptic_ops`); step_cycles is (samples, steps) of chip work; step_s the wall time of each step:
    the chip's cycles at the operating point's clock combined with the host's serial work (added, or
    overlapped when `host.overlap`), at least the operating point's min_step_s; overhead_s
    (samples,) time outside the steps (set-up between inferences, reading readout values);
    core_busy_cycles is (samples, cores) of work (service + updates + spikes + sends); link_loads is
    (samples, 4 · cols · rows) packets over each directed mesh link (id (y · cols + x) · 4 + d, d = E,
    W, N, S; see `link_load_mesh`); injected / delivered are packets per node (cores, then the input
    ports: the host's, or one per chip) and per core. `raster` (samples, steps, neurons) is kept when asked."""

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

    @cached_property   # computed once per event set (the set is immutable)
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


def integer_inputs(inputs) -> np.ndarray:
    """`inputs` as integers, or UserError when that would round: the chip takes spikes and integer
    input levels, and a silent truncation of analog values would change the network's input."""
    x = np.asarray(inputs)
    if x.dtype.kind in "biu":
        return x
    if x.dtype.kind != "f":
        raise UserError(f"simulate: inputs of dtype {x.dtype} are not numbers; give spikes (0/1) or integer levels")
    bad = ~np.isfinite(x) | (x != np.rint(x))
    if bad.any():
        v = x[bad].flat[0]
        raise UserError(f"simulate: inputs hold {int(bad.sum())} non-integer values (e.g. {v!r}); the chip takes "
                        "spikes (0/1) or integer input levels: encode them first (e.g. np.rint(x * levels) with the "
                        "deploy network's input_levels, or neurosim.snn.deploy_inputs)")
    if np.abs(x).max(initial=0) > np.iinfo(np.int32).max:
        raise UserError("simulate: inputs exceed the 32-bit integer range of input values")
    return x.astype(np.int64)


def kernels_cached() -> bool:
    """Whether numba has the simulator's kernel compiled in its cache (else the first simulation of a
    process compiles it, which takes tens of seconds)."""
    import hashlib
    import os

    here = os.path.dirname(os.path.abspath(K.__file__))
    root = os.environ.get("NUMBA_CACHE_DIR")   # numba's layout: <folder>_<sha1 of the folder's path>
    folder = Path(root) / f"{os.path.basename(here)}_{hashlib.sha1(here.encode()).hexdigest()}" if root \
        else Path(here) / "__pycache__"
    return folder.is_dir() and any(folder.glob("kernels.run_one-*.nbi"))


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
    ej0 = np.uint64(plan.n_mesh_links + plan.n_nodes)   # the first ejection channel
    return (plan.n_cores, ej0, plan.serial_cycles, plan.el_latency, plan.el_serial, plan.rt_ptr, plan.el_channel,
            plan.el_parent, plan.max_route, plan.src_info, plan.src_row_ptr, plan.src_grp_ptr,
            plan.pk_route, plan.pk_hop.reshape(-1), plan.tree, plan.pk_grp, plan.grp_core, plan.grp_el,
            plan.grp_service, plan.row_delay, plan.any_dense, plan.row_dense_lo, plan.row_dense_len,
            plan.row_dense_ptr, plan.dense_w, plan.row_syn_ptr, plan.src_syn_shift, plan.syn_off, plan.syn_w,
            plan.seg_send_ptr, plan.seg_send_bits, np.ascontiguousarray(plan.src_stats.T),
            plan.seg_g0, plan.seg_g1, plan.seg_core, plan.seg_start, plan.seg_thr, plan.seg_cmp,
            plan.seg_delta, plan.seg_subtract, plan.seg_delta_u, plan.seg_refractory, plan.seg_floor, plan.seg_plain,
            plan.seg_output, plan.seg_record, plan.bias, np.int64(state_bits),
            np.int64((1 << (state_bits - 1)) - 1), plan.n_slots, plan.node_interval, plan.core_port,
            plan.send_cycles,
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
    seg_out: np.ndarray             # int64 output segments
    out_hops: np.ndarray            # (2, output segments) x and y hops of output segments to the host's router
    pop_names: list                 # spiking populations; their segments pop_seg[pop_ptr[i]:pop_ptr[i + 1]]
    pop_ptr: np.ndarray
    pop_seg: np.ndarray
    host: tuple                     # `kernels.summarize`'s (clock_hz, t_in, t_out, per_step_s, overlap, min_step_s)
    clock_hz: float
    t_out: float
    updates_at: dict                # steps -> neuron updates in a run of that many steps

    def updates(self, steps: int) -> int:
        """Neuron updates in a run of `steps` steps (each segment from its start step on)."""
        u = self.updates_at.get(steps)
        if u is None:
            u = self.updates_at[steps] = int((self.seg_size * np.maximum(steps - self.seg_start, 0)).sum())
        return u


def _static(chip: CompiledChip, plan: SimPlan) -> _Static:
    st = plan.__dict__.get("_static")
    if st is not None and st.chip is chip and st.hw is chip.hardware:
        return st
    net, hw = chip.network, chip.hardware
    (inp,) = net.inputs
    op = operating_state(hw)
    h = hw.host
    pops = [(p.name, np.nonzero(plan.seg_pop == i)[0]) for i, p in enumerate(net.populations)
            if not p.is_input and p.neuron.spiking]
    pop_ptr = np.zeros(len(pops) + 1, np.int64)
    np.cumsum([len(g) for _, g in pops], out=pop_ptr[1:])
    t_out = h.message_s(h.output_message_s)
    st = _Static(chip=chip, hw=hw, tables=kernel_tables(plan, hw, net.state_bits),
                 max_stage=max(net.stages().values()), n_input=inp.size, input_name=inp.name,
                 in_base=np.uint64(net.offsets[net.index(inp.name)]), stateful=not plan.seg_plain.all(),
                 seg_size=(plan.seg_g1 - plan.seg_g0).astype(np.int64), seg_start=plan.seg_start,
                 seg_out=np.nonzero(plan.seg_output)[0].astype(np.int64),
                 out_hops=np.ascontiguousarray(plan.seg_host_hops[plan.seg_output].T.astype(np.int64)),
                 pop_names=[name for name, _ in pops], pop_ptr=pop_ptr,
                 pop_seg=np.concatenate([g for _, g in pops] + [np.zeros(0, np.int64)]).astype(np.int64),
                 host=(float(op.clock_hz), float(h.message_s(h.input_message_s)), float(t_out),
                       float(h.per_step_s.value), bool(h.overlap), float(op.min_step_s)),
                 clock_hz=op.clock_hz, t_out=t_out, updates_at={})
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
    ev = inputs if isinstance(inputs, InputEvents) else encode_events(integer_inputs(inputs))
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
    in_msgs = np.zeros((S, steps, 2), np.int64)
    acc = np.zeros((S, plan.n_slots * n), acc_dtype_for(plan, ev.max_abs))
    v = np.zeros((S, n), np.int64)
    u = np.zeros((S, n if st.stateful else 0), np.int64)
    ref = np.zeros((S, n if st.stateful else 0), np.int64)
    args = (steps, T, ev.ptr, st.in_base, ev.idx, ev.val, st.tables)
    outs = (acc, v, u, ref, counters, step_cycles, core_busy, ch_load, seg_spikes, seg_active, out_steps, raster,
            recorded, in_msgs)
    if S == 1 or numba.get_num_threads() == 1:  # serial: a parallel launch costs more than it gives here
        for i in range(S):
            K.run_one(i, *args, *(o[i] for o in outs))
    else:
        K.run_samples(*args, *outs)
    rows = np.empty((len(ACTIONS), S), np.int64)
    per_pop = np.empty((len(st.pop_names), S), np.int64)
    step_s = np.empty((S, steps), np.float64)
    readouts = plan.n_record  # values read per inference (non-spiking outputs)
    K.summarize(counters, _STATIC_ROWS, _STATIC_COLS, _DYN_ROWS, seg_active, seg_spikes, out_steps, in_msgs,
                st.updates(steps), st.seg_out, st.out_hops, st.pop_ptr, st.pop_seg, readouts, per, mode == "single",
                plan.n_cores, step_cycles, st.host, rows, per_pop, step_s)
    counts = dict(zip(ACTIONS, rows, strict=True))
    if hw.system is not None:   # every chip in use resets its own state between inputs
        counts["inferences"] = counts["inferences"] * chips_used(chip)
    setup = hw.host.per_inference_s.value if mode == "single" else 0.0   # between inferences
    overhead_s = np.full(S, readouts * per * st.t_out + setup)           # and reading the readout values
    per_pop = dict(zip(st.pop_names, per_pop, strict=True))
    m = plan.n_mesh_links
    return SimResult(counts=counts, step_cycles=step_cycles, step_s=step_s, overhead_s=overhead_s,
                     core_busy_cycles=core_busy, steps=steps, timesteps=T, inputs_per_sample=per, mode=mode,
                     clock_hz=st.clock_hz, spikes_per_population=per_pop,
                     raster=raster if record_raster else None,
                     potentials=recorded if plan.n_record else None, link_loads=ch_load[:, :m],
                     injected=ch_load[:, m:m + plan.n_nodes], delivered=ch_load[:, m + plan.n_nodes:],
                     mesh_shape=(plan.cols, plan.rows))

"""Mapping for latency: spread the layers whose cores are the busiest over more cores, so that the work on
the step's critical path (the busiest core) shrinks, until the chip's cores (on a system: those of the
chips the fewest-cores mapping fills, `spread_budget`) run out or the busiest core's work per step is
down to the barrier (below that the barrier, not the work, sets the step). The expected work of a core
is computed from the compiled tables and the profiled spike rates with the chip's own per-op cycles (the
simulator's timing model, without queueing):

    work(core) = Σ_rows into it rate(source) · (header + words · word + ⌈nnz/lanes⌉ · op(format))
               + Σ_sources on it rate · destination cores · packet_send
               + neuron updates (from each layer's stage on) · neuron_update_active + spikes · spike_emit

Splitting a layer over more cores costs packets (one per destination core per spike) and, on chips
that gate unused cores, leakage; `auto` therefore balances only where unused cores leak anyway and
the step is not paced by a fixed tick.
"""

from __future__ import annotations

import math

import numpy as np

from neurosim.config.hardware import FORMATS, Hardware, operating_state
from neurosim.mapper.compiled import CompiledChip

OBJECTIVES = ("auto", "cores", "latency")


def resolve_objective(objective: str, hw: Hardware) -> str:
    """`auto`: latency on chips whose unused cores are not power-gated (spreading costs no extra
    leakage there) and whose steps are not paced by a fixed tick (a shorter step would gain nothing);
    fewest cores otherwise."""
    if objective not in OBJECTIVES:
        raise ValueError(f"unknown mapping objective {objective!r}; choose one of {', '.join(OBJECTIVES)}")
    if objective == "auto":
        ticked = operating_state(hw).min_step_s > 0
        return "cores" if hw.power.power_gating or ticked else "latency"
    return objective


def core_work(chip: CompiledChip, rates: np.ndarray, steps: int) -> np.ndarray:
    """Expected cycles of work of every used core per inference (module docstring)."""
    hw, net = chip.hardware, chip.network
    tm = hw.timing
    nc = chip.n_cores
    n = int(net.offsets[-1])
    ptr = chip.src_row_ptr.astype(np.int64)
    row_src = np.repeat(np.arange(n), np.diff(ptr))
    nnz = np.diff(chip.row_syn_ptr.astype(np.int64))
    op = np.array([tm.op_cycles(f) for f in FORMATS])[chip.row_format]
    service = (tm.row_header_cycles.value + chip.row_words * tm.word_read_cycles.value
               + np.ceil(nnz / tm.synaptic_lanes) * op)
    r = np.asarray(rates, np.float64)
    # float even when there are no rows (bincount of nothing is an integer array)
    work = np.bincount(chip.row_core.astype(np.int64), weights=r[row_src] * service, minlength=nc).astype(np.float64)
    # sends: one packet per distinct destination core per spike, on the source's core
    key = row_src * nc + chip.row_core.astype(np.int64)
    first = np.concatenate(([True], key[1:] != key[:-1])) if key.size else np.zeros(0, bool)
    src_core = chip.neuron_core[row_src[first]].astype(np.int64)
    on = src_core >= 0
    work += np.bincount(src_core[on], weights=r[row_src[first]][on], minlength=nc) * tm.packet_send_cycles.value
    stage = net.stages()   # a population is updated from its stage on
    updates = np.array([sum(k.neurons * max(steps - stage[k.population], 0) for k in chunks)
                        for chunks in chip.cores], np.float64)
    spikes = np.bincount(chip.neuron_core[chip.neuron_core >= 0].astype(np.int64),
                         weights=r[chip.neuron_core >= 0], minlength=nc)
    work += updates * tm.neuron_update_active_cycles.value + spikes * tm.spike_emit_cycles.value
    return work


def _population_loads(chip: CompiledChip, rates: np.ndarray, steps: int):
    """Per population: `own` cycles per inference of work that stays with its neurons however they are
    split (service of the rows it receives, updates, spikes), its present cores, and the packets per
    inference it sends to each target population (`sends[(p, q)]`; p None = the host's input port)."""
    net = chip.network
    tm = chip.hardware.timing
    nc = chip.n_cores
    n = int(net.offsets[-1])
    pop_of = np.searchsorted(net.offsets, np.arange(n), side="right") - 1
    names = [p.name for p in net.populations]
    ptr = chip.src_row_ptr.astype(np.int64)
    row_src = np.repeat(np.arange(n), np.diff(ptr))
    nnz = np.diff(chip.row_syn_ptr.astype(np.int64))
    op = np.array([tm.op_cycles(f) for f in FORMATS])[chip.row_format]
    service = (tm.row_header_cycles.value + chip.row_words * tm.word_read_cycles.value
               + np.ceil(nnz / tm.synaptic_lanes) * op)
    r = np.asarray(rates, np.float64)
    first_syn = chip.row_syn_ptr[:-1].astype(np.int64)
    row_dst = pop_of[chip.syn_post[np.minimum(first_syn, max(chip.syn_post.size - 1, 0))]] if nnz.size else nnz
    own = {name: 0.0 for name in names}
    for q, w in zip(row_dst[nnz > 0], (r[row_src] * service)[nnz > 0], strict=True):
        own[names[q]] += w
    stage = net.stages()
    for name in names:
        p = net.pop(name)
        if not p.is_input:
            sl = slice(int(net.offsets[net.index(name)]), int(net.offsets[net.index(name) + 1]))
            own[name] += (p.size * max(steps - stage[name], 0) * tm.neuron_update_active_cycles.value
                          + r[sl].sum() * tm.spike_emit_cycles.value)
    # one packet per distinct (source, destination core) and spike
    key = row_src * nc + chip.row_core.astype(np.int64)
    first = np.concatenate(([True], key[1:] != key[:-1])) if key.size else np.zeros(0, bool)
    sends: dict[tuple, float] = {}
    for s_pop, d_pop, w in zip(pop_of[row_src[first]], row_dst[first], r[row_src[first]], strict=True):
        k = (None if net.populations[s_pop].is_input else names[s_pop], names[d_pop])
        sends[k] = sends.get(k, 0.0) + w
    cores: dict[str, int] = {}
    for chunks in chip.cores:
        for name in dict.fromkeys(k.population for k in chunks):
            cores[name] = cores.get(name, 0) + 1
    return own, cores, sends


def spread_budget(hw: Hardware, cores: int) -> int:
    """Cores a mapping for latency may spread `cores` over: the chip's, or on a system those of the chips
    the fewest-cores mapping fills (the baseline fills chips one after another). A further chip adds
    chip crossings and the system barrier over more chips, which the model of the cores' work here
    does not price: spreading a two-chip network over twenty Loihi chips made its step 1.8x longer."""
    chip_cores = hw.mesh.n_cores // hw.n_chips
    return min(hw.mesh.n_cores, -(-cores // chip_cores) * chip_cores)


def balanced_caps(chip: CompiledChip, rates: np.ndarray, steps: int, barrier_cycles: float) -> dict[str, int]:
    """Neurons per core for each population (the `caps` of `partition`) that shorten the step's
    critical path: the busiest core (its own work, plus sending a packet to every target core of
    each spike), or the host's port sending the input events. A core is added to the population
    whose cores are the busiest as long as that lightens them without lengthening the critical path —
    spreading a layer divides its own work but multiplies the packets its sources send — until the
    chip's cores (a system's: those of the chips the network needs) run out or the critical path is
    down to the barrier."""
    net = chip.network
    hw = chip.hardware
    own, k0, sends = _population_loads(chip, rates, steps)
    ser = float(-(-hw.noc.packet_bits // hw.noc.link_width_bits))
    interval = max(ser, hw.timing.packet_send_cycles.value)
    host_interval = ser
    if hw.host.overlap:
        host_interval = max(ser, hw.host.message_s(hw.host.input_message_s) * operating_state(hw).clock_hz)
    k = dict(k0)

    def per_core(p: str) -> float:
        out = sum(v * k[q] / k0[q] for (src, q), v in sends.items() if src == p)
        return (own[p] + out * interval) / k[p]

    def host() -> float:
        return sum(v * k[q] / k0[q] for (src, q), v in sends.items() if src is None) * host_interval

    def critical() -> float:
        return max([host()] + [per_core(p) for p in k])

    free = spread_budget(hw, sum(k0.values())) - sum(k0.values())   # layers get cores of their own when spread
    floor = barrier_cycles * steps              # per inference: one barrier per step
    done: set[str] = set()
    while free > 0:
        open_ = [p for p in k if p not in done and k[p] < net.pop(p).size]
        if not open_:
            break
        p = max(open_, key=per_core)
        before, mine = critical(), per_core(p)
        if before <= floor:
            break
        k[p] += 1
        if per_core(p) < mine and critical() <= before:
            free -= 1
        else:          # spreading p no longer helps: its sources' packets grow faster than its work shrinks
            k[p] -= 1
            done.add(p)
    return {p: math.ceil(net.pop(p).size / k[p]) for p in k if k[p] > k0[p]}

"""Mapping for latency: spread the layers whose cores are the busiest over more cores, so that the
work on the step's critical path (the busiest core) shrinks, until the chip's cores run out or the
busiest core's work per step is down to the barrier (below that the barrier, not the work, sets the
step). The expected work of a core is computed from the compiled tables and the profiled spike
rates with the chip's own per-op cycles (the simulator's timing model, without queueing):

    work(core) = Σ_rows into it rate(source) · (header + words · word + ⌈nnz/lanes⌉ · op(format))
               + Σ_sources on it rate · destination cores · packet_send
               + neuron updates (from each layer's stage on) · neuron_update_active + spikes · spike_emit

Splitting a layer over more cores costs packets (one per destination core per spike) and, on chips
that gate unused cores, leakage; `auto` therefore balances only where unused cores leak anyway and
the step is not paced by a fixed tick.
"""

from __future__ import annotations

import heapq
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
    work = np.bincount(chip.row_core.astype(np.int64), weights=r[row_src] * service, minlength=nc)
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


def balanced_caps(chip: CompiledChip, rates: np.ndarray, steps: int, barrier_cycles: float) -> dict[str, int]:
    """Neurons per core for each population (the `caps` of `partition`) that balance the expected
    work: cores are added one at a time to the population whose cores are the busiest, until the
    chip's cores run out or no core's work per step exceeds the barrier."""
    net = chip.network
    work = core_work(chip, rates, steps)
    # each population's share of its cores' work (by neurons) and its present number of cores
    pop_work: dict[str, float] = {}
    pop_cores: dict[str, int] = {}
    for c, (chunks, u) in enumerate(zip(chip.cores, chip.usage, strict=True)):
        for name in dict.fromkeys(k.population for k in chunks):
            held = sum(k.neurons for k in chunks if k.population == name)
            pop_work[name] = pop_work.get(name, 0.0) + work[c] * held / max(u.neurons, 1)
            pop_cores[name] = pop_cores.get(name, 0) + 1
    free = chip.hardware.mesh.n_cores - chip.n_cores
    heap = [(-w / pop_cores[p], p) for p, w in pop_work.items()]
    heapq.heapify(heap)
    k = dict(pop_cores)
    floor = barrier_cycles * steps   # per inference: a core's work of one barrier per step
    while free > 0 and heap:
        neg, p = heapq.heappop(heap)
        if -neg <= floor or k[p] >= net.pop(p).size:
            continue
        k[p] += 1
        free -= 1
        heapq.heappush(heap, (-pop_work[p] / k[p], p))
    return {p: math.ceil(net.pop(p).size / k[p]) for p in k if k[p] > pop_cores[p]}

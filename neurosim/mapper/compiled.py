"""The compiled chip: where every neuron lives, the synapse rows each spike reads, and what every
core uses of every budget. The simulator runs on these flat arrays.

Rows are sorted by (source neuron, destination core, delay). Each distinct (source, destination
core) pair is one packet per spike and one routing-table entry of the source's core.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from neurosim.config.hardware import Hardware
from neurosim.ir.network import Network
from neurosim.mapper.formats import row_bits, words
from neurosim.mapper.partition import Chunk


@dataclass
class CoreUsage:
    """Budgets one core uses (bits, axons, entries)."""

    neurons: int = 0
    synapse_bits: int = 0
    fan_in_axons: int = 0
    fan_out_axons: int = 0
    routing_entries: int = 0
    neuron_bits: int = 0
    routing_bits: int = 0
    synapse_bits_by_format: dict[str, int] = field(default_factory=dict)


@dataclass
class CompiledChip:
    """A network mapped onto a chip: placement, synapse tables, per-core usage."""

    hardware: Hardware
    network: Network                # the integer deploy network that was mapped
    cores: list[list[Chunk]]        # chunks on each used core
    router_xy: np.ndarray           # (n_cores, 2) router coordinates of each used core
    formats: dict[str, str]         # projection name -> synapse format
    usage: list[CoreUsage]
    neuron_core: np.ndarray         # int32 per global neuron, -1 for input neurons
    src_row_ptr: np.ndarray         # uint64 [n_neurons + 1] -> rows of each source neuron
    row_core: np.ndarray            # uint32 [n_rows] destination core
    row_delay: np.ndarray           # uint32 [n_rows] steps between emission and integration
    row_words: np.ndarray           # uint32 [n_rows] synapse words read when the row is served
    row_syn_ptr: np.ndarray         # uint64 [n_rows + 1] -> synapses of each row
    syn_post: np.ndarray            # uint32 [n_syn] target global neuron id
    syn_weight: np.ndarray          # int32 [n_syn]
    placement_cost_hops: float = 0.0        # Σ packets-per-spike × hops of the placement used
    baseline_cost_hops: float = 0.0         # same for the serpentine baseline
    placement: str = "serpentine"

    @property
    def n_cores(self) -> int:
        return len(self.cores)

    def totals(self) -> dict[str, int]:
        keys = ["neurons", "synapse_bits", "fan_in_axons", "fan_out_axons", "routing_entries", "neuron_bits",
                "routing_bits"]
        return {k: int(sum(getattr(u, k) for u in self.usage)) for k in keys}

    def synapse_bits_by_format(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for u in self.usage:
            for k, v in u.synapse_bits_by_format.items():
                out[k] = out.get(k, 0) + v
        return out


def build_tables(net: Network, hw: Hardware, cores: list[list[Chunk]], formats: dict[str, str],
                 delays: list[int]) -> dict:
    """Flat row/synapse tables and per-core usage for a partition `cores`."""
    offsets = net.offsets
    n = int(offsets[-1])
    neuron_core = np.full(n, -1, np.int32)
    piece_size = {}
    for ci, chunks in enumerate(cores):
        for c in chunks:
            g0 = offsets[net.index(c.population)]
            neuron_core[g0 + c.start:g0 + c.stop] = ci
            piece_size[(c.population, ci)] = c.stop - c.start
    usage = [CoreUsage() for _ in cores]
    for ci, chunks in enumerate(cores):
        usage[ci].neurons = sum(c.neurons for c in chunks)
        usage[ci].neuron_bits = usage[ci].neurons * hw.core.neuron_state_bits

    parts = []  # per projection: (src, core, delay, words, nnz-per-row, post, weight)
    wb = hw.core.synapse_word_bits
    for pr, d in zip(net.projections, delays, strict=True):
        fmt = formats[pr.name]
        pre_off, post_off = offsets[net.index(pr.pre)], offsets[net.index(pr.post)]
        ecore = neuron_core[post_off + pr.post_idx.astype(np.int64)].astype(np.int64)
        order = np.lexsort((pr.post_idx, ecore, pr.pre_idx))
        e_pre, e_core = pr.pre_idx[order].astype(np.int64), ecore[order]
        e_post, e_w = pr.post_idx[order].astype(np.int64) + post_off, pr.weight[order].astype(np.int32)
        key = e_pre * len(cores) + e_core
        ukey, start, nnz = np.unique(key, return_index=True, return_counts=True)
        if fmt == "dense" and pr.kind == "dense":  # every source has a row in every core of the target
            post_cores = np.unique(neuron_core[post_off:post_off + net.pop(pr.post).size])
            grid = (np.arange(net.pop(pr.pre).size)[:, None] * len(cores) + post_cores[None, :]).ravel()
            pos = np.searchsorted(ukey, grid)
            hit = (pos < ukey.size) & (ukey[np.minimum(pos, ukey.size - 1)] == grid)
            full_nnz = np.where(hit, nnz[np.minimum(pos, max(ukey.size - 1, 0))], 0)
            row_key, row_nnz = grid, full_nnz
        else:
            row_key, row_nnz = ukey, nnz
        row_src, row_core = row_key // len(cores), row_key % len(cores)
        size_on_core = np.zeros(len(cores), np.int64)
        for (pop, ci), k in piece_size.items():
            if pop == pr.post:
                size_on_core[ci] = k
        rb = _row_bits_vec(fmt, row_nnz, size_on_core[row_core], hw)
        row_w = words(rb, wb).astype(np.int64)
        # synapse memory per core
        if fmt == "conv_shared":
            _add_conv_shared(usage, pr, neuron_core, post_off, hw, fmt)
        else:
            mem = np.bincount(row_core, weights=row_w * wb, minlength=len(cores)).astype(np.int64)
            for ci in np.nonzero(mem)[0]:
                usage[ci].synapse_bits += int(mem[ci])
                usage[ci].synapse_bits_by_format[fmt] = usage[ci].synapse_bits_by_format.get(fmt, 0) + int(mem[ci])
        # synapses of each row (rows with no synapse have an empty slice)
        if fmt == "dense" and pr.kind == "dense":
            row_start = np.where(hit, start[np.minimum(pos, max(ukey.size - 1, 0))], 0)
        else:
            row_start = start
        parts.append((row_src + pre_off, row_core, np.full(row_key.size, d, np.int64), row_w, row_nnz, row_start,
                      e_post, e_w))

    # merge all projections' rows, sorted by (source, core, delay)
    src = np.concatenate([p[0] for p in parts]) if parts else np.zeros(0, np.int64)
    rcore = np.concatenate([p[1] for p in parts]) if parts else np.zeros(0, np.int64)
    rdelay = np.concatenate([p[2] for p in parts]) if parts else np.zeros(0, np.int64)
    rwords = np.concatenate([p[3] for p in parts]) if parts else np.zeros(0, np.int64)
    rnnz = np.concatenate([p[4] for p in parts]) if parts else np.zeros(0, np.int64)
    syn_post_parts, syn_w_parts = [], []
    for p in parts:
        row_start, row_nnz, e_post, e_w = p[5], p[4], p[6], p[7]
        idx = _expand(row_start, row_nnz)
        syn_post_parts.append(e_post[idx])
        syn_w_parts.append(e_w[idx])
    syn_post = np.concatenate(syn_post_parts) if parts else np.zeros(0, np.int64)
    syn_w = np.concatenate(syn_w_parts) if parts else np.zeros(0, np.int32)
    syn_row_start = np.concatenate(([0], np.cumsum(rnnz)))[:-1] if rnnz.size else np.zeros(0, np.int64)
    order = np.lexsort((rdelay, rcore, src))
    src, rcore, rdelay, rwords, rnnz = src[order], rcore[order], rdelay[order], rwords[order], rnnz[order]
    syn_idx = _expand(syn_row_start[order], rnnz)
    syn_post, syn_w = syn_post[syn_idx], syn_w[syn_idx]
    src_row_ptr = np.zeros(n + 1, np.uint64)
    np.cumsum(np.bincount(src, minlength=n), out=src_row_ptr[1:])
    row_syn_ptr = np.zeros(src.size + 1, np.uint64)
    np.cumsum(rnnz, out=row_syn_ptr[1:])

    # fan-in (distinct sources per core), fan-out and routing entries (distinct source x core pairs)
    pair = np.unique(src * len(cores) + rcore) if src.size else np.zeros(0, np.int64)
    p_src, p_core = pair // len(cores), pair % len(cores)
    fan_in = np.bincount(p_core, minlength=len(cores))
    src_core = neuron_core[p_src]
    on_chip = src_core >= 0
    fan_out = np.bincount(src_core[on_chip], minlength=len(cores))
    for ci in range(len(cores)):
        usage[ci].fan_in_axons = int(fan_in[ci])
        usage[ci].fan_out_axons = int(fan_out[ci])
    # one routing entry per (source population piece, destination core)
    pop_of = np.searchsorted(offsets, p_src[on_chip], side="right") - 1
    groups = np.unique(np.stack([src_core[on_chip], pop_of, p_core[on_chip]], axis=1), axis=0) \
        if on_chip.any() else np.zeros((0, 3), np.int64)
    entries = np.bincount(groups[:, 0], minlength=len(cores)) if groups.size else np.zeros(len(cores), np.int64)
    for ci in range(len(cores)):
        usage[ci].routing_entries = int(entries[ci])
        usage[ci].routing_bits = int(entries[ci]) * hw.core.routing_entry_bits
    return dict(usage=usage, neuron_core=neuron_core, src_row_ptr=src_row_ptr,
                row_core=rcore.astype(np.uint32), row_delay=rdelay.astype(np.uint32),
                row_words=rwords.astype(np.uint32), row_syn_ptr=row_syn_ptr,
                syn_post=syn_post.astype(np.uint32), syn_weight=syn_w.astype(np.int32))


def _row_bits_vec(fmt: str, nnz: np.ndarray, targets: np.ndarray, hw: Hardware) -> np.ndarray:
    if fmt in ("dense", "bitmap"):
        w = hw.core.stored_weight_bits
        return targets * w if fmt == "dense" else targets + nnz * w
    return row_bits(fmt, nnz, 0, hw.core)


def _add_conv_shared(usage: list[CoreUsage], pr, neuron_core, post_off, hw: Hardware, fmt: str) -> None:
    """Kernel entries of the output channels each core holds, stored once per core."""
    _, h, w = pr.conv.out_shape
    per_ch = np.count_nonzero(pr.kernel.reshape(pr.kernel.shape[0], -1), axis=1)
    n_post = int(np.prod(pr.conv.out_shape))
    cores_of = neuron_core[post_off:post_off + n_post]
    ch = np.arange(n_post) // (h * w)
    pairs = np.unique(np.stack([cores_of, ch], axis=1), axis=0)
    wb = hw.core.synapse_word_bits
    for ci in np.unique(pairs[:, 0]):
        entries = int(per_ch[pairs[pairs[:, 0] == ci, 1]].sum())
        bits = int(words(entries * hw.core.stored_weight_bits, wb) * wb)
        usage[ci].synapse_bits += bits
        usage[ci].synapse_bits_by_format[fmt] = usage[ci].synapse_bits_by_format.get(fmt, 0) + bits


def _expand(starts: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """Concatenated ranges [starts[i], starts[i] + counts[i])."""
    counts = np.asarray(counts, np.int64)
    total = int(counts.sum())
    if total == 0:
        return np.zeros(0, np.int64)
    ends = np.cumsum(counts)
    base = np.repeat(np.asarray(starts, np.int64) - (ends - counts), counts)
    return base + np.arange(total)

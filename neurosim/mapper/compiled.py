"""The compiled chip: where every neuron lives, the synapse rows each spike reads, and what every
core uses of every budget. The simulator runs on these flat arrays.

Rows are sorted by (source neuron, destination core, delay). Each distinct (source, destination
core) pair is one packet per spike, one output axon of the source's core and one input axon of
the destination core. A `dense` row exists for every unpruned (source, core) pair, even when
pruning left it no synapse (it still occupies memory and is still read).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np

from neurosim.config.hardware import FORMATS, Hardware
from neurosim.ir.network import Network
from neurosim.mapper.formats import kernel_block_bits, row_layout, words
from neurosim.mapper.kernels import gather_runs
from neurosim.mapper.partition import Chunk, Geometry
from neurosim.mapper.profiles import neuron_config_ids


@dataclass
class CoreUsage:
    """Budgets one core uses (bits, axons, entries)."""

    neurons: int = 0
    synapse_bits: int = 0
    fan_in_axons: int = 0
    fan_out_axons: int = 0
    routing_entries: int = 0
    neuron_configs: int = 0
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
    # per-row and per-synapse tables are the narrowest unsigned / signed integers that hold their values
    src_row_ptr: np.ndarray         # uint64 [n_neurons + 1] -> rows of each source neuron
    row_core: np.ndarray            # uint16/uint32 [n_rows] destination core
    row_delay: np.ndarray           # uint8/uint16/uint32 [n_rows] steps between emission and integration
    row_words: np.ndarray           # uint16/uint32 [n_rows] synapse words read when the row is served
    row_format: np.ndarray          # uint8 [n_rows] index into config.hardware.FORMATS of the row's format
    row_syn_ptr: np.ndarray         # uint32/uint64 [n_rows + 1] -> synapses of each row
    syn_post: np.ndarray            # uint32 [n_syn] target global neuron id
    syn_weight: np.ndarray          # int8/int16/int32 [n_syn] (|weight| <= the type's max: np.abs never wraps)
    placement_cost_hops: float = 0.0        # Σ expected packets × hops of the placement used
    baseline_cost_hops: float = 0.0         # same for the serpentine baseline
    placement: str = "serpentine"           # placer that produced router_xy
    traffic_source: str = "uniform"         # "profiled" (spike counts of a run) or "uniform" (1 per source)
    core_slot: np.ndarray | None = None     # int64 [n_cores] global core slot (router * cores_per_router + k)
    objective: str = "cores"                # mapping objective used: cores (fewest) or latency (balanced)
    cores_needed: int = 0                   # cores of the fewest-cores cut (never more along a sparsity sweep)
    expected_work: np.ndarray | None = None  # cycles per inference per core (mapper.balance.core_work), if profiled

    @property
    def n_cores(self) -> int:
        return len(self.cores)

    def drop_network_synapses(self) -> None:
        """Let the chip forget the synapse arrays of the network it was compiled from: `network` becomes a
        copy with the same populations and projections (names, kinds, geometry) and no synapses (its
        `meta['synapses_dropped']` gives how many there were). The chip's own tables hold every synapse,
        and planning and simulating read only the populations; mapping again, profiling or anything else
        that needs the network's synapses needs the network itself. For networks too large to keep twice:
        the memory is freed once the caller holds no other reference to the network."""
        net = self.network
        if "synapses_dropped" in net.meta:
            return
        none = np.zeros(0, np.uint32)
        projs = [replace(pr, pre_idx=none, post_idx=none, weight=np.zeros(0, pr.weight.dtype))
                 for pr in net.projections]
        self.network = Network(list(net.populations), projs, name=net.name, integer=net.integer,
                               state_bits=net.state_bits, meta={**net.meta, "synapses_dropped": net.n_synapses})

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


def _runs(key: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Start index and length of each run of equal values in a sorted key."""
    if key.size == 0:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    starts = np.flatnonzero(np.concatenate(([True], key[1:] != key[:-1])))
    return starts, np.diff(np.append(starts, key.size))


def _sorted_by(key: np.ndarray) -> np.ndarray | None:
    """Stable order sorting `key`, or None when it is sorted already."""
    if key.size < 2 or np.all(key[1:] >= key[:-1]):
        return None
    return np.argsort(key, kind="stable")


def _projection_rows(net: Network, pr, fmt: str, hw: Hardware, neuron_core: np.ndarray, n_cores: int,
                     on_core: np.ndarray, geo: Geometry):
    """Rows of one projection: (source local id, core, words, nnz), uint32, sorted by (source, core), and
    the order (None = as stored) that lays the synapses out row after row, by (source, core, target)."""
    offsets = net.offsets
    post_off = int(offsets[net.index(pr.post)])
    n_pre = net.pop(pr.pre).size
    # synapses are sorted by (pre, post); where cores hold consecutive targets (network order) (pre, core)
    # is sorted too, otherwise (spatially ordered conv targets) a stable sort keeps targets ascending per row
    if fmt != "dense":
        runs = _row_runs(pr.pre_idx, pr.post_idx, post_off, neuron_core, n_cores)
        if runs is not None:   # (source, core) sorted already: rows found a block at a time (no key per synapse)
            rkey, nnz = runs
            return _rows_out(fmt, hw, rkey // n_cores, rkey % n_cores, nnz, nnz, on_core, None)
    key = _row_key(pr.pre_idx, pr.post_idx, post_off, neuron_core, n_cores)
    syn_order = _sorted_by(key)
    if syn_order is not None:
        key = key[syn_order]
    if fmt == "dense" and pr.kind == "dense" and pr.name not in geo.edges and on_core.any():
        post_cores = np.flatnonzero(on_core)
        c0, n_pc = int(post_cores[0]), int(post_cores.size)  # consecutive core ids
        row_src = np.repeat(np.arange(n_pre, dtype=np.int64), n_pc)
        row_core = np.tile(post_cores.astype(np.int64), n_pre)
        length = on_core[row_core]
        nnz = np.bincount(key // n_cores * n_pc + (key % n_cores - c0), minlength=n_pre * n_pc)
    elif fmt == "dense" and pr.name in geo.edges:
        gpre, gpost, _ = geo.edges[pr.name]
        gkey = _row_key(gpre, gpost, post_off, neuron_core, n_cores)
        gsort = _sorted_by(gkey)
        if gsort is not None:
            gkey = gkey[gsort]
        del gsort
        gstart, length = _runs(gkey)
        rkey = gkey[gstart]
        del gkey, gstart
        row_src, row_core = rkey // n_cores, rkey % n_cores
        nnz = np.bincount(np.searchsorted(rkey, key), minlength=rkey.size)
    else:
        start, nnz = _runs(key)
        rkey = key[start]
        del key, start
        row_src, row_core = rkey // n_cores, rkey % n_cores
        del rkey
        # a dense row of a structurally sparse projection holds every in-core target (a crossbar row)
        length = on_core[row_core] if fmt == "dense" else nnz
    return _rows_out(fmt, hw, row_src, row_core, nnz, length, on_core, syn_order)


def _rows_out(fmt: str, hw: Hardware, row_src, row_core, nnz, length, on_core, syn_order):
    """`_projection_rows`' result from its rows' sources, cores, synapses and stored lengths."""
    const, per = row_layout(fmt, 0, hw.core)
    if fmt == "bitmap":
        const = const + on_core[row_core]      # the mask spans the projection's in-core targets
    count = length if fmt == "dense" else nnz
    row_w = words(const + count * per, hw.core.synapse_word_bits)
    del count, length
    u32 = np.uint32
    return (row_src.astype(u32), row_core.astype(u32), np.asarray(row_w).astype(u32), nnz.astype(u32),
            syn_order)


def _row_key(pre: np.ndarray, post: np.ndarray, post_off: int, neuron_core: np.ndarray, n_cores: int) -> np.ndarray:
    """int64 pre * n_cores + core of every synapse (pre, post) (post local to the population at post_off)."""
    key = np.asarray(pre).astype(np.int64)
    key *= n_cores
    post = np.asarray(post)
    post = post + np.uint32(post_off) if post.dtype == np.uint32 else post.astype(np.int64) + post_off
    key += neuron_core[post]
    return key


def _row_runs(pre: np.ndarray, post: np.ndarray, post_off: int, neuron_core: np.ndarray, n_cores: int,
              block: int = 1 << 22) -> tuple[np.ndarray, np.ndarray] | None:
    """(key, synapses) of every row, the runs of equal `_row_key`, computed a block of synapses at a time;
    None when the keys are not sorted (then the caller sorts)."""
    keys, lens = [], []
    last = None
    for a in range(0, pre.size, block):
        k = _row_key(pre[a:a + block], post[a:a + block], post_off, neuron_core, n_cores)
        if (last is not None and k[0] < last) or (k[1:] < k[:-1]).any():
            return None
        start, length = _runs(k)
        keys.append(k[start])
        lens.append(length)
        last = k[-1]
        del k, start, length
    if not keys:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    key, length = np.concatenate(keys), np.concatenate(lens)
    del keys, lens
    start, _ = _runs(key)     # a row that spans a block boundary is two runs: merge them
    if start.size == key.size:
        return key, length
    return key[start], np.add.reduceat(length, start)


def _rows_sorted(src: np.ndarray, core: np.ndarray, delay: np.ndarray, block: int = 1 << 22) -> bool:
    """Whether rows are sorted by (source, core, delay), in blocks (no array of keys)."""
    for a in range(0, max(src.size - 1, 0), block):
        b = min(a + block, src.size - 1)
        s0, s1 = src[a:b], src[a + 1:b + 1]
        c0, c1 = core[a:b], core[a + 1:b + 1]
        bad = (s1 < s0) | ((s1 == s0) & ((c1 < c0) | ((c1 == c0) & (delay[a + 1:b + 1] < delay[a:b]))))
        if bad.any():
            return False
    return True


def build_tables(net: Network, hw: Hardware, cores: list[list[Chunk]], formats: dict[str, str],
                 delays: list[int], geo: Geometry) -> dict:
    """Flat row/synapse tables and per-core usage for a partition `cores` (numbered in sequence order).
    Per-row and per-synapse arrays are built narrow (uint32) and in place, so that the peak stays a
    small multiple of the final tables."""
    offsets = net.offsets
    n = int(offsets[-1])
    nc = len(cores)
    wb = hw.core.synapse_word_bits
    neuron_core = np.full(n, -1, np.int32)
    targets = np.zeros((len(net.populations), nc), np.int64)  # neurons of population p on core c
    for ci, chunks in enumerate(cores):
        for c in chunks:
            pi = net.index(c.population)
            neuron_core[offsets[pi] + c.start:offsets[pi] + c.stop] = ci
            targets[pi, ci] += c.neurons
    config_ids = neuron_config_ids(net)
    usage = [CoreUsage() for _ in cores]
    for ci, chunks in enumerate(cores):
        usage[ci].neurons = sum(c.neurons for c in chunks)
        usage[ci].neuron_configs = int(np.unique(np.concatenate(
            [config_ids[offsets[net.index(c.population)] + c.start:offsets[net.index(c.population)] + c.stop]
             for c in chunks])).size) if chunks else 0
        usage[ci].neuron_bits = usage[ci].neurons * hw.core.neuron_state_bits

    n_syn = int(sum(pr.pre_idx.size for pr in net.projections))
    syn_post = np.empty(n_syn, np.uint32)
    wmax = max((max(-int(pr.weight.min()), int(pr.weight.max())) for pr in net.projections if pr.weight.size),
               default=0)
    syn_w = np.empty(n_syn, narrow_signed(wmax))
    core_dt = narrow_unsigned(max(nc - 1, 0), 16)
    r_src, r_core, r_words, r_nnz, n_rows_of = [], [], [], [], []
    at = 0
    for pr in net.projections:
        fmt = formats[pr.name]
        on_core = targets[net.index(pr.post)]
        src, core, row_w, nnz, syn_order = _projection_rows(net, pr, fmt, hw, neuron_core, nc, on_core, geo)
        if fmt == "conv_shared":
            # one kernel block per core: the taps of every output channel the core holds a neuron of
            _, h, w = pr.conv.out_shape
            per_ch = np.count_nonzero(np.asarray(pr.kernel).reshape(pr.kernel.shape[0], -1), axis=1)
            for ci, chunks in enumerate(cores):
                held = np.zeros(per_ch.size, bool)
                for c in chunks:
                    if c.population == pr.post:
                        held[c.start // (h * w):(c.stop - 1) // (h * w) + 1] = True
                if held.any():
                    _add_bits(usage[ci], fmt, kernel_block_bits(int(per_ch[held].sum()), hw.core))
        else:
            mem = np.bincount(core, weights=row_w, minlength=nc).astype(np.int64) * wb
            for ci in np.flatnonzero(mem):
                _add_bits(usage[ci], fmt, int(mem[ci]))
        src += np.uint32(offsets[net.index(pr.pre)])
        r_src.append(src)
        r_core.append(core.astype(core_dt, copy=False))
        r_words.append(row_w.astype(narrow_unsigned(int(row_w.max(initial=0)), 16), copy=False))
        r_nnz.append(nnz)
        n_rows_of.append(src.size)
        m = pr.pre_idx.size
        post_idx, weight = (pr.post_idx, pr.weight) if syn_order is None else (pr.post_idx[syn_order],
                                                                               pr.weight[syn_order])
        np.add(post_idx, np.uint32(offsets[net.index(pr.post)]), out=syn_post[at:at + m],
               casting="unsafe")  # global ids fit uint32
        syn_w[at:at + m] = weight
        at += m
        del post_idx, weight, syn_order, src, core, row_w, nnz

    def cat(parts, dtype):
        out = np.concatenate(parts).astype(dtype, copy=False) if parts else np.zeros(0, dtype)
        parts.clear()
        return out
    words_dt = np.result_type(*[w.dtype for w in r_words]) if r_words else np.uint16
    src, rcore, rwords, rnnz = cat(r_src, np.uint32), cat(r_core, core_dt), cat(r_words, words_dt), \
        cat(r_nnz, np.uint32)
    n_rows_of = np.array(n_rows_of, np.int64)
    rdelay = np.repeat(np.array(delays, narrow_unsigned(max(delays, default=0), 8)), n_rows_of)
    rfmt = np.repeat(np.array([FORMATS.index(formats[pr.name]) for pr in net.projections], np.uint8), n_rows_of)
    # merge the projections' rows into (source, core, delay) order
    if not _rows_sorted(src, rcore, rdelay):
        maxd = int(rdelay.max(initial=0)) + 1
        rkey = (src.astype(np.int64) * nc + rcore) * maxd + rdelay
        order = np.argsort(rkey, kind="stable")
        del rkey
        row_start = np.zeros(src.size, np.int64)
        np.cumsum(rnnz[:-1], out=row_start[1:], dtype=np.int64)
        src, rcore, rdelay, rwords, rfmt = src[order], rcore[order], rdelay[order], rwords[order], rfmt[order]
        row_start, rnnz = row_start[order], rnnz[order]
        del order
        for arr in (syn_post, syn_w):
            moved = np.empty_like(arr)
            gather_runs(arr, row_start, rnnz, moved)
            arr[:] = moved
            del moved
        del row_start
    src_row_ptr = np.zeros(n + 1, np.uint64)
    np.cumsum(np.bincount(src, minlength=n), out=src_row_ptr[1:])
    syn_ptr_dt = narrow_unsigned(n_syn, 32)
    row_syn_ptr = np.zeros(src.size + 1, syn_ptr_dt)
    np.cumsum(rnnz, out=row_syn_ptr[1:], dtype=syn_ptr_dt)
    del rnnz

    # axons: one per distinct (source, destination core) pair (rows are sorted by source, then core)
    first = np.ones(src.size, np.bool_)
    np.not_equal(src[1:], src[:-1], out=first[1:])
    first[1:] |= rcore[1:] != rcore[:-1]
    p_src, p_core = src[first], rcore[first]
    del first, src
    fan_in = np.bincount(p_core, minlength=nc)
    src_core = neuron_core[p_src]
    on_chip = src_core >= 0
    fan_out = np.bincount(src_core[on_chip], minlength=nc)
    # routing table: one entry per (source population piece on a core, destination core)
    n_pops = len(net.populations)
    pop_of = np.repeat(np.arange(n_pops, dtype=np.int64), np.diff(offsets))   # population of every neuron
    piece = np.where(neuron_core >= 0, neuron_core.astype(np.int64) * n_pops + pop_of, -1)
    del pop_of
    entries = np.zeros(nc, np.int64)
    block = 1 << 22
    found = []
    for a in range(0, p_src.size, block):
        pc = piece[p_src[a:a + block]]
        ok = pc >= 0
        found.append(np.unique(pc[ok] * nc + p_core[a:a + block][ok]))
    if found:
        gkey = np.unique(np.concatenate(found))
        entries = np.bincount(gkey // (n_pops * nc), minlength=nc)
    del found, piece, p_src, p_core, src_core, on_chip
    for ci in range(nc):
        u = usage[ci]
        u.fan_in_axons, u.fan_out_axons = int(fan_in[ci]), int(fan_out[ci])
        u.routing_entries = int(entries[ci])
        u.routing_bits = u.routing_entries * hw.core.routing_entry_bits
    return dict(usage=usage, neuron_core=neuron_core, src_row_ptr=src_row_ptr,
                row_core=rcore, row_delay=rdelay, row_words=rwords, row_format=rfmt, row_syn_ptr=row_syn_ptr,
                syn_post=syn_post, syn_weight=syn_w)


def narrow_unsigned(vmax: int, least: int = 8) -> type:
    """The narrowest unsigned integer type of at least `least` bits holding 0 .. vmax."""
    return next(t for t in (np.uint8, np.uint16, np.uint32, np.uint64)
                if np.iinfo(t).bits >= least and vmax <= np.iinfo(t).max)


def narrow_signed(vmax: int) -> type:
    """The narrowest signed integer type holding ±vmax (so that np.abs of its values never wraps)."""
    return next(t for t in (np.int8, np.int16, np.int32, np.int64) if vmax <= np.iinfo(t).max)


def _add_bits(u: CoreUsage, fmt: str, bits: int) -> None:
    u.synapse_bits += bits
    u.synapse_bits_by_format[fmt] = u.synapse_bits_by_format.get(fmt, 0) + bits

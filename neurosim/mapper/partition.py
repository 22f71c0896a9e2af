"""Partitioning: cut the chip-resident neurons, taken in population order as one sequence, into
consecutive ranges that each fit one core.

Inside a population the sequence follows the population's neuron order (`order`): the network
order, or for conv-shaped populations a spatial order (all channels of a compact image patch next to
each other). Positions below are positions in that sequence; the chunks handed out are runs of
consecutive local neuron ids, so one core may hold several chunks of one population.

The cut runs from the end of the sequence: each core takes the longest range ending where the
previous core began whose exact cost fits every budget: neurons, synapse memory (format by
format, bit-exact, see `formats`), distinct input axons, and, because every feed-forward target
of the range is already placed, its exact output axons (distinct destination cores per source)
and routing entries (distinct destination cores per source layer piece). A range may span the end
of one population and the start of the next when `core.share_cores_between_layers` is true;
otherwise ranges stop at population boundaries.

Input-side costs only grow when a range grows and only shrink when synapses are pruned (dense rows
keep their unpruned length), so the greedy cut uses the fewest cores of any cut into consecutive
ranges and a sparser network (same chip, same formats) never needs more cores: the i-th core from
the end of the sparser network always starts at or before that of the denser one. Output-side
costs also depend on how the targets were cut, so where fan-out or routing entries bind this is
not guaranteed (a target set can straddle a shifted boundary); `compile_network` then also tries
the cut with layers kept apart, which removes the large cascades (docs/mapping.md). Targets earlier
in the sequence (recurrent projections) are looked up in the previous cut and checked afterwards.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from neurosim.config.hardware import Hardware
from neurosim.errors import FitError
from neurosim.ir.conv import conv_edges
from neurosim.ir.network import Network, Projection
from neurosim.mapper.formats import FORMATS, kernel_block_bits, row_layout, words
from neurosim.mapper.geometry import shares_kernel, within
from neurosim.mapper.kernels import csr_by_target, mark_range, out_cost, rows_words
from neurosim.mapper.order import runs
from neurosim.mapper.profiles import neuron_config_ids


@dataclass(frozen=True)
class Chunk:
    """Neurons [start, stop) (local ids) of one population on one core. A core holding a spatial piece
    of a conv population holds several chunks of it (one per run of consecutive ids)."""

    population: str
    start: int
    stop: int

    @property
    def neurons(self) -> int:
        return self.stop - self.start


class Geometry:
    """Per-network cache of conv geometries (of the conv projections whose synapses lie inside
    their geometry) and of which of them share one kernel."""

    def __init__(self, net: Network):
        self.edges = {}
        for pr in net.projections:
            if pr.conv is not None:
                e = conv_edges(pr)
                if within(pr, e, net.pop(pr.post).size):
                    self.edges[pr.name] = e
        self.shared = {pr.name: shares_kernel(pr, self.edges.get(pr.name)) for pr in net.projections}


def supported_formats(pr: Projection, hw: Hardware, geo: Geometry) -> list[str]:
    """Formats the chip offers for this projection (conv_shared needs a shared kernel and weight sharing)."""
    fmts = [f for f in hw.core.synapse_formats if f != "conv_shared"]
    if "conv_shared" in hw.core.synapse_formats and hw.core.weight_sharing and geo.shared[pr.name]:
        fmts.append("conv_shared")
    return fmts


def _inverse(perm: np.ndarray | None, n: int) -> np.ndarray:
    """Position of every local id under `perm` (identity for None)."""
    if perm is None:
        return np.arange(n, dtype=np.int64)
    inv = np.empty(n, np.int64)
    inv[perm] = np.arange(n, dtype=np.int64)
    return inv


class _ProjCost:
    """One projection in one format: the rows a piece of its target population stores, as CSR by
    target position (`order`: position -> local id of the target population, None = identity)."""

    def __init__(self, net: Network, pr: Projection, fmt: str, hw: Hardware, geo: Geometry,
                 order: np.ndarray | None = None):
        self.pr, self.fmt, self.core = pr, fmt, hw.core
        offsets = net.offsets
        self.n_pre = net.pop(pr.pre).size
        n_post = net.pop(pr.post).size
        self.pre_lo = int(offsets[net.index(pr.pre)])
        # dense rows store every in-core target of the post population: for a dense-kind projection one row
        # per source and core (pruning keeps them), for a structurally sparse one only where it has a synapse
        self.full = fmt == "dense" and pr.kind == "dense" and pr.name not in geo.edges
        self.whole_rows = fmt == "dense" and pr.name not in geo.edges and not self.full
        if not self.full:
            if fmt == "dense" and not self.whole_rows:
                pre, post, _ = geo.edges[pr.name]
            else:
                pre, post = pr.pre_idx, pr.post_idx
            post = np.asarray(post) if order is None else _inverse(order, n_post)[np.asarray(post)]
            self.ptr, self.src = csr_by_target(post, np.asarray(pre), n_post, self.pre_lo)
        if fmt == "conv_shared":
            _, h, w = pr.conv.out_shape
            local = np.arange(n_post, dtype=np.int64) if order is None else order
            self.chan = local // (h * w)  # output channel of every target position
            self.per_ch = np.count_nonzero(np.asarray(pr.kernel).reshape(pr.kernel.shape[0], -1), axis=1)

    def kernel_entries(self, a: int, b: int) -> int:
        """Kernel taps of the output channels that the targets at positions [a, b) belong to."""
        ch = self.chan[a:b]
        if ch.size and np.all(ch[1:] >= ch[:-1]):  # channel-major: a channel range
            return int(self.per_ch[ch[0]:ch[-1] + 1].sum())
        return int(self.per_ch[np.unique(ch)].sum())

    def cost(self, a: int, b: int, s: _Scratch) -> tuple[int, int]:
        """(stored bits, new input axons) of targets [a, b) of this projection on one core."""
        core = self.core
        wb = core.synapse_word_bits
        if self.full:
            const, per = row_layout("dense", b - a, core)
            bits = self.n_pre * int(words(const + (b - a) * per, wb)) * wb
            return bits, int(mark_range(s.seen, s.stamp, self.pre_lo, self.pre_lo + self.n_pre))
        const, per = row_layout(self.fmt, b - a, core)
        if self.fmt == "conv_shared":
            const = per = 0  # rows store nothing; count axons only
        elif self.whole_rows:
            const, per = const + (b - a) * per, 0  # every row holds all b - a targets
        nw, new = rows_words(self.ptr, self.src, np.uint64(a), np.uint64(b), np.int64(const), np.int64(per),
                             np.int64(wb), s.cnt, s.touched, s.seen, np.int64(s.stamp))
        bits = int(nw) * wb
        if self.fmt == "conv_shared":
            bits = kernel_block_bits(self.kernel_entries(a, b), core)
        return bits, int(new)


class _Scratch:
    """Work arrays of the row kernels, sized to the network (reused for every evaluation)."""

    def __init__(self, n: int):
        self.cnt = np.zeros(n, np.int32)
        self.touched = np.zeros(n, np.int64)
        self.seen = np.zeros(n, np.int64)
        self.stamp = 0


class CostModel:
    """Exact per-core cost of any consecutive range of the chip-resident neuron sequence."""

    def __init__(self, net: Network, hw: Hardware, formats: dict[str, str], geo: Geometry,
                 orders: dict[str, np.ndarray | None] | None = None):
        self.net, self.hw, self.geo = net, hw, geo
        self.pops = [p for p in net.populations if not p.is_input]
        self.seq_off = np.concatenate(([0], np.cumsum([p.size for p in self.pops]))).astype(np.int64)
        orders = orders or {}
        self.index = {p.name: k for k, p in enumerate(self.pops)}
        self.order = {p.name: orders.get(p.name) for p in self.pops}      # position -> local id
        self.pos = {p.name: _inverse(self.order[p.name], p.size) for p in self.pops}  # local id -> position
        self.incoming = {p.name: [_ProjCost(net, pr, formats[pr.name], hw, geo, self.order[p.name])
                                  for pr in net.projections if pr.post == p.name] for p in self.pops}
        self.scratch = _Scratch(net.n_neurons)
        ids = neuron_config_ids(net)   # per sequence position (walking each population in its order)
        self.config_seq = np.concatenate([ids[net.offsets[net.index(p.name)]:][:p.size][
            self.order[p.name] if self.order[p.name] is not None else slice(None)] for p in self.pops]) \
            if self.pops else np.zeros(0, np.int64)
        self.est = np.zeros(0, np.int64)  # core id of every sequence position during a cut
        self._out = None

    @property
    def size(self) -> int:
        return int(self.seq_off[-1])

    def pop_at(self, i: int) -> int:
        """Index (in self.pops) of the population holding sequence position i."""
        return int(np.searchsorted(self.seq_off, i, side="right") - 1)

    def pieces(self, a: int, b: int) -> list[tuple[int, int, int]]:
        """(population index, local start, local stop) of the populations sequence range [a, b) covers."""
        out = []
        k = self.pop_at(a)
        while k < len(self.pops) and self.seq_off[k] < b:
            lo, hi = max(a, self.seq_off[k]), min(b, self.seq_off[k + 1])
            if hi > lo:
                out.append((k, int(lo - self.seq_off[k]), int(hi - self.seq_off[k])))
            k += 1
        return out

    def local_ids(self, k: int, lo: int, hi: int) -> np.ndarray:
        """Local ids of the neurons at positions [lo, hi) of population k."""
        perm = self.order[self.pops[k].name]
        return np.arange(lo, hi, dtype=np.int64) if perm is None else perm[lo:hi]

    def chunks(self, a: int, b: int) -> list[Chunk]:
        """The chunks (runs of consecutive local ids) of one core holding sequence range [a, b)."""
        out = []
        for k, lo, hi in self.pieces(a, b):
            name = self.pops[k].name
            if self.order[name] is None:
                out.append(Chunk(name, lo, hi))
            else:
                out += [Chunk(name, r0, r1) for r0, r1 in runs(self.local_ids(k, lo, hi))]
        return out

    def cost(self, a: int, b: int) -> tuple[int, int]:
        """(synapse bits, input axons) of one core holding sequence range [a, b)."""
        s = self.scratch
        s.stamp += 1
        bits = fan_in = 0
        for k, lo, hi in self.pieces(a, b):
            for pc in self.incoming[self.pops[k].name]:
                pb, pf = pc.cost(lo, hi, s)
                bits += pb
                fan_in += pf
        return bits, fan_in

    def fits(self, a: int, b: int, cur: int) -> bool:
        """Every budget holds for a core holding [a, b) with id `cur` in the cut being made."""
        bits, fan_in = self.cost(a, b)
        c = self.hw.core
        if bits > c.synapse_memory_bits or fan_in > c.max_fan_in_axons:
            return False
        if c.max_neuron_configs is not None and np.unique(self.config_seq[a:b]).size > c.max_neuron_configs:
            return False
        fan_out, entries = self.out_cost(a, b, cur)
        ok = fan_out <= c.max_fan_out_axons and entries <= c.routing_table_entries
        self.output_bound |= not ok
        return ok

    # --- output side (fan-out axons, routing entries) -------------------------------------------
    def start_cut(self, previous: list[list[Chunk]] | None) -> None:
        """Before a cut: every sequence position's core is unknown; targets not yet cut are assumed
        on their core in `previous` (or, without it, in blocks of max_neurons), ids offset so that
        they never collide with the new cut's ids. Only recurrent targets are ever looked up so."""
        if self._out is None:
            self._build_outgoing()
        n = self.size
        est = n + np.arange(n, dtype=np.int64) // self.hw.core.max_neurons
        for ci, chunks in enumerate(previous or []):
            for c in chunks:
                k = self.index[c.population]
                est[self.seq_off[k] + self.pos[c.population][c.start:c.stop]] = n + ci
        self.est = est
        self.output_bound = False  # set when an output budget stops a core from growing

    def _build_outgoing(self) -> None:
        """Per source population: its structural out-edges as CSR by source position (in the
        population's order), targets as sequence positions. Projections are sorted by (pre, post), so
        a population in network order with one outgoing projection needs no sort; otherwise a
        counting sort groups the edges."""
        net = self.net
        offsets = net.offsets
        seq_of = np.full(net.n_neurons, -1, np.int32)
        for k, p in enumerate(self.pops):
            g0 = int(offsets[net.index(p.name)])
            seq_of[g0:g0 + p.size] = self.seq_off[k] + self.pos[p.name]
        edges: dict[str, list[tuple[np.ndarray, np.ndarray]]] = {}
        self.full_out: dict[str, list[tuple[int, int]]] = {p.name: [] for p in net.populations}
        for p in self.pops:
            for pc in self.incoming[p.name]:
                pr, k = pc.pr, self.index[p.name]
                if pc.full:
                    self.full_out[pr.pre].append((int(self.seq_off[k]), int(self.seq_off[k + 1])))
                    continue
                structural = pc.fmt == "dense" and not pc.whole_rows
                pre, post = self.geo.edges[pr.name][:2] if structural else (pr.pre_idx, pr.post_idx)
                edges.setdefault(pr.pre, []).append((pre, post, int(offsets[net.index(pr.post)]), k))
        self.out_edges = {}
        for name, lst in edges.items():
            n_pre = net.pop(name).size
            if len(lst) == 1 and self.order.get(name) is None:
                pre, post, post_off, k = lst[0]
                ptr = np.zeros(n_pre + 1, np.uint64)
                np.cumsum(np.bincount(pre, minlength=n_pre), out=ptr[1:])
                if self.order[self.pops[k].name] is None:   # targets in network order: positions are post + offset
                    self.out_edges[name] = (ptr, np.asarray(post), int(self.seq_off[k]))
                else:
                    self.out_edges[name] = (ptr, seq_of[post + post_off], 0)
                continue
            lst = [(pre, seq_of[post + post_off]) for pre, post, post_off, _ in lst]
            if self.order.get(name) is not None:
                lst = [(self.pos[name][pre], tgt) for pre, tgt in lst]
            ptr, tgt = csr_by_target(np.concatenate([x[0] for x in lst]).astype(np.int64),
                                     np.concatenate([x[1] for x in lst]), n_pre, 0)
            self.out_edges[name] = (ptr, tgt, 0)
        n = self.size
        self._out = (np.zeros(2 * n + 1, np.int64), np.zeros(2 * n + 1, np.int64))
        self._no_tgt = np.zeros(0, np.int32)
        self.tick = 0

    def out_cost(self, a: int, b: int, cur: int) -> tuple[int, int]:
        """(output axons, routing entries) of a core holding [a, b) with id `cur` in the cut being made."""
        st_src, st_piece = self._out
        fan = entries = 0
        for k, lo, hi in self.pieces(a, b):
            name = self.pops[k].name
            extra = []
            for plo, phi in self.full_out[name]:
                arr = self.est[plo:phi].copy()
                olo, ohi = max(plo, a), min(phi, b)
                if ohi > olo:
                    arr[olo - plo:ohi - plo] = cur
                extra.append(np.unique(arr))
            ex = np.unique(np.concatenate(extra)) if extra else np.zeros(0, np.int64)
            ptr, tgt, tgt_off = self.out_edges.get(name, (None, None, 0))
            if ptr is None:
                ptr, tgt = np.zeros(hi + 1, np.uint64), self._no_tgt  # a layer nothing reads
            f, e, self.tick = out_cost(np.int64(lo), np.int64(hi), ptr, tgt, np.int64(a), np.int64(b),
                                       np.int64(cur), self.est, ex, st_src, st_piece, np.int64(self.tick),
                                       np.int64(tgt_off))
            fan += int(f)
            entries += int(e)
        return fan, entries


def choose_formats(net: Network, hw: Hardware, fmt: str, geo: Geometry,
                   orders: dict[str, np.ndarray | None] | None = None) -> dict[str, str]:
    """Format per projection: the one asked for, or with `auto` the one whose rows take the fewest
    bits when the target population is cut into full cores (`core.max_neurons` each, in its order)."""
    orders = orders or {}
    out = {}
    scratch = _Scratch(net.n_neurons) if fmt == "auto" else None
    for pr in net.projections:
        options = supported_formats(pr, hw, geo)
        if fmt != "auto":
            if fmt not in FORMATS:
                raise FitError(f"unknown synapse format {fmt!r}; choose one of {', '.join(FORMATS)} or auto")
            if fmt not in options:
                why = (" (its synapses no longer share one kernel: pruning removed single positions)"
                       if fmt == "conv_shared" and pr.conv is not None and hw.core.weight_sharing else "")
                raise FitError(f"projection {pr.name}: format {fmt!r} is not available{why}; chip {hw.name} "
                               f"offers {', '.join(options)} for it (core.synapse_formats); use --format auto")
            out[pr.name] = fmt
            continue
        out[pr.name] = min(options, key=lambda f, pr=pr: _reference_bits(net, pr, f, hw, geo, scratch,
                                                                         orders.get(pr.post)))
    return out


def _reference_bits(net: Network, pr: Projection, fmt: str, hw: Hardware, geo: Geometry, s: _Scratch,
                    order: np.ndarray | None) -> int:
    """Stored bits of a projection in `fmt` with its targets cut into full cores (in `order`)."""
    pc = _ProjCost(net, pr, fmt, hw, geo, order)
    n_post, step = net.pop(pr.post).size, hw.core.max_neurons
    t = 0
    for a in range(0, n_post, step):
        s.stamp += 1
        t += pc.cost(a, min(a + step, n_post), s)[0]
    return t


def partition(model: CostModel, caps: dict[str, int] | None = None, previous: list[list[Chunk]] | None = None,
              share: bool | None = None) -> list[list[Chunk]]:
    """Greedy longest-fitting consecutive ranges, cut from the end of the sequence (see module
    docstring). `caps` limits the neurons of one population per core; `previous` (an earlier cut)
    says where targets earlier in the sequence (recurrent projections) land; `share=False` keeps
    layers apart even where the chip allows sharing."""
    core = model.hw.core
    caps = caps or {}
    share = core.share_cores_between_layers if share is None else share
    model.start_cut(previous)
    cores: list[list[Chunk]] = []
    b = model.size
    while b > 0:
        limit = max(b - core.max_neurons, 0)
        k = model.pop_at(b - 1)
        if not share:
            limit = max(limit, int(model.seq_off[k]))
        for kk, lo, hi in reversed(model.pieces(limit, b)):
            cap = caps.get(model.pops[kk].name)
            if cap is not None and hi - lo > cap:
                limit = int(model.seq_off[kk]) + hi - cap
                break
        cur = len(cores)
        if model.fits(limit, b, cur):
            a = limit
        else:
            if not model.fits(b - 1, b, cur):
                _raise_single_neuron(model, b - 1, cur)
            lo, hi = limit, b - 1  # not fits(lo, b), fits(hi, b)
            while hi - lo > 1:
                mid = (lo + hi) // 2
                if model.fits(mid, b, cur):
                    hi = mid
                else:
                    lo = mid
            a = hi
        cores.append(model.chunks(a, b))
        model.est[a:b] = cur  # targets cut so far sit on their real core
        b = a
    return cores[::-1]


def _first_overfull(model: CostModel, a: int) -> int:
    """The neuron to report: the most-connected neuron of the earliest layer (network order) that is
    over an input-side budget on its own, else `a`."""
    core = model.hw.core
    for k in range(model.pop_at(a)):
        indeg = np.zeros(model.pops[k].size, np.int64)
        for pc in model.incoming[model.pops[k].name]:
            indeg += np.bincount(pc.pr.post_idx, minlength=indeg.size)
        i = int(model.seq_off[k]) + int(model.pos[model.pops[k].name][int(np.argmax(indeg))])
        bits, fan_in = model.cost(i, i + 1)
        if bits > core.synapse_memory_bits or fan_in > core.max_fan_in_axons:
            return i
    return a


def _raise_single_neuron(model: CostModel, a: int, cur: int) -> None:
    hw, core = model.hw, model.hw.core
    a = _first_overfull(model, a)
    bits, fan_in = model.cost(a, a + 1)
    k, pos, _ = model.pieces(a, a + 1)[0]
    layer = model.pops[k].name
    idx = model.chunks(a, a + 1)[0].start  # local id of the neuron
    if bits <= core.synapse_memory_bits and fan_in <= core.max_fan_in_axons:
        fan_out, entries = model.out_cost(a, a + 1, cur)
        used, limit, key = ((fan_out, core.max_fan_out_axons, "core.max_fan_out_axons")
                            if fan_out > core.max_fan_out_axons
                            else (entries, core.routing_table_entries, "core.routing_table_entries"))
        raise FitError(f"layer {layer}: neuron {idx} alone sends to {used} destination cores, {key} is {limit} "
                       f"(short by {used - limit}) and no smaller layer split helps; to fit: fewer, larger target "
                       f"cores (a chip with more neurons per core), or a chip with {key} >= {used}")
    if fan_in > core.max_fan_in_axons:
        raise FitError(f"layer {layer}: neuron {idx} alone needs {fan_in} input axons, core.max_fan_in_axons is "
                       f"{core.max_fan_in_axons} (short by {fan_in - core.max_fan_in_axons}); no layer split can "
                       f"fix this: prune its inputs to at most {core.max_fan_in_axons} sources (`neurosim run "
                       f"--fit`, or pruning.fit_to in the workload), or use a chip with core.max_fan_in_axons >= "
                       f"{fan_in}")
    incoming = model.incoming[layer]
    used = ", ".join(sorted({pc.fmt for pc in incoming}))
    alts = []
    for f in core.synapse_formats:
        if f == "conv_shared" or all(pc.fmt == f for pc in incoming):
            continue
        s = _Scratch(model.net.n_neurons)
        s.stamp += 1
        b = sum(_ProjCost(model.net, pc.pr, f, hw, model.geo, model.order[layer]).cost(pos, pos + 1, s)[0]
                for pc in incoming)
        alts.append(f"format {f} would need {b} bits")
    hint = ("; " + "; ".join(alts)) if alts else ""
    raise FitError(f"layer {layer}: neuron {idx} alone needs {bits} bits of synapse memory in format {used}, "
                   f"core.synapse_memory_bits is {core.synapse_memory_bits} (short by "
                   f"{bits - core.synapse_memory_bits}){hint}; to fit: another format (--format), prune more, or a "
                   f"chip with core.synapse_memory_bits >= {bits}")


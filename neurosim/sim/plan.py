"""The simulation plan: static tables derived once from a `CompiledChip` (routes, packets, service
costs, per-source action counts, dense/CSR synapse rows, neuron segments) so that the kernel's
per-step work is lookups and adds.

Vocabulary (docs/simulator.md):
- *node*: a packet source/sink on the mesh: every used core, then the input ports (nodes n_cores ...):
  the host's, or one per chip of a system whose chips generate their own input.
- *channel*: a serialising resource a packet occupies for ⌈packet_bits / link_width_bits⌉ cycles:
  the injection channel of each node, every directed mesh link, the ejection channel of each core.
- *group*: the rows of one source neuron in one destination core (one delivery to that core).
- *packet*: unicast — one per group; tree multicast — one per source spike, forking along the XY tree.
- *route*: the channels a packet crosses, as a tree of elements (link, parent); a unicast route is a chain.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from neurosim.config.hardware import FORMATS, operating_state
from neurosim.ir.quantize import leak_delta
from neurosim.mapper.compiled import CompiledChip

E, W, N, S = range(4)          # mesh link directions: +x, -x, +y, -y
DIRECTIONS = ("E", "W", "N", "S")
# Dense rows (opt in: build_plan(chip, dense_min_density=FAST_DENSE_MIN_DENSITY)): rows at least this dense
# over their target span are added as contiguous vectors. That makes dense networks 2-3x faster but
# breaks the speed contract's scaling with sparsity, so the default is CSR rows only (docs/simulator.md §Speed).
FAST_DENSE_MIN_DENSITY = 0.3
# per-source static counts (one delivered spike/event of the source adds its row of this table); the
# last four split SRC_SYN_OPS by synapse format (config.hardware.FORMATS order)
SRC_SYN_OPS, SRC_WORDS, SRC_ROWS, SRC_PACKETS, SRC_HOPS_X, SRC_HOPS_Y, SRC_DELIVERIES, SRC_CROSSINGS = range(8)
SRC_SYN_OPS_FMT0 = 8
N_SRC_STATS = SRC_SYN_OPS_FMT0 + len(FORMATS)
# columns of SimPlan.src_info
SRC_SYN_LO, SRC_SYN_HI, SRC_PK_LO, SRC_PK_HI, SRC_BASE, SRC_DELAY = range(6)
# columns of SimPlan.pk_hop (packets whose route is a chain: every unicast packet, a tree packet with
# one destination); PK_MESH_LO is FORK for a tree packet with several destinations. A chain's destination
# core is its delivery's (grp_core; the delivery: packet p is group p in unicast, pk_grp[p] in tree
# multicast) and its ejection channel is its core's: n_mesh_links + n_nodes + core
PK_MESH_LO, PK_MESH_HI = range(2)
PK_W = 2
FORK = np.uint32(0xFFFFFFFF)
MULTI_ROW = np.uint64(1 << 32)  # SRC_DELAY of a source whose rows need the row loop (dense rows, several delays)
NO_FLOOR = -(1 << 62)           # seg_floor of a population without a voltage floor
SYN_PAD = 8                     # a one-loop source's synapses are padded to a multiple of this (`_pad_sources`)


def chip_crossings(hw) -> np.ndarray:
    """bool per directed mesh link: it joins two chips of a system (all False on one chip)."""
    cols, rows = hw.mesh.cols, hw.mesh.rows
    link = np.arange(4 * cols * rows)
    if hw.system is None:
        return np.zeros(link.size, bool)
    d, x, y = link % 4, (link // 4) % cols, link // 4 // cols
    cw, rh = hw.system.chip_cols, hw.system.chip_rows
    return (((d == E) & ((x + 1) % cw == 0) & (x + 1 < cols)) | ((d == W) & (x % cw == 0) & (x > 0))
            | ((d == N) & ((y + 1) % rh == 0) & (y + 1 < rows)) | ((d == S) & (y % rh == 0) & (y > 0)))


def chips_used(chip: CompiledChip) -> int:
    """Chips of a system that hold used cores (1 on one chip)."""
    lay = chip.hardware.system
    if lay is None or chip.router_xy.size == 0:
        return 1
    xy = chip.router_xy.astype(np.int64)
    return int(np.unique(lay.chip_of(xy[:, 0], xy[:, 1])).size)


def with_on_chip_links(plan: SimPlan, hw) -> SimPlan:
    """`plan` with every inter-chip link as fast as an on-chip hop (the router hop's latency, `ser`
    cycles per packet): what the run would take if chip boundaries cost nothing in time. The
    difference of the two latencies is the time the links cost. Shares every table but the two it
    changes; `plan` itself is left as it was."""
    on_mesh = plan.el_channel < plan.n_mesh_links
    crossing = np.zeros(plan.el_channel.size, bool)
    crossing[on_mesh] = chip_crossings(hw)[plan.el_channel[on_mesh]]
    if not crossing.any():
        return plan
    along_x = plan.el_channel % 4 < 2
    hop = np.where(along_x, hw.noc.hop_x_cycles.value, hw.noc.hop_y_cycles.value)
    return replace(plan, el_latency=np.where(crossing, hop, plan.el_latency),
                   el_serial=np.where(crossing, plan.serial_cycles, plan.el_serial))


def barrier_cycles(chip: CompiledChip, tiles_used: int) -> float:
    """End-of-step synchronisation: the chip's barrier over the tiles in use, or, when a system's cores
    sit on several chips, the system's over the chips in use."""
    hw = chip.hardware
    n = chips_used(chip)
    if n > 1:
        return hw.system.spec.barrier_at(n) * operating_state(hw).clock_hz
    return hw.noc.barrier_at(tiles_used)


def mesh_link(x: int, y: int, d: int, cols: int) -> int:
    """Id of the directed mesh link leaving router (x, y) in direction d (E, W, N, S)."""
    return (y * cols + x) * 4 + d


def xy_links(x0: int, y0: int, x1: int, y1: int, cols: int) -> list[int]:
    """Dimension-order route: along x first, then along y; the mesh links crossed, in order."""
    out = []
    x, y = x0, y0
    while x != x1:
        d = E if x1 > x else W
        out.append(mesh_link(x, y, d, cols))
        x += 1 if d == E else -1
    while y != y1:
        d = N if y1 > y else S
        out.append(mesh_link(x, y, d, cols))
        y += 1 if d == N else -1
    return out


@dataclass
class SimPlan:
    """Static tables of one compiled chip (see module docstring). Arrays only; built by `build_plan`."""

    n: int
    n_cores: int
    n_nodes: int                # cores, then input ports
    n_mesh_links: int
    n_channels: int
    serial_cycles: float
    core_port: np.ndarray       # uint32 [n_cores] the input port (node n_cores + port) that sends input to each core
    # channels
    # routes: elements (channel, parent) in topological order
    rt_ptr: np.ndarray          # uint64 [n_routes + 1]
    el_channel: np.ndarray      # uint32
    el_parent: np.ndarray       # int32, relative element index, -1 = the packet's start
    el_latency: np.ndarray      # float64 head latency of each element's channel
    el_serial: np.ndarray       # float64 cycles a packet occupies each element's channel (inter-chip links differ)
    max_route: int
    # per source neuron: one record so that a spike's lookups share a cache line
    src_info: np.ndarray        # uint64 [n, 6]: SRC_SYN_LO/HI (its synapses), SRC_PK_LO/HI (its packets),
    #                             SRC_BASE (targets = base + syn_off), SRC_DELAY (its rows' one delay, or MULTI_ROW)
    src_row_ptr: np.ndarray     # uint64 [n + 1] rows of each source neuron (the chip's table; MULTI_ROW sources)
    src_grp_ptr: np.ndarray     # uint64 [n + 1] groups (deliveries) of each source
    pk_route: np.ndarray        # uint32 [n_packets]
    pk_hop: np.ndarray          # uint32 [n_packets, 2] chain packets: PK_MESH_LO/HI (mesh-link elements);
    #                             PK_MESH_LO = FORK for a forking tree packet
    tree: bool                  # tree multicast: packet p's deliveries are pk_grp[p] .. (unicast: group p)
    pk_grp: np.ndarray          # uint64 [n_packets + 1] groups of packet p: pk_grp[p] .. pk_grp[p + 1] (tree
    #                             multicast; unicast: packet p is group p and pk_grp is [0], never read)
    grp_core: np.ndarray        # uint16/uint32 [n_groups] (the chip's row_core type)
    grp_el: np.ndarray          # uint32 relative element of the ejection channel in the packet's route
    grp_service: np.ndarray     # float32 service cycles at the destination core where float32 holds every
    #                             one exactly (the kernel's float64 sums are then the same), else float64
    # rows (read only for MULTI_ROW sources): dense (contiguous targets) or CSR
    row_delay: np.ndarray       # uint8/uint16/uint32 (the chip's)
    any_dense: bool             # some row is dense (else the row_dense_* arrays are empty)
    row_dense_lo: np.ndarray    # uint32 first target of a dense row
    row_dense_len: np.ndarray   # uint32 0 for CSR rows
    row_dense_ptr: np.ndarray   # uint64 into dense_w
    dense_w: np.ndarray         # int8/int16/int32
    row_syn_ptr: np.ndarray     # uint32/uint64 the chip's: synapses of row r of source s at
    #                             row_syn_ptr[r] + src_syn_shift[s]
    src_syn_shift: np.ndarray   # uint64 [n] padding synapses before the source's (`_pad_sources`)
    syn_off: np.ndarray         # uint16/uint32 target minus the source's SRC_BASE (uint16 halves the bytes read)
    syn_w: np.ndarray           # int8/int16/int32, the narrowest that holds the weights
    sends: np.ndarray           # bool [n] the neuron's spikes send packets (others are not listed as sources)
    seg_send_ptr: np.ndarray    # int64 [n_seg + 1] each segment's words in seg_send_bits
    seg_send_bits: np.ndarray   # uint64 `sends` of each segment, 64 a word (bit b of word w: neuron g0 + 64w + b)
    src_stats: np.ndarray       # int64 [n, N_SRC_STATS] (a view of the contiguous [N_SRC_STATS, n] array)
    # neurons, as segments (one population piece on one core), ordered by core then neuron id
    seg_g0: np.ndarray
    seg_g1: np.ndarray
    seg_core: np.ndarray
    seg_start: np.ndarray       # first step the segment is updated (its population's stage)
    seg_thr: np.ndarray         # int64 threshold
    seg_cmp: np.ndarray         # fires when v > seg_cmp (threshold, or threshold - 1 with fire_at_equal)
    seg_delta: np.ndarray
    seg_subtract: np.ndarray    # bool
    seg_delta_u: np.ndarray     # δ of the current decay (4096: the current does not carry over)
    seg_refractory: np.ndarray  # steps the membrane is held after a spike
    seg_floor: np.ndarray       # voltage floor (NO_FLOOR: none)
    seg_plain: np.ndarray       # bool: no current state, refractory or floor (the kernel's fast loop)
    seg_record: np.ndarray      # int64 column of the first neuron in `potentials`, -1 for spiking
    seg_pop: np.ndarray         # population index
    seg_output: np.ndarray      # bool: the population is an output (no outgoing synapses): its spikes go to the host
    seg_host_hops: np.ndarray   # int64 [n_seg, 2] x and y hops from the segment's router to the host's
    bias: np.ndarray            # int64 [n]
    n_record: int
    max_abs_in: float           # largest Σ|weight| of the synapses into one neuron
    max_abs_bias: float
    n_slots: int
    node_interval: np.ndarray   # float64 [n_nodes] least cycles between two packets a node injects: cores
    #                             max(ser, packet_send_cycles); the host max(ser, message time) when it overlaps
    send_cycles: float          # core work per packet sent
    barrier_cycles: float       # at the tiles this chip uses (noc.barrier_at)
    tiles_used: int
    # kept for reporting (link loads as a mesh)
    cols: int
    rows: int


def acc_dtype_for(plan: SimPlan, max_payload: float) -> type:
    """int32 accumulators unless one step's input to a neuron could overflow them (payloads up to
    `max_payload`: 1 for spikes, the largest graded input value)."""
    bound = plan.max_abs_in * max(max_payload, 1.0) + plan.max_abs_bias
    return np.int32 if bound < 2 ** 31 - 1 else np.int64


def _narrowest_int(vmax: int) -> type:
    """The narrowest signed integer type holding ±vmax."""
    return next(t for t in (np.int8, np.int16, np.int32) if vmax <= np.iinfo(t).max) if vmax < 2 ** 31 else np.int64


def _row_service(chip: CompiledChip, nnz: np.ndarray, r0: int = 0, r1: int | None = None) -> np.ndarray:
    """Service cycles of rows r0 .. r1 (default: every row): header + words × word read + ⌈nnz / lanes⌉ × op
    (in place, one temporary)."""
    tm = chip.hardware.timing
    op = np.array([tm.op_cycles(f) for f in FORMATS])
    out = chip.row_words[r0:r1].astype(np.float64)
    out *= tm.word_read_cycles.value
    out += tm.row_header_cycles.value
    t = nnz[r0:r1] / tm.synaptic_lanes
    np.ceil(t, out=t)
    t *= op[chip.row_format[r0:r1]]
    out += t
    return out


def _group_service(chip: CompiledChip, nnz: np.ndarray, g_start: np.ndarray, block: int = 1 << 20) -> np.ndarray:
    """Service cycles of every group (rows g_start[i] .. g_start[i + 1]): the sum of its rows'
    `_row_service`, computed a block of whole groups at a time (the same sums as one reduceat over
    every row, with block-sized temporaries)."""
    out = np.zeros(g_start.size)
    for g0 in range(0, g_start.size, block):
        g1 = min(g0 + block, g_start.size)
        r0, r1 = int(g_start[g0]), int(g_start[g1]) if g1 < g_start.size else nnz.size
        out[g0:g1] = np.add.reduceat(_row_service(chip, nnz, r0, r1), g_start[g0:g1] - r0)
    return out


def _sum_by(idx: np.ndarray, weights: np.ndarray, n: int, where: tuple | None = None,
            block: int = 1 << 20) -> np.ndarray:
    """np.bincount(idx, weights, minlength=n) over the entries where where[0] == where[1] (all: None),
    a block at a time (no full-length float64 copy of the weights): the same values where the sums are
    integers below 2**53 (the per-source counts)."""
    out = np.zeros(n)
    for a in range(0, idx.size, block):
        i, w = idx[a:a + block], weights[a:a + block]
        if where is not None:
            m = where[0][a:a + block] == where[1]
            i, w = i[m], w[m]
        out += np.bincount(i, weights=w, minlength=n)
    return out


def build_plan(chip: CompiledChip, dense_min_density: float | None = None) -> SimPlan:
    """Derive the static simulation tables of `chip` (vectorised; Python loops only over routes).
    Rows at least `dense_min_density` dense over their target span are added as dense vectors
    (None: every row is CSR)."""
    net, hw = chip.network, chip.hardware
    cols, rows_ = hw.mesh.cols, hw.mesh.rows
    n = int(net.offsets[-1])
    nc = chip.n_cores
    ports_xy = hw.input_ports_xy()
    core_port = hw.input_port_of(chip.router_xy.astype(np.int64)).astype(np.uint32)   # the port feeding each core
    n_nodes = nc + len(ports_xy)
    n_mesh = 4 * cols * rows_
    inj0, ej0 = n_mesh, n_mesh + n_nodes
    n_ch = ej0 + nc
    ch_lat = np.zeros(n_ch)
    d = np.arange(n_mesh) % 4
    ch_lat[:n_mesh] = np.where(d < 2, hw.noc.hop_x_cycles.value, hw.noc.hop_y_cycles.value)
    ser = float(-(-hw.noc.packet_bits // hw.noc.link_width_bits))
    ch_ser = np.full(n_ch, ser)
    crossing = chip_crossings(hw)   # mesh links between two chips of a system: the inter-chip link's figures
    if crossing.any():
        link, clock = hw.system.spec.link, operating_state(hw).clock_hz
        ch_lat[:n_mesh][crossing] = link.latency_s.value * clock
        ch_ser[:n_mesh][crossing] = hw.noc.packet_bits / link.bits_per_s.value * clock
    node_xy = np.vstack([chip.router_xy.astype(np.int64), ports_xy])
    node_of_src = np.where(chip.neuron_core >= 0, chip.neuron_core, nc).astype(np.uint32)
    tree = hw.noc.multicast == "tree"

    # rows -> groups (source, destination core); rows are sorted by (source, core, delay)
    row_ptr = chip.src_row_ptr.astype(np.int64)
    n_rows = int(chip.row_core.size)
    n_src_rows = np.diff(row_ptr)
    row_src = np.repeat(np.arange(n, dtype=np.uint32), n_src_rows)
    row_nnz = np.empty(n_rows, np.uint32)       # synapses of a row (targets on one core: fits)
    np.subtract(chip.row_syn_ptr[1:], chip.row_syn_ptr[:-1], out=row_nnz, casting="unsafe")
    new = np.ones(n_rows, np.bool_)
    np.not_equal(row_src[1:], row_src[:-1], out=new[1:])
    new[1:] |= chip.row_core[1:] != chip.row_core[:-1]
    g_start = np.flatnonzero(new)
    del new
    n_grp = g_start.size
    grp_src = row_src[g_start]
    grp_core = chip.row_core[g_start]               # the chip's type (uint16 below 65536 cores)
    grp_service = _group_service(chip, row_nnz, g_start)
    g32 = grp_service.astype(np.float32)
    if np.array_equal(g32, grp_service):   # float32 holds every service time exactly: the same sums
        grp_service = g32
    del g32
    del g_start
    src_grp_ptr = np.zeros(n + 1, np.int64)
    np.cumsum(np.bincount(grp_src, minlength=n), out=src_grp_ptr[1:])

    # routes
    grp_el = np.zeros(n_grp if tree else 0, np.uint32)   # tree: the group's ejection element in its packet's route
    if not tree:  # one packet per group, along the chain that is the tree of one destination
        pk_route, upair = _unicast_routes(node_of_src, grp_src, grp_core, nc, core_port)
        rt_ptr, el_channel, el_parent = _chains(upair // nc, upair % nc, node_xy, cols, inj0, ej0)
        del upair
        src_pk_ptr = src_grp_ptr
        pk_grp = np.zeros(1, np.uint64)   # packet p is group p; only tree packets read pk_grp
    else:  # tree: one packet per source with destinations; dedupe trees by (node, destination set)
        rt_elems: list[list[tuple[int, int]]] = []   # per route: (channel, parent)
        has = np.nonzero(np.diff(src_grp_ptr) > 0)[0]
        src_pk_ptr = np.zeros(n + 1, np.int64)
        np.cumsum(np.diff(src_grp_ptr) > 0, out=src_pk_ptr[1:])
        pk_grp = np.append(src_grp_ptr[has], n_grp).astype(np.uint64)
        cache: dict[tuple, int] = {}
        pk_route = np.zeros(has.size, np.uint32)
        core_list = grp_core.tolist()
        gp = src_grp_ptr.tolist()
        nodes = node_of_src.tolist()
        for i, src in enumerate(has.tolist()):
            dests = tuple(core_list[gp[src]:gp[src + 1]])
            k = (nodes[src], dests)
            r = cache.get(k)
            if r is None:
                r = len(rt_elems)
                cache[k] = r
                rt_elems.append(_tree(nodes[src], dests, node_xy, cols, inj0, ej0))
            pk_route[i] = r
        # relative ejection element of each group within its tree (dests are sorted by core)
        ej_pos = {r: [j for j, (ch, _) in enumerate(el) if ch >= ej0] for r, el in enumerate(rt_elems)}
        for i, src in enumerate(has.tolist()):
            grp_el[gp[src]:gp[src + 1]] = ej_pos[int(pk_route[i])]
        del core_list, gp, nodes, cache, ej_pos
        rt_ptr = np.zeros(len(rt_elems) + 1, np.uint64)
        np.cumsum([len(e) for e in rt_elems], out=rt_ptr[1:])
        flat = [x for el in rt_elems for x in el]
        el_channel = np.array([c for c, _ in flat], np.uint32)
        el_parent = np.array([p for _, p in flat], np.int32)
        del rt_elems, flat
    del grp_src
    n_routes = rt_ptr.size - 1
    rt_len = np.diff(rt_ptr.astype(np.int64))
    # hops and chip crossings of every route
    el_route = np.repeat(np.arange(n_routes, dtype=np.uint32), rt_len)
    is_mesh = el_channel < n_mesh
    rt_hx = np.bincount(el_route[is_mesh & (el_channel % 4 < 2)], minlength=n_routes)
    rt_hy = np.bincount(el_route[is_mesh & (el_channel % 4 >= 2)], minlength=n_routes)
    is_mesh[is_mesh] = crossing[el_channel[is_mesh]]
    rt_xc = np.bincount(el_route[is_mesh], minlength=n_routes)
    del el_route, is_mesh
    # chain packets (injection, mesh links, ejection): every unicast packet, and a tree packet with one
    # destination (its tree is that chain); the kernel walks them without the tree's element table
    n_pk = len(pk_route)
    pk_hop = np.zeros((max(n_pk, 1), PK_W), np.uint32)
    if n_pk:
        for a in range(0, n_pk, 1 << 22):   # a block of packets at a time (no uint64 per packet)
            r = pk_route[a:a + (1 << 22)]
            pk_hop[a:a + (1 << 22), PK_MESH_LO] = rt_ptr[r] + np.uint64(1)
            pk_hop[a:a + (1 << 22), PK_MESH_HI] = rt_ptr[r + np.uint32(1)] - np.uint64(1)
            del r
        if tree:
            pk_hop[:n_pk, PK_MESH_LO][np.diff(pk_grp.astype(np.int64)) > 1] = FORK

    # per-source static counts
    stats = np.zeros((N_SRC_STATS, n), np.int64).T   # stored per statistic: the kernel's layout, not copied for it
    stats[:, SRC_SYN_OPS] = _sum_by(row_src, row_nnz, n)
    stats[:, SRC_WORDS] = _sum_by(row_src, chip.row_words, n)
    stats[:, SRC_ROWS] = n_src_rows
    stats[:, SRC_PACKETS] = np.diff(src_pk_ptr)
    stats[:, SRC_DELIVERIES] = np.diff(src_grp_ptr)
    used = np.flatnonzero(np.bincount(chip.row_format, minlength=len(FORMATS)))
    for k in used.tolist():
        stats[:, SRC_SYN_OPS_FMT0 + k] = stats[:, SRC_SYN_OPS] if used.size == 1 else \
            _sum_by(row_src, row_nnz, n, where=(chip.row_format, k))
    hops = np.zeros((3, n))    # x hops, y hops, chip crossings of each source's packets, a block of packets at a time
    for a in range(0, n_pk, 1 << 20):
        q = np.arange(a, min(a + (1 << 20), n_pk))
        pk_src = np.searchsorted(src_pk_ptr, q, side="right") - 1
        r = pk_route[q]
        for j, rt_count in enumerate((rt_hx, rt_hy, rt_xc)):
            hops[j] += np.bincount(pk_src, weights=rt_count[r], minlength=n)
    if n_pk:
        stats[:, SRC_HOPS_X], stats[:, SRC_HOPS_Y], stats[:, SRC_CROSSINGS] = hops
    del hops

    # rows: dense where the targets are dense enough over their span (opt in)
    wdt = _narrowest_int(int(np.abs(chip.syn_weight).max(initial=0)))
    dense = np.zeros(n_rows if dense_min_density is not None else 0, np.bool_)
    if dense_min_density is not None:
        syn_ptr = chip.row_syn_ptr.astype(np.int64)
        lo = np.zeros(n_rows, np.int64)
        hi = np.zeros(n_rows, np.int64)
        nz = row_nnz > 0
        lo[nz] = chip.syn_post[syn_ptr[:-1][nz]]
        hi[nz] = chip.syn_post[syn_ptr[1:][nz] - 1].astype(np.int64) + 1
        span = hi - lo
        dense = nz & (row_nnz >= dense_min_density * span) & (span >= 8)
        dlen = np.where(dense, span, 0)
        dptr = np.zeros(n_rows + 1, np.int64)
        np.cumsum(dlen, out=dptr[1:])
        del hi, span, syn_ptr
    any_dense = bool(dense.any())
    dense_w = np.zeros(int(dptr[-1]) if any_dense else 0, wdt)
    if any_dense:
        syn_row = np.repeat(np.arange(n_rows), row_nnz)
        sel = dense[syn_row]
        r_of = syn_row[sel]
        dense_w[dptr[r_of] + chip.syn_post[sel].astype(np.int64) - lo[r_of]] = chip.syn_weight[sel]
        del syn_row, sel, r_of

    # per-source records; sources whose rows are all CSR with one delay (or that have no rows) are
    # served by one loop over their synapses, the others (MULTI_ROW) by the row loop
    several = np.zeros(n, np.bool_)     # rows of several delays (rows are sorted by source, core, delay)
    if n_rows:
        same = row_src[1:] == row_src[:-1]
        same &= chip.row_delay[1:] != chip.row_delay[:-1]
        several[row_src[1:][same]] = True
        del same
    one_loop = (n_src_rows == 0) | ~several
    if any_dense:
        one_loop &= np.bincount(row_src[dense], minlength=n) == 0
    del row_src, row_nnz, dense, several
    src_syn_ptr = chip.row_syn_ptr[row_ptr].astype(np.int64)
    has_syn = np.diff(src_syn_ptr) > 0
    base = np.zeros(n, np.uint32)
    if has_syn.any():
        base[has_syn] = np.minimum.reduceat(chip.syn_post, src_syn_ptr[:-1][has_syn])
    syn_off, syn_w, src_syn_ptr, syn_shift = _pad_sources(chip.syn_post, chip.syn_weight.astype(wdt, copy=False),
                                                          src_syn_ptr, one_loop & has_syn, base, n)
    info = np.zeros((n, 6), np.uint64)
    info[:, SRC_SYN_LO] = src_syn_ptr[:-1]
    info[:, SRC_SYN_HI] = src_syn_ptr[1:]
    info[:, SRC_PK_LO] = src_pk_ptr[:-1]
    info[:, SRC_PK_HI] = src_pk_ptr[1:]
    info[:, SRC_BASE] = base
    first = np.minimum(row_ptr[:-1], max(n_rows - 1, 0))
    delay = chip.row_delay[first].astype(np.uint64) if n_rows else np.zeros(n, np.uint64)
    info[:, SRC_DELAY] = np.where(one_loop, np.where(n_src_rows > 0, delay, 0), MULTI_ROW)

    # neuron segments ordered by core
    offsets = net.offsets
    stages = net.stages()
    outputs = output_populations(net)
    segs = []
    record_col: dict[str, int] = {}
    n_record = 0
    for p in net.populations:
        if not p.is_input and not p.neuron.spiking:
            record_col[p.name] = n_record
            n_record += p.size
    for ci, chunks in enumerate(chip.cores):
        for c in sorted(chunks, key=lambda c: (net.index(c.population), c.start)):
            pi = net.index(c.population)
            p = net.pop(c.population)
            rec0 = record_col[p.name] if p.name in record_col else -1
            hx, hy = np.abs(chip.router_xy[ci].astype(np.int64) - np.array(hw.host.router, np.int64))
            for r0, r1, nr in config_runs(p, c.start, c.stop):  # one segment per run of one neuron config
                thr = int(nr.threshold)
                cmp = (thr - 1 if nr.fire_at_equal else thr) if nr.spiking else np.iinfo(np.int64).max
                floor = NO_FLOOR if nr.v_min is None else int(nr.v_min)
                segs.append((int(offsets[pi]) + r0, int(offsets[pi]) + r1, ci, stages[p.name], thr, cmp,
                             leak_delta(nr.decay), nr.reset == "subtract", rec0 + r0 if rec0 >= 0 else -1, pi,
                             leak_delta(nr.current_decay), nr.refractory, floor, nr.is_plain, p.name in outputs,
                             hx, hy))
    seg = np.array(segs, np.int64).reshape(-1, 17)
    sends = np.diff(src_pk_ptr) > 0
    seg_send_ptr, seg_send_bits = _segment_bits(sends, seg[:, 0], seg[:, 1])
    bias = np.zeros(n, np.int64)
    for i, p in enumerate(net.populations):
        if p.bias is not None:
            bias[offsets[i]:offsets[i + 1]] = p.bias

    # injection: a core's packets leave at most one per max(ser, send) cycles; the host's, when its I/O
    # overlaps the step, one message per host message time (otherwise its serial time is added per step)
    send = hw.timing.packet_send_cycles.value
    node_interval = np.full(n_nodes, max(ser, send))   # the same for every core (the kernel relies on it)
    node_interval[nc:] = ser
    if hw.host.overlap:
        node_interval[nc:] = max(ser, hw.host.message_s(hw.host.input_message_s) * operating_state(hw).clock_hz)
    tiles_used = len({tuple(xy) for xy in chip.router_xy.tolist()})

    # accumulator width (chosen per run by `acc_dtype_for`): the largest Σ|w| into one neuron
    absum = np.zeros(n)
    for a in range(0, chip.syn_post.size, 1 << 22):   # in blocks: integer sums, exact in any order
        absum += np.bincount(chip.syn_post[a:a + (1 << 22)], minlength=n,
                             weights=np.abs(chip.syn_weight[a:a + (1 << 22)]).astype(np.float64))
    n_slots = int(max(chip.row_delay.max(initial=0), 1)) + 1

    return SimPlan(
        n=n, n_cores=nc, n_nodes=n_nodes, n_mesh_links=n_mesh, n_channels=n_ch, core_port=core_port,
        serial_cycles=ser,
        rt_ptr=rt_ptr, el_channel=el_channel, el_parent=el_parent,
        el_latency=ch_lat[el_channel], el_serial=ch_ser[el_channel],
        max_route=int(rt_len.max(initial=1)),
        src_info=info, src_row_ptr=chip.src_row_ptr.astype(np.uint64, copy=False),
        src_grp_ptr=src_grp_ptr.astype(np.uint64),
        pk_route=np.asarray(pk_route, np.uint32), pk_hop=pk_hop, tree=tree, pk_grp=pk_grp,
        grp_core=grp_core, grp_el=grp_el if tree else np.zeros(1, np.uint32),
        grp_service=grp_service,
        row_delay=chip.row_delay, any_dense=any_dense,
        row_dense_lo=lo.astype(np.uint32) if any_dense else np.zeros(1, np.uint32),
        row_dense_len=dlen.astype(np.uint32) if any_dense else np.zeros(1, np.uint32),
        row_dense_ptr=dptr.astype(np.uint64) if any_dense else np.zeros(1, np.uint64), dense_w=dense_w,
        row_syn_ptr=chip.row_syn_ptr, src_syn_shift=syn_shift,
        syn_off=syn_off, syn_w=syn_w, sends=sends,
        seg_send_ptr=seg_send_ptr, seg_send_bits=seg_send_bits,
        src_stats=stats,
        seg_g0=seg[:, 0].astype(np.uint64), seg_g1=seg[:, 1].astype(np.uint64), seg_core=seg[:, 2].astype(np.uint32),
        seg_start=seg[:, 3].copy(), seg_thr=seg[:, 4].copy(), seg_cmp=seg[:, 5].copy(), seg_delta=seg[:, 6].copy(),
        seg_subtract=seg[:, 7].astype(np.bool_), seg_record=seg[:, 8].copy(), seg_pop=seg[:, 9].copy(),
        seg_delta_u=seg[:, 10].copy(), seg_refractory=seg[:, 11].copy(), seg_floor=seg[:, 12].copy(),
        seg_plain=seg[:, 13].astype(np.bool_), seg_output=seg[:, 14].astype(np.bool_),
        seg_host_hops=seg[:, 15:17].copy(),
        bias=bias,
        n_record=n_record, max_abs_in=float(absum.max(initial=0)),
        max_abs_bias=float(np.abs(bias).max(initial=0)), n_slots=n_slots,
        node_interval=node_interval, send_cycles=send, barrier_cycles=barrier_cycles(chip, tiles_used),
        tiles_used=tiles_used, cols=cols, rows=rows_)


def config_runs(p, start: int, stop: int) -> list[tuple[int, int, object]]:
    """(lo, hi, neuron model) of the runs of neurons [start, stop) of population `p` that share one
    neuron configuration (one run unless the population has per-neuron parameters)."""
    if p.configs is None:
        return [(start, stop, p.neuron)]
    idx = p.config_index[start:stop]
    cut = np.flatnonzero(idx[1:] != idx[:-1]) + 1
    bounds = np.concatenate(([0], cut, [idx.size]))
    return [(start + int(a), start + int(b), p.configs[int(idx[a])]) for a, b in zip(bounds[:-1], bounds[1:],
                                                                                      strict=True)]


def output_populations(net) -> set[str]:
    """Non-input populations no projection leaves: the network's outputs, read by the host."""
    sources = {pr.pre for pr in net.projections}
    return {p.name for p in net.populations if not p.is_input and p.name not in sources}


def _pad_sources(syn_post, syn_w, src_syn_ptr, pad, base, n, block: int = 1 << 22):
    """Each synapse's target as an offset from its source's least target `base` (uint16 when every offset
    fits, else uint32), with the synapses of each source served by the one-loop path (`pad`) padded to a
    multiple of SYN_PAD with weight-0 synapses, so that the kernel's loop over them (unrolled by the
    compiler in steps dividing SYN_PAD) has no remainder loop: fewer branches, fewer mispredicted loop
    exits (0.99 sparsity: the sources' phase takes a fifth less time). A padding synapse adds 0 to a
    neuron the source does not reach (past its last target, within the network and the offset type), or,
    where there is none, to one of its own targets. Returns (syn_off, syn_w, src_syn_ptr, shift):
    shift[src] is the padding before the source's synapses (its rows' synapses are the chip's row
    pointers + shift; the kernel reads rows only of sources it does not pad). Written a block of sources
    at a time into the final arrays (no per-synapse temporaries)."""
    nnz = np.diff(src_syn_ptr)
    has = nnz > 0
    span = np.zeros(n, np.int64)    # the largest offset of every source, + 1
    if has.any():
        span[has] = np.maximum.reduceat(syn_post, src_syn_ptr[:-1][has]).astype(np.int64) - base[has] + 1
    off_dt = np.uint16 if span.max(initial=0) <= (1 << 16) else np.uint32
    n_pad = np.where(pad, -nnz % SYN_PAD, 0)
    shift = np.zeros(n + 1, np.int64)
    np.cumsum(n_pad, out=shift[1:])
    total = int(src_syn_ptr[-1]) + int(shift[-1])
    syn_off = np.empty(total, off_dt)
    w_out = syn_w if not shift[-1] else np.zeros(total, syn_w.dtype)
    top = np.iinfo(off_dt).max
    # blocks of whole sources of about `block` synapses each
    cuts = np.unique(np.concatenate(([0], np.searchsorted(src_syn_ptr, np.arange(0, int(src_syn_ptr[-1]), block),
                                                          side="right") - 1, [n])))
    for s0, s1 in zip(cuts[:-1].tolist(), cuts[1:].tolist(), strict=True):
        p0, p1 = int(src_syn_ptr[s0]), int(src_syn_ptr[s1])
        cnt = nnz[s0:s1]
        rel = np.repeat(base[s0:s1], cnt)
        np.subtract(syn_post[p0:p1], rel, out=rel)   # >= 0: base is the source's least target
        if not shift[-1]:
            syn_off[p0:p1] = rel
            continue
        dest = np.repeat(shift[s0:s1], cnt)
        dest += np.arange(p0, p1)
        syn_off[dest] = rel
        w_out[dest] = syn_w[p0:p1]
        del dest
        k = n_pad[s0:s1]
        src = np.repeat(np.arange(s0, s1), k)                          # the source of each padding synapse
        if not src.size:
            continue
        q = np.arange(src.size) - np.repeat(shift[s0:s1] - shift[s0], k)   # its rank within the source's padding
        off = span[src] + q
        own = rel[src_syn_ptr[src] - p0 + q % nnz[src]]                  # fallback: one of the source's own targets
        syn_off[src_syn_ptr[src + 1] + shift[src] + q] = np.where((base[src] + off <= n - 1) & (off <= top), off, own)
        del rel, src, q, off, own
    return syn_off, w_out, src_syn_ptr + shift, shift[:-1].astype(np.uint64)


def _unicast_routes(node_of_src: np.ndarray, grp_src: np.ndarray, grp_core: np.ndarray, nc: int,
                    core_port: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Unicast: (route of every group, uint32; the distinct (node, core) pairs node · nc + core, sorted):
    group g's route is the rank of its pair among the distinct pairs (np.unique's inverse), found in
    blocks of groups (no int64 key per group). An input source's node (nc in node_of_src) is the port
    that feeds the group's core: nc + core_port[core]."""
    n_pairs = (nc + int(core_port.max(initial=0)) + 1) * nc
    block = 1 << 22

    def pair(a: int) -> np.ndarray:
        core = grp_core[a:a + block]
        node = node_of_src[grp_src[a:a + block]].astype(np.int64)
        if core_port.any():
            inp = node == nc
            node[inp] += core_port[core[inp]]
        return node * nc + core

    pairs = [(a, pair(a)) for a in range(0, grp_src.size, block)]
    route = np.empty(grp_src.size, np.uint32)
    if n_pairs <= 1 << 26:   # a rank table over every possible pair (at most 256 MiB)
        seen = np.zeros(n_pairs, np.bool_)
        for _, p in pairs:
            seen[p] = True
        upair = np.flatnonzero(seen)
        rank = np.zeros(n_pairs, np.uint32)
        rank[upair] = np.arange(upair.size, dtype=np.uint32)
        del seen
        for a, p in pairs:
            route[a:a + p.size] = rank[p]
    else:
        upair = np.unique(np.concatenate([np.unique(p) for _, p in pairs])) if pairs else np.zeros(0, np.int64)
        for a, p in pairs:
            route[a:a + p.size] = np.searchsorted(upair, p)
    return route, upair


def _chains(node: np.ndarray, core: np.ndarray, node_xy: np.ndarray, cols: int, inj0: int, ej0: int
            ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Routes from `node` to `core` (arrays, one route each) along the XY chain, vectorised: (rt_ptr,
    el_channel, el_parent) equal to concatenating `_tree(node, (core,), ...)` of each."""
    x0, y0 = node_xy[node, 0], node_xy[node, 1]
    x1, y1 = node_xy[core, 0], node_xy[core, 1]
    nx, ny = np.abs(x1 - x0), np.abs(y1 - y0)
    length = nx + ny + 2
    rt_ptr = np.zeros(node.size + 1, np.uint64)
    np.cumsum(length, out=rt_ptr[1:])
    start = rt_ptr[:-1].astype(np.int64)
    total = int(rt_ptr[-1])
    pos = np.arange(total, dtype=np.int64) - np.repeat(start, length)   # element index within its route
    el_parent = (pos - 1).astype(np.int32)
    r = np.repeat(np.arange(node.size), length)
    step = pos - 1                                                        # link step along the route
    in_x = (step >= 0) & (step < nx[r])
    in_y = (step >= nx[r]) & (step < (nx + ny)[r])
    sx, sy = np.sign(x1 - x0)[r], np.sign(y1 - y0)[r]
    x = np.where(in_x, x0[r] + step * sx, x1[r])
    y = np.where(in_y, y0[r] + (step - nx[r]) * sy, y0[r])
    d = np.where(in_x, np.where(sx > 0, E, W), np.where(sy > 0, N, S))
    ch = np.where(pos == 0, inj0 + node[r], ej0 + core[r])
    link = in_x | in_y
    ch[link] = ((y * cols + x) * 4 + d)[link]
    return rt_ptr, ch.astype(np.uint32), el_parent


def _segment_bits(flags: np.ndarray, g0: np.ndarray, g1: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(ptr, words): flags[g0:g1] of each segment packed into uint64 words, bit b of word w = flag
    g0 + 64w + b (the kernel ANDs them with 64 spike flags at a time)."""
    nw = (g1 - g0 + 63) // 64
    ptr = np.zeros(len(g0) + 1, np.int64)
    np.cumsum(nw, out=ptr[1:])
    words = np.zeros(int(ptr[-1]), np.uint64)
    for k, (a, b) in enumerate(zip(g0.tolist(), g1.tolist(), strict=True)):
        packed = np.zeros(8 * int(nw[k]), np.uint8)
        bits = np.packbits(flags[a:b], bitorder="little")
        packed[:bits.size] = bits
        words[ptr[k]:ptr[k + 1]] = packed.view("<u8")
    return ptr, words


def _tree(node: int, dests: tuple, node_xy: np.ndarray, cols: int, inj0: int, ej0: int) -> list[tuple[int, int]]:
    """Multicast tree from `node` to every core in `dests` (sorted): the union of their XY routes,
    each channel once, elements in first-visit order; then one ejection element per destination
    (in `dests` order) so that group j's ejection is the j-th ejection element."""
    el = [(inj0 + node, -1)]
    at: dict[int, int] = {}
    last_of = []
    for c in dests:
        cur = 0
        for lk in xy_links(*node_xy[node], *node_xy[c], cols):
            if lk not in at:
                at[lk] = len(el)
                el.append((lk, cur))
            cur = at[lk]
        last_of.append(cur)
    for c, cur in zip(dests, last_of, strict=True):
        el.append((ej0 + c, cur))
    return el

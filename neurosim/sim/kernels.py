"""Numba kernel of the event-driven, cycle-approximate chip simulator (timing model: docs/simulator.md).

`run_one` simulates one sample; `run_samples` runs every sample with prange (samples are
independent; a second thread inside one step does not pay, DESIGN §8). Per step t:
- sources in node order (each core's spikes of t−1, then the input events of t, sent by the host's
  port or, on a system whose chips generate their own input, by the port of each target core's
  chip): add the weights of the source's synapses into the delay slot of its rows and list its packets;
(a) packets are routed XY and granted channels (injection, mesh links, ejection) in injection order
    (round robin over nodes), each channel busy `ser` cycles per packet; a core's k-th packet leaves
    at k·max(ser, send cycles) (its sending work comes before its service), a port's at the later of
    k·ser and m·(message time) for its m-th message when the host's I/O overlaps the step;
(b) each destination core serves its deliveries FIFO: row header + word reads + ⌈nnz / lanes⌉
    synaptic ops;
(c) after its last delivery a core updates its neurons (integer leak, saturation, threshold,
    reset) and emits spikes;
(d) the step lasts max over cores of its finish time, plus the barrier.
What does not depend on timing is not done per packet: deliveries are counted per source as
sources are served, and the action counts, channel loads and service work that each delivery implies
are multiplied out at the end. Speed (docs/simulator.md §Speed): one record per source (`src_info`);
synapses as (uint16 offset, int8 weight) where they fit, padded per source to a multiple of 8 with
weight-0 synapses (the add loop then has no remainder); the next source's synapses prefetched; a
core's packets listed by a loop of fixed length (no exit to mispredict), their release times
computed in the round robin; spikes of neurons without fan-out counted but never listed as sources;
spikes listed from 64 flags at a time (one vector compare, ANDed with the segment's static `sends`
bits); round-robin rounds run in phases with no per-packet exit test, touching few arrays; sources
that need the row loop (several delays, opt-in dense rows) served after the hot loop; unsigned
indices (signed ones cost 2x); the hot loops written inline (a numba call there costs 3x: reference
counting of its array arguments).
"""

import numba as nb
import numpy as np
from llvmlite import ir as llvm_ir
from numba.core import types as nb_types
from numba.extending import intrinsic

from neurosim.ir.quantize import LEAK_SHIFT
from neurosim.sim.plan import (
    FORK,
    MULTI_ROW,
    N_SRC_STATS,
    PK_MESH_HI,
    PK_MESH_LO,
    PK_W,
    SRC_BASE,
    SRC_DELAY,
    SRC_PK_HI,
    SRC_PK_LO,
    SRC_SYN_HI,
    SRC_SYN_LO,
)


@intrinsic
def _trailing_zeros(typingctx, x):
    """Count of trailing zero bits of a uint64 (LLVM cttz: one instruction, tzcnt/bsf)."""
    if x != nb_types.uint64:
        return None

    def codegen(context, builder, sig, args):
        i64 = llvm_ir.IntType(64)
        fnty = llvm_ir.FunctionType(i64, [i64, llvm_ir.IntType(1)])
        fn = builder.module.declare_intrinsic("llvm.cttz.i64", fnty=fnty)
        return builder.call(fn, [args[0], llvm_ir.Constant(llvm_ir.IntType(1), 0)])
    return nb_types.uint64(nb_types.uint64), codegen


@intrinsic
def _nonzero_bits64(typingctx, flags, start):
    """Bit b set where flags[start + b] != 0, b < 64, for a 1-D bool array (one vector compare)."""
    if not (isinstance(flags, nb_types.Array) and flags.dtype == nb_types.boolean and flags.ndim == 1):
        return None

    def codegen(context, builder, sig, args):
        ary = context.make_array(sig.args[0])(context, builder, args[0])
        vty = llvm_ir.VectorType(llvm_ir.IntType(8), 64)
        ptr = builder.bitcast(builder.gep(ary.data, [args[1]]), vty.as_pointer())
        bits = builder.icmp_unsigned("!=", builder.load(ptr, align=1), llvm_ir.Constant(vty, None))
        return builder.bitcast(bits, llvm_ir.IntType(64))
    return nb_types.uint64(flags, nb_types.int64), codegen


@intrinsic
def _prefetch(typingctx, ary, idx):
    """Hint the CPU to fetch ary[idx] into the cache (llvm.prefetch: a read, kept; never faults)."""
    if not isinstance(ary, nb_types.Array):
        return None

    def codegen(context, builder, sig, args):
        a = context.make_array(sig.args[0])(context, builder, args[0])
        i8p = llvm_ir.IntType(8).as_pointer()
        i32 = llvm_ir.IntType(32)
        fn = builder.module.declare_intrinsic(
            "llvm.prefetch", fnty=llvm_ir.FunctionType(llvm_ir.VoidType(), [i8p, i32, i32, i32]))
        builder.call(fn, [builder.bitcast(builder.gep(a.data, [args[1]]), i8p), i32(0), i32(3), i32(1)])
        return context.get_dummy_value()
    return nb_types.none(ary, nb_types.uint64), codegen


@nb.njit(cache=True, boundscheck=False)
def encode_rows(flat, ptr, idx, val):
    """CSR of the nonzero entries of each row of `flat` (rows = (sample, frame)); `ptr` must be sized
    rows + 1, idx/val to the number of nonzeros (see `count_nonzero_rows`)."""
    k = 0
    for r in range(flat.shape[0]):
        ptr[r] = k
        for c in range(flat.shape[1]):
            x = flat[r, c]
            if x != 0:
                idx[k] = c
                val[k] = x
                k += 1
    ptr[flat.shape[0]] = k


@nb.njit(cache=True, boundscheck=False)
def count_nonzero_rows(flat):
    k = 0
    for r in range(flat.shape[0]):
        for c in range(flat.shape[1]):
            k += flat[r, c] != 0
    return k


@nb.njit(cache=True, boundscheck=False, inline="always")
def _decay(x, keep):
    """Loihi's integer decay: x·keep >> 12 with the product rounded toward zero (keep = 4096 − δ)."""
    p = x * keep
    return (p >> LEAK_SHIFT) if p >= 0 else -((-p) >> LEAK_SHIFT)


@nb.njit(cache=True, boundscheck=False)
def _update_segment(acc, v, u, ref, bias, fired, slot_base, g0, g1, thr, cmp, delta, sub, delta_u, refractory,
                    v_floor, plain, bits, state_max):
    """Integer update of neurons [g0, g1) (one population piece on one core; the model of
    `ir.Neuron` in Loihi's arithmetic, as `ir.deploy`): current u wraps at `bits`, membrane v
    saturates at ±state_max and is floored at v_floor, refractory hold. `plain` segments (no current
    state, refractory or floor) take a branch-free loop on local views that vectorises, and keep no u.
    fired[j] = 1 where neuron g0 + j spikes (the caller lists, counts and records the spikes).
    Returns (active neurons: input, bias or nonzero state, spikes)."""
    m = g1 - g0
    a_ = acc[slot_base + g0:slot_base + g1]
    v_ = v[g0:g1]
    b_ = bias[g0:g1]
    half = np.int64(1) << (bits - 1)
    mask = (np.int64(1) << bits) - 1
    kv = (np.int64(1) << LEAK_SHIFT) - delta
    # v·kv >> 12 rounded toward zero, computed in float64: exact (|v| < 2^31, kv ≤ 2^12: the product has
    # < 53 bits, the scale is a power of two, the conversion truncates) and it vectorises better than the
    # int64 product: the plain update takes half the time
    kv_f = np.float64(kv) / np.float64(1 << LEAK_SHIFT)
    active = np.int64(0)
    spikes = np.int64(0)
    if plain:
        for j in range(m):
            i = np.int64(a_[j])
            a_[j] = 0
            v0 = np.int64(v_[j])
            b = b_[j]
            active += (v0 | i | b) != 0
            uu = ((i + half) & mask) - half
            x = np.int64(np.float64(v0) * kv_f) + uu + b
            x = -state_max if x < -state_max else x
            x = state_max if x > state_max else x
            f = x > cmp
            r = x - thr if sub else np.int64(0)
            v_[j] = r if f else x
            spikes += f
            fired[j] = f
        return active, spikes
    u_ = u[g0:g1]
    r_ = ref[g0:g1]
    ku = (np.int64(1) << LEAK_SHIFT) - delta_u
    for j in range(m):
        i = np.int64(a_[j])
        a_[j] = 0
        v0 = np.int64(v_[j])
        u0 = np.int64(u_[j])
        b = b_[j]
        held = r_[j] > 0
        active += ((v0 | u0 | i | b) != 0) | held
        uu = _decay(u0, ku) + i
        uu = ((uu + half) & mask) - half
        u_[j] = uu
        if held:
            r_[j] -= 1
            fired[j] = False
            continue
        x = _decay(v0, kv) + uu + b
        x = -state_max if x < -state_max else x
        x = state_max if x > state_max else x
        x = v_floor if x < v_floor else x
        f = x > cmp
        if f:
            v_[j] = x - thr if sub else np.int64(0)
            r_[j] = refractory
        else:
            v_[j] = x
        spikes += f
        fired[j] = f
    return active, spikes


@nb.njit(cache=True, boundscheck=False)
def _list_port_packets(t, a0, a1, in_base, in_idx, src_info, core_port, grp_core, n_cores, ser, m_int, node_ptr,
                       pk_list, pk_t, port_cnt, port_msg, port_last, in_msgs):
    """List the input packets of step t by port (after the cores' packets, from node_ptr[n_cores]): a port's
    k-th packet, of its m-th message, leaves at the later of k·ser and m·m_int. Records the busiest port's
    and all ports' messages in in_msgs[t]; returns the end of the list."""
    n_ports = port_cnt.shape[0]
    port_cnt[:] = 0
    port_msg[:] = 0
    port_last[:] = -1
    for i in range(a0, a1):
        src = in_base + np.uint64(in_idx[i])
        for p in range(src_info[src, SRC_PK_LO], src_info[src, SRC_PK_HI]):
            h = core_port[grp_core[p]]
            port_cnt[h] += 1
            if port_last[h] != i:
                port_last[h] = i
                port_msg[h] += 1
    busiest = np.int64(0)
    total = np.int64(0)
    for h in range(n_ports):
        node_ptr[n_cores + h + 1] = node_ptr[n_cores + h] + port_cnt[h]
        busiest = max(busiest, port_msg[h])
        total += port_msg[h]
        port_cnt[h] = node_ptr[n_cores + h]   # from here on: the next free place of the port's bucket
        port_msg[h] = 0
        port_last[h] = -1
    in_msgs[t, 0] = busiest
    in_msgs[t, 1] = total
    for i in range(a0, a1):
        src = in_base + np.uint64(in_idx[i])
        for p in range(src_info[src, SRC_PK_LO], src_info[src, SRC_PK_HI]):
            h = core_port[grp_core[p]]
            if port_last[h] != i:
                port_last[h] = i
                port_msg[h] += 1
            m_t = (port_msg[h] - 1) * m_int
            q = np.uint64(port_cnt[h])
            k_t = np.int64(q - np.uint64(node_ptr[n_cores + h])) * ser
            pk_list[q] = p
            pk_t[q] = k_t if k_t > m_t else m_t
            port_cnt[h] += 1
    return np.uint64(node_ptr[n_cores + n_ports])


@nb.njit(cache=True, boundscheck=False)
def run_one(s, steps, T, in_ptr, in_base, in_idx, in_val, tables,
            acc, v, u, ref, counters, step_cycles, core_busy, load, seg_spikes, seg_active, out_steps, raster,
            recorded, in_msgs):
    """Simulate sample s (see the module docstring); writes row s of the output arrays. `tables` is
    `engine.kernel_tables(...)`, the plan's static arrays and the chip's costs, unpacked here once.
    in_msgs[t] = (messages of the busiest input port, messages of all ports) in step t: with one port
    every input event is one message; with a port per chip, an event is one message of each port
    whose chip it reaches."""
    (n_cores, ej0, ser, el_lat, el_ser, rt_ptr, el_channel, el_parent, max_route,
     src_info, src_row_ptr, src_grp_ptr, pk_route, pk_hop, tree, pk_grp, grp_core, grp_el, grp_service,
     row_delay, any_dense, row_dense_lo, row_dense_len, row_dense_ptr, dense_w, row_syn_ptr, syn_shift, syn_off,
     syn_w, seg_send_ptr, seg_send_bits, src_stats, seg_g0, seg_g1, seg_core, seg_start, seg_thr, seg_cmp,
     seg_delta, seg_subtract, seg_delta_u, seg_refractory, seg_floor, seg_plain, seg_output, seg_record, bias,
     state_bits, state_max, n_slots, node_interval, core_port, c_send, c_upd_active, c_upd_idle, c_spike,
     c_barrier) = tables
    n = v.shape[0]
    n_ch = load.shape[0]
    n_seg = seg_g0.shape[0]
    n_nodes = node_interval.shape[0]      # the cores, then the input ports
    n_ports = n_nodes - n_cores
    port_cnt = np.zeros(n_ports, np.int64)    # per port, this step: packets, messages, the last event it took
    port_msg = np.zeros(n_ports, np.int64)
    port_last = np.zeros(n_ports, np.int64)
    U1 = np.uint64(1)
    core_int = node_interval[0]           # the cores' packet interval (the same for all, plan.node_interval)
    PKW = np.uint64(PK_W)                 # pk_hop is flat: packet p's record at p·PK_W (a constant stride)
    PKL, PKH = np.uint64(PK_MESH_LO), np.uint64(PK_MESH_HI)
    keep_raster = raster.shape[1] > 0     # not kept: raster is (1, 0)
    r_rows = raster.shape[0]
    deliv = np.zeros(n, np.int64)         # deliveries per source (spikes and input events), as they are served
    free = np.zeros(n_ch, np.float64)
    core_free = np.zeros(n_cores, np.float64)
    tarr = np.zeros(max_route, np.float64)
    cur = np.zeros(n + 1, np.uint32)
    nxt = np.zeros(n + 1, np.uint32)
    cur_ptr = np.zeros(n_cores + 1, np.int64)
    nxt_ptr = np.zeros(n_cores + 1, np.int64)
    later_src = np.zeros(n, np.uint64)       # sources whose rows need the row loop, this step
    later_pay = np.zeros(n, np.int64)
    later_off = np.zeros(n, np.uint64)
    act_start = np.zeros(n_nodes, np.uint64)  # per node with packets this step (node order): first, count
    act_count = np.zeros(n_nodes, np.int64)
    node_ptr = np.zeros(n_nodes + 1, np.int64)   # each node's packets in pk_list
    max_pk = np.int64(1)                  # most packets one source sends
    for src in range(n):
        max_pk = max(max_pk, np.int64(src_info[src, SRC_PK_HI] - src_info[src, SRC_PK_LO]))
    max_pk_u = np.uint64(max_pk)
    pk_list = np.zeros(min(np.int64(pk_route.shape[0]), np.int64(1 << 16)) + max_pk, np.uint64)
    pk_t = np.zeros(pk_list.shape[0], np.float64)   # release time of each listed host packet
    rt_used = np.zeros(rt_ptr.shape[0] - 1, np.int64)
    # accumulator base of each delay: sb[d] for spikes of t-1, sb[n_slots + d] for input events of t
    # (one array indexed by an offset: assigning arrays to a variable in the loop costs refcounting)
    sb = np.zeros(2 * n_slots, np.int64)
    max_seg = np.int64(1)
    for sg in range(n_seg):
        max_seg = max(max_seg, np.int64(seg_g1[sg] - seg_g0[sg]))
    fired = np.zeros((max_seg + 63) // 64 * 64, np.bool_)   # spike flags of one segment, read 64 at a time
    for t in range(steps):
        free[:] = 0.0
        core_free[:] = 0.0
        for d in range(n_slots):
            sb[d] = ((t - 1 + d) % n_slots) * n
            sb[n_slots + d] = ((t + d) % n_slots) * n
        a0 = np.int64(0)
        a1 = np.int64(0)
        if t < T:
            a0 = np.int64(in_ptr[s * T + t])
            a1 = np.int64(in_ptr[s * T + t + 1])
        need = (cur_ptr[n_cores] + a1 - a0 + 1) * max_pk
        if need > pk_list.shape[0]:  # grown outside the hot loop (reassigning arrays there costs refcounting)
            pk_list = np.empty(max(need, 2 * pk_list.shape[0]), np.uint64)
            pk_t = np.empty(pk_list.shape[0], np.float64)
        # Sources in node order: each core's spikes of t-1, then the host's input events of t. For each,
        # add its weights (× payload) into the slot of its rows' delay and list its packets.
        # Written inline: a numba call here costs 3x (reference counting of its array arguments).
        n_pk = np.uint64(0)
        n_later = 0
        for node in range(n_cores):
            for i in range(cur_ptr[node], cur_ptr[node + 1]):
                src = np.uint64(cur[i])
                deliv[src] += 1   # a spike of t-1 delivered (spikes of the last step never get here)
                # the next source's synapses start at a random place: fetch their first line now
                # (cur has a spare entry; past the list it holds some neuron id)
                k_next = src_info[np.uint64(cur[i + 1]), SRC_SYN_LO]
                _prefetch(syn_off, k_next)
                _prefetch(syn_w, k_next)
                dl = src_info[src, SRC_DELAY]
                if dl != MULTI_ROW:  # all synapses CSR with one delay: one loop (padded: no remainder)
                    b = np.uint64(sb[dl]) + src_info[src, SRC_BASE]
                    for k in range(src_info[src, SRC_SYN_LO], src_info[src, SRC_SYN_HI]):
                        acc[b + syn_off[k]] += syn_w[k]
                else:  # rows with several delays or dense rows: after this loop (adds commute)
                    later_src[n_later] = src
                    later_pay[n_later] = 1
                    later_off[n_later] = 0
                    n_later += 1
                # its packets: max_pk entries are written whatever its count (a loop of fixed length has
                # no exit to mispredict); n_pk moves by the count, the next source overwrites the rest
                p0 = src_info[src, SRC_PK_LO]
                for q in range(max_pk_u):
                    pk_list[n_pk + q] = p0 + q
                n_pk += src_info[src, SRC_PK_HI] - p0
            node_ptr[node + 1] = n_pk
            if c_send > 0.0:  # the core's own work of sending, before it serves deliveries
                core_free[node] = (n_pk - np.uint64(node_ptr[node])) * c_send
                core_busy[node] += core_free[node]
        # a port's packets leave at the later of k·ser (its link) and m·interval (its m-th message);
        # a core's k-th at k·interval, computed in the round robin
        kbase = n_pk
        m_int = node_interval[n_cores]
        one_port = n_ports == 1
        for i in range(a0, a1):
            src = in_base + np.uint64(in_idx[i])
            pay = np.int64(in_val[i])
            k_next = src_info[in_base + np.uint64(in_idx[min(i + 1, a1 - 1)]), SRC_SYN_LO]
            _prefetch(syn_off, k_next)
            _prefetch(syn_w, k_next)
            deliv[src] += 1
            dl = src_info[src, SRC_DELAY]
            if dl != MULTI_ROW:
                b = np.uint64(sb[np.uint64(n_slots) + dl]) + src_info[src, SRC_BASE]
                if pay == 1:
                    for k in range(src_info[src, SRC_SYN_LO], src_info[src, SRC_SYN_HI]):
                        acc[b + syn_off[k]] += syn_w[k]
                else:
                    for k in range(src_info[src, SRC_SYN_LO], src_info[src, SRC_SYN_HI]):
                        acc[b + syn_off[k]] += syn_w[k] * pay
            else:
                later_src[n_later] = src
                later_pay[n_later] = pay
                later_off[n_later] = n_slots
                n_later += 1
            if one_port:
                m_t = (i - a0) * m_int
                for p in range(src_info[src, SRC_PK_LO], src_info[src, SRC_PK_HI]):
                    pk_list[n_pk] = p
                    k_t = np.int64(n_pk - kbase) * ser
                    pk_t[n_pk] = k_t if k_t > m_t else m_t
                    n_pk += U1
        if one_port:
            node_ptr[n_nodes] = n_pk
            in_msgs[t, 0] = a1 - a0
            in_msgs[t, 1] = a1 - a0
        else:  # a port per chip (unicast: packet p is group p): each port's packets in a bucket of their own
            n_pk = _list_port_packets(t, a0, a1, in_base, in_idx, src_info, core_port, grp_core, n_cores, ser, m_int,
                                      node_ptr, pk_list, pk_t, port_cnt, port_msg, port_last, in_msgs)
        for i in range(n_later):
            src = later_src[i]
            pay = later_pay[i]
            off = later_off[i]
            base = np.uint64(src_info[src, SRC_BASE])
            for rr in range(src_row_ptr[src], src_row_ptr[src + U1]):
                slot = np.uint64(sb[off + row_delay[rr]])
                if any_dense and row_dense_len[rr] > 0:  # contiguous: vectorised
                    b = slot + row_dense_lo[rr]
                    k0 = row_dense_ptr[rr]
                    if pay == 1:
                        for q in range(np.uint64(row_dense_len[rr])):
                            acc[b + q] += dense_w[k0 + q]
                    else:
                        for q in range(np.uint64(row_dense_len[rr])):
                            acc[b + q] += dense_w[k0 + q] * pay
                else:  # the chip's row pointers, moved past the padding of the sources before (not its own)
                    b = slot + base
                    k0 = row_syn_ptr[rr] + syn_shift[src]
                    k1 = row_syn_ptr[rr + U1] + syn_shift[src]
                    if pay == 1:
                        for k in range(k0, k1):
                            acc[b + syn_off[k]] += syn_w[k]
                    else:
                        for k in range(k0, k1):
                            acc[b + syn_off[k]] += syn_w[k] * pay
        n_act = 0
        n_core_act = 0   # active nodes that are cores: they come first, the input ports after them
        for node in range(n_nodes):
            if node_ptr[node + 1] > node_ptr[node]:
                act_start[n_act] = node_ptr[node]
                act_count[n_act] = node_ptr[node + 1] - node_ptr[node]
                n_core_act += node < n_cores
                n_act += 1
        # (a), (b): round robin, the k-th packet of every node before any node's (k+1)-th. Each
        # channel is granted first-come in this order: start = max(head arrival, free), busy `ser`
        # cycles, the head reaches the far end el_lat (the channel's latency) after the start. A
        # node's injection channel carries only its own packets, so its k-th starts at k·ser.
        # A delivery is received `ser` after its head enters the core's ejection channel; FIFO service.
        # Rounds run in phases in which no node runs out, so the inner loop has no exit test.
        k = np.int64(0)
        while n_act > 0:
            k_end = act_count[0]
            for ai in range(1, n_act):
                k_end = min(k_end, act_count[ai])
            while k < k_end:
                ku = np.uint64(k)
                t_core = k * core_int   # every core's k-th packet leaves at k·interval
                for ai in range(n_act):
                    pos = act_start[ai] + ku
                    p = pk_list[pos]
                    t_inj = pk_t[pos] if ai >= n_core_act else t_core
                    h = p * PKW   # the packet's pk_hop record
                    lo = pk_hop[h + PKL]
                    if lo != FORK:  # a chain: injection, mesh links, ejection, one delivery
                        g = pk_grp[p] if tree else p   # the delivery
                        c = grp_core[g]
                        ta = t_inj
                        for e in range(np.uint64(lo), np.uint64(pk_hop[h + PKH])):
                            ch = el_channel[e]
                            f = free[ch]
                            st = f if f > ta else ta
                            free[ch] = st + el_ser[e]
                            ta = st + el_lat[e]
                        ch = ej0 + c   # the core's ejection channel
                        f = free[ch]
                        arr = (f if f > ta else ta) + ser
                        free[ch] = arr
                        cf = core_free[c]
                        core_free[c] = (cf if cf > arr else arr) + grp_service[g]
                    else:  # a tree forking towards several cores
                        r = pk_route[p]
                        e0 = rt_ptr[r]
                        e1 = rt_ptr[r + U1] - U1
                        tarr[0] = t_inj
                        for e in range(1, np.int64(e1 + U1 - e0)):
                            par = el_parent[e0 + np.uint64(e)]
                            ta = tarr[par]
                            ch = el_channel[e0 + np.uint64(e)]
                            f = free[ch]
                            st = f if f > ta else ta
                            free[ch] = st + el_ser[e0 + np.uint64(e)]
                            tarr[e] = st + el_lat[e0 + np.uint64(e)]
                        for g in range(pk_grp[p], pk_grp[p + U1]):
                            c = grp_core[g]
                            arr = tarr[grp_el[g]] + ser
                            cf = core_free[c]
                            core_free[c] = (cf if cf > arr else arr) + grp_service[g]
                k += 1
            w_act = 0
            w_core = 0
            for ai in range(n_act):  # drop the nodes that ran out, keeping node order
                if act_count[ai] > k:
                    w_core += ai < n_core_act
                    act_start[w_act] = act_start[ai]
                    act_count[w_act] = act_count[ai]
                    w_act += 1
            n_act = w_act
            n_core_act = w_core
        # (c) neuron updates and spikes, segment by segment (segments are ordered by core)
        slot_base = (t % n_slots) * n
        ns = np.int64(0)
        cptr = 0
        for sg in range(n_seg):
            c = seg_core[sg]
            while cptr <= c:
                nxt_ptr[cptr] = ns
                cptr += 1
            g0 = np.int64(seg_g0[sg])
            g1 = np.int64(seg_g1[sg])
            if t < seg_start[sg]:
                for j in range(g0, g1):
                    acc[slot_base + j] = 0
                continue
            active, nf = _update_segment(acc, v, u, ref, bias, fired, slot_base, g0, g1, seg_thr[sg], seg_cmp[sg],
                                         seg_delta[sg], seg_subtract[sg], seg_delta_u[sg], seg_refractory[sg],
                                         seg_floor[sg], seg_plain[sg], state_bits, state_max)
            m = g1 - g0
            if keep_raster:
                raster[t % r_rows, g0:g1] = fired[:m]
            fired[m:(m + 63) // 64 * 64] = False
            # list the spikes of neurons that send (64 flags at a time, jumping from set bit to set bit)
            sb0 = seg_send_ptr[sg]
            for w in range((m + 63) // 64):
                x64 = _nonzero_bits64(fired, w * 64) & seg_send_bits[sb0 + w]
                while x64 != 0:
                    j = g0 + w * 64 + np.int64(_trailing_zeros(x64))
                    nxt[ns] = j
                    ns += 1
                    x64 &= x64 - np.uint64(1)
            rec = seg_record[sg]
            if rec >= 0:
                for j in range(g0, g1):
                    recorded[t, rec + j - g0] = v[j]
            upd = active * c_upd_active + (g1 - g0 - active) * c_upd_idle + nf * c_spike
            core_free[c] += upd
            core_busy[c] += upd
            seg_spikes[sg] += nf
            seg_active[sg] += active
            if seg_output[sg]:
                out_steps[t] += nf
        while cptr <= n_cores:
            nxt_ptr[cptr] = ns
            cptr += 1
        # (d) barrier
        worst = 0.0
        for c in range(n_cores):
            if core_free[c] > worst:
                worst = core_free[c]
        step_cycles[t] = worst + c_barrier
        cur, nxt = nxt, cur
        cur_ptr, nxt_ptr = nxt_ptr, cur_ptr
    # what each delivery implies, multiplied out: action counts (src_stats is transposed: each action's
    # per-source counts are contiguous, a vectorised dot product), service work, channel loads
    for k in range(N_SRC_STATS):
        x = np.int64(0)
        for src in range(n):
            x += deliv[src] * src_stats[k, src]
        counters[k] += x
    for src in range(n):
        d = deliv[src]
        if d != 0:
            for g in range(src_grp_ptr[src], src_grp_ptr[src + U1]):
                core_busy[grp_core[g]] += d * grp_service[g]
            for p in range(src_info[src, SRC_PK_LO], src_info[src, SRC_PK_HI]):
                rt_used[pk_route[p]] += d
    for r in range(rt_used.shape[0]):
        u = rt_used[r]
        if u != 0:
            for e in range(rt_ptr[r], rt_ptr[r + 1]):
                load[el_channel[e]] += u


@nb.njit(cache=True, parallel=True)
def run_samples(steps, T, in_ptr, in_base, in_idx, in_val, tables,
                acc_all, v_all, u_all, ref_all, counters, step_cycles, core_busy, ch_load, seg_spikes, seg_active,
                out_steps, raster, recorded, in_msgs):
    """Every sample in parallel (prange); outputs are indexed by sample (raster (S, 1, 0) = not kept)."""
    for s in nb.prange(counters.shape[0]):
        run_one(s, steps, T, in_ptr, in_base, in_idx, in_val, tables,
                acc_all[s], v_all[s], u_all[s], ref_all[s], counters[s], step_cycles[s], core_busy[s], ch_load[s],
                seg_spikes[s], seg_active[s], out_steps[s], raster[s], recorded[s], in_msgs[s])
    return 0


# rows that `summarize` fills besides the static ones, in this order of its `dyn` argument
DYN_ACTIONS = ("neuron_updates_active", "neuron_updates_idle", "spikes", "barriers", "output_hops_x", "output_hops_y",
               "input_messages", "output_messages", "steps", "core_steps", "inferences")


@nb.njit(cache=True, boundscheck=False)
def summarize(counters, static_rows, static_cols, dyn, seg_active, seg_spikes, out_steps, in_msgs, updates, seg_out,
              out_hops, pop_ptr, pop_seg, readouts, per, single, n_cores, step_cycles, host, rows, per_pop, step_s):
    """What `engine.simulate` reports, from the kernel's outputs in one call (~40 small numpy calls took
    30 µs, 5 % of a 0.99-sparsity run): rows[a] = action a's count per sample (static rows from the
    per-source counters, dynamic ones in DYN_ACTIONS order at `dyn`), per_pop[i] = spikes of spiking
    population i (its segments pop_seg[pop_ptr[i]:pop_ptr[i + 1]]) and step_s = each step's wall time:
    cycles / clock with the host's serial time of the step (its busiest input port's messages, the output
    messages, its per-step work; in_msgs is the kernel's) added, or beside it when the host overlaps
    (host = (clock_hz, t_in, t_out, per_step_s, overlap, min_step_s)), at least the shortest
    step. Same float operations in the same order as numpy's."""
    S, steps = step_cycles.shape
    clock_hz, t_in, t_out, per_step, overlap, min_step = host
    for i in range(static_rows.shape[0]):
        for s in range(S):
            rows[static_rows[i], s] = counters[s, static_cols[i]]
    for s in range(S):
        active = np.int64(0)
        spikes = np.int64(0)
        for g in range(seg_active.shape[1]):
            active += seg_active[s, g]
            spikes += seg_spikes[s, g]
        hx = np.int64(0)
        hy = np.int64(0)
        for j in range(seg_out.shape[0]):
            hx += seg_spikes[s, seg_out[j]] * out_hops[0, j]
            hy += seg_spikes[s, seg_out[j]] * out_hops[1, j]
        n_in = np.int64(0)
        n_out = np.int64(0)
        for t in range(steps):
            m_in = in_msgs[s, t, 0]   # the busiest input port's messages (ports work in parallel)
            n_in += in_msgs[s, t, 1]
            n_out += out_steps[s, t]
            host_s = m_in * t_in + out_steps[s, t] * t_out + per_step
            chip_s = step_cycles[s, t] / clock_hz
            x = (chip_s if chip_s >= host_s else host_s) if overlap else chip_s + host_s
            step_s[s, t] = x if x >= min_step else min_step
        rows[dyn[0], s] = active
        rows[dyn[1], s] = updates - active
        rows[dyn[2], s] = spikes
        rows[dyn[3], s] = steps
        rows[dyn[4], s] = hx
        rows[dyn[5], s] = hy
        rows[dyn[6], s] = n_in
        rows[dyn[7], s] = n_out + readouts * per
        rows[dyn[8], s] = steps
        rows[dyn[9], s] = steps * n_cores
        rows[dyn[10], s] = per if single else 0
        for i in range(pop_ptr.shape[0] - 1):
            x = np.int64(0)
            for g in range(pop_ptr[i], pop_ptr[i + 1]):
                x += seg_spikes[s, pop_seg[g]]
            per_pop[i, s] = x


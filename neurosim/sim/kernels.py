"""Numba kernel of the event-driven, cycle-approximate chip simulator (timing model: docs/simulator.md).

`run_one` simulates one sample; `run_samples` runs every sample with prange (samples are
independent; a second thread inside one step does not pay, DESIGN §8). Per step t:
- one pass over the sources in node order (each core's spikes of t−1, then the host's input
  events of t): count the delivery, add the weights of the source's rows into the delay slots they
  name, list the source's packets;
(a) packets are routed XY and granted channels (injection, mesh links, ejection) in injection order
    (round robin over sources), each channel busy `ser` cycles per packet;
(b) each destination core serves its deliveries FIFO: row header + word reads + ⌈nnz / lanes⌉
    synaptic ops;
(c) after its last delivery a core updates its neurons (integer leak, saturation, threshold,
    reset) and emits spikes;
(d) the step lasts max over cores of its finish time, plus the barrier.
Action counts that are static per delivered spike (synaptic ops, words, rows, packets, hops,
channel loads) are accumulated per source and multiplied out at the end. Index arrays are unsigned
(signed ones cost 2x in the inner loops); dense rows are added with contiguous (vectorised) loops.
The hot loops are written inline: numba helper functions and array reassignment there cost 3x.
"""

import numba as nb
import numpy as np

from neurosim.sim.plan import N_SRC_STATS


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


@nb.njit(cache=True, boundscheck=False)
def _update_segment(acc, v, bias, fired, slot_base, g0, g1, thr, cmp, delta, sub, state_min, state_max):
    """Integer LIF update of neurons [g0, g1) (one population piece on one core), branch-free on
    local views so that it vectorises; fired[j] = 1 where neuron g0 + j spikes. Returns the number
    of active neurons (input or nonzero state)."""
    m = g1 - g0
    a_ = acc[slot_base + g0:slot_base + g1]
    v_ = v[g0:g1]
    b_ = bias[g0:g1]
    active = np.int64(0)
    for j in range(m):
        inp = np.int64(a_[j]) + b_[j]
        a_[j] = 0
        v0 = v_[j]
        active += (v0 | inp) != 0
        mag = v0 if v0 >= 0 else -v0
        leak = (mag * delta) // 4096          # = (|v|·δ) >> 12 (non-negative)
        x = (v0 - leak if v0 >= 0 else v0 + leak) + inp
        x = state_min if x < state_min else x
        x = state_max if x > state_max else x
        f = x > cmp
        r = x - thr if sub else np.int64(0)
        v_[j] = r if f else x
        fired[j] = f
    return active


@nb.njit(cache=True, boundscheck=False)
def run_one(s, steps, T, in_ptr, in_idx, in_val,
            n_cores, unicast, ser, el_lat, rt_ptr, el_channel, el_parent, max_route,
            src_row_ptr, src_flat, src_delay, src_syn_ptr,
            src_pk_ptr, pk_route, pk_grp, grp_core, grp_el, grp_service,
            row_delay, any_dense, row_dense_lo, row_dense_len, row_dense_ptr, dense_w, row_syn_ptr, syn_post, syn_w,
            src_stats, seg_g0, seg_g1, seg_core, seg_start, seg_thr, seg_cmp, seg_delta, seg_subtract,
            seg_record, bias, state_min, state_max, n_slots,
            c_upd_active, c_upd_idle, c_spike, c_barrier,
            acc, v, counters, step_cycles, core_busy, load, seg_spikes, seg_active, raster, recorded):
    """Simulate sample s (see the module docstring); writes row s of the output arrays."""
    n = v.shape[0]
    n_ch = load.shape[0]
    n_seg = seg_g0.shape[0]
    n_nodes = n_cores + 1
    U1 = np.uint64(1)
    keep_raster = raster.shape[0] > 0
    deliv = np.zeros(n, np.int64)
    free = np.zeros(n_ch, np.float64)
    core_free = np.zeros(n_cores, np.float64)
    work = np.zeros(n_cores, np.float64)
    tarr = np.zeros(max_route, np.float64)
    cur = np.zeros(n + 1, np.uint32)
    nxt = np.zeros(n + 1, np.uint32)
    cur_ptr = np.zeros(n_cores + 1, np.int64)
    nxt_ptr = np.zeros(n_cores + 1, np.int64)
    act = np.zeros(n_nodes, np.int64)
    node_ptr = np.zeros(n_nodes + 1, np.int64)
    max_pk = np.int64(0)                  # most packets one source sends
    for src in range(n):
        max_pk = max(max_pk, np.int64(src_pk_ptr[src + 1] - src_pk_ptr[src]))
    pk_list = np.zeros(min(np.int64(pk_route.shape[0]), np.int64(1 << 16)) + 1, np.uint64)
    rt_used = np.zeros(rt_ptr.shape[0] - 1, np.int64)
    # accumulator base of each delay: sb[d] for spikes of t-1, sb[n_slots + d] for input events of t
    # (one array indexed by an offset: assigning arrays to a variable in the loop costs refcounting)
    sb = np.zeros(2 * n_slots, np.int64)
    max_seg = np.int64(1)
    for sg in range(n_seg):
        max_seg = max(max_seg, np.int64(seg_g1[sg] - seg_g0[sg]))
    fired = np.zeros((max_seg + 7) // 8 * 8, np.bool_)
    f8 = fired.view(np.uint64)            # spikes are compacted 8 flags at a time
    for t in range(steps):
        free[:] = 0.0
        core_free[:] = 0.0
        work[:] = 0.0
        for d in range(n_slots):
            sb[d] = ((t - 1 + d) % n_slots) * n
            sb[n_slots + d] = ((t + d) % n_slots) * n
        a0 = np.int64(0)
        a1 = np.int64(0)
        if t < T:
            a0 = np.int64(in_ptr[s * T + t])
            a1 = np.int64(in_ptr[s * T + t + 1])
        # One pass over the sources in node order (each core's spikes of t-1, then the host's input
        # events of t): count the delivery, add the rows' weights into the delay slots they name
        # (dense rows: contiguous vectorised loop over the target span; others: CSR scatter), and list
        # the source's packets for the timing pass. Written inline: numba helpers cost 3x here.
        n_spk = cur_ptr[n_cores]
        need = (n_spk + a1 - a0) * max_pk
        if need > pk_list.shape[0]:  # grown outside the hot loop (reassigning arrays there costs refcounting)
            pk_list = np.empty(max(need, 2 * pk_list.shape[0]), np.uint64)
        n_pk = np.int64(0)
        node = 0
        node_ptr[0] = 0
        for i in range(n_spk + (a1 - a0)):
            if i < n_spk:
                while i >= cur_ptr[node + 1]:
                    node += 1
                    node_ptr[node] = n_pk
                src = np.uint64(cur[i])
                off = np.uint64(0)
                pay = np.int64(1)
            else:
                if node < n_cores:
                    while node < n_cores:
                        node += 1
                        node_ptr[node] = n_pk
                ii = a0 + i - n_spk
                src = np.uint64(in_idx[ii])
                off = np.uint64(n_slots)
                pay = np.int64(in_val[ii])
            deliv[src] += 1
            if src_flat[src]:  # all rows CSR with one delay: one loop over the source's synapses
                base = np.uint64(sb[off + src_delay[src]])
                if pay == 1:
                    for k in range(src_syn_ptr[src], src_syn_ptr[src + U1]):
                        acc[base + syn_post[k]] += syn_w[k]
                else:
                    for k in range(src_syn_ptr[src], src_syn_ptr[src + U1]):
                        acc[base + syn_post[k]] += syn_w[k] * pay
                rr_end = src_row_ptr[src]
            else:
                rr_end = src_row_ptr[src + U1]
            for rr in range(src_row_ptr[src], rr_end):
                base = np.uint64(sb[off + row_delay[rr]])
                if any_dense and row_dense_len[rr] > 0:
                    dl = np.uint64(row_dense_len[rr])
                    b = base + row_dense_lo[rr]
                    k0 = row_dense_ptr[rr]
                    if pay == 1:
                        for q in range(dl):
                            acc[b + q] += dense_w[k0 + q]
                    else:
                        for q in range(dl):
                            acc[b + q] += dense_w[k0 + q] * pay
                elif pay == 1:
                    for k in range(row_syn_ptr[rr], row_syn_ptr[rr + U1]):
                        acc[base + syn_post[k]] += syn_w[k]
                else:
                    for k in range(row_syn_ptr[rr], row_syn_ptr[rr + U1]):
                        acc[base + syn_post[k]] += syn_w[k] * pay
            p0 = src_pk_ptr[src]
            p1 = src_pk_ptr[src + U1]
            for p in range(p0, p1):
                pk_list[n_pk] = p
                n_pk += 1
        while node < n_nodes:
            node += 1
            node_ptr[node] = n_pk
        n_act = 0
        for node in range(n_nodes):
            if node_ptr[node + 1] > node_ptr[node]:
                act[n_act] = node
                n_act += 1
        # round robin: the k-th packet of every source before any source's (k+1)-th; (b) deliveries
        k = np.int64(0)
        while n_act > 0:
            w_act = 0
            for ai in range(n_act):
                node = act[ai]
                q = node_ptr[node] + k
                p = pk_list[q]
                # route: each channel granted first-come in this order; start = max(head arrival, free);
                # busy `ser` cycles; the head reaches the far end el_lat (the channel's latency) after the start.
                # Deliveries are received `ser` after the head enters the ejection channel; FIFO service.
                r = pk_route[p]
                e0 = rt_ptr[r]
                e1 = rt_ptr[r + U1]
                if unicast:  # a chain: packet p is group p, its ejection the last element
                    ta = 0.0
                    for e in range(e0, e1):
                        ch = el_channel[e]
                        f = free[ch]
                        st = f if f > ta else ta
                        free[ch] = st + ser
                        ta = st + el_lat[e]
                    c = grp_core[p]
                    arr = ta + ser
                    cf = core_free[c]
                    st = cf if cf > arr else arr
                    sv = grp_service[p]
                    core_free[c] = st + sv
                    work[c] += sv
                else:
                    for e in range(np.int64(e1 - e0)):
                        par = el_parent[e0 + np.uint64(e)]
                        ta = 0.0 if par < 0 else tarr[par]
                        ch = el_channel[e0 + np.uint64(e)]
                        f = free[ch]
                        st = f if f > ta else ta
                        free[ch] = st + ser
                        tarr[e] = st + el_lat[e0 + np.uint64(e)]
                    for g in range(pk_grp[p], pk_grp[p + U1]):
                        c = grp_core[g]
                        arr = tarr[grp_el[g]] + ser
                        cf = core_free[c]
                        st = cf if cf > arr else arr
                        sv = grp_service[g]
                        core_free[c] = st + sv
                        work[c] += sv
                if q + 1 < node_ptr[node + 1]:
                    act[w_act] = node
                    w_act += 1
            n_act = w_act
            k += 1
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
            active = _update_segment(acc, v, bias, fired, slot_base, g0, g1, seg_thr[sg], seg_cmp[sg],
                                     seg_delta[sg], seg_subtract[sg], state_min, state_max)
            ns0 = ns
            m = g1 - g0
            for j in range(m, (m + 7) // 8 * 8):
                fired[j] = False
            for w in range((m + 7) // 8):
                x8 = f8[w]
                if x8 != 0:
                    for bit in range(8):
                        nxt[ns] = g0 + w * 8 + bit
                        ns += np.int64((x8 >> np.uint64(8 * bit)) & np.uint64(1))
            rec = seg_record[sg]
            if rec >= 0:
                for j in range(g0, g1):
                    recorded[t, rec + j - g0] = v[j]
            nf = ns - ns0
            if keep_raster:
                for q in range(ns0, ns):
                    raster[t, nxt[q]] = True
            upd = active * c_upd_active + (g1 - g0 - active) * c_upd_idle + nf * c_spike
            core_free[c] += upd
            work[c] += upd
            seg_spikes[sg] += nf
            seg_active[sg] += active
        while cptr <= n_cores:
            nxt_ptr[cptr] = ns
            cptr += 1
        # (d) barrier
        worst = 0.0
        for c in range(n_cores):
            if core_free[c] > worst:
                worst = core_free[c]
            core_busy[c] += work[c]
        step_cycles[t] = worst + c_barrier
        cur, nxt = nxt, cur
        cur_ptr, nxt_ptr = nxt_ptr, cur_ptr
    for src in range(n):
        d = deliv[src]
        if d != 0:
            for k in range(N_SRC_STATS):
                counters[k] += d * src_stats[src, k]
    # channel loads: every delivered source sent each of its packets once along its route
    for src in range(n):
        d = deliv[src]
        if d != 0:
            for p in range(src_pk_ptr[src], src_pk_ptr[src + U1]):
                rt_used[pk_route[p]] += d
    for r in range(rt_used.shape[0]):
        u = rt_used[r]
        if u != 0:
            for e in range(rt_ptr[r], rt_ptr[r + 1]):
                load[el_channel[e]] += u


@nb.njit(cache=True, parallel=True)
def run_samples(steps, T, in_ptr, in_idx, in_val,
                n_cores, unicast, ser, el_lat, rt_ptr, el_channel, el_parent, max_route,
                src_row_ptr, src_flat, src_delay, src_syn_ptr,
                src_pk_ptr, pk_route, pk_grp, grp_core, grp_el, grp_service,
                row_delay, any_dense, row_dense_lo, row_dense_len, row_dense_ptr, dense_w, row_syn_ptr, syn_post, syn_w,
                src_stats, seg_g0, seg_g1, seg_core, seg_start, seg_thr, seg_cmp, seg_delta, seg_subtract,
                seg_record, bias, state_min, state_max, n_slots,
                c_upd_active, c_upd_idle, c_spike, c_barrier,
                acc_all, v_all, counters, step_cycles, core_busy, ch_load, seg_spikes, seg_active,
                raster, recorded):
    """Every sample in parallel (prange); outputs are indexed by sample (raster (S, 0, 0) = not kept)."""
    for s in nb.prange(counters.shape[0]):
        run_one(s, steps, T, in_ptr, in_idx, in_val,
                n_cores, unicast, ser, el_lat, rt_ptr, el_channel, el_parent, max_route,
                src_row_ptr, src_flat, src_delay, src_syn_ptr,
                src_pk_ptr, pk_route, pk_grp, grp_core, grp_el, grp_service,
                row_delay, any_dense, row_dense_lo, row_dense_len, row_dense_ptr, dense_w, row_syn_ptr, syn_post, syn_w,
                src_stats, seg_g0, seg_g1, seg_core, seg_start, seg_thr, seg_cmp, seg_delta, seg_subtract,
                seg_record, bias, state_min, state_max, n_slots,
                c_upd_active, c_upd_idle, c_spike, c_barrier,
                acc_all[s], v_all[s], counters[s], step_cycles[s], core_busy[s], ch_load[s], seg_spikes[s],
                seg_active[s], raster[s], recorded[s])
    return 0

"""Numba kernel of the event-driven, cycle-approximate chip simulator (timing model: docs/simulator.md).

One call runs every sample (prange over samples: samples are independent; a second thread inside
one step does not pay, DESIGN §8). Per step t:
(a) sources (each core with the spikes it emitted at t−1, the host port with the input events of
    frame t) inject their packets; packets are routed and granted channels in injection order
    (round robin over sources, `_route`), each channel busy `ser` cycles per packet;
(b) each destination core serves its deliveries FIFO (`_serve`): row header + word reads +
    ⌈nnz / lanes⌉ synaptic ops, and the rows' weights are added into the delay slot they name;
(c) after its last delivery a core updates its neurons (integer leak, saturation, threshold,
    reset) and emits spikes;
(d) the step lasts max over cores of its finish time, plus the barrier.
Action counts that are static per delivered spike (synaptic ops, words, rows, packets, hops) are
accumulated per source and multiplied out at the end. Index arrays are unsigned (signed ones cost
2x in the inner loops); dense rows are added with contiguous (vectorised) loops.
"""

import numba as nb
import numpy as np

from neurosim.sim.plan import N_SRC_STATS


@nb.njit(cache=True, inline="always")
def _route(p, pk_route, rt_ptr, el_channel, el_parent, ch_lat, ser, free, load, tarr):
    """Route packet p (ready at cycle 0 of the step) through its channel tree. Each channel is granted
    first-come in processing order: start = max(head arrival, channel free); the channel is then busy
    `ser` cycles and the head reaches the next router `ch_lat` cycles after the start.
    tarr[e] = head arrival at the far end of element e."""
    r = pk_route[p]
    e0 = rt_ptr[r]
    ne = np.int64(rt_ptr[r + np.uint64(1)] - e0)
    for e in range(ne):
        par = el_parent[e0 + np.uint64(e)]
        a = 0.0 if par < 0 else tarr[par]
        ch = el_channel[e0 + np.uint64(e)]
        f = free[ch]
        st = f if f > a else a
        free[ch] = st + ser
        tarr[e] = st + ch_lat[ch]
        load[ch] += 1


@nb.njit(cache=True, inline="always")
def _serve(c, arrival, service, core_free, work):
    """FIFO service at core c of a delivery fully received at `arrival`."""
    cf = core_free[c]
    st = cf if cf > arrival else arrival
    core_free[c] = st + service
    work[c] += service


@nb.njit(cache=True, inline="always")
def _next_item(node, n_cores, i, i_end, cur, in_idx, src_pk_ptr):
    """First index >= i of the node's item list whose source sends at least one packet."""
    U1 = np.uint64(1)
    while i < i_end:
        src = np.uint64(cur[i]) if node < n_cores else np.uint64(in_idx[i])
        if src_pk_ptr[src + U1] > src_pk_ptr[src]:
            return i
        i += 1
    return i_end


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
            n_cores, ser, ch_lat, rt_ptr, el_channel, el_parent, max_route,
            src_pk_ptr, pk_route, pk_grp, grp_core, grp_el, grp_service, grp_row_ptr,
            row_delay, row_dense_lo, row_dense_len, row_dense_ptr, dense_w, row_syn_ptr, syn_post, syn_w,
            src_stats, seg_g0, seg_g1, seg_core, seg_start, seg_thr, seg_cmp, seg_delta, seg_subtract,
            seg_record, bias, state_min, state_max, n_slots,
            c_upd_active, c_upd_idle, c_spike, c_barrier,
            acc, v, counters, step_cycles, core_busy, load, seg_spikes, seg_active, raster, recorded):
    """Simulate sample s (see the module docstring); writes row s of the output arrays."""
    n = v.shape[0]
    n_ch = ch_lat.shape[0]
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
    c_i = np.zeros(n_nodes, np.int64)
    c_end = np.zeros(n_nodes, np.int64)
    c_p = np.zeros(n_nodes, np.uint64)
    c_pend = np.zeros(n_nodes, np.uint64)
    sb_spk = np.zeros(n_slots, np.int64)   # accumulator base of each delay, for spikes of t-1
    sb_in = np.zeros(n_slots, np.int64)    # ... and for input events of t
    max_seg = np.int64(1)
    for sg in range(n_seg):
        max_seg = max(max_seg, np.int64(seg_g1[sg] - seg_g0[sg]))
    fired = np.zeros(max_seg, np.bool_)
    for t in range(steps):
        free[:] = 0.0
        core_free[:] = 0.0
        work[:] = 0.0
        for d in range(n_slots):
            sb_spk[d] = ((t - 1 + d) % n_slots) * n
            sb_in[d] = ((t + d) % n_slots) * n
        a0 = np.int64(0)
        a1 = np.int64(0)
        if t < T:
            a0 = np.int64(in_ptr[s * T + t])
            a1 = np.int64(in_ptr[s * T + t + 1])
        for i in range(cur_ptr[n_cores]):
            deliv[cur[i]] += 1
        for i in range(a0, a1):
            deliv[in_idx[i]] += 1
        # (a) sources with packets, in node order (cores, then the host port)
        n_act = 0
        for node in range(n_nodes):
            i0 = cur_ptr[node] if node < n_cores else a0
            i1 = cur_ptr[node + 1] if node < n_cores else a1
            i0 = _next_item(node, n_cores, i0, i1, cur, in_idx, src_pk_ptr)
            if i0 < i1:
                src = np.uint64(cur[i0]) if node < n_cores else np.uint64(in_idx[i0])
                c_i[node] = i0
                c_end[node] = i1
                c_p[node] = src_pk_ptr[src]
                c_pend[node] = src_pk_ptr[src + U1]
                act[n_act] = node
                n_act += 1
        # round robin: the k-th packet of every source before any source's (k+1)-th
        while n_act > 0:
            w_act = 0
            for ai in range(n_act):
                node = act[ai]
                i = c_i[node]
                p = c_p[node]
                is_core = node < n_cores
                payload = np.int64(1) if is_core else np.int64(in_val[i])
                sb = sb_spk if is_core else sb_in
                _route(p, pk_route, rt_ptr, el_channel, el_parent, ch_lat, ser, free, load, tarr)
                # (b) deliveries of this packet
                for g in range(pk_grp[p], pk_grp[p + U1]):
                    _serve(grp_core[g], tarr[grp_el[g]] + ser, grp_service[g], core_free, work)
                    for rr in range(grp_row_ptr[g], grp_row_ptr[g + U1]):
                        base = sb[row_delay[rr]]
                        dl = np.int64(row_dense_len[rr])
                        if dl > 0:
                            b = base + np.int64(row_dense_lo[rr])
                            k0 = np.int64(row_dense_ptr[rr])
                            a_ = acc[b:b + dl]
                            w_ = dense_w[k0:k0 + dl]
                            if payload == 1:
                                for q in range(dl):
                                    a_[q] += w_[q]
                            else:
                                for q in range(dl):
                                    a_[q] += w_[q] * payload
                        else:
                            k1 = row_syn_ptr[rr + U1]
                            if payload == 1:
                                for k in range(row_syn_ptr[rr], k1):
                                    acc[base + syn_post[k]] += syn_w[k]
                            else:
                                for k in range(row_syn_ptr[rr], k1):
                                    acc[base + syn_post[k]] += syn_w[k] * payload
                # advance this source's cursor
                p += U1
                if p == c_pend[node]:
                    i = _next_item(node, n_cores, i + 1, c_end[node], cur, in_idx, src_pk_ptr)
                    if i == c_end[node]:
                        continue
                    src = np.uint64(cur[i]) if is_core else np.uint64(in_idx[i])
                    p = src_pk_ptr[src]
                    c_pend[node] = src_pk_ptr[src + U1]
                    c_i[node] = i
                c_p[node] = p
                act[w_act] = node
                w_act += 1
            n_act = w_act
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
            for j in range(g0, g1):
                nxt[ns] = j
                ns += fired[j - g0]
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


@nb.njit(cache=True, parallel=True)
def run_samples(steps, T, in_ptr, in_idx, in_val,
                n_cores, ser, ch_lat, rt_ptr, el_channel, el_parent, max_route,
                src_pk_ptr, pk_route, pk_grp, grp_core, grp_el, grp_service, grp_row_ptr,
                row_delay, row_dense_lo, row_dense_len, row_dense_ptr, dense_w, row_syn_ptr, syn_post, syn_w,
                src_stats, seg_g0, seg_g1, seg_core, seg_start, seg_thr, seg_cmp, seg_delta, seg_subtract,
                seg_record, bias, state_min, state_max, n_slots,
                c_upd_active, c_upd_idle, c_spike, c_barrier,
                acc_all, v_all, counters, step_cycles, core_busy, ch_load, seg_spikes, seg_active,
                raster, recorded):
    """Every sample in parallel (prange); outputs are indexed by sample (raster (S, 0, 0) = not kept)."""
    for s in nb.prange(counters.shape[0]):
        run_one(s, steps, T, in_ptr, in_idx, in_val,
                n_cores, ser, ch_lat, rt_ptr, el_channel, el_parent, max_route,
                src_pk_ptr, pk_route, pk_grp, grp_core, grp_el, grp_service, grp_row_ptr,
                row_delay, row_dense_lo, row_dense_len, row_dense_ptr, dense_w, row_syn_ptr, syn_post, syn_w,
                src_stats, seg_g0, seg_g1, seg_core, seg_start, seg_thr, seg_cmp, seg_delta, seg_subtract,
                seg_record, bias, state_min, state_max, n_slots,
                c_upd_active, c_upd_idle, c_spike, c_barrier,
                acc_all[s], v_all[s], counters[s], step_cycles[s], core_busy[s], ch_load[s], seg_spikes[s],
                seg_active[s], raster[s], recorded[s])
    return 0

"""Numba kernel of the event-driven, cycle-approximate chip simulator.

One call runs every sample (prange over samples: samples are independent, DESIGN §8). Per step:
(a) every spike of the previous step and every input event of this step sends one packet per
destination core, routed XY; (b) each destination core serves its rows (row header + word reads
+ synaptic ops / lanes), adding weights into the delay slot the row names; (c) every neuron whose
window has begun is updated (integer leak, saturation, threshold, reset) and emits spikes;
(d) a barrier ends the step. Index arrays are unsigned (signed ones cost 2x in the inner loops).
"""

import numba as nb
import numpy as np

# indices into the per-sample counter array
SYN_OPS, WORD_READS, ROWS, PACKETS, HOPS_X, HOPS_Y, UPD_ACTIVE, UPD_IDLE, SPIKES, BARRIERS = range(10)
N_COUNTERS = 10


@nb.njit(cache=True, parallel=True, boundscheck=False)
def run_samples(steps, T, in_ptr, in_idx, in_val,
                src_row_ptr, row_core, row_delay, row_words, row_syn_ptr, syn_post, syn_weight,
                neuron_core, is_input, start_step, threshold, delta, subtract, fire_eq, spiking, bias,
                state_min, state_max, core_x, core_y, port_x, port_y,
                c_header, c_word, c_sop, lanes, c_upd_active, c_upd_idle, c_spike, c_hop_x, c_hop_y,
                c_serial, c_barrier, n_slots, record_idx,
                counters, step_cycles, core_busy, raster, recorded):
    n_samples = counters.shape[0]
    n = threshold.shape[0]
    n_cores = core_x.shape[0]
    U1 = np.uint64(1)
    for s in nb.prange(n_samples):
        v = np.zeros(n, np.int64)
        acc = np.zeros((n_slots, n), np.int64)
        busy = np.zeros(n_cores, np.float64)
        cur = np.zeros(n + 1, np.uint32)   # spikes emitted in the previous step
        nxt = np.zeros(n + 1, np.uint32)
        n_cur = 0
        cnt = counters[s]
        for t in range(steps):
            for c in range(n_cores):
                busy[c] = 0.0
            max_lat = 0.0
            # (a)+(b): input events of frame t (emitted at t) and spikes of step t-1 (emitted at t-1)
            n_in = np.int64(0)
            a0 = np.int64(0)
            if t < T:
                a0 = np.int64(in_ptr[s * T + t])
                n_in = np.int64(in_ptr[s * T + t + 1]) - a0
            for e in range(n_in + n_cur):
                if e < n_in:
                    a = a0 + e
                    src = np.uint64(in_idx[a])
                    payload = np.int64(in_val[a])
                    t_emit = t
                else:
                    src = np.uint64(cur[e - n_in])
                    payload = np.int64(1)
                    t_emit = t - 1
                if is_input[src]:
                    sx, sy = port_x, port_y
                else:
                    sc = neuron_core[src]
                    sx, sy = core_x[sc], core_y[sc]
                last = np.int64(-1)
                for r in range(src_row_ptr[src], src_row_ptr[src + U1]):
                    c = row_core[r]
                    if np.int64(c) != last:
                        last = np.int64(c)
                        dx = abs(core_x[c] - sx)
                        dy = abs(core_y[c] - sy)
                        cnt[PACKETS] += 1
                        cnt[HOPS_X] += dx
                        cnt[HOPS_Y] += dy
                        lat = dx * c_hop_x + dy * c_hop_y + c_serial
                        if lat > max_lat:
                            max_lat = lat
                    slot = (t_emit + np.int64(row_delay[r])) % n_slots
                    k0 = row_syn_ptr[r]
                    k1 = row_syn_ptr[r + U1]
                    for k in range(k0, k1):
                        acc[slot, syn_post[k]] += payload * syn_weight[k]
                    nnz = np.int64(k1 - k0)
                    cnt[ROWS] += 1
                    cnt[WORD_READS] += row_words[r]
                    cnt[SYN_OPS] += nnz
                    busy[c] += c_header + row_words[r] * c_word + np.ceil(nnz / lanes) * c_sop
            # (c) neuron updates
            slot = t % n_slots
            n_nxt = 0
            for j in range(n):
                if is_input[j] or t < start_step[j]:
                    continue
                inp = acc[slot, j] + bias[j]
                acc[slot, j] = 0
                v0 = v[j]
                c = neuron_core[j]
                if v0 != 0 or inp != 0:
                    cnt[UPD_ACTIVE] += 1
                    busy[c] += c_upd_active
                else:
                    cnt[UPD_IDLE] += 1
                    busy[c] += c_upd_idle
                leak = (abs(v0) * delta[j]) >> 12
                x = v0 - leak + inp if v0 >= 0 else v0 + leak + inp
                if x > state_max:
                    x = state_max
                elif x < state_min:
                    x = state_min
                if spiking[j]:
                    fire = x >= threshold[j] if fire_eq[j] else x > threshold[j]
                    if fire:
                        nxt[n_nxt] = j
                        n_nxt += 1
                        cnt[SPIKES] += 1
                        busy[c] += c_spike
                        if raster.shape[0] > 0:
                            raster[s, t, j] = True
                        x = x - threshold[j] if subtract[j] else 0
                v[j] = x
            for i in range(record_idx.shape[0]):
                recorded[s, t, i] = v[record_idx[i]]
            # (d) barrier: the step lasts as long as the slowest core plus the longest packet flight
            worst = 0.0
            for c in range(n_cores):
                if busy[c] > worst:
                    worst = busy[c]
                core_busy[s, c] += busy[c]
            step_cycles[s, t] = worst + max_lat + c_barrier
            cnt[BARRIERS] += 1
            cur, nxt = nxt, cur
            n_cur = n_nxt
    return 0

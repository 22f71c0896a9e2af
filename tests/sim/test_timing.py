"""Hand-computed checks of the timing model (docs/simulator.md) and NoC accounting invariants."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, reject, settings
from hypothesis import strategies as st

from neurosim.errors import FitError
from neurosim.ir import Network, Neuron, Population, Projection
from neurosim.mapper import compile_network
from neurosim.sim import simulate
from neurosim.sim.plan import E, mesh_link, xy_links

from .chips import chip
from .nets import random_inputs, random_network

LIF = Neuron(decay=1.0, threshold=3.0)
READOUT = Neuron(decay=1.0, spiking=False)


def proj(pre, post, pairs, w=5):
    pre_idx, post_idx = zip(*pairs, strict=True)
    return Projection(pre, post, np.array(pre_idx), np.array(post_idx), np.full(len(pairs), w, np.int32))


def placed(net, hw, xy):
    """Compile, then pin the placement (the mapper may place by traffic; these tests fix it by hand)."""
    comp = compile_network(net, hw)
    comp.router_xy = np.array(xy, np.int64)
    return comp


def test_two_packets_contend_for_one_link():
    """Cores at x = 0, 1, 2 of a 3x1 mesh; at step 1 cores 0 and 1 both send to core 2 and meet on
    link (1,0)E. ser = 32/16 = 2, hop_x = 3, service per delivery 2 + 2·1 + 1 = 5, barrier 10."""
    net = Network([Population("in", 1), Population("h", 2, neuron=LIF), Population("out", 1, neuron=READOUT)],
                  [proj("in", "h", [(0, 0), (0, 1)]), proj("h", "out", [(0, 0), (1, 0)], w=1)],
                  integer=True, state_bits=16)
    hw = chip(max_neurons=1, cols=3, rows=1, formats=("sparse",), noc={"hop_x_cycles": 3.0})
    comp = placed(net, hw, [[0, 0], [1, 0], [2, 0]])
    assert comp.row_words.tolist() == [2, 2, 2, 2]   # 32 header + 1 x (8 + 1) bits -> 2 words of 32
    res = simulate(comp, np.ones((1, 1, 1), np.int32))
    # step 0: host sends to core 0 (inj 0-2, arrives 2) then core 1 (inj 2-4, link (0,0)E at 2, head at
    # (1,0) at 5, ejection 5-7, arrives 7). Core 0: 2 + 5 service + 2 update + 1 spike = 10;
    # core 1: 7 + 5 + 2 + 1 = 15; out not started. Step = 15 + 10.
    # step 1: core 0's packet: inj 0, link (0,0)E 0-2 (head at (1,0) at 3), link (1,0)E 3-5 (head at 6),
    # ejection 6-8 -> arrives 8. Core 1's packet: link (1,0)E busy until 5 -> 5-7, head at 8, ejection
    # 8-10 -> arrives 10. Core 2 serves 8-13 and 13-18, updates out (active, 2): 20. Step = 20 + 10.
    np.testing.assert_array_equal(res.step_cycles, [[25.0, 30.0]])
    np.testing.assert_array_equal(res.core_busy_cycles, [[5 + 2 + 1 + 1, 5 + 2 + 1 + 1, 5 + 5 + 2]])
    loads = res.link_load_mesh()[0]              # (rows, cols, 4)
    assert loads[0, 0, E] == 2 and loads[0, 1, E] == 2 and loads.sum() == 4
    assert res.counts["packets"][0] == 4 and res.counts["hops_x"][0] == 4 and res.counts["hops_y"][0] == 0
    assert res.injected[0].tolist() == [1, 1, 0, 2] and res.delivered[0].tolist() == [1, 1, 2]
    assert res.latency_s()[0] == pytest.approx((25 + 30) / 1e9)


def test_without_contention_the_packet_does_not_wait():
    """Same chip, only core 0 sends at step 1: arrives at 8, served 8-13, update 2, step 15 + 10."""
    net = Network([Population("in", 1), Population("h", 2, neuron=LIF), Population("out", 1, neuron=READOUT)],
                  [proj("in", "h", [(0, 0), (0, 1)]), proj("h", "out", [(0, 0)], w=1)],
                  integer=True, state_bits=16)
    hw = chip(max_neurons=1, cols=3, rows=1, formats=("sparse",), noc={"hop_x_cycles": 3.0})
    res = simulate(placed(net, hw, [[0, 0], [1, 0], [2, 0]]), np.ones((1, 1, 1), np.int32))
    assert res.step_cycles[0, 1] == 25.0


def test_core_serves_a_burst_fifo():
    """Four input spikes from the host port at (0,0) to one core at (0,0): arrivals 2, 4, 6, 8 (injection
    serialised, ser 2); services 2 + 2 words·3 + ⌈nnz/2⌉ = 10, 9, 9, 10 for nnz 3, 2, 1, 3; FIFO
    2-12, 12-21, 21-30, 30-40; then 3 active updates (2 each): 46; step 46 + barrier 10."""
    pairs = [(0, 0), (0, 1), (0, 2), (1, 0), (1, 2), (2, 1), (3, 0), (3, 1), (3, 2)]
    net = Network([Population("in", 4), Population("h", 3, neuron=Neuron(decay=1.0, threshold=1000.0))],
                  [proj("in", "h", pairs, w=1)], integer=True, state_bits=16)
    hw = chip(max_neurons=4, cols=2, rows=2, lanes=2, formats=("sparse",), timing={"word_read_cycles": 3.0})
    comp = placed(net, hw, [[0, 0]])
    assert comp.row_words.tolist() == [2, 2, 2, 2]   # 32 + nnz x (8 + 2) bits <= 64
    res = simulate(comp, np.ones((1, 1, 4), np.int32))
    np.testing.assert_array_equal(res.step_cycles, [[56.0]])
    np.testing.assert_array_equal(res.core_busy_cycles, [[10 + 9 + 9 + 10 + 3 * 2]])
    assert res.counts["synaptic_ops"][0] == 9 and res.counts["word_reads"][0] == 8
    assert res.counts["rows_served"][0] == 4 and res.counts["packets"][0] == 4


def test_multicast_tree_crosses_shared_link_once():
    """Host at (0,0) sends one input spike to cores at (1,0) and (1,1) (2x2 mesh, max 1 neuron per core,
    placed: core 0 (0,0), 1 (1,0), 2 (1,1), 3 (0,1)). Unicast: 2 packets, hops 1 + 2. Tree: 1 packet,
    links (0,0)E and (1,0)N once each."""
    net = Network([Population("in", 1), Population("h", 4, neuron=LIF)],
                  [proj("in", "h", [(0, 1), (0, 2)])], integer=True, state_bits=16)
    x = np.ones((1, 1, 1), np.int32)
    xy = [[0, 0], [1, 0], [1, 1], [0, 1]]
    uni = simulate(placed(net, chip(max_neurons=1, cols=2, rows=2, formats=("sparse",)), xy), x)
    tree = simulate(placed(net, chip(max_neurons=1, cols=2, rows=2, formats=("sparse",), multicast="tree"), xy), x)
    assert uni.counts["packets"][0] == 2 and uni.counts["hops_x"][0] + uni.counts["hops_y"][0] == 3
    assert tree.counts["packets"][0] == 1 and tree.counts["hops_x"][0] + tree.counts["hops_y"][0] == 2
    assert tree.counts["deliveries"][0] == 2 and tree.delivered[0].tolist() == [0, 1, 1, 0]
    # unicast: packet 2 waits for the injection channel (starts at 2): head (1,0) at 3, (1,1) at 4,
    # arrives 6; tree: (1,0) head at 1 -> arrives 3; (1,1) head at 2 -> arrives 4.
    # service 2 + 2 + 1 = 5; update 2 + spike 1 (v = 5 > 3): unicast 6 + 5 + 3 = 14, tree 4 + 5 + 3 = 12.
    assert uni.step_cycles[0, 0] == 14 + 10 and tree.step_cycles[0, 0] == 12 + 10


def manhattan_expectation(comp, inputs, raster, steps, tree: bool):
    """Independent count of (packets, hops, deliveries) per sample from the compiled tables: a spike of
    step t is sent at t + 1 (< steps), an input event at its frame; unicast hops = Manhattan distance
    per destination core, tree hops = distinct links of the union of XY routes."""
    hw = comp.hardware
    net = comp.network
    n = int(net.offsets[-1])
    cols = hw.mesh.cols
    ptr = comp.src_row_ptr.astype(np.int64)
    port = np.array(hw.host.router)
    stats = np.zeros((n, 3), np.int64)
    for src in range(n):
        dests = sorted(set(comp.row_core[ptr[src]:ptr[src + 1]].tolist()))
        if not dests:
            continue
        sxy = port if comp.neuron_core[src] < 0 else comp.router_xy[comp.neuron_core[src]]
        if tree:
            links = {lk for c in dests for lk in xy_links(*sxy, *comp.router_xy[c], cols)}
            stats[src] = (1, len(links), len(dests))
        else:
            hops = sum(int(np.abs(comp.router_xy[c] - sxy).sum()) for c in dests)
            stats[src] = (len(dests), hops, len(dests))
    (inp,) = net.inputs
    i0 = net.offsets[net.index(inp.name)]
    sent = raster[:, :steps - 1].sum(axis=1).astype(np.int64)
    sent[:, i0:i0 + inp.size] += (inputs != 0).sum(axis=1)
    return sent @ stats


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 10_000), n_hidden=st.integers(1, 3), max_neurons=st.integers(1, 5),
       cpr=st.integers(1, 2), tree=st.booleans(), port=st.sampled_from([(0, 0), (3, 2), (1, 4)]))
def test_hops_are_manhattan_and_packets_are_conserved(seed, n_hidden, max_neurons, cpr, tree, port):
    net = random_network(seed, n_hidden, True, True, False, True, 0.6)
    hw = chip(max_neurons=max_neurons, cols=6, rows=6, cores_per_router=cpr,
              multicast="tree" if tree else "unicast", input_router=port)
    comp = compile_network(net, hw)
    inputs = random_inputs(seed, 2, 5, net.populations[0].size, graded=False)
    res = simulate(comp, inputs, record_raster=True)
    exp = manhattan_expectation(comp, inputs, res.raster, res.steps, tree)
    hops = res.counts["hops_x"] + res.counts["hops_y"]
    np.testing.assert_array_equal(res.counts["packets"], exp[:, 0])
    np.testing.assert_array_equal(hops, exp[:, 1])
    np.testing.assert_array_equal(res.counts["deliveries"], exp[:, 2])
    # conservation: every packet injected is delivered (unicast: once; tree: once per destination core);
    # every hop is a link traversal
    np.testing.assert_array_equal(res.injected.sum(axis=1), res.counts["packets"])
    np.testing.assert_array_equal(res.delivered.sum(axis=1), res.counts["deliveries"])
    np.testing.assert_array_equal(res.link_loads.sum(axis=1), hops)
    # no load on links that leave the mesh
    mesh = res.link_load_mesh()
    assert mesh[:, :, -1, E].sum() == 0 and mesh[:, -1, :, 2].sum() == 0
    assert mesh[:, :, 0, 1].sum() == 0 and mesh[:, 0, :, 3].sum() == 0
    # step time is at least the busiest core's work plus the barrier
    assert np.all(res.step_cycles.sum(axis=1) >= res.core_busy_cycles.max(axis=1))


def test_mesh_link_ids():
    assert xy_links(0, 0, 2, 1, 3) == [mesh_link(0, 0, 0, 3), mesh_link(1, 0, 0, 3), mesh_link(2, 0, 2, 3)]
    assert xy_links(2, 1, 0, 0, 3) == [mesh_link(2, 1, 1, 3), mesh_link(1, 1, 1, 3), mesh_link(0, 1, 3, 3)]


def python_step_cycles(comp, inputs, raster, steps):
    """The timing model of docs/simulator.md written plainly in Python from the chip's tables (for
    chips whose active and idle neuron updates cost the same, so the update term needs no state):
    returns (step_cycles (S, steps), core_busy (S, cores))."""
    hw, net = comp.hardware, comp.network
    tm, noc = hw.timing, hw.noc
    ser = -(-noc.packet_bits // noc.link_width_bits)
    send = tm.packet_send_cycles.value
    host_int = max(ser, hw.host.input_message_s.value * 1e9) if hw.host.overlap else ser  # 1 GHz test clock
    cols, nc = hw.mesh.cols, comp.n_cores
    port = tuple(hw.host.router)
    xy = [tuple(p) for p in comp.router_xy.tolist()] + [port]
    lat = {}
    for x in range(cols):
        for y in range(hw.mesh.rows):
            for d in range(4):
                lat[mesh_link(x, y, d, cols)] = noc.hop_x_cycles.value if d < 2 else noc.hop_y_cycles.value
    ptr = comp.src_row_ptr.astype(int)
    syn = comp.row_syn_ptr.astype(int)
    (inp,) = net.inputs
    i0 = int(net.offsets[net.index(inp.name)])
    stages = net.stages()
    upd = tm.neuron_update_active_cycles.value
    started = np.zeros((steps, nc))
    for ci, chunks in enumerate(comp.cores):
        for c in chunks:
            for t in range(stages[c.population], steps):
                started[t, ci] += c.neurons

    def service(src, core):
        out = 0.0
        for r in range(ptr[src], ptr[src + 1]):
            if comp.row_core[r] == core:
                nnz = syn[r + 1] - syn[r]
                out += (tm.row_header_cycles.value + comp.row_words[r] * tm.word_read_cycles.value
                        + -(-nnz // tm.synaptic_lanes) * tm.synaptic_op_cycles.value)
        return out

    S = inputs.shape[0]
    cyc, busy = np.zeros((S, steps)), np.zeros((S, nc))
    for s in range(S):
        for t in range(steps):
            queues = []   # per node: list of (src, destination cores of the packet)
            for node in range(nc + 1):
                if node < nc:
                    srcs = [j for j in np.nonzero(raster[s, t - 1])[0] if comp.neuron_core[j] == node] if t else []
                else:
                    srcs = [i0 + i for i in np.nonzero(inputs[s, t])[0]] if t < inputs.shape[1] else []
                q = []   # (src, destinations, release time at the node)
                for m, src in enumerate(srcs):
                    dests = sorted(set(comp.row_core[ptr[src]:ptr[src + 1]].tolist()))
                    groups = ([dests] if dests else []) if noc.multicast == "tree" else [[d] for d in dests]
                    for g in groups:
                        k = len(q)
                        q.append((src, g, max(k * ser, m * host_int) if node == nc else k * max(ser, send)))
                queues.append(q)
            free, core_free, work = {}, np.zeros(nc), np.zeros(nc)
            for node in range(nc):   # a core sends its packets before it serves any delivery
                core_free[node] = work[node] = len(queues[node]) * send
            for k in range(max(len(q) for q in queues)):
                for node, q in enumerate(queues):
                    if k >= len(q):
                        continue
                    src, dests, a0 = q[k]
                    head = {}  # channel -> head time at its far end

                    def grant(ch, a, head=head, free=free):
                        st = max(a, free.get(ch, 0.0))
                        free[ch] = st + ser
                        head[ch] = st + lat.get(ch, 0.0)
                        return head[ch]
                    for d in dests:
                        a = a0
                        for lk in xy_links(*xy[node], *xy[d], cols):
                            a = head[lk] if lk in head else grant(lk, a)
                        arr = grant(("ej", d), a) + ser
                        sv = service(src, d)
                        core_free[d] = max(arr, core_free[d]) + sv
                        work[d] += sv
            spikes = np.bincount(comp.neuron_core[raster[s, t]], minlength=nc)
            fin = core_free + started[t] * upd + spikes * tm.spike_emit_cycles.value
            work += started[t] * upd + spikes * tm.spike_emit_cycles.value
            cyc[s, t] = fin.max() + noc.barrier_cycles.value
            busy[s] += work
    return cyc, busy


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 10_000), n_hidden=st.integers(1, 3), max_neurons=st.integers(1, 4),
       cpr=st.integers(1, 2), tree=st.booleans(), port=st.sampled_from([(0, 0), (2, 3), (4, 1)]),
       ser=st.tuples(st.sampled_from([8, 16, 32]), st.sampled_from([8, 16])),
       costs=st.tuples(*(st.integers(0, 4) for _ in range(7))), lanes=st.integers(1, 3),
       send=st.integers(0, 5), host_msg=st.sampled_from([None, 1, 7]))
def test_kernel_timing_equals_plain_python_model(seed, n_hidden, max_neurons, cpr, tree, port, ser, costs, lanes,
                                                 send, host_msg):
    hx, hy, hdr, word, sop, upd, spk = costs
    net = random_network(seed, n_hidden, True, True, True, True, 0.6)
    hw = chip(max_neurons=max_neurons, cols=5, rows=5, cores_per_router=cpr, multicast="tree" if tree else "unicast",
              input_router=port, packet_bits=ser[0], link_width_bits=ser[1], lanes=lanes,
              timing={"row_header_cycles": hdr, "word_read_cycles": word, "synaptic_op_cycles": sop + 1,
                      "neuron_update_active_cycles": upd, "neuron_update_idle_cycles": upd,
                      "spike_emit_cycles": spk, "packet_send_cycles": send},
              noc={"hop_x_cycles": hx, "hop_y_cycles": hy, "barrier_cycles": 7.0},
              host=None if host_msg is None else {"input_message_s": host_msg * 1e-9, "overlap": True})
    try:
        comp = compile_network(net, hw)
    except FitError:  # a random network that does not fit this small mesh
        reject()
    inputs = random_inputs(seed, 2, 4, net.populations[0].size, graded=False)
    res = simulate(comp, inputs, record_raster=True)
    cyc, busy = python_step_cycles(comp, inputs, res.raster, res.steps)
    np.testing.assert_array_equal(res.step_cycles, cyc)
    np.testing.assert_array_equal(res.core_busy_cycles, busy)

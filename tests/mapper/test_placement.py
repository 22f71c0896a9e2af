"""Placement: the traffic cost of both placers against an independent recomputation, and the
traffic-aware placer never worse than the serpentine baseline (DESIGN §5)."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from neurosim.ir import Projection
from neurosim.mapper import compile_network, profile_rates
from neurosim.mapper.placement import serpentine

from .conftest import chip, integer_net


def small_chip(cols, rows, cpr, port=(0, 0), max_neurons=16):
    hw = chip(max_neurons=max_neurons, synapse_formats=("dense", "sparse", "bitmap"), weight_sharing=False)
    return replace(hw, mesh=replace(hw.mesh, cols=cols, rows=rows, cores_per_router=cpr),
                   host=replace(hw.host, router=tuple(port)))


def random_net(rng, sizes, density):
    names = ["input"] + [f"l{i}" for i in range(1, len(sizes))]
    projs = []
    for i in range(1, len(sizes)):
        w = rng.integers(-5, 6, size=(sizes[i - 1], sizes[i])) * (rng.random((sizes[i - 1], sizes[i])) < density)
        projs.append(Projection.from_dense(names[i - 1], names[i], w.astype(np.int32), kind="sparse"))
    return integer_net(list(zip(names, sizes, strict=True)), projs)


def independent_cost(c, rates):
    """Σ over (source neuron, destination core) pairs of rate × Manhattan hops, by plain loops."""
    port = np.array(c.hardware.host.router)
    total = 0.0
    for s in range(c.src_row_ptr.size - 1):
        dests = {int(c.row_core[r]) for r in range(int(c.src_row_ptr[s]), int(c.src_row_ptr[s + 1]))}
        home = port if c.neuron_core[s] < 0 else c.router_xy[c.neuron_core[s]]
        for d in dests:
            total += rates[s] * np.abs(home - c.router_xy[d]).sum()
    return total


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 10_000), cols=st.integers(1, 4), rows=st.integers(1, 4), cpr=st.integers(1, 2),
       n_layers=st.integers(1, 4), density=st.floats(0.05, 1.0))
def test_traffic_aware_never_worse_than_serpentine(seed, cols, rows, cpr, n_layers, density):
    rng = np.random.default_rng(seed)
    sizes = [int(rng.integers(4, 40)) for _ in range(n_layers + 1)]
    hw = small_chip(cols, rows, cpr, port=(int(rng.integers(cols)), int(rng.integers(rows))), max_neurons=12)
    net = random_net(rng, sizes, density)
    need = sum(-(-s // 12) for s in sizes[1:])
    if need > hw.mesh.n_cores:
        hw = replace(hw, mesh=replace(hw.mesh, cols=need, rows=1, cores_per_router=1))
    rates = rng.random(net.n_neurons) * 5
    c = compile_network(net, hw, "sparse", rates=rates)
    base = compile_network(net, hw, "sparse", rates=rates, placement="serpentine")
    np.testing.assert_array_equal(base.router_xy, serpentine(base.n_cores, hw))
    assert c.placement_cost_hops <= c.baseline_cost_hops + 1e-9
    assert abs(c.placement_cost_hops - independent_cost(c, rates)) < 1e-6 * max(1.0, c.placement_cost_hops)
    assert abs(base.placement_cost_hops - independent_cost(base, rates)) < 1e-6 * max(1.0, base.placement_cost_hops)
    assert abs(c.baseline_cost_hops - base.placement_cost_hops) < 1e-6 * max(1.0, base.placement_cost_hops)
    slots = c.core_slot
    assert len(set(slots.tolist())) == c.n_cores and slots.max() < hw.mesh.n_cores  # one core per slot


def test_traffic_aware_moves_the_input_layer_next_to_the_port():
    """Port in the far corner of a 3x3 mesh: serpentine puts the input layer 4 hops away; the
    traffic-aware placer puts the heavy input traffic next to the port."""
    rng = np.random.default_rng(1)
    net = random_net(rng, [30, 16, 16, 16], 1.0)
    hw = small_chip(3, 3, 1, port=(2, 2), max_neurons=16)
    c = compile_network(net, hw, "sparse")
    assert c.n_cores == 3 and c.traffic_source == "uniform"
    # serpentine: cores at (0,0), (1,0), (2,0); 30 input sources x 4 hops + 16 x 1 + 16 x 1
    assert c.baseline_cost_hops == 30 * 4 + 16 + 16
    # best: core 0 at the port (0 hops), the chain next to it: 16 + 16
    assert c.placement_cost_hops == 32


def test_profiled_rates_are_spike_counts():
    rng = np.random.default_rng(2)
    net = random_net(rng, [10, 8, 6], 1.0)
    x = (rng.random((3, 7, 10)) < 0.5).astype(np.int32)
    r = profile_rates(net, x)
    assert np.allclose(r[:10], (x != 0).sum(axis=1).mean(axis=0))
    c = compile_network(net, small_chip(2, 2, 1, max_neurons=8), "sparse", inputs=x)
    assert c.traffic_source == "profiled"
    assert abs(c.placement_cost_hops - independent_cost(c, r)) < 1e-9


def test_profiled_cost_equals_simulated_hops():
    """With unicast packets, the placement cost under rates profiled on the same inputs is the hop
    count the simulator measures (both: Σ over spikes of its (source, core) packets' XY hops)."""
    from neurosim.sim import simulate

    rng = np.random.default_rng(3)
    net = random_net(rng, [24, 20, 16, 12], 0.6)
    hw = small_chip(3, 3, 1, port=(1, 1), max_neurons=8)
    x = (rng.random((3, 9, 24)) < 0.4).astype(np.int32)
    c = compile_network(net, hw, "sparse", inputs=x)
    counts = simulate(c, x).mean_counts()
    assert c.placement_cost_hops == pytest.approx(counts["hops_x"] + counts["hops_y"])
    assert c.placement_cost_hops < c.baseline_cost_hops


def test_large_mesh_uses_slots_near_the_port():
    """20x20 mesh, port in the middle: only the serpentine slots and those nearest the port are
    candidates; the placement moves the network next to the port."""
    from neurosim.mapper.placement import candidate_slots

    rng = np.random.default_rng(4)
    net = random_net(rng, [40, 30, 30, 20], 0.5)
    hw = small_chip(20, 20, 1, port=(10, 10), max_neurons=16)
    rates = rng.random(net.n_neurons)
    c = compile_network(net, hw, "sparse", rates=rates)
    cand = candidate_slots(c.n_cores, hw)
    assert cand.size < 400 and np.isin(c.core_slot, cand).all()
    assert c.placement_cost_hops < 0.5 * c.baseline_cost_hops
    assert abs(c.placement_cost_hops - independent_cost(c, rates)) < 1e-6 * c.placement_cost_hops

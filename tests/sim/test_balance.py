"""Mapping for latency: the expected per-core work equals the simulator's, and spreading the busiest
layers over more cores lowers the work on the critical path without exceeding the chip."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
import yaml

from neurosim.config import load_hardware
from neurosim.ir import Network, Neuron, Population, Projection
from neurosim.mapper import compile_network, profile_rates
from neurosim.mapper.balance import core_work, resolve_objective, spread_budget
from neurosim.sim import simulate
from neurosim.sim.plan import chips_used

from .chips import chip
from .nets import random_inputs, random_network


def _chip(gated: bool):
    hw = chip(max_neurons=6, cols=4, rows=4, timing={"neuron_update_idle_cycles": 2.0, "spike_emit_cycles": 0.0,
                                                   "packet_send_cycles": 3.0})
    return replace(hw, power=replace(hw.power, power_gating=gated))


@pytest.mark.parametrize("seed", [1, 7, 19])
def test_expected_work_is_the_simulated_busy_time(seed):
    """With every neuron update costing the same and spikes free to emit, core_work (rates × the
    chip's per-op cycles) is exactly the simulator's per-core busy time on the profiling inputs."""
    net = random_network(seed, 2, False, True, False, True, 0.8)
    x = random_inputs(seed, 3, 6, net.populations[0].size, graded=False)
    comp = compile_network(net, _chip(gated=True), inputs=x)
    res = simulate(comp, x)
    np.testing.assert_allclose(core_work(comp, profile_rates(net, x), res.steps), res.core_busy_cycles.mean(axis=0))
    np.testing.assert_allclose(comp.expected_work, res.core_busy_cycles.mean(axis=0))


def test_latency_objective_spreads_the_busiest_layers():
    net = random_network(3, 2, False, False, False, True, 1.0)
    x = random_inputs(3, 4, 8, net.populations[0].size, graded=False)
    hw = _chip(gated=False)
    assert resolve_objective("auto", hw) == "latency" and resolve_objective("auto", _chip(gated=True)) == "cores"
    few = compile_network(net, hw, inputs=x, objective="cores")
    fast = compile_network(net, hw, inputs=x, objective="latency")
    assert fast.objective == "latency" and fast.cores_needed == few.n_cores
    assert few.n_cores < fast.n_cores <= hw.mesh.n_cores
    assert fast.expected_work.max() < few.expected_work.max()
    assert simulate(fast, x).step_cycles.mean() < simulate(few, x).step_cycles.mean()
    with pytest.raises(ValueError, match="mapping objective"):
        compile_network(net, hw, objective="fastest")


def test_on_a_system_the_latency_objective_keeps_to_the_chips_the_network_needs(tmp_path):
    """Spreading onto a further chip adds crossings and the system barrier, which the balance's work
    model does not price: the latency mapping stays on the chips the fewest-cores mapping fills."""
    d = {"name": "four", "chip": "generic_mesh", "chips_x": 4, "chips_y": 1,
         "link": {"energy_pj": {"value": 100.0, "source": "test"}, "latency_s": {"value": 1e-6, "source": "test"},
                  "bits_per_s": {"value": 32e6, "source": "test"}},
         "barrier_s": {"value": 5e-6, "source": "test"}}
    (tmp_path / "four.yaml").write_text(yaml.safe_dump(d))
    hw = load_hardware(tmp_path / "four.yaml")[0]
    hw = replace(hw, core=replace(hw.core, max_neurons=8))
    assert spread_budget(hw, 20) == 32 and spread_budget(hw, 16) == 16 and spread_budget(hw, 99) == 64
    rng = np.random.default_rng(5)
    pops = [Population("in", 40), Population("h", 60, neuron=Neuron(decay=0.5, threshold=20)),
            Population("out", 10, neuron=Neuron(decay=0.5, threshold=20))]
    projs = [Projection.from_dense("in", "h", rng.integers(0, 4, size=(40, 60))),
             Projection.from_dense("h", "out", rng.integers(0, 4, size=(60, 10)))]
    net = Network(pops, projs, integer=True, state_bits=16)
    x = (rng.random((2, 8, 40)) < 0.5).astype(np.int32)
    few = compile_network(net, hw, "sparse", inputs=x, objective="cores")
    fast = compile_network(net, hw, "sparse", inputs=x, objective="latency")
    assert few.n_cores < fast.n_cores <= spread_budget(hw, few.n_cores) == 16   # spread, on the one chip
    assert chips_used(fast) == chips_used(few) == 1

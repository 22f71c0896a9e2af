"""Mapping for latency: the expected per-core work equals the simulator's, and spreading the busiest
layers over more cores lowers the work on the critical path without exceeding the chip."""

from __future__ import annotations

import numpy as np
import pytest

from neurosim.mapper import compile_network, profile_rates
from neurosim.mapper.balance import core_work, resolve_objective
from neurosim.sim import simulate

from .chips import chip
from .nets import random_inputs, random_network


def _chip(gated: bool):
    hw = chip(max_neurons=6, cols=4, rows=4, timing={"neuron_update_idle_cycles": 2.0, "spike_emit_cycles": 0.0,
                                                   "packet_send_cycles": 3.0})
    from dataclasses import replace

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

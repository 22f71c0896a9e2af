"""The simulation plan stores synapses as narrowly as their values allow (uint16 target offsets from a
per-source base, int8 weights) and falls back to wider types when they do not fit; either way the
simulation equals the deploy model."""

from __future__ import annotations

import numpy as np
import pytest

from neurosim.ir import Network, Neuron, Population, Projection
from neurosim.mapper import compile_network
from neurosim.sim import encode_events, simulate
from neurosim.sim.plan import SRC_BASE, SRC_SYN_HI, SRC_SYN_LO, SYN_PAD, build_plan

from .chips import chip
from .test_equivalence import check_equivalent


def fan_out_network(width: int, targets: list[int], weights: list[int]) -> Network:
    """One input neuron 0 projecting to `targets` of a `width`-neuron LIF layer (plus input 1 → 0)."""
    neuron = Neuron(decay=0.5, threshold=3.0, reset="zero")
    pre = np.array([0] * len(targets) + [1], np.uint32)
    post = np.array(targets + [0], np.uint32)
    w = np.array(weights + [5], np.int32)
    return Network([Population("in", 2), Population("out", width, neuron=neuron)],
                   [Projection("in", "out", pre, post, w, kind="sparse")], integer=True, state_bits=16)


@pytest.mark.parametrize(("width", "targets", "weights", "off_dtype", "w_dtype"), [
    (300, [7, 299], [4, -127], np.uint16, np.int8),
    (300, [7, 299], [4, 200], np.uint16, np.int16),
    (70_000, [3, 69_999], [4, 4], np.uint32, np.int8),      # span ≥ 2^16: offsets need 32 bits
])
def test_synapse_storage_is_as_narrow_as_the_values_allow(width, targets, weights, off_dtype, w_dtype):
    net = fan_out_network(width, targets, weights)
    hw = chip(max_neurons=width, formats=("sparse",), weight_bits=9)
    comp = compile_network(net, hw)
    plan = build_plan(comp)
    assert plan.syn_off.dtype == off_dtype
    assert plan.syn_w.dtype == w_dtype
    # base + offset gives back every target of every source (then weight-0 padding, see the next test)
    info = plan.src_info.astype(np.int64)
    for src in range(plan.n):
        lo = info[src, SRC_SYN_LO]
        c0, c1 = (int(comp.row_syn_ptr[comp.src_row_ptr[i]]) for i in (src, src + 1))
        got = info[src, SRC_BASE] + plan.syn_off[lo:lo + c1 - c0].astype(np.int64)
        np.testing.assert_array_equal(got, comp.syn_post[c0:c1])
    inputs = np.zeros((1, 4, 2), np.int32)
    inputs[0, :, 0] = 1
    inputs[0, 1:, 1] = 1
    check_equivalent(net, hw, inputs)


@pytest.mark.parametrize(("width", "targets"), [
    (300, [7, 20, 299]),            # padding past the last target would leave the network: own targets
    (40, [0, 3, 5]),                # padding past the last target
    (300, list(range(0, 300, 30))),  # 10 synapses: padded to 16
    (16, list(range(16))),          # a multiple of SYN_PAD already: no padding
])
def test_synapses_of_a_source_are_padded_with_zero_weights(width, targets):
    """Each one-loop source's synapses are padded to a multiple of SYN_PAD with weight-0 synapses onto
    neurons of the network (distinct from its targets where possible); results do not change."""
    net = fan_out_network(width, targets, [3] * len(targets))
    hw = chip(max_neurons=width, formats=("sparse",))
    comp = compile_network(net, hw)
    plan = build_plan(comp)
    info = plan.src_info.astype(np.int64)
    for src in range(plan.n):
        lo, hi = info[src, SRC_SYN_LO], info[src, SRC_SYN_HI]
        nnz = int(comp.row_syn_ptr[comp.src_row_ptr[src + 1]] - comp.row_syn_ptr[comp.src_row_ptr[src]])
        assert hi - lo == -(-nnz // SYN_PAD) * SYN_PAD
        assert not plan.syn_w[lo + nnz:hi].any()
        tgt = info[src, SRC_BASE] + plan.syn_off[lo:hi].astype(np.int64)
        assert (tgt < plan.n).all()
        if nnz and tgt[:nnz].max() + SYN_PAD <= plan.n - 1:
            assert len(set(tgt.tolist())) == hi - lo
    inputs = np.zeros((2, 4, 2), np.int32)
    inputs[0, :, 0] = 1
    inputs[1, 1:, 1] = 1
    check_equivalent(net, hw, inputs)


def test_neurons_without_fan_out_are_not_sources_but_their_spikes_count():
    """A spike of a neuron with no synapses sends nothing, yet appears in the raster and the counts."""
    net = fan_out_network(4, [0, 1, 2, 3], [9, 9, 9, 9])
    comp = compile_network(net, chip(max_neurons=4))
    plan = build_plan(comp)
    assert plan.sends.tolist() == [True, True, False, False, False, False]
    inputs = np.ones((2, 3, 2), np.int32)
    check_equivalent(net, chip(max_neurons=4), inputs)


def test_events_with_the_wrong_input_width_are_refused():
    net = fan_out_network(4, [0, 1], [9, 9])
    comp = compile_network(net, chip(max_neurons=4))
    with pytest.raises(ValueError, match="3 channels.*has 2"):
        simulate(comp, encode_events(np.ones((1, 2, 3), np.int32)))


def test_a_chip_simulates_the_same_after_dropping_the_network_synapses():
    from .nets import random_network
    net = random_network(5, n_hidden=3, skip=True, self_rec=True, feedback=True, readout=True, density=0.6)
    x = (np.random.default_rng(0).random((3, 6, net.inputs[0].size)) < 0.4).astype(np.int8)
    before = simulate(compile_network(net, chip(), "sparse"), x)
    c = compile_network(net, chip(), "sparse")
    c.drop_network_synapses()
    assert c.network.n_synapses == 0 and c.network.meta["synapses_dropped"] == net.n_synapses
    assert [p.name for p in c.network.projections] == [p.name for p in net.projections]
    after = simulate(c, x)
    for k, v in before.counts.items():
        assert np.array_equal(v, after.counts[k]), k
    assert np.array_equal(before.step_cycles, after.step_cycles) and np.array_equal(before.potentials, after.potentials)

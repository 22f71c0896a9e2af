"""The event-driven simulator is spike-for-spike identical to the integer deploy model run with
hardware timing (DESIGN §3), on random networks split over several cores; its synaptic-op count
equals an independent count over delivered spikes."""

from __future__ import annotations

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from neurosim.ir import Network, run
from neurosim.mapper import compile_network
from neurosim.sim import encode_events, simulate
from neurosim.sim.plan import FAST_DENSE_MIN_DENSITY, build_plan

from .chips import chip
from .nets import conv_network, random_inputs, random_network

SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def expected_synaptic_ops(net: Network, inputs: np.ndarray, raster: np.ndarray, steps: int) -> np.ndarray:
    """Per sample: Σ over delivered spikes of the source's synapse count. A spike emitted at step t is
    delivered (its rows served) at t + 1 if t + 1 < steps; a nonzero input of frame t at step t."""
    off = net.offsets
    outdeg = np.zeros(int(off[-1]), np.int64)
    for pr in net.projections:
        outdeg[off[net.index(pr.pre)]:off[net.index(pr.pre) + 1]] += np.bincount(pr.pre_idx,
                                                                              minlength=net.pop(pr.pre).size)
    (inp,) = net.inputs
    i0 = off[net.index(inp.name)]
    ops = (inputs != 0).sum(axis=1) @ outdeg[i0:i0 + inp.size]
    ops = ops + raster[:, :steps - 1].sum(axis=1) @ outdeg
    return ops


def check_equivalent(net: Network, hw, inputs: np.ndarray, dense_rows: bool = False, as_events: bool = False) -> None:
    """Raster, readout potentials, synaptic ops and spike counts equal the deploy model's; with
    `dense_rows` the plan adds dense rows as vectors (the opt-in fast path), with `as_events` the
    inputs are passed pre-encoded."""
    comp = compile_network(net, hw)
    plan = build_plan(comp, FAST_DENSE_MIN_DENSITY if dense_rows else None)
    res = simulate(comp, encode_events(inputs) if as_events else inputs, record_raster=True, plan=plan)
    ref = run(net, inputs, timing="hardware")
    assert res.steps == ref.steps
    off = net.offsets
    rec = 0
    for i, p in enumerate(net.populations):
        if p.is_input:
            continue
        if p.neuron.spiking:
            np.testing.assert_array_equal(res.raster[:, :, off[i]:off[i + 1]], ref.spikes[p.name], err_msg=p.name)
        else:
            np.testing.assert_array_equal(res.potentials[:, :, rec:rec + p.size], ref.potentials[p.name],
                                          err_msg=p.name)
            rec += p.size
    np.testing.assert_array_equal(res.counts["synaptic_ops"],
                                  expected_synaptic_ops(net, inputs, res.raster, res.steps))
    np.testing.assert_array_equal(res.counts["spikes"], res.raster.sum(axis=(1, 2)))


@SETTINGS
@given(seed=st.integers(0, 10_000), n_hidden=st.integers(1, 3), skip=st.booleans(), self_rec=st.booleans(),
       feedback=st.booleans(), readout=st.booleans(), density=st.sampled_from([1.0, 0.7, 0.3]),
       state_bits=st.sampled_from([6, 16]), max_neurons=st.integers(2, 8), cpr=st.integers(1, 2),
       multicast=st.sampled_from(["unicast", "tree"]), fmt=st.sampled_from([("dense", "sparse", "bitmap"),
                                                                            ("sparse",), ("dense",)]),
       share=st.booleans(), graded=st.booleans(), timesteps=st.integers(1, 7), samples=st.integers(1, 3),
       dense_rows=st.booleans(), as_events=st.booleans())
def test_random_networks_match_deploy_model(seed, n_hidden, skip, self_rec, feedback, readout, density, state_bits,
                                            max_neurons, cpr, multicast, fmt, share, graded, timesteps, samples,
                                            dense_rows, as_events):
    net = random_network(seed, n_hidden, skip, self_rec, feedback, readout, density, state_bits)
    hw = chip(max_neurons=max_neurons, cols=6, rows=6, cores_per_router=cpr, multicast=multicast, formats=fmt,
              share=share, state_bits=state_bits)
    inputs = random_inputs(seed, samples, timesteps, net.populations[0].size, graded)
    check_equivalent(net, hw, inputs, dense_rows, as_events)


@SETTINGS
@given(seed=st.integers(0, 10_000), c_in=st.integers(1, 2), hw_=st.integers(3, 5), c_out=st.integers(1, 3),
       k=st.integers(1, 3), stride=st.integers(1, 2), pad=st.integers(0, 1), readout=st.booleans(),
       max_neurons=st.integers(4, 16), multicast=st.sampled_from(["unicast", "tree"]),
       fmt=st.sampled_from([("dense", "sparse", "bitmap", "conv_shared"), ("sparse",), ("conv_shared", "sparse")]),
       timesteps=st.integers(1, 5), dense_rows=st.booleans())
def test_conv_networks_match_deploy_model(seed, c_in, hw_, c_out, k, stride, pad, readout, max_neurons, multicast,
                                          fmt, timesteps, dense_rows):
    if k > hw_ + 2 * pad:
        k = hw_
    net = conv_network(seed, c_in, hw_, c_out, k, stride, pad, readout)
    hw = chip(max_neurons=max_neurons, cols=8, rows=8, multicast=multicast, formats=fmt)
    inputs = random_inputs(seed, 2, timesteps, net.populations[0].size, graded=False)
    check_equivalent(net, hw, inputs, dense_rows)


def test_split_network_uses_several_cores():
    """Sanity: the generated networks really are split over several cores and routers."""
    net = random_network(3, 3, True, True, True, True, 0.7)
    comp = compile_network(net, chip(max_neurons=2, cols=6, rows=6))
    assert comp.n_cores >= 4
    assert len({tuple(xy) for xy in comp.router_xy}) >= 4


def test_large_graded_inputs_use_wide_accumulators():
    """One step's input beyond the int32 range (4 x 127 x 10^7) must not wrap: the readout saturates
    to the 32-bit state exactly as the deploy model does."""
    from neurosim.ir import Neuron, Population, Projection

    net = Network([Population("in", 4), Population("out", 2, neuron=Neuron(decay=1.0, spiking=False))],
                  [Projection("in", "out", np.array([0, 1, 2, 3, 0]), np.array([0, 0, 0, 0, 1]),
                              np.array([127, 127, 127, 127, -127], np.int32))], integer=True, state_bits=32)
    inputs = np.full((1, 2, 4), 10_000_000, np.int64)
    check_equivalent(net, chip(max_neurons=4, state_bits=32), inputs)


@given(st.integers(2, 32), st.integers(0, 1 << 12), st.integers(0, 2**32 - 1))
@settings(max_examples=60, deadline=None)
def test_plain_update_decays_exactly_like_the_integer_model_over_the_whole_state_range(bits, delta, seed):
    """The plain neuron update (decay in float64, because it vectorises) equals `decay_int` bit for bit,
    extremes of the signed `state_bits` range included; no input, no bias, no spike."""
    from neurosim.ir.quantize import decay_int
    from neurosim.sim.kernels import _update_segment

    top = (1 << (bits - 1)) - 1
    rng = np.random.default_rng(seed)
    v0 = np.concatenate([[-top, top, -1, 1, 0], rng.integers(-top, top + 1, 59)]).astype(np.int64)
    v = v0.copy()
    empty = np.zeros(0, np.int64)
    _update_segment(np.zeros(v.size, np.int32), v, empty, empty, np.zeros(v.size, np.int64),
                    np.zeros(64, np.bool_), 0, 0, v.size, top, top, delta, False, 0, 0, -top, True, bits, top)
    assert v.tolist() == np.clip(decay_int(v0, delta), -top, top).tolist()

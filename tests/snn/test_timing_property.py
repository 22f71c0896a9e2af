"""DESIGN §3: zero-delay and hardware-timing runs of the integer deploy model give identical spike
trains (and readout potentials) within the shifted windows, on random networks with conv layers."""

import numpy as np
from hypothesis import given, reject, settings
from hypothesis import strategies as st

from neurosim import ir
from neurosim.errors import ConfigError
from neurosim.snn.deploy import deploy_inputs
from neurosim.snn.export import to_network

from .helpers import model_spec, random_model


@st.composite
def networks(draw):
    layers = []
    size = draw(st.sampled_from([6, 8]))
    for _ in range(draw(st.integers(1, 2))):
        k = draw(st.sampled_from([1, 3]))
        layers += [{"type": "conv", "out": draw(st.integers(1, 4)), "kernel": k,
                    "padding": draw(st.integers(0, k // 2)), "stride": draw(st.integers(1, 2))}]
        if draw(st.booleans()):
            layers.append({"type": "batchnorm"})
        layers.append({"type": "lif"})
        if draw(st.booleans()):
            layers.append({"type": "avgpool", "kernel": 2})
    layers.append({"type": "flatten"})
    if draw(st.booleans()):
        layers += [{"type": "linear", "out": draw(st.integers(2, 8))}, {"type": "lif"}]
    layers += [{"type": "linear", "out": 3}, {"type": "readout"}]
    spec = model_spec(layers, reset=draw(st.sampled_from(["zero", "subtract"])),
                      tau=draw(st.sampled_from([1.5, 2.0, 8.0])), fire_at_equal=draw(st.booleans()))
    return spec, size, draw(st.integers(0, 10_000)), draw(st.integers(4, 8)), draw(st.integers(10, 20))


@settings(max_examples=30, deadline=None)
@given(networks(), st.integers(1, 5))
def test_hardware_timing_equals_zero_delay_within_windows(case, T):
    spec, size, seed, wbits, sbits = case
    try:
        m = random_model(spec, (1, size, size), T=T, seed=seed, gain=3.0)
    except ConfigError:  # a random stack whose feature map shrinks to nothing is not a network
        reject()
    net = ir.quantize(to_network(m, input_levels=15), wbits, sbits)
    x = np.random.default_rng(seed).uniform(0, 1, (3, 1, size, size))
    inp = deploy_inputs(net, x)
    zero = ir.run(net, inp, timing="zero")
    hw = ir.run(net, inp, timing="hardware")
    stage = net.stages()
    assert hw.steps == T + max(stage.values())
    for p in net.populations:
        if p.is_input:
            continue
        assert hw.start[p.name] == stage[p.name]
        ref = zero.spikes[p.name] if p.neuron.spiking else zero.potentials[p.name]
        np.testing.assert_array_equal(hw.window(p.name, T), ref, err_msg=p.name)
        if p.neuron.spiking:  # before its window a population is at rest
            assert not hw.spikes[p.name][:, :stage[p.name]].any()

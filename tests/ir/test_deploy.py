"""The deploy model: integer arithmetic by hand, timing windows (DESIGN §3), quantisation."""

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from neurosim.ir import Network, Neuron, Population, Projection, leak_delta, quantize, run


def _chain(ws, neuron, biases=None, recurrent=None):
    pops = [Population("in", ws[0].shape[0])]
    projs = []
    for i, w in enumerate(ws):
        b = None if biases is None else biases[i]
        pops.append(Population(f"l{i}", w.shape[1], neuron=neuron, bias=b))
        projs.append(Projection.from_dense(pops[-2].name, pops[-1].name, w))
    for i, w in (recurrent or {}).items():
        projs.append(Projection.from_dense(f"l{i}", f"l{i}", w))
    return Network(pops, projs)


def test_integer_leak_saturation_and_reset_by_hand():
    # one neuron, weight 100, decay 0.75 -> delta = 1024; threshold 150, state 9 bits (max 255)
    net = Network([Population("in", 1), Population("n", 1, Neuron(decay=0.75, threshold=150.0))],
                  [Projection("in", "n", [0], [0], np.array([100], np.int32))], integer=True, state_bits=9)
    x = np.array([[[1], [1], [0], [-3]]])
    r = run(net, x)
    # t0: v = 0 + 100 = 100; t1: 100 - (100*1024 >> 12 = 25) + 100 = 175 > 150 -> spike, reset 0
    # t2: 0; t3: 0 + (-300) -> saturates at -256
    assert r.spikes["n"][0, :, 0].tolist() == [False, True, False, False]
    net2 = Network(net.populations, net.projections, integer=True, state_bits=9)
    # leak rounds toward zero for negative potentials: -256 -> -256 + (256*1024 >> 12 = 64)
    x2 = np.array([[[-3], [0]]])
    net2.populations[1] = Population("n", 1, Neuron(decay=0.75, threshold=150.0, spiking=False))
    r2 = run(Network(net2.populations, net2.projections, integer=True, state_bits=9), x2)
    assert r2.potentials["n"][0, :, 0].tolist() == [-256, -192]
    assert leak_delta(0.75) == 1024 and leak_delta(1.0) == 0


def test_float_model_matches_plain_numpy_lif():
    rng = np.random.default_rng(3)
    w1, w2 = rng.normal(0.3, 0.5, (6, 5)), rng.normal(0.2, 0.6, (5, 4))
    neuron = Neuron(decay=0.8, threshold=1.0, reset="subtract")
    x = (rng.random((3, 7, 6)) < 0.4).astype(float)
    r = run(_chain([w1, w2], neuron), x)
    v1, v2 = np.zeros((3, 5)), np.zeros((3, 4))
    for t in range(7):
        v1 = 0.8 * v1 + x[:, t] @ w1
        s1 = v1 > 1.0
        v1 -= s1
        v2 = 0.8 * v2 + s1 @ w2
        s2 = v2 > 1.0
        v2 -= s2
        assert (r.spikes["l0"][:, t] == s1).all() and (r.spikes["l1"][:, t] == s2).all()


def test_quantize_scales_per_layer():
    w = np.array([[0.5, -0.25], [0.0, 0.125]])
    net = _chain([w], Neuron(decay=0.9, threshold=1.0), biases=[np.array([0.1, -0.2])])
    q = quantize(net, weight_bits=8, state_bits=16)
    s = 127 / 0.5
    assert q.integer and q.state_bits == 16
    assert q.projections[0].weight.tolist() == [127, -64, 32]  # the zero weight is no synapse
    assert q.pop("l0").neuron.threshold == round(s) and q.pop("l0").bias.tolist() == [25, -51]


@st.composite
def random_network(draw):
    n_layers = draw(st.integers(1, 3))
    sizes = [draw(st.integers(1, 6)) for _ in range(n_layers + 1)]
    seed = draw(st.integers(0, 2**31))
    rng = np.random.default_rng(seed)
    ws = [np.where(rng.random((sizes[i], sizes[i + 1])) < 0.7, rng.integers(-40, 60, (sizes[i], sizes[i + 1])), 0)
          for i in range(n_layers)]
    biases = [rng.integers(-5, 10, s) if draw(st.booleans()) else None for s in sizes[1:]]
    rec = {}
    if draw(st.booleans()):
        k = draw(st.integers(0, n_layers - 1))
        rec[k] = rng.integers(-30, 30, (sizes[k + 1], sizes[k + 1]))
    neuron = Neuron(decay=draw(st.sampled_from([1.0, 0.9, 0.5])), threshold=float(draw(st.integers(20, 80))),
                    reset=draw(st.sampled_from(["zero", "subtract"])), fire_at_equal=draw(st.booleans()))
    pops = [Population("in", sizes[0])]
    projs = []
    for i, w in enumerate(ws):
        pops.append(Population(f"l{i}", sizes[i + 1], neuron=neuron, bias=biases[i]))
        projs.append(Projection.from_dense(pops[-2].name, pops[-1].name, w.astype(np.int32)))
    for k, w in rec.items():
        projs.append(Projection.from_dense(f"l{k}", f"l{k}", w.astype(np.int32)))
    if n_layers >= 2 and draw(st.booleans()):  # a skip connection from the input to the last layer
        projs.append(Projection.from_dense("in", f"l{n_layers - 1}",
                                           rng.integers(-20, 40, (sizes[0], sizes[-1])).astype(np.int32)))
    net = Network(pops, projs, integer=True, state_bits=12)
    T = draw(st.integers(1, 8))
    x = (rng.random((2, T, sizes[0])) < 0.5).astype(np.int64)
    return net, x


@settings(max_examples=60, deadline=None)
@given(random_network())
def test_hardware_timing_windows_equal_zero_delay(case):
    """Within the shifted windows, every layer's spikes equal the zero-delay model's (DESIGN §3)."""
    net, x = case
    T = x.shape[1]
    z, h = run(net, x, "zero"), run(net, x, "hardware")
    assert h.steps == T + max(net.stages().values())
    for name in z.spikes:
        assert (h.window(name, T) == z.spikes[name]).all(), name


def test_quantize_keeps_threshold_below_state_range():
    """With narrow state, the scale is capped so v can exceed the threshold without saturating."""
    w = np.array([[0.5, -0.25]])
    net = _chain([w], Neuron(decay=0.9, threshold=1.0))
    q = quantize(net, weight_bits=8, state_bits=8)  # smax = 127 -> S <= 127 / 8
    assert q.pop("l0").neuron.threshold == round(127 / 8)
    assert q.projections[0].weight.tolist() == [round(0.5 * 127 / 8), round(-0.25 * 127 / 8)]
    w2 = np.array([[0.5, -0.25], [0.25, 0.1]])
    ro = _chain([w2], Neuron(decay=0.5, spiking=False))
    qr = quantize(ro, weight_bits=8, state_bits=8)
    # readout: largest Σ|w| into one neuron is 0.75, integrated over 1/(1-0.5) = 2 steps -> S = 127/1.5
    assert qr.projections[0].weight.tolist() == [42, -21, 21, 8]

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
    # one neuron, weight 100, decay 0.75 -> delta = 1024; threshold 150, state 9 bits (range +-255)
    net = Network([Population("in", 1), Population("n", 1, Neuron(decay=0.75, threshold=150.0))],
                  [Projection("in", "n", [0], [0], np.array([100], np.int32))], integer=True, state_bits=9)
    x = np.array([[[1], [1], [0], [-3], [-2], [0]]])
    r = run(net, x)
    # t0: v = 0 + 100 = 100; t1: (100*3072 >> 12 = 75) + 100 = 175 > 150 -> spike, reset 0
    # t2: 0; t3: the current -300 wraps around in 9 bits to 212 -> v = 212 > 150 -> spike
    # t4: u = -200 (no wrap), v = 0 - 200 = -200; t5: v = -(200*3072 >> 12) = -150
    assert r.spikes["n"][0, :, 0].tolist() == [False, True, False, True, False, False]
    ro = Network([net.populations[0], Population("n", 1, Neuron(decay=0.75, threshold=150.0, spiking=False))],
                 net.projections, integer=True, state_bits=9)
    # the membrane saturates at -255 (symmetric range, as Lava's Loihi model); the decay rounds the
    # product toward zero: -255*3072/4096 = -191.25 -> -191; then -191*0.75 = -143.25 -> -143
    x2 = np.array([[[-2], [-1], [0], [0]]])
    assert run(ro, x2).potentials["n"][0, :, 0].tolist() == [-200, -250, -187, -140]
    x3 = np.array([[[-2], [-2], [0], [0]]])
    assert run(ro, x3).potentials["n"][0, :, 0].tolist() == [-200, -255, -191, -143]
    assert leak_delta(0.75) == 1024 and leak_delta(1.0) == 0


def test_integer_decay_reaches_zero_unlike_the_decrement_form():
    """x·(4096 − δ) >> 12 decays every potential to 0; the old decrement x − (x·δ >> 12) stalled at
    4096/δ (here 40: 40·100 >> 12 = 0), so a silent neuron kept counting as active."""
    from neurosim.ir.quantize import decay_int

    x = np.array([40, -40, 7, -1], np.int64)
    for _ in range(200):
        x = decay_int(x, 100)
    assert x.tolist() == [0, 0, 0, 0]
    assert decay_int(np.array([-5]), 2048).tolist() == [-2]          # -2.5 rounds toward zero


def test_current_based_compartment_refractory_and_floor_by_hand():
    """Loihi's compartment: u ← u·(4096 − δu) >> 12 + I; v ← v·(4096 − δv) >> 12 + u; refractory hold;
    voltage floor. Integer and float networks agree where the arithmetic is exact."""
    cuba = Neuron(decay=0.5, threshold=100.0, current_decay=0.5, refractory=2, v_min=-20.0)
    pops = [Population("in", 1), Population("n", 1, cuba)]
    proj = [Projection("in", "n", [0], [0], np.array([64], np.int32))]
    x = np.array([[[1], [0], [0], [0], [0], [0], [-4], [0]]])
    r = run(Network(pops, proj, integer=True, state_bits=16), x)
    # t0: u = 64, v = 64; t1: u = 32, v = 32 + 32 = 64; t2: u = 16, v = 32 + 16 = 48
    # t3: u = 8, v = 24 + 8 = 32; t4: u = 4, v = 16 + 4 = 20; t5: u = 2, v = 10 + 2 = 12
    # t6: u = 1 - 256 = -255, v = 6 - 255 -> floor -20; t7: u = -127 (toward zero: -127.5), v -> floor -20
    ro = Network([pops[0], Population("n", 1, Neuron(decay=0.5, threshold=100.0, current_decay=0.5, v_min=-20.0,
                                                     spiking=False))], proj, integer=True, state_bits=16)
    assert run(ro, x).potentials["n"][0, :, 0].tolist() == [64, 64, 48, 32, 20, 12, -20, -20]
    assert not r.spikes["n"].any()
    # refractory: input 150 at t0 fires (v = 150 > 100), v held at 0 for two steps although u is large
    x4 = np.array([[[3], [0], [0], [0], [0]]])
    proj4 = [Projection("in", "n", [0], [0], np.array([50], np.int32))]
    r4 = run(Network(pops, proj4, integer=True, state_bits=16), x4)
    # t0: u = 150, v = 150 -> spike; t1, t2: held (u = 75, 37); t3: u = 18, v = 0 + 18 = 18; t4: u = 9, v = 9 + 9
    assert r4.spikes["n"][0, :, 0].tolist() == [True, False, False, False, False]
    ro4 = Network([pops[0], Population("n", 1, Neuron(decay=0.5, threshold=100.0, current_decay=0.5, refractory=2,
                                                      spiking=False))], proj4, integer=True, state_bits=16)
    # a readout never fires, so it is never held: v = 150, 75 + 75, 75 + 37, 56 + 18, 37 + 9
    assert run(ro4, x4).potentials["n"][0, :, 0].tolist() == [150, 150, 112, 74, 46]
    fl = run(Network(pops, [Projection("in", "n", [0], [0], np.array([50.0]))]), x4.astype(float))
    assert fl.spikes["n"][0, :, 0].tolist() == [True, False, False, False, False]


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


def test_quantize_narrow_gives_the_same_weights_in_the_narrowest_type():
    rng = np.random.default_rng(3)
    ws = [rng.normal(size=(20, 30)) * (rng.random((20, 30)) < 0.5), rng.normal(size=(30, 5))]
    net = _chain(ws, Neuron(decay=0.9, threshold=1.0))
    for bits, dtype in ((8, np.int8), (12, np.int16), (24, np.int32)):
        wide, narrow = quantize(net, bits, 24), quantize(net, bits, 24, narrow=True)
        for a, b in zip(wide.projections, narrow.projections, strict=True):
            assert a.weight.dtype == np.int32 and b.weight.dtype == dtype
            assert np.array_equal(a.weight, b.weight) and np.array_equal(a.pre_idx, b.pre_idx)
            assert np.array_equal(a.post_idx, b.post_idx)


def test_projection_sorts_unsorted_synapses_by_source_then_target():
    pre, post = np.array([2, 0, 2, 1, 0]), np.array([1, 3, 0, 2, 1])
    pr = Projection("a", "b", pre, post, np.arange(5, dtype=np.int32))
    assert pr.pre_idx.tolist() == [0, 0, 1, 2, 2] and pr.post_idx.tolist() == [1, 3, 2, 0, 1]
    assert pr.weight.tolist() == [4, 1, 3, 2, 0]
    same = Projection("a", "b", pr.pre_idx, pr.post_idx, pr.weight)   # sorted already: kept as given
    assert same.pre_idx is pr.pre_idx and same.weight is pr.weight

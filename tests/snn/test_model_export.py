"""Whole-model BPTT against finite differences, and the exported ir.Network against the model."""

import numpy as np

from neurosim import ir
from neurosim.snn.deploy import deploy_inputs, predict_deploy
from neurosim.snn.encoders import Encoder
from neurosim.snn.export import to_network
from neurosim.snn.layers import LIF
from neurosim.snn.train import predict, softmax_ce

from .helpers import CNN, check_fd, model_spec, random_model


def test_model_gradient_matches_finite_differences():
    spec = model_spec(CNN[:8] + [{"type": "flatten"}, {"type": "linear", "out": 3}, {"type": "readout"}],
                      reset="zero")
    m = random_model(spec, (1, 6, 6), T=3)
    for layer in m.lif_layers():
        layer.smooth, layer.detach_reset = True, False  # exact gradient
    rng = np.random.default_rng(0)
    x, y = rng.uniform(0, 1, (4, 1, 6, 6)), np.array([0, 1, 2, 1])

    def loss():
        return softmax_ce(m.forward(x, train=True).mean(0), y)[0]

    m.zero_grad()
    out = m.forward(x, train=True)
    _, d = softmax_ce(out.mean(0), y)
    m.backward(np.broadcast_to(d / out.shape[0], out.shape))
    for p in m.params():
        check_fd(loss, p.value, p.grad, rng, 4, rel=1e-5, abs_=1e-8, msg=p.name)


def _compare(m, net, x, enc):
    """Zero-delay float run of the exported net reproduces the model's spikes and readout."""
    inp, timed = enc.float_batch(x)
    out = m.forward(inp, train=False, timed=timed)  # (T, B, classes)
    res = ir.run(net, deploy_inputs(net, x), timing="zero")
    fired = 0
    for layer in m.lif_layers():
        s_model = (layer.potentials > layer.threshold).reshape(out.shape[0], x.shape[0], -1).swapaxes(0, 1)
        np.testing.assert_array_equal(res.spikes[layer.name], s_model, err_msg=layer.name)
        fired += s_model.sum()
    np.testing.assert_allclose(res.potentials["readout"], out.swapaxes(0, 1), rtol=1e-9, atol=1e-9)
    assert fired > 0


def test_export_cnn_reproduces_model_and_folds_pooling():
    spec = model_spec(CNN)
    m = random_model(spec, (1, 8, 8))
    net = to_network(m, input_levels=255)
    kinds = [(pr.pre, pr.post, pr.kind) for pr in net.projections]
    assert kinds == [("input", "lif1", "conv"), ("lif1", "lif2", "conv"), ("lif2", "lif3", "sparse"),
                     ("lif3", "readout", "dense")]
    pr = net.projections[1]  # pool(2) then conv 3x3 pad 1 == conv 6x6 stride 2 pad 2 on the 8x8 map
    assert pr.conv.kernel == (6, 6) and pr.conv.stride == (2, 2) and pr.conv.padding == (2, 2)
    assert pr.conv.in_shape == (4, 8, 8) and pr.conv.out_shape == (5, 4, 4)
    assert pr.kernel.shape == (5, 4, 6, 6)
    assert net.pop("lif1").shape == (4, 8, 8) and net.meta["input_levels"] == {"input": 255}
    x = np.random.default_rng(1).uniform(0, 1, (6, 1, 8, 8))
    _compare(m, net, x, Encoder("direct", 4, 255))


def test_conv_coo_enumerates_every_synapse():
    spec = model_spec([{"type": "conv", "out": 2, "kernel": 3, "stride": 2, "padding": 1}, {"type": "lif"},
                       {"type": "flatten"}, {"type": "linear", "out": 2}, {"type": "readout"}])
    m = random_model(spec, (3, 5, 5))
    pr = to_network(m).projections[0]
    dense = pr.to_dense(75, 2 * 3 * 3)
    K = m.layers[0].weight.value
    # output (o=1, y=0, x=2) reads input rows -1..1 (row -1 is padding), cols 3..5 (col 5 is padding)
    post = 1 * 9 + 0 * 3 + 2
    for c in range(3):
        for ky in range(3):
            for kx in range(3):
                iy, ix = -1 + ky, 3 + kx
                if 0 <= iy < 5 and 0 <= ix < 5:
                    assert dense[c * 25 + iy * 5 + ix, post] == K[1, c, ky, kx]
    assert pr.nnz == np.count_nonzero(dense)


def test_export_fallback_probe_and_rate_encoding():
    # 7x7 map: pooling drops the last row, so pool+conv is no longer a conv: measured composite
    layers = [{"type": "conv", "out": 3, "kernel": 3, "padding": 1}, {"type": "batchnorm"}, {"type": "lif"},
              {"type": "avgpool", "kernel": 2}, {"type": "conv", "out": 4, "kernel": 3, "padding": 1},
              {"type": "lif"}, {"type": "flatten"}, {"type": "linear", "out": 3}, {"type": "readout"}]
    spec = model_spec(layers, encoder="rate", reset="zero", tau=4.0)
    m = random_model(spec, (1, 7, 7), gain=3.0)
    net = to_network(m, encoder="rate")
    assert [pr.kind for pr in net.projections] == ["conv", "sparse", "dense"]
    assert "input_levels" not in net.meta
    x = np.random.default_rng(2).uniform(0, 1, (5, 1, 7, 7))
    _compare(m, net, x, Encoder("rate", 4, 1))


def test_deploy_prediction_rule_matches_float_model():
    spec = model_spec(CNN)
    m = random_model(spec, (1, 8, 8))
    enc = Encoder("direct", 4, 16)
    net = to_network(m, input_levels=16)
    x = np.random.default_rng(4).uniform(0, 1, (20, 1, 8, 8))
    np.testing.assert_array_equal(predict_deploy(net, x, timing="zero"), predict(m, enc, x))
    np.testing.assert_array_equal(predict_deploy(net, x, timing="hardware"), predict(m, enc, x))
    q = ir.quantize(net, 16, 32)
    assert (predict_deploy(q, x) == predict(m, enc, x)).mean() >= 0.9


def test_feeding_weight_and_potentials_shape():
    spec = model_spec(CNN)
    m = random_model(spec, (1, 8, 8), dtype=np.float32)
    assert m.feeding_weight("lif2") == "conv2.weight" and m.feeding_weight("readout") == "fc2.weight"
    m.forward(np.zeros((2, 1, 8, 8), np.float32))
    pots = m.potentials()
    assert pots["lif1"].shape == (4, 2, 4, 8, 8) and pots["lif3"].shape == (4, 2, 6)
    assert all(isinstance(layer, LIF) for layer in m.lif_layers())

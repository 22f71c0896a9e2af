"""Networks on disk (`ir.store`): exact round trip, no pickle, a damaged file is refused."""

import numpy as np
import pytest

from neurosim.ir import ConvGeometry, Network, Neuron, Population, Projection
from neurosim.ir.store import CorruptFile, load_network, save_network


def _net():
    rng = np.random.default_rng(1)
    geo = ConvGeometry((1, 4, 4), (2, 2, 2), (3, 3))
    pops = [Population("in", 16, shape=(1, 4, 4)),
            Population("c", 8, Neuron(0.9, 2.0, "subtract", True), shape=(2, 2, 2)),
            Population("out", 3, Neuron(decay=0.5, spiking=False), bias=np.array([1, -2, 3]))]
    w = rng.normal(size=(8, 3))
    w[w < 0] = 0
    projs = [Projection("in", "c", [0, 1, 5], [2, 3, 7], [0.5, -1.0, 2.0], kind="conv", conv=geo,
                        kernel=rng.normal(size=(2, 1, 3, 3))),
             Projection.from_dense("c", "out", w)]
    return Network(pops, projs, name="n", meta={"input_levels": {"in": 255}, "timesteps": 3})


def test_round_trip_is_exact(tmp_path):
    net = _net()
    save_network(tmp_path / "n.npz", net, {"sparsity": 0.5})
    back, info = load_network(tmp_path / "n.npz")
    assert info == {"sparsity": 0.5} and back.name == "n" and back.meta == net.meta
    for a, b in zip(net.populations, back.populations, strict=True):
        assert (a.name, a.size, a.neuron, a.shape) == (b.name, b.size, b.neuron, b.shape)
        assert (a.bias is None and b.bias is None) or np.array_equal(a.bias, b.bias)
    for a, b in zip(net.projections, back.projections, strict=True):
        assert (a.pre, a.post, a.kind, a.name, a.conv) == (b.pre, b.post, b.kind, b.name, b.conv)
        for x, y in ((a.pre_idx, b.pre_idx), (a.post_idx, b.post_idx), (a.weight, b.weight)):
            assert x.dtype == y.dtype and np.array_equal(x, y)
    assert np.array_equal(net.projections[0].kernel, back.projections[0].kernel)


def test_a_flipped_byte_or_a_pickle_is_refused(tmp_path):
    p = tmp_path / "n.npz"
    save_network(p, _net())
    raw = bytearray(p.read_bytes())
    raw[len(raw) // 2] ^= 0xFF
    p.write_bytes(bytes(raw))
    with pytest.raises(CorruptFile):
        load_network(p)
    import pickle

    p.write_bytes(pickle.dumps({"not": "a network"}))
    with pytest.raises(CorruptFile):
        load_network(p)
    np.savez(p, x=np.array([object()], dtype=object))  # an object array: np.load refuses to unpickle it
    with pytest.raises(CorruptFile):
        load_network(p)

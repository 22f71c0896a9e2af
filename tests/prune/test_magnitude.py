"""Magnitude pruning of an ir.Network: exact counts, nested levels, conv layers pruned by kernel tap."""

import numpy as np

from neurosim.ir import ConvGeometry, Network, Neuron, Population, Projection
from neurosim.ir.conv import conv_edges
from neurosim.mapper.geometry import shares_kernel
from neurosim.prune.magnitude import connection_sparsity, prune_magnitude


def _conv_net(seed=0):
    rng = np.random.default_rng(seed)
    g = ConvGeometry(in_shape=(2, 5, 5), out_shape=(3, 3, 3), kernel=(3, 3), stride=(2, 2), padding=(1, 1))
    kernel = rng.normal(size=(3, 2, 3, 3))
    stub = Projection("in", "c", [], [], np.zeros(0), kind="conv", conv=g, kernel=kernel)
    pre, post, tap = conv_edges(stub)
    conv = Projection("in", "c", pre, post, kernel.ravel()[tap], kind="conv", conv=g, kernel=kernel)
    fc = Projection.from_dense("c", "o", rng.normal(size=(27, 4)))
    n = Neuron()
    return Network([Population("in", 50), Population("c", 27, n), Population("o", 4, n)], [conv, fc])


def test_dense_projection_pruned_to_exact_count_and_nested():
    net = _conv_net()
    fc = net.projections[1]
    p5, p8 = prune_magnitude(net, 0.5), prune_magnitude(net, 0.8)
    assert p5.projections[1].nnz == fc.nnz - 54 and p8.projections[1].nnz == fc.nnz - int(0.8 * 108)
    kept = set(zip(p8.projections[1].pre_idx, p8.projections[1].post_idx, strict=True))
    assert kept <= set(zip(p5.projections[1].pre_idx, p5.projections[1].post_idx, strict=True))
    smallest_kept = np.abs(p8.projections[1].weight).min()
    assert (np.abs(fc.weight) < smallest_kept).sum() == int(0.8 * 108)


def test_conv_pruned_by_kernel_tap_keeps_weight_sharing():
    net = _conv_net(1)
    conv = net.projections[0]
    pruned = prune_magnitude(net, 0.5).projections[0]
    k0, k1 = conv.kernel.ravel(), pruned.kernel.ravel()
    assert (k1 == 0).sum() == 27  # half of the 54 taps
    assert np.all(np.abs(k0[k1 == 0]).max() <= np.abs(k0[k1 != 0]).min())
    assert shares_kernel(pruned, conv_edges(pruned))  # still a convolution: conv_shared applies
    assert 0.3 < connection_sparsity(prune_magnitude(net, 0.5), net) < 0.7

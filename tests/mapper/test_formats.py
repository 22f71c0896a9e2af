"""Synapse memory of tiny networks in every format against hand computations (DESIGN §5)."""

from __future__ import annotations

import numpy as np
import pytest

from neurosim.config import load_hardware
from neurosim.ir import Projection
from neurosim.mapper import compile_network
from neurosim.prune.magnitude import prune_magnitude

from .conftest import big_mesh, chip, conv_projection, integer_net

# 4 sources -> 10 targets. Surviving synapses: source 0 -> all 10, source 1 -> target 9,
# source 2 -> none (pruned away), source 3 -> targets 0..4.
W = np.zeros((4, 10), np.int32)
W[0, :] = np.arange(1, 11) % 7 + 1
W[1, 9] = -3
W[3, :5] = [2, -4, 6, -1, 5]


def ff_net():
    return integer_net([("input", 4), ("a", 10)], [Projection.from_dense("input", "a", W, kind="dense")])


def loihi_like():
    """Loihi: 64-bit words, 1024 neurons (10-bit index), 128 KiB, 8-bit weights, 64-bit row header."""
    return chip(max_neurons=1024, synapse_memory_bits=128 * 1024 * 8, synapse_word_bits=64, weight_bits=8,
                row_header_bits=64, synapse_formats=("dense", "sparse", "bitmap", "conv_shared"),
                weight_sharing=True)


def small_chip():
    """16-bit words, 4-bit weights, 8 neurons per core (3-bit index), no row header."""
    hw = chip(max_neurons=8, synapse_memory_bits=4096, synapse_word_bits=16, weight_bits=4, row_header_bits=0,
              synapse_formats=("dense", "sparse", "bitmap"), weight_sharing=False)
    return chip(mesh=big_mesh(hw), max_neurons=8, synapse_memory_bits=4096, synapse_word_bits=16, weight_bits=4,
                row_header_bits=0, synapse_formats=("dense", "sparse", "bitmap"), weight_sharing=False)


def bits(net, hw, fmt):
    c = compile_network(net, hw, fmt)
    total = c.totals()["synapse_bits"]
    # what the simulator reads per packet adds up to what is stored (row formats)
    if fmt != "conv_shared":
        assert int(c.row_words.astype(np.int64).sum()) * hw.core.synapse_word_bits == total
    return c, total


# Loihi-like, one core, w = 8, index = 10, header = 64, words of 64 bits:
#   sparse: row = 64 + nnz*18 -> src0 64+180=244 -> 4 words; src1 82 -> 2; src3 154 -> 3   = 9 words = 576
#   dense:  every source, row = 64 + 10*8 = 144 -> 3 words, x 4 sources                   = 12 words = 768
#   bitmap: row = 64 + 10 + nnz*8 -> src0 154 -> 3; src1 82 -> 2; src3 114 -> 2            = 7 words = 448
LOIHI_FF = {"sparse": 576, "dense": 768, "bitmap": 448}


@pytest.mark.parametrize("fmt", ["sparse", "dense", "bitmap"])
def test_loihi_like_rows(fmt):
    c, total = bits(ff_net(), loihi_like(), fmt)
    assert c.n_cores == 1
    assert total == LOIHI_FF[fmt]
    assert c.synapse_bits_by_format() == {fmt: LOIHI_FF[fmt]}


def test_dense_rows_of_a_structurally_sparse_projection_exist_only_where_it_has_synapses():
    """A crossbar row per (source, core) pair that has a synapse, holding every in-core target: sources
    0, 1, 3 have synapses, source 2 none -> 3 rows of 3 words (vs 4 rows for a dense-kind layer)."""
    sparse_kind = integer_net([("input", 4), ("a", 10)], [Projection.from_dense("input", "a", W, kind="sparse")])
    c, total = bits(sparse_kind, loihi_like(), "dense")
    assert total == 3 * 3 * 64 and c.n_cores == 1
    assert np.diff(c.src_row_ptr.astype(np.int64)).tolist()[:4] == [1, 1, 0, 1]


def test_auto_picks_smallest():
    c, total = bits(ff_net(), loihi_like(), "auto")
    assert c.formats == {"input->a": "bitmap"} and total == 448


# Small chip: cores are cut from the end, so core 0 = targets 0..1 and core 1 = targets 2..9 (8 = max);
# w = 4, index = 3, 16-bit words, no header. Synapses per (source, core): s0: 2 | 8, s1: 0 | 1, s3: 2 | 3.
#   sparse (7 bits/synapse): core 0: s0 14 -> 1 word, s3 14 -> 1            = 2 words = 32
#                            core 1: s0 56 -> 4, s1 7 -> 1, s3 21 -> 2       = 7 words = 112   -> 144
#   dense:  core 0: 4 rows x 2*4 = 8 bits -> 1 word = 64; core 1: 4 rows x 8*4 = 32 -> 2 words = 128  -> 192
#   bitmap: core 0: s0 2+8 = 10 -> 1, s3 2+8 = 10 -> 1                      = 2 words = 32
#           core 1: s0 8+32 = 40 -> 3, s1 8+4 = 12 -> 1, s3 8+12 = 20 -> 2  = 6 words = 96    -> 128
SMALL_FF = {"sparse": (32, 112), "dense": (64, 128), "bitmap": (32, 96)}


@pytest.mark.parametrize("fmt", ["sparse", "dense", "bitmap"])
def test_small_chip_split_rows(fmt):
    c, total = bits(ff_net(), small_chip(), fmt)
    assert c.n_cores == 2
    assert [(k.start, k.stop) for k in c.cores[0]] == [(0, 2)]
    assert tuple(u.synapse_bits for u in c.usage) == SMALL_FF[fmt]
    assert total == sum(SMALL_FF[fmt])


def test_truenorth_crossbar():
    """TrueNorth: one 256-bit crossbar row per axon, a 1-bit cell per target: 4 rows x 1 word."""
    hw = load_hardware("truenorth")[0]
    c, total = bits(ff_net(), hw, "dense")
    assert total == 4 * 256


# conv: input 1x4x4, kernel 2x1x3x3 (channel 0: 9 taps, channel 1: 4 taps), output 2x2x2 = 8 neurons.
K = np.zeros((2, 1, 3, 3), np.int32)
K[0, 0] = [[1, -2, 3], [4, 5, -6], [7, 1, 2]]
K[1, 0] = [[3, 0, -1], [0, 0, 0], [2, 0, 5]]


def conv_net(kernel=K):
    return integer_net([("input", 16), ("conv", 8)], [conv_projection(kernel, (1, 4, 4))])


def per_pixel_geo_targets():
    """Output positions x channels whose (unpruned) receptive field holds each input pixel."""
    cover = np.array([1, 2, 2, 1])  # output rows (cols) covering input row (col) 0..3 for k=3, out 2
    return (2 * np.outer(cover, cover)).ravel()


def test_conv_formats_loihi_like():
    hw = loihi_like()
    net = conv_net()
    nnz = np.bincount(net.projections[0].pre_idx, minlength=16)
    w64 = lambda b: -(-b // 64) * 64  # noqa: E731
    want = {
        "conv_shared": w64(13 * 8),                                           # 13 kernel taps stored once
        "dense": int(sum(w64(64 + t * 8) for t in per_pixel_geo_targets())),  # geometry, not survivors
        "sparse": int(sum(w64(64 + n * 18) for n in nnz if n)),
        "bitmap": int(sum(w64(64 + 8 + n * 8) for n in nnz if n)),
    }
    assert want["conv_shared"] == 128 and want["dense"] == 16 * 128
    for fmt, w in want.items():
        assert bits(net, hw, fmt)[1] == w, fmt
    assert compile_network(net, hw, "auto").formats == {"input->conv": "conv_shared"}


def test_pruning_shrinks_sparse_and_bitmap_not_dense():
    hw = loihi_like()
    for net in (ff_net(), conv_net()):
        pruned = prune_magnitude(net, 0.9)  # word rounding hides small changes in tiny nets
        assert bits(pruned, hw, "dense")[1] == bits(net, hw, "dense")[1]
        for fmt in ("sparse", "bitmap"):
            assert bits(pruned, hw, fmt)[1] < bits(net, hw, fmt)[1]


def test_conv_dense_ignores_pruned_kernel_taps():
    """A kernel tap pruned everywhere still has its dense slots: dense memory is the geometry's."""
    k2 = K.copy()
    k2[0, 0, 1, 1] = 0
    hw = loihi_like()
    assert bits(conv_net(k2), hw, "dense")[1] == bits(conv_net(), hw, "dense")[1]
    assert bits(conv_net(k2), hw, "conv_shared")[1] == -(-12 * 8 // 64) * 64

"""Spatial neuron order of conv populations: all channels of a compact image patch per core
(docs/mapping.md §2), checked by hand on one tile and against channel-major on a small chip."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from neurosim.errors import FitError
from neurosim.ir import Projection, run
from neurosim.mapper import ORDERS, compile_network
from neurosim.mapper.order import conv_shape, runs, spatial_order
from neurosim.mapper.report import fit_report

from .conftest import big_mesh, chip, conv_projection, integer_net

# input 1x4x4 -> conv 3x3, padding 1, 2 output channels with every tap nonzero -> 2x4x4 = 32 neurons
K = np.arange(1, 19, dtype=np.int32).reshape(2, 1, 3, 3) * np.where(np.arange(18) % 2, -1, 1).reshape(2, 1, 3, 3)


def tile_net():
    return integer_net([("input", 16), ("conv", 32)], [conv_projection(K, (1, 4, 4), padding=(1, 1))])


def tiny_chip(formats=("dense", "sparse", "bitmap"), **kw):
    """8 neurons per core (3-bit index), 4-bit weights, 16-bit words, no row header."""
    core = dict(max_neurons=8, synapse_memory_bits=4096, synapse_word_bits=16, weight_bits=4, row_header_bits=0,
                synapse_formats=formats, weight_sharing="conv_shared" in formats, **kw)
    return chip(mesh=big_mesh(chip(**core)), **core)


def test_tiles_order_by_hand():
    # tile side floor(sqrt(8 / 2)) = 2: tiles (0,0), (0,1), then the next tile row reversed: (1,1), (1,0);
    # positions row by row inside a tile, channels innermost; ids are channel-major c*16 + y*4 + x
    perm = spatial_order((2, 4, 4), "tiles", 8)
    assert perm[:8].tolist() == [0, 16, 1, 17, 4, 20, 5, 21]
    assert perm[8:16].tolist() == [2, 18, 3, 19, 6, 22, 7, 23]
    assert perm[16:24].tolist() == [10, 26, 11, 27, 14, 30, 15, 31]
    assert sorted(perm.tolist()) == list(range(32))
    assert spatial_order((2, 4, 4), "channel", 8) is None
    assert runs(np.array([5, 0, 1, 4, 17, 16])) == [(0, 2), (4, 6), (16, 18)]


def test_one_tile_on_one_core_by_hand():
    c = compile_network(tile_net(), tiny_chip(), "sparse", order="tiles")
    assert c.n_cores == 4
    # core 0 holds both channels of the 2x2 tile y0:2, x0:2: runs of consecutive ids in each channel row
    assert [(k.population, k.start, k.stop) for k in c.cores[0]] == [
        ("conv", 0, 2), ("conv", 4, 6), ("conv", 16, 18), ("conv", 20, 22)]
    assert [(k.start, k.stop) for k in c.cores[2]] == [(10, 12), (14, 16), (26, 28), (30, 32)]  # tile y2:4, x2:4
    g = c.network.offsets[1]
    assert sorted(np.flatnonzero(c.neuron_core == 0) - g) == [0, 1, 4, 5, 16, 17, 20, 21]
    # its input axons: the 3x3 receptive-field union y0:3, x0:3 of the tile = 9 pixels
    u = c.usage[0]
    assert u.fan_in_axons == 9
    # sparse rows (7 bits a synapse, 16-bit words): pixel (iy, ix) reaches cy*cx tile positions x 2 channels,
    # cy = cx = 2, 2, 1 for rows/cols 0, 1, 2: 4 pixels x 8 synapses (56 bits -> 4 words), 4 x 4 (28 -> 2),
    # 1 x 2 (14 -> 1): 25 words
    assert u.synapse_bits == 25 * 16
    # channel-major, the same core would hold channel 0 rows 0-1: 12 input axons
    ch = compile_network(tile_net(), tiny_chip(), "sparse", order="channel")
    assert [(k.start, k.stop) for k in ch.cores[0]] == [(0, 8)] and ch.usage[0].fan_in_axons == 12
    # every synapse of a row targets a neuron of the row's core, ascending within the row
    row_of_syn = np.repeat(np.arange(c.row_core.size), np.diff(c.row_syn_ptr.astype(np.int64)))
    assert np.array_equal(c.neuron_core[c.syn_post], c.row_core[row_of_syn])
    same_row = row_of_syn[1:] == row_of_syn[:-1]
    assert np.all(c.syn_post[1:][same_row] > c.syn_post[:-1][same_row])
    # and the chip holds exactly the network's synapses
    src = np.repeat(np.arange(c.src_row_ptr.size - 1), np.diff(c.src_row_ptr.astype(np.int64)))[row_of_syn]
    pr = c.network.projections[0]
    got = sorted(zip(src.tolist(), (c.syn_post - g).tolist(), c.syn_weight.tolist(), strict=True))
    assert got == sorted(zip(pr.pre_idx.tolist(), pr.post_idx.tolist(), pr.weight.tolist(), strict=True))


def test_conv_shared_block_is_the_whole_kernel_on_a_tile():
    hw = tiny_chip(("sparse", "conv_shared"))
    c = compile_network(tile_net(), hw, "conv_shared", order="tiles")
    # every core holds both channels: all 18 taps x 4 bits = 72 bits -> 5 words of 16
    assert [u.synapse_bits for u in c.usage] == [80] * 4
    ch = compile_network(tile_net(), hw, "conv_shared", order="channel")
    assert [u.synapse_bits for u in ch.usage] == [48] * 4  # one channel: 9 taps, 36 bits -> 3 words


def test_report_names_the_tile():
    text = fit_report(compile_network(tile_net(), tiny_chip(), "sparse", order="tiles"))
    assert "conv[c0:2,y0:2,x0:2]" in text and "conv[c0:2,y2:4,x2:4]" in text


def two_conv_net():
    """input 2x12x12 -conv3x3 p1-> 8x12x12 (1152) -conv3x3 s2 p1-> 8x6x6 (288) -dense-> 10."""
    rng = np.random.default_rng(3)
    k1 = rng.integers(1, 8, size=(8, 2, 3, 3)).astype(np.int32)
    k2 = rng.integers(-7, 8, size=(8, 8, 3, 3)).astype(np.int32)
    k2[k2 == 0] = 1
    w = rng.integers(-7, 8, size=(288, 10)).astype(np.int32)
    return integer_net([("input", 288), ("c1", 1152), ("c2", 288), ("fc", 10)],
                       [conv_projection(k1, (2, 12, 12), padding=(1, 1), post="c1"),
                        conv_projection(k2, (8, 12, 12), stride=(2, 2), padding=(1, 1), pre="c1", post="c2"),
                        Projection.from_dense("c2", "fc", w, kind="dense")])


def small_chip(fan_out=64):
    hw = chip(max_neurons=64, synapse_memory_bits=1 << 16, synapse_word_bits=32, weight_bits=4, row_header_bits=16,
              max_fan_in_axons=512, max_fan_out_axons=fan_out, routing_table_entries=fan_out,
              synapse_formats=("dense", "sparse", "bitmap"), weight_sharing=False)
    return replace(hw, mesh=big_mesh(hw, 32, 32))


@pytest.mark.parametrize("fmt", ["sparse", "dense"])
def test_spatial_orders_need_fewer_cores_and_axons_than_channel_major(fmt):
    net = two_conv_net()
    assert conv_shape(net, "c1") == (8, 12, 12) and conv_shape(net, "c2") == (8, 6, 6)
    assert conv_shape(net, "fc") is None
    hw = small_chip(fan_out=4096)
    ch = compile_network(net, hw, fmt, order="channel")
    for order in ("raster", "tiles", "hilbert"):
        sp = compile_network(net, hw, fmt, order=order)
        assert sp.n_cores < ch.n_cores, order
        assert sp.totals()["fan_out_axons"] < ch.totals()["fan_out_axons"] / 2, order
        assert sp.totals()["fan_in_axons"] < ch.totals()["fan_in_axons"] / 2, order
    # output budgets binding: channel-major, a c1 neuron reaches every c2 core (12 > 8 output axons: no fit;
    # 213 cores with 64); a spatial c1 neuron reaches the one or two c2 cores of its patch
    with pytest.raises(FitError, match="alone sends to 12 destination cores"):
        compile_network(net, small_chip(fan_out=8), fmt, order="channel")
    assert compile_network(net, small_chip(fan_out=8), fmt, order="hilbert").n_cores > 0
    ch64 = compile_network(net, small_chip(fan_out=64), fmt, order="channel")
    sp64 = compile_network(net, small_chip(fan_out=64), fmt, order="hilbert")
    assert 3 * sp64.n_cores < ch64.n_cores
    assert max(u.fan_out_axons for u in sp64.usage) <= 64


@pytest.mark.parametrize("order", ORDERS)
def test_every_order_simulates_like_the_deploy_model(order):
    from neurosim.sim import simulate

    net = tile_net()
    x = (np.random.default_rng(0).random((2, 5, 16)) < 0.5).astype(np.int32)
    c = compile_network(net, tiny_chip(("sparse", "dense")), "dense", order=order)
    res = simulate(c, x, record_raster=True)
    ref = run(net, x, timing="hardware")
    np.testing.assert_array_equal(res.raster[:, :, 16:], ref.spikes["conv"])


@pytest.mark.parametrize("order", ORDERS)
def test_partition_output_costs_equal_the_tables(order):
    """The cut's exact output side (fan-out axons, routing entries) of every core is what the tables hold,
    so a spatial cut needs no re-cut."""
    from neurosim.mapper.compiled import build_tables
    from neurosim.mapper.order import population_orders
    from neurosim.mapper.partition import CostModel, Geometry, choose_formats, partition

    net, hw = two_conv_net(), small_chip(fan_out=64)
    geo = Geometry(net)
    orders = population_orders(net, order, hw.core.max_neurons)
    formats = choose_formats(net, hw, "sparse", geo, orders)
    model = CostModel(net, hw, formats, geo, orders)
    cores = partition(model)
    usage = build_tables(net, hw, cores, formats, net.delays("hardware"), geo)["usage"]
    a, n = 0, len(cores)
    for i, cc in enumerate(cores):
        b = a + sum(k.neurons for k in cc)
        assert model.out_cost(a, b, n - 1 - i) == (usage[i].fan_out_axons, usage[i].routing_entries)
        assert usage[i].fan_out_axons <= 64
        a = b

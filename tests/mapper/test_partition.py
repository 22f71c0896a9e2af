"""Partitioning: every per-core budget holds, and sparser never needs more cores (DESIGN §5)."""

from __future__ import annotations

import os
from dataclasses import replace

import numpy as np
from hypothesis import assume, example, given, settings
from hypothesis import strategies as st

from neurosim.errors import FitError
from neurosim.ir import Projection
from neurosim.mapper import ORDERS, compile_network
from neurosim.prune.magnitude import prune_magnitude

from .conftest import big_mesh, chip, conv_projection, integer_net

SIZES = (48, 72, 40, 60, 10)


def ff_network(seed=0):
    rng = np.random.default_rng(seed)
    names = ["input"] + [f"l{i}" for i in range(1, len(SIZES))]
    projs = []
    for i in range(1, len(SIZES)):
        w = rng.integers(-7, 8, size=(SIZES[i - 1], SIZES[i])).astype(np.int32)
        projs.append(Projection.from_dense(names[i - 1], names[i], w, kind="dense"))
    return integer_net(list(zip(names, SIZES, strict=True)), projs)


NET = ff_network()


def conv_network():
    """input 2x10x10 -> conv 3x3 (2 channels, padding 1) -> 200 neurons -> dense 20."""
    rng = np.random.default_rng(1)
    k = rng.integers(-7, 8, size=(2, 2, 3, 3)).astype(np.int32)
    k[k == 0] = 1
    w = rng.integers(-7, 8, size=(200, 20)).astype(np.int32)
    return integer_net([("input", 200), ("conv", 200), ("fc", 20)],
                       [conv_projection(k, (2, 10, 10), padding=(1, 1)),
                        Projection.from_dense("conv", "fc", w, kind="dense")])


CONV = conv_network()


def tight_chip(share=True, fan_in=128, mem=4096):
    hw = chip(max_neurons=32, synapse_memory_bits=mem, synapse_word_bits=32, weight_bits=4, row_header_bits=16,
              max_fan_in_axons=fan_in, share_cores_between_layers=share,
              synapse_formats=("dense", "sparse", "bitmap"), weight_sharing=False)
    return replace(hw, mesh=big_mesh(hw, 32, 32))


def budgets_hold(c):
    core = c.hardware.core
    for u in c.usage:
        assert 0 < u.neurons <= core.max_neurons
        assert u.synapse_bits <= core.synapse_memory_bits
        assert u.fan_in_axons <= core.max_fan_in_axons
        assert u.fan_out_axons <= core.max_fan_out_axons
        assert u.routing_entries <= core.routing_table_entries


@settings(max_examples=int(os.environ.get("NEUROSIM_PROPERTY_EXAMPLES", 40)), deadline=None)
@given(s1=st.floats(0.0, 0.97), s2=st.floats(0.0, 0.97), fmt=st.sampled_from(["sparse", "bitmap", "auto"]),
       share=st.booleans(), mem=st.sampled_from([4096, 8192, 16384]), fan_out=st.sampled_from([1024, 4096]))
def test_cores_never_increase_with_sparsity(s1, s2, fmt, share, mem, fan_out):
    """Input-side budgets binding (output budgets that bind are covered by docs/mapping.md's probe)."""
    lo, hi = sorted((s1, s2))
    hw = tight_chip(share=share, mem=mem)
    hw = replace(hw, core=replace(hw.core, max_fan_out_axons=fan_out, routing_table_entries=fan_out))
    try:
        a = compile_network(prune_magnitude(NET, lo), hw, fmt)
    except FitError:  # the denser network does not fit at all (one neuron over a budget): nothing to compare
        assume(False)
    b = compile_network(prune_magnitude(NET, hi), hw, fmt)
    budgets_hold(a)
    budgets_hold(b)
    assert b.n_cores <= a.n_cores


@settings(max_examples=int(os.environ.get("NEUROSIM_PROPERTY_EXAMPLES", 20)), deadline=None)
@given(s1=st.floats(0.0, 0.97), s2=st.floats(0.0, 0.97), fmt=st.sampled_from(["sparse", "bitmap", "dense", "auto"]),
       mem=st.sampled_from([8192, 16384]), order=st.sampled_from(ORDERS))
def test_conv_cores_never_increase_with_sparsity(s1, s2, fmt, mem, order):
    """Every neuron order of the conv layer (the order depends on shapes only, never on weights)."""
    lo, hi = sorted((s1, s2))
    hw = tight_chip(mem=mem, fan_in=512)
    a = compile_network(prune_magnitude(CONV, lo), hw, fmt, order=order)
    b = compile_network(prune_magnitude(CONV, hi), hw, fmt, order=order)
    budgets_hold(b)
    assert b.n_cores <= a.n_cores
    if fmt == "dense":
        assert b.totals()["synapse_bits"] == a.totals()["synapse_bits"]


def test_dense_cores_constant_with_sparsity():
    hw = tight_chip(mem=16384)
    n = {s: compile_network(prune_magnitude(NET, s), hw, "dense").n_cores for s in (0.0, 0.5, 0.9)}
    assert len(set(n.values())) == 1


def test_layers_split_and_small_pieces_share_cores():
    hw = tight_chip(mem=1 << 20, fan_in=4096)
    c = compile_network(NET, hw, "sparse")
    assert sum(u.neurons for u in c.usage) == sum(SIZES[1:])
    assert all(u.neurons == 32 for u in c.usage[1:])           # only neurons bind: cores are full
    assert any(len({k.population for k in cc}) > 1 for cc in c.cores)
    c2 = compile_network(NET, tight_chip(share=False, mem=1 << 20, fan_in=4096), "sparse")
    assert all(len({k.population for k in cc}) == 1 for cc in c2.cores)
    assert c2.n_cores == sum(-(-s // 32) for s in SIZES[1:])


@settings(max_examples=int(os.environ.get("NEUROSIM_PROPERTY_EXAMPLES", 30)), deadline=None)
@given(s1=st.floats(0.0, 0.97), s2=st.floats(0.0, 0.97), fmt=st.sampled_from(["sparse", "bitmap", "auto"]),
       share=st.booleans(), fan_out=st.sampled_from([24, 48, 96, 256]))
@example(s1=0.3125, s2=0.2734375, fmt="auto", share=False, fan_out=24)   # "auto" changes a format between levels
def test_cores_never_increase_along_a_sweep_whatever_binds(s1, s2, fmt, share, fan_out):
    """With output budgets binding the cut alone can add a core; a sweep passes the denser level's chip
    as `prior`, whose partition (with its formats, if this level's own do not fit it) still fits a
    sparser network, so cores never increase."""
    lo, hi = sorted((s1, s2))
    hw = tight_chip(share=share)
    hw = replace(hw, core=replace(hw.core, max_fan_out_axons=fan_out, routing_table_entries=fan_out))
    try:
        a = compile_network(prune_magnitude(NET, lo), hw, fmt)
    except FitError:
        assume(False)
    b = compile_network(prune_magnitude(NET, hi), hw, fmt, prior=a)
    budgets_hold(b)
    assert b.n_cores <= a.n_cores


def test_prior_partition_is_kept_when_the_fresh_cut_needs_more_cores(monkeypatch):
    """The mechanism behind the sweep guarantee: a worse fresh cut is replaced by the prior's partition
    when that partition fits every budget of the sparser network."""
    import neurosim.mapper as mapper_pkg
    from neurosim.mapper.partition import Chunk

    hw = tight_chip()
    a = compile_network(prune_magnitude(NET, 0.3), hw, "sparse")
    real = mapper_pkg.partition

    def worse(*args, **kw):  # the real cut with every core's first chunk split over two cores
        out = []
        for cc in real(*args, **kw):
            c = cc[0]
            if c.neurons < 2:
                out.append(cc)
                continue
            mid = c.start + c.neurons // 2
            out += [[Chunk(c.population, c.start, mid)], [Chunk(c.population, mid, c.stop)] + cc[1:]]
        return out

    monkeypatch.setattr(mapper_pkg, "partition", worse)
    sparser = prune_magnitude(NET, 0.32)
    fresh = compile_network(sparser, hw, "sparse")
    kept = compile_network(sparser, hw, "sparse", prior=a)
    assert fresh.n_cores > a.n_cores
    assert kept.n_cores == a.n_cores and kept.cores == a.cores
    budgets_hold(kept)

"""Axons and routing tables counted per core against the chip's budgets (DESIGN §5)."""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from neurosim.ir import Projection
from neurosim.mapper import compile_network

from .conftest import big_mesh, chip, integer_net


def net_4_10_3():
    rng = np.random.default_rng(0)
    w1 = rng.integers(1, 5, size=(4, 10)).astype(np.int32)
    w2 = rng.integers(1, 5, size=(10, 3)).astype(np.int32)
    return integer_net([("input", 4), ("a", 10), ("b", 3)],
                       [Projection.from_dense("input", "a", w1, kind="dense"),
                        Projection.from_dense("a", "b", w2, kind="dense")])


def test_axons_and_routing_entries_by_hand():
    hw = chip(max_neurons=8, synapse_formats=("sparse",))
    hw = replace(hw, mesh=big_mesh(hw, 4, 4))
    c = compile_network(net_4_10_3(), hw, "sparse")
    # cut from the end: core 1 = a[5:10] + b[0:3] (pieces of two layers share a core), core 0 = a[0:5]
    assert [[(k.population, k.start, k.stop) for k in cc] for cc in c.cores] == \
        [[("a", 0, 5)], [("a", 5, 10), ("b", 0, 3)]]
    u0, u1 = c.usage
    assert (u0.fan_in_axons, u1.fan_in_axons) == (4, 4 + 10)       # inputs; inputs + all of a
    assert (u0.fan_out_axons, u1.fan_out_axons) == (5, 5)          # every a neuron -> core 1
    assert (u0.routing_entries, u1.routing_entries) == (1, 1)      # (a, core 1) on each
    assert c.totals()["routing_bits"] == 2 * hw.core.routing_entry_bits
    assert c.totals()["neuron_bits"] == 13 * hw.core.neuron_state_bits


def test_fan_out_budget_splits_the_source_layer():
    """Each of a's 10 neurons sends to 2 cores of b (b split in two); with a fan-out budget of 8 axons
    a core can hold only 4 of them, so `a` is cut finer than max_neurons would require."""
    rng = np.random.default_rng(1)
    w1 = rng.integers(1, 5, size=(4, 10)).astype(np.int32)
    w2 = rng.integers(1, 5, size=(10, 16)).astype(np.int32)
    net = integer_net([("input", 4), ("a", 10), ("b", 16)],
                      [Projection.from_dense("input", "a", w1, kind="dense"),
                       Projection.from_dense("a", "b", w2, kind="dense")])
    hw = chip(max_neurons=8, synapse_formats=("sparse",), max_fan_out_axons=8, share_cores_between_layers=False)
    hw = replace(hw, mesh=big_mesh(hw, 4, 4))
    c = compile_network(net, hw, "sparse")
    for u in c.usage:
        assert u.fan_out_axons <= 8 and u.routing_entries <= hw.core.routing_table_entries
    a_pieces = [k.neurons for cc in c.cores for k in cc if k.population == "a"]
    assert max(a_pieces) <= 4 and sum(a_pieces) == 10


def test_fan_out_that_no_split_fixes_is_a_fit_error():
    import pytest

    from neurosim.errors import FitError

    rng = np.random.default_rng(2)
    w1 = rng.integers(1, 5, size=(4, 2)).astype(np.int32)
    w2 = rng.integers(1, 5, size=(2, 24)).astype(np.int32)
    net = integer_net([("input", 4), ("a", 2), ("b", 24)],
                      [Projection.from_dense("input", "a", w1, kind="dense"),
                       Projection.from_dense("a", "b", w2, kind="dense")])
    hw = chip(max_neurons=8, synapse_formats=("sparse",), max_fan_out_axons=2, share_cores_between_layers=False)
    hw = replace(hw, mesh=big_mesh(hw, 4, 4))
    msg = r"layer a: neuron 1 alone sends to 3 destination cores, core.max_fan_out_axons is 2 \(short by 1\)"
    with pytest.raises(FitError, match=msg):
        compile_network(net, hw, "sparse")

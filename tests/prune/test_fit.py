"""Pruning within a chip's budgets: hand-worked masks, regrowth that respects them, dead neurons
removed without changing what the network computes, and a network that then maps onto TrueNorth."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from neurosim.config import load_hardware
from neurosim.ir import Network, Neuron, Population, Projection, quantize, run
from neurosim.ir.trim import without_dead_neurons
from neurosim.mapper import compile_network
from neurosim.prune.fit import ChipBudget, allowed_masks, fit_network
from neurosim.prune.unstructured import prune_regrow


def test_sources_are_capped_from_the_last_layer_back():
    w0 = np.array([[1.0, 0.0, 0.0],      # input 0 -> hidden 0
                   [0.0, 5.0, 0.0],      # input 1 -> hidden 1
                   [0.0, 0.0, 3.0],      # input 2 -> hidden 2
                   [0.1, 0.1, 0.1]])     # input 3 -> all (weak)
    w1 = np.array([[4.0, 4.0],           # hidden 0 -> out (strong)
                   [0.5, 0.0],           # hidden 1 -> out (weak)
                   [2.0, 2.0]])          # hidden 2 -> out
    m0, m1 = allowed_masks([w0, w1], ChipBudget(max_sources=2, max_neurons=100, chips=("x",)))
    # the readout keeps hidden 0 and 2 (L1 8 and 4 > 0.5): hidden 1 is dead, so input 1 (which only fed
    # it) scores 0 into live neurons; layer 0 keeps inputs 0 and 2 (L1 1 and 3 > 0.2)
    assert m1.tolist() == [[True, True], [False, False], [True, True]]
    assert m0.tolist() == [[True, False, True], [False, False, False], [True, False, True], [False, False, False]]


def test_the_neuron_cap_drops_the_least_important_hidden_neurons():
    w0 = np.ones((2, 4)) * np.array([1.0, 2.0, 3.0, 4.0])
    w1 = np.ones((4, 1))
    m0, m1 = allowed_masks([w0, w1], ChipBudget(max_sources=99, max_neurons=3, chips=("x",)))
    # 3 neurons: the output and two hidden ones, those with the largest in x out L1 (3 and 4)
    assert m1[:, 0].tolist() == [False, False, True, True]
    assert m0.any(axis=0).tolist() == [False, False, True, True]


@settings(max_examples=30, deadline=None)
@given(st.integers(0, 10_000), st.floats(0.0, 0.9), st.floats(0.0, 0.5))
def test_no_weight_outside_the_budget_is_kept_or_regrown(seed, sparsity, r):
    from neurosim.prune.unstructured import RandomRegrowth

    rng = np.random.default_rng(seed)
    ws = [rng.normal(size=(12, 8)), rng.normal(size=(8, 3))]
    allowed = allowed_masks(ws, ChipBudget(max_sources=5, max_neurons=100, chips=("x",)))
    ev = prune_regrow(ws, sparsity, r, RandomRegrowth(rng), allowed=allowed)
    for m, a in zip(ev.masks, allowed, strict=True):
        assert not (m & ~a).any()
    assert ev.n_kept <= min(ev.n_keep, sum(int(a.sum()) for a in allowed))


def _chain(rng, sizes):
    pops = [Population("input", sizes[0])] + [Population(f"l{i}", n, neuron=Neuron(decay=0.9, threshold=1.0))
                                              for i, n in enumerate(sizes[1:])]
    shapes = list(zip(sizes, sizes[1:], strict=False))
    projs = [Projection.from_dense(pops[i].name, pops[i + 1].name, rng.normal(0.3, 1.0, s) * (rng.random(s) < 0.5))
             for i, s in enumerate(shapes)]
    return Network(pops, projs)


def test_dead_neurons_go_and_the_outputs_stay_the_same():
    rng = np.random.default_rng(3)
    net = _chain(rng, (20, 16, 4))
    w = net.projections[1]
    keep = w.pre_idx >= 5                                   # hidden neurons 0..4 lose every synapse out
    net = Network(net.populations, [net.projections[0], w.with_weights(w.weight, keep)])
    trimmed, removed = without_dead_neurons(net)
    assert removed == 5 and trimmed.pop("l0").size == 11 and trimmed.pop("l1").size == 4
    x = (rng.random((3, 12, 20)) < 0.3).astype(np.int32)
    assert np.array_equal(run(net, x).spikes["l1"], run(trimmed, x).spikes["l1"])


def test_a_fitted_network_maps_onto_truenorth():
    hw = load_hardware("truenorth")[0]
    net = _chain(np.random.default_rng(0), (784, 512, 10))
    with pytest.raises(Exception, match="max_fan_in_axons"):
        compile_network(quantize(net, hw.core.weight_bits, hw.core.state_bits), hw, objective="cores")
    fit = fit_network(net, ChipBudget.of([hw]))
    for pr in fit.projections:
        assert len(np.unique(pr.pre_idx)) <= 256
    chip = compile_network(quantize(fit, hw.core.weight_bits, hw.core.state_bits), hw, objective="cores")
    assert chip.n_cores >= 2 and fit.pop("l0").size == 256   # the readout takes 256 hidden neurons: the rest died


def test_synapse_cost_shares_the_row_among_its_synapses():
    from neurosim.prune.costaware import SynapseCost

    # one layer, 2 sources x 3 targets; targets 0, 1 on core 0 and target 2 on core 1
    cost = SynapseCost(cores=[np.array([0, 0, 1])], row_j=[np.array([[10.0, 20.0], [10.0, 20.0]])], syn_j=1.0,
                       chip="x")
    masks = [np.array([[True, True, True], [True, False, False]])]
    (c,) = cost.costs(masks)
    # source 0: row on core 0 holds 2 synapses (10 / 2 each), row on core 1 one (20); source 1: one synapse
    assert np.allclose(c, [[6.0, 6.0, 21.0], [11.0, 11.0, 21.0]])


def test_cost_aware_ranking_empties_the_sparse_row_first():
    from neurosim.prune.costaware import SynapseCost

    w = np.array([[1.0, 1.0, 1.0, 1.0], [1.1, 0.0, 0.0, 0.0]])      # source 1's row holds one synapse
    cost = SynapseCost(cores=[np.zeros(4, np.int64)], row_j=[np.full((2, 1), 8.0)], syn_j=1.0, chip="x")
    plain = prune_regrow([w], 0.75, 0.0, None, classifier=None)        # keep 2 of 8: |W| keeps 1.1 first
    aware = prune_regrow([w], 0.75, 0.0, None, classifier=None, costs=cost.costs([w != 0]))
    assert plain.masks[0][1, 0] and not aware.masks[0][1, 0]          # 1.1 / (1 + 8) < 1 / (1 + 2)
    assert aware.masks[0][0].sum() == 2


@pytest.mark.parametrize("method", ["magnitude", "gmp", "criticality", "slimming_criticality"])
def test_every_method_keeps_within_the_budget(method, tmp_path, monkeypatch):
    """A chip of one core taking 40 sources and 30 neurons: every method's levels respect both."""
    import dataclasses

    import yaml

    from neurosim.config import load_hardware, load_workload
    from neurosim.prune.workflow import prune_workload

    monkeypatch.setenv("NEUROSIM_CACHE", str(tmp_path / "cache"))
    d = yaml.safe_load(load_hardware("generic_mesh")[1].read_text())
    d.update(name="tiny_chip", mesh={**d["mesh"], "cols": 1, "rows": 1, "cores_per_router": 1})
    d["core"].update(max_fan_in_axons=40, max_neurons=30)
    chip = tmp_path / "tiny_chip.yaml"
    chip.write_text(yaml.safe_dump(d))
    wl = load_workload("digits_mlp")[0]
    layers = (wl.network.model.layers[0], dataclasses.replace(wl.network.model.layers[1], out=32),
              *wl.network.model.layers[2:])
    wl = dataclasses.replace(wl, network=dataclasses.replace(wl.network, model=dataclasses.replace(
        wl.network.model, epochs=1, layers=layers)), pruning=dataclasses.replace(
        wl.pruning, fit_to=(str(chip),), prune_epochs=1, finetune_epochs=1, interval=5))
    tm, rec = prune_workload(wl, 0.3, method)
    net, _ = without_dead_neurons(tm.to_network())
    for pr in net.projections:
        assert len(np.unique(pr.pre_idx)) <= 40
    assert sum(p.size for p in net.populations if not p.is_input) <= 30
    assert rec["fit_to"].startswith("≤ 40 sources per layer, ≤ 30 neurons")

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from neurosim.prune.structured import bn_l1_subgradient, select_channels, select_channels_per_layer

G = [np.array([0.9, -0.05, 0.4, 0.01]), np.array([0.3, -0.7, 0.02, 0.6, 0.08, 0.5])]
# sorted |gamma|: 0.01 0.02 0.05 0.08 0.3 0.4 0.5 0.6 0.7 0.9
C = [np.array([0.1, 0.8, 0.3, 0.2]), np.array([0.4, 0.0, 0.9, 0.1, 0.2, 0.3])]


def test_plain_slimming():
    sel = select_channels(G, 0.5)               # n_p = 5, g = 0, thr = y[5] = 0.4
    assert (sel.n_prune, sel.growth, sel.threshold) == (5, 0, 0.4)
    assert [m.tolist() for m in sel.masks] == [[True, False, False, False], [False, True, False, True, False, True]]
    assert sel.n_kept == 4 and sel.channel_sparsity == 0.6


def test_regeneration_hand_computed():
    sel = select_channels(G, 0.5, growth_rate=0.2, scores=C)   # g = int(5 * 0.2) = 1, thr = y[6] = 0.5
    assert (sel.growth, sel.threshold, sel.n_magnitude) == (1, 0.5, 3)
    # pruned channel with the highest score: layer 1 channel 2 (score 0.9, |gamma| 0.02); 0.8 is layer 0 ch 1
    assert sel.rho == 0.9 and sel.n_regrown == 1
    assert [m.tolist() for m in sel.masks] == [[True, False, False, False], [False, True, True, True, False, False]]


def test_regeneration_ties_all_regrow_and_kept_channels_are_not_candidates():
    scores = [np.array([5.0, 1.0, 1.0, 0.0]), np.zeros(6)]   # 5.0 is on a kept channel
    sel = select_channels(G, 0.5, growth_rate=0.2, scores=scores)
    assert sel.rho == 1.0 and sel.n_regrown == 2
    assert sel.masks[0].tolist() == [True, True, True, False]


def test_empty_layer_is_rescued():
    g = [np.array([0.001, 0.002]), np.array([1.0, 2.0, 3.0, 4.0])]
    sel = select_channels(g, 0.5)               # n_p = 3, thr = y[3] = 2.0 -> keeps 3, 4 only
    assert sel.masks[0].tolist() == [False, True] and sel.n_rescued == 1
    assert sel.masks[1].tolist() == [False, False, True, True]
    assert select_channels(g, 0.5, min_channels=0).masks[0].tolist() == [False, False]


def test_errors():
    with pytest.raises(ValueError):
        select_channels(G, 1.0)
    with pytest.raises(ValueError):
        select_channels(G, 0.5, growth_rate=0.2)          # no scores
    with pytest.raises(ValueError):
        select_channels(G, 0.5, growth_rate=0.2, scores=[np.zeros(3)])


def test_l1_subgradient():
    out = bn_l1_subgradient([np.array([0.5, -2.0, 0.0])], 1e-4)
    np.testing.assert_allclose(out[0], [1e-4, -1e-4, 0.0])


@settings(max_examples=100, deadline=None)
@given(st.lists(st.integers(1, 8), min_size=1, max_size=4), st.integers(0, 2**32 - 1),
       st.floats(0.0, 0.95), st.floats(0.0, 0.5))
def test_selection_invariants(sizes, seed, p, rate):
    rng = np.random.default_rng(seed)
    gammas = [rng.normal(size=n) for n in sizes]
    scores = [rng.random(n) for n in sizes]
    sel = select_channels(gammas, p, rate, scores)
    total = sum(sizes)
    assert sel.n_kept == sum(int(m.sum()) for m in sel.masks)
    assert all(m.any() for m in sel.masks)
    assert sel.n_magnitude == max(0, total - sel.n_prune - sel.growth - 1)   # continuous: no |gamma| ties
    assert sel.n_regrown == min(sel.growth, total - sel.n_magnitude)         # continuous scores: no ties
    # every kept-by-magnitude channel beats every pruned one
    flat_g = np.abs(np.concatenate(gammas))
    kept = np.concatenate(sel.masks)
    if kept.any() and (~kept).any():
        assert flat_g[kept].max() > flat_g[~kept].min() or sel.n_magnitude == 0


def test_per_layer_selection_hand_computed():
    # total 10, p = 0.5 -> keep 10 - 5 - 1 = 4, shared 4 * 4/10 = 1.6 and 4 * 6/10 = 2.4 -> 1 + 2, remainder to
    # layer 0 (0.6 > 0.4) -> 2 + 2
    sel = select_channels_per_layer(G, 0.5)
    assert [m.tolist() for m in sel.masks] == [[True, False, True, False], [False, True, False, True, False, False]]
    assert sel.n_kept == select_channels(G, 0.5).n_kept == 4
    small = [np.ones(1), np.ones(1), np.ones(1), np.arange(8.0)]   # keep max(11 - 9 - 1, 4) = 4: one per layer
    assert [int(m.sum()) for m in select_channels_per_layer(small, 0.9).masks] == [1, 1, 1, 1]


@settings(max_examples=50, deadline=None)
@given(st.lists(st.integers(1, 8), min_size=1, max_size=4), st.integers(0, 2**32 - 1), st.floats(0.0, 0.95))
def test_per_layer_selection_matches_the_global_count(sizes, seed, p):
    rng = np.random.default_rng(seed)
    gammas = [rng.normal(size=n) for n in sizes]
    sel = select_channels_per_layer(gammas, p)
    assert all(m.any() for m in sel.masks)
    assert sel.n_kept == max(sum(sizes) - int(sum(sizes) * p) - 1, len(sizes))

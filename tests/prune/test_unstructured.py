import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from neurosim.prune.unstructured import (
    CriticalityRegrowth,
    GradientRegrowth,
    RandomRegrowth,
    broadcast_channels,
    connection_sparsity,
    layer_quantiles,
    magnitude_masks,
    n_keep_for,
    prune_regrow,
)

# Two layers of 3x4 weights (rows = output channels); the second is the classifier.
W0 = np.array([[12., -1., 7., 3.],
               [-9., 2., 11., -5.],
               [4., -10., 6., 8.]])
W1 = np.array([[0.5, -13., 1.5, 14.],
               [2.5, -0.2, 9.5, -6.5],
               [3.5, 0.1, -4.5, 5.5]])
# sparsity 0.5 -> n_keep = 12 = the magnitudes >= 5.5:
#   classifier: 14, 13, 9.5, 6.5, 5.5 (5);  layer 0: 12, 11, 10, 9, 8, 7, 6 (7)  -> n' = 7
PURE0 = np.abs(W0) >= 6
PURE1 = np.abs(W1) >= 5.5
TOP5_0 = np.abs(W0) >= 8          # layer 0 keeps n' - g = 5 by magnitude when g = 2


def masks_of(ev):
    return [m.astype(int).tolist() for m in ev.masks]


def test_pure_gmp_is_global_magnitude():
    ev = prune_regrow([W0, W1], 0.5, 0.3, None)
    assert ev.n_keep == 12 and ev.growth == 0 and ev.n_regrown == 0
    np.testing.assert_array_equal(ev.masks[0], PURE0)
    np.testing.assert_array_equal(ev.masks[1], PURE1)
    for got, want in zip(magnitude_masks([W0, W1], 0.5), [PURE0, PURE1], strict=True):
        np.testing.assert_array_equal(got, want)
    assert ev.sparsity == 0.5 and ev.survival == 0.0


def test_criticality_regrowth_hand_computed():
    crit = CriticalityRegrowth([np.array([0.2, 0.9, 0.5]), None])
    ev = prune_regrow([W0, W1], 0.5, 0.3, crit)   # g = floor(0.3 * 7) = 2
    assert (ev.n_classifier, ev.n_magnitude, ev.growth, ev.n_regrown, ev.rho) == (5, 5, 2, 2, 0.9)
    # channel 1 (score 0.9) has exactly two pruned weights, (1, 1) = 2 and (1, 3) = -5: both regrow
    want0 = TOP5_0.copy()
    want0[1, 1] = want0[1, 3] = True
    np.testing.assert_array_equal(ev.masks[0], want0)
    np.testing.assert_array_equal(ev.masks[1], PURE1)          # classifier: magnitude only
    # regrown weights start at 0; weights dropped by magnitude (7 and 6) are zeroed
    np.testing.assert_array_equal(ev.weights[0], W0 * TOP5_0)
    assert ev.weights[0][1, 1] == 0 and ev.weights[0][1, 3] == 0
    # survival: dense before; 12 weights fall outside the pure-magnitude budget; 2 of them regrow
    assert ev.survival == pytest.approx(2 / 12)
    assert ev.sparsity == 0.5


def test_criticality_ties_are_all_regrown():
    crit = CriticalityRegrowth([np.array([0.2, 0.9, 0.5]), None])
    ev = prune_regrow([W0, W1], 0.5, 0.45, crit)  # g = floor(3.15) = 3; channel 2 has 3 pruned weights at 0.5
    assert (ev.n_magnitude, ev.growth, ev.n_regrown, ev.rho, ev.tie_overshoot) == (4, 3, 5, 0.5, 2)
    want0 = np.abs(W0) >= 9               # 4 kept by magnitude: 12, 11, 10, 9
    want0[1, [1, 3]] = True               # channel 1's pruned weights
    want0[2, [0, 2, 3]] = True            # channel 2's pruned weights (4, 6, 8) all tie at rho
    np.testing.assert_array_equal(ev.masks[0], want0)
    assert ev.n_kept == 14


def test_criticality_exact_ties_meet_the_budget():
    crit = CriticalityRegrowth([np.array([0.2, 0.9, 0.5]), None], ties="exact", rng=np.random.default_rng(0))
    ev = prune_regrow([W0, W1], 0.5, 0.45, crit)
    assert (ev.growth, ev.n_regrown, ev.tie_overshoot, ev.n_kept) == (3, 3, 0, 12)
    assert ev.masks[0][1, 1] and ev.masks[0][1, 3]                 # channel 1: both regrown
    assert int(ev.masks[0][2, [0, 2, 3]].sum()) == 1                 # channel 2: one of the three tied


def test_out_axis_one():
    crit = CriticalityRegrowth([np.array([0.2, 0.9, 0.5]), None], out_axis=1)
    ev = prune_regrow([W0.T, W1], 0.5, 0.3, crit)
    crit0 = CriticalityRegrowth([np.array([0.2, 0.9, 0.5]), None])
    np.testing.assert_array_equal(ev.masks[0], prune_regrow([W0, W1], 0.5, 0.3, crit0).masks[0].T)
    per_layer = CriticalityRegrowth([np.array([0.2, 0.9, 0.5]), None], out_axis=[1, 0])
    np.testing.assert_array_equal(prune_regrow([W0.T, W1], 0.5, 0.3, per_layer).masks[0], ev.masks[0])


def test_gradient_regrowth_hand_computed():
    grad0 = np.zeros((3, 4))
    grad0[0, 0] = 100.0                    # kept weight: not a candidate
    grad0[0, 1] = -3.0                     # pruned
    grad0[2, 2] = 2.0                      # pruned (6: dropped by the reserved growth budget)
    grad0[1, 3] = 1.0                      # pruned, third best
    ev = prune_regrow([W0, W1], 0.5, 0.3, GradientRegrowth([grad0, np.ones((3, 4))]))
    want0 = TOP5_0.copy()
    want0[0, 1] = want0[2, 2] = True
    np.testing.assert_array_equal(ev.masks[0], want0)
    np.testing.assert_array_equal(ev.masks[1], PURE1)
    assert ev.rho == 2.0 and ev.n_regrown == 2
    # (2, 2) was alive and would survive pure magnitude: not counted in survival; (0, 1) was not: 1 of 12
    assert ev.survival == pytest.approx(1 / 12)


def test_gradient_ties_select_exactly_g():
    ev = prune_regrow([W0, W1], 0.5, 0.3, GradientRegrowth([np.zeros((3, 4)), None]))
    assert ev.n_regrown == 2 and ev.n_kept == 12


def test_random_regrowth_selects_g_pruned_weights():
    ev = prune_regrow([W0, W1], 0.5, 0.3, RandomRegrowth(np.random.default_rng(7)))
    u = np.random.default_rng(7).random((3, 4))
    cand = np.flatnonzero(~TOP5_0)
    best = cand[np.argsort(-u.ravel()[cand])[:2]]
    want0 = TOP5_0.copy()
    want0.ravel()[best] = True
    np.testing.assert_array_equal(ev.masks[0], want0)
    assert ev.n_kept == 12


def test_previous_masks_drive_survival():
    prev = [np.abs(W0) >= 3, np.ones((3, 4), bool)]   # -1 and 2 were already pruned
    crit = CriticalityRegrowth([np.array([0.2, 0.9, 0.5]), None])
    ev = prune_regrow([W0, W1], 0.5, 0.3, crit, previous_masks=prev)
    # would die now and alive before: -5, 4, 3 (layer 0) and 7 classifier weights -> 10; regrown among them: -5
    assert ev.survival == pytest.approx(1 / 10)


def test_zero_weights_are_never_kept_by_magnitude():
    w = [np.array([[0.0, 0.0, 1.0, 2.0]]), np.array([[3.0, 0.0]])]
    ev = prune_regrow(w, 0.0, 0.0, None)
    assert ev.n_keep == 6 and ev.n_kept == 3
    assert magnitude_masks(w, 0.0)[0].tolist() == [[False, False, True, True]]


def test_magnitude_layer_scope():
    m = magnitude_masks([W0, W1], 0.5, scope="layer")
    assert [int(x.sum()) for x in m] == [6, 6]
    assert connection_sparsity(m) == 0.5
    with pytest.raises(ValueError):
        magnitude_masks([W0], 0.5, scope="per-row")


def test_layer_scope_keeps_a_small_scale_layer_that_global_ranking_empties():
    """A middle layer 1000x smaller (a conv layer before BatchNorm can be) loses every weight to a
    global |W| threshold; ranked by per-layer quantile, every layer keeps half."""
    small = W0 / 1000.0
    glob = prune_regrow([W0, small, W1], 0.5, 0.0, None)
    assert [int(m.sum()) for m in glob.masks] == [10, 0, 8]  # the 18 largest |W|: >= 3 and >= 2.5
    lay = prune_regrow([W0, small, W1], 0.5, 0.0, None, scope="layer")
    assert [int(m.sum()) for m in lay.masks] == [6, 6, 6]
    np.testing.assert_array_equal(lay.masks[1], np.abs(W0) >= 7)  # within a layer, still its 6 largest |W|
    np.testing.assert_array_equal(layer_quantiles([np.array([0.0, -3.0, 1.0, 2.0])]), [0.0, 1.0, 0.5, 0.75])
    with pytest.raises(ValueError):
        prune_regrow([W0, W1], 0.5, 0.0, None, scope="row")


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(st.integers(1, 6), st.integers(1, 7)), min_size=2, max_size=4),
       st.floats(0.0, 0.99), st.integers(0, 2**32 - 1))
def test_layer_scope_keeps_the_same_fraction_of_every_layer(shapes, sparsity, seed):
    rng = np.random.default_rng(seed)
    weights = [rng.normal(size=s) * 10.0 ** rng.integers(-3, 4) for s in shapes]
    ev = prune_regrow(weights, sparsity, 0.0, None, scope="layer")
    frac = [m.sum() / m.size for m in ev.masks]
    tol = max(1.0 / m.size for m in ev.masks) + 1e-9
    assert max(frac) - min(frac) <= tol
    assert sum(int(m.sum()) for m in ev.masks) == ev.n_keep
    for m, w in zip(ev.masks, weights, strict=True):  # kept weights are the layer's largest
        if m.any() and not m.all():
            assert np.abs(w[m]).min() >= np.abs(w[~m]).max()


def test_helpers_and_errors():
    assert n_keep_for(10, 0.9) == 1 and n_keep_for(100, 0.95) == 5
    np.testing.assert_array_equal(broadcast_channels(np.array([1., 2.]), (2, 3, 1, 1))[:, :, 0, 0],
                                  [[1, 1, 1], [2, 2, 2]])
    with pytest.raises(ValueError):
        broadcast_channels(np.array([1., 2.]), (3, 2))
    with pytest.raises(ValueError):
        prune_regrow([W0, W1], 0.5, 1.5, None)
    with pytest.raises(ValueError):
        prune_regrow([W0, W1], 0.5, 0.3, CriticalityRegrowth([None, None]))


@st.composite
def problems(draw):
    n_layers = draw(st.integers(2, 4))
    shapes = [(draw(st.integers(1, 5)), draw(st.integers(1, 6))) for _ in range(n_layers)]
    seed = draw(st.integers(0, 2**32 - 1))
    sparsity = draw(st.floats(0.0, 0.99))
    r = draw(st.floats(0.0, 1.0))
    rule = draw(st.sampled_from(["none", "random", "gradient", "criticality", "criticality_int", "exact"]))
    return shapes, seed, sparsity, r, rule


@settings(max_examples=150, deadline=None)
@given(problems())
def test_event_invariants(problem):
    shapes, seed, sparsity, r, rule_name = problem
    rng = np.random.default_rng(seed)
    weights = [rng.normal(size=s) for s in shapes]
    if rule_name == "none":
        rule = None
    elif rule_name == "random":
        rule = RandomRegrowth(rng)
    elif rule_name == "gradient":
        rule = GradientRegrowth([rng.normal(size=s) for s in shapes])
    else:   # continuous scores, or small integers that tie across channels
        draw = (lambda n: rng.random(n)) if rule_name == "criticality" else (lambda n: rng.integers(0, 3, n) * 1.0)
        ties = "exact" if rule_name == "exact" else "all"
        rule = CriticalityRegrowth([draw(s[0]) for s in shapes[:-1]] + [None], ties=ties, rng=rng)
    ev = prune_regrow(weights, sparsity, r, rule)
    n_total = sum(w.size for w in weights)

    assert all(m.dtype == bool and m.shape == w.shape for m, w in zip(ev.masks, weights, strict=True))
    # classifier: exactly its part of the pure global magnitude budget, never regrown
    np.testing.assert_array_equal(ev.masks[-1], magnitude_masks(weights, sparsity)[-1])
    # regrown weights (mask on, not kept by magnitude) are zero; every nonzero weight is masked in
    kept_by_magnitude = sum(int(np.count_nonzero(w)) for w in ev.weights)
    assert kept_by_magnitude == ev.n_classifier + ev.n_magnitude
    for w_new, w, m in zip(ev.weights, weights, ev.masks, strict=True):
        assert np.all(m[w_new != 0])
        np.testing.assert_array_equal(w_new[w_new != 0], w[w_new != 0])
    # budget: exactly n_keep, plus the documented tie overshoot of criticality regrowth
    n_mask = sum(int(m.sum()) for m in ev.masks)
    assert n_mask == ev.n_kept
    assert ev.n_keep == n_keep_for(n_total, sparsity)
    assert n_mask - ev.n_keep == ev.tie_overshoot >= 0
    if rule_name in ("none", "random", "gradient", "criticality", "exact"):
        if rule_name == "criticality":
            # ties only within one channel: overshoot below the largest fan-in
            assert ev.tie_overshoot < max(s[1] for s in shapes)
        else:
            assert ev.tie_overshoot == 0
    assert 0.0 <= ev.sparsity <= 1.0
    if rule is None or r == 0:
        assert ev.n_regrown == 0

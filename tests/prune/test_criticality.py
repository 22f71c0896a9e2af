import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from neurosim.prune.criticality import (
    CriticalityMeter,
    aggregate,
    atan_grad,
    channel_criticality,
    crit_grad,
    crit_prim,
    dspike_prim,
)


def test_atan_grad_values():
    # alpha = 2: 1 / (1 + (pi x)^2)
    x = np.array([0.0, 0.5, -0.5, 1.0])
    expect = [1.0, 1 / (1 + math.pi ** 2 / 4), 1 / (1 + math.pi ** 2 / 4), 1 / (1 + math.pi ** 2)]
    np.testing.assert_allclose(atan_grad(x), expect, rtol=1e-12)
    # general alpha: alpha/2 / (1 + (pi alpha x / 2)^2); alpha = 4, x = 0.25 -> 2 / (1 + (pi/2)^2)
    assert atan_grad(np.array(0.25), alpha=4.0) == pytest.approx(2 / (1 + (math.pi / 2) ** 2))


def test_dspike_prim_matches_seed_paper_values():
    # seed_paper.md §1.2b (threshold 0.5, temp 3): f(0)=0, f(0.5)=0.5, f(1)=1.0, f(2)=1.05
    v = np.array([0.0, 0.5, 1.0, 2.0])
    f = dspike_prim(v - 0.5)
    np.testing.assert_allclose(f[:3], [0.0, 0.5, 1.0], atol=1e-12)
    t = math.tanh(1.5)
    assert f[3] == pytest.approx((math.tanh(4.5) + t) / (2 * t))
    assert round(f[3], 2) == 1.05
    # its derivative temp / (2 tanh(1.5)) at threshold is 1.66 (finite difference)
    h = 1e-6
    assert (dspike_prim(np.array(h)) - dspike_prim(np.array(-h))) / (2 * h) == pytest.approx(1.657, abs=1e-3)


def test_aggregate_hand_computed():
    # phi[T=2, B=2, C=2, H=1, W=2]
    phi = np.array([
        [[[[0.1, 0.5]], [[0.2, 0.2]]], [[[0.9, 0.0]], [[0.4, 0.6]]]],
        [[[[0.3, 0.1]], [[0.0, 0.2]]], [[[0.1, 0.2]], [[0.4, 0.0]]]],
    ])
    # mean over T: b0 c0 [0.2, 0.3] c1 [0.1, 0.2]; b1 c0 [0.5, 0.1] c1 [0.4, 0.3]
    # max over space: b0 [0.3, 0.2]; b1 [0.5, 0.4]; mean over B: [0.4, 0.3]
    np.testing.assert_allclose(aggregate(phi), [0.4, 0.3])
    # the order matters: max before the mean over time would give something else
    assert not np.allclose(phi.reshape(2, 2, 2, 2).max(axis=3).mean(axis=(0, 1)), [0.4, 0.3])


def test_aggregate_linear_layer_is_mean_over_time_and_samples():
    phi = np.arange(12, dtype=float).reshape(2, 3, 2)  # [T, B, C]
    np.testing.assert_allclose(aggregate(phi), phi.mean(axis=(0, 1)))


def test_crit_grad_hand_computed_conv():
    # one channel sits at threshold at one position, the other never does
    v = np.zeros((1, 1, 2, 2, 2))
    v[0, 0, 0] = [[1.0, 0.0], [0.0, 0.0]]      # theta = 1 at one position -> max = 1
    v[0, 0, 1] = [[1.5, 2.0], [0.5, 0.0]]      # closest is 0.5 away
    np.testing.assert_allclose(crit_grad(v, threshold=1.0), [1.0, 1 / (1 + math.pi ** 2 / 4)])


def test_crit_prim_defaults_follow_unstructured_code():
    v = np.full((3, 4, 2), 0.5)
    v[..., 1] = 1.0
    np.testing.assert_allclose(crit_prim(v), [0.5, 1.0], atol=1e-12)


def test_grad_score_peaks_at_threshold():
    theta = 0.7
    levels = np.linspace(-1.0, 2.5, 141)          # includes 0.7 exactly at index 68
    v = np.broadcast_to(levels, (4, 3, levels.size)).copy()   # [T, B, C]: channel c sits at levels[c]
    scores = crit_grad(v, threshold=theta)
    assert levels[np.argmax(scores)] == pytest.approx(theta)
    assert scores.max() == pytest.approx(1.0)
    # prim, by contrast, keeps growing past threshold
    p = crit_prim(v, threshold=theta)
    assert np.all(np.diff(p) > 0)


@given(st.floats(-5, 5).filter(lambda x: abs(x) > 1e-6), st.floats(0.5, 8))
def test_grad_is_maximal_at_zero(x, alpha):
    assert atan_grad(np.array(x), alpha) < atan_grad(np.array(0.0), alpha)


@pytest.mark.parametrize("mu,sigma,expected", [(0.0, 0.25, 0.109), (1.0, 0.25, 0.729), (0.5, 0.50, 0.380)])
def test_gaussian_table_of_seed_paper(mu, sigma, expected):
    # seed_paper.md §1.4: E[g'(V - theta)] for V ~ N(mu, sigma), theta = 1, ATan alpha = 2, 2e5 samples
    rng = np.random.default_rng(1234)
    v = rng.normal(mu, sigma, size=(1, 200_000, 1))
    assert crit_grad(v, threshold=1.0)[0] == pytest.approx(expected, abs=0.004)


def test_gaussian_grad_score_tracks_entropy():
    # across the table's rows with sigma = 0.25, E[g'] and the binary entropy of firing both peak at mu = theta
    rng = np.random.default_rng(0)
    mus = np.array([0.0, 0.5, 1.0, 1.5])
    v = rng.normal(mus, 0.25, size=(1, 100_000, 4))
    p = (v > 1.0).mean(axis=(0, 1))
    h = -(p * np.log2(np.clip(p, 1e-12, 1)) + (1 - p) * np.log2(np.clip(1 - p, 1e-12, 1)))
    g = crit_grad(v)
    assert np.argmax(g) == np.argmax(h) == 2
    np.testing.assert_allclose(p, [0.000, 0.023, 0.501, 0.977], atol=0.005)


def test_meter_averages_batches_with_equal_weight():
    m = CriticalityMeter("grad", threshold=1.0)
    b1 = [np.full((2, 1, 3), 1.0)]              # score 1 for every channel, 1 sample
    b2 = [np.full((2, 4, 3), 2.0)]              # score 1/(1+pi^2), 4 samples
    m.update(b1)
    np.testing.assert_allclose(m.scores()[0], [1.0] * 3)
    m.update(b2)
    np.testing.assert_allclose(m.scores()[0], [(1 + 1 / (1 + math.pi ** 2)) / 2] * 3)
    assert m.batches == 2
    with pytest.raises(ValueError):
        m.update(b1 + b1)
    m.reset()
    with pytest.raises(ValueError):
        m.scores()


def test_bad_inputs():
    with pytest.raises(ValueError):
        channel_criticality(np.zeros((2, 3, 4)), form="nope")
    with pytest.raises(ValueError):
        aggregate(np.zeros((2, 3)))
    with pytest.raises(ValueError):
        CriticalityMeter("bell")

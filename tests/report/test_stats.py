"""Intervals shown with every figure: hand-computed values."""

import math

import pytest

from neurosim.report.stats import mean_ci, t975, wilson, with_interval


def test_mean_ci_is_the_student_t_interval():
    m, lo, hi = mean_ci([10.0, 12.0, 14.0])            # s = 2, t(2) = 4.3027
    half = 4.303 * 2 / math.sqrt(3)
    assert m == 12.0 and lo == pytest.approx(12 - half, rel=1e-9) and hi == pytest.approx(12 + half, rel=1e-9)
    assert mean_ci([5.0]) == (5.0, 5.0, 5.0)


def test_a_mean_of_non_negative_values_keeps_a_non_negative_low_end():
    m, lo, hi = mean_ci([1.0, 2.0, 3.0])               # 2 - 2.484 < 0
    assert (m, lo) == (2.0, 0.0) and hi == pytest.approx(2 + 4.303 / math.sqrt(3), rel=1e-9)
    assert mean_ci([-1.0, 0.0, 1.0])[1] == pytest.approx(-4.303 / math.sqrt(3), rel=1e-9)


def test_t_quantile_beyond_the_table():
    # t(0.975) for 31, 40, 60, 120 degrees of freedom (standard tables)
    for df, t in ((31, 2.0395), (40, 2.0211), (60, 2.0003), (120, 1.9799)):
        assert t975(df) == pytest.approx(t, abs=2e-4)


def test_wilson_and_printing():
    p, lo, hi = wilson(90, 100)                        # Wilson 95 %: [0.8256, 0.9448]
    assert p == 0.9 and lo == pytest.approx(0.8256, abs=1e-4) and hi == pytest.approx(0.9448, abs=1e-4)
    assert with_interval(43.41, 42.2, 44.6) == "43.4 ± 1.2"
    assert with_interval(2.0, 0.0, 4.5) == "2.0 ± 2.5"   # an asymmetric interval prints its wider side

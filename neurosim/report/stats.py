"""Uncertainty of reported figures: 95 % confidence intervals of a mean over simulated samples
(Student t) and of an accuracy over a test set (Wilson score), and numbers printed with as many
significant digits as their interval supports."""

from __future__ import annotations

import math

import numpy as np

# two-sided 95 % quantiles of Student's t for 1..30 degrees of freedom (beyond: the normal 1.96)
_T975 = (12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.160, 2.145,
         2.131, 2.120, 2.110, 2.101, 2.093, 2.086, 2.080, 2.074, 2.069, 2.064, 2.060, 2.056, 2.052, 2.048,
         2.045, 2.042)


def t975(df: int) -> float:
    """Two-sided 95 % quantile of Student's t: the table up to 30 degrees of freedom, then the
    Cornish-Fisher expansion around the normal 1.96 (error < 1e-4 from 30 on)."""
    if df <= len(_T975):
        return _T975[max(df, 1) - 1]
    z, v = 1.959964, float(df)
    return (z + (z**3 + z) / (4 * v) + (5 * z**5 + 16 * z**3 + 3 * z) / (96 * v**2)
            + (3 * z**7 + 19 * z**5 + 17 * z**3 - 15 * z) / (384 * v**3))


def mean_ci(values) -> tuple[float, float, float]:
    """(mean, low, high) of the 95 % interval of the mean of `values`; one value has no spread
    to estimate, so its interval is the value itself (and says so by having zero width only then).
    The mean of values that are all ≥ 0 (energies, times) cannot be negative: its low end stops at 0."""
    x = np.asarray(values, np.float64)
    m = float(x.mean())
    if x.size < 2:
        return m, m, m
    half = t975(x.size - 1) * float(x.std(ddof=1)) / math.sqrt(x.size)
    low = m - half
    return m, max(low, 0.0) if x.min() >= 0 else low, m + half


def relative_half_width(ci: tuple[float, float, float]) -> float:
    """The wider side of a (mean, low, high) interval as a fraction of the mean (inf if the mean is 0
    and the interval is not)."""
    m, lo, hi = ci
    half = max(hi - m, m - lo)
    return 0.0 if half == 0 else (half / abs(m) if m else math.inf)


def wilson(correct: int, n: int) -> tuple[float, float, float]:
    """(accuracy, low, high): the Wilson score 95 % interval of a proportion correct / n."""
    if n <= 0:
        return math.nan, math.nan, math.nan
    z = 1.96
    p = correct / n
    d = 1 + z * z / n
    c = (p + z * z / (2 * n)) / d
    h = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / d
    return p, max(0.0, c - h), min(1.0, c + h)


def with_interval(mean: float, lo: float, hi: float, scale: float = 1.0) -> str:
    """`mean ± half-width` with the digits the interval supports: the half-width to 2 significant
    digits, the mean to the same decimal place (e.g. 43.4 ± 1.2); a zero-width interval prints the
    mean to 4 significant digits."""
    m, half = mean * scale, max(hi - mean, mean - lo) * scale
    if not math.isfinite(m):
        return "–"
    if half <= 0 or not math.isfinite(half):
        return f"{m:.4g}"
    decimals = max(0, 1 - math.floor(math.log10(half)))
    return f"{m:.{decimals}f} ± {half:.{decimals}f}"

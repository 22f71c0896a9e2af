"""Surrogate gradients of the spike nonlinearity s = H(v − θ).

The forward pass always uses the step function; the backward pass uses the derivative of a smooth
stand-in. Each surrogate also offers that smooth function itself (`smooth`), so that BPTT can be
checked exactly against finite differences in tests.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class ATan:
    """ATan surrogate (Fang et al. 2021): g(x) = 1/π·atan(π/2·α·x) + 1/2,
    g'(x) = α/2 / (1 + (π/2·α·x)²)."""

    alpha: float = 2.0

    def grad(self, x: np.ndarray) -> np.ndarray:
        a = self.alpha
        return (a / 2) / (1 + (math.pi / 2 * a * x) ** 2)

    def smooth(self, x: np.ndarray) -> np.ndarray:
        return np.arctan(math.pi / 2 * self.alpha * x) / math.pi + 0.5


@dataclass(frozen=True)
class FastSigmoid:
    """Fast-sigmoid surrogate (SuperSpike): g'(x) = 1 / (1 + k|x|)², antiderivative ½ + x/(1 + k|x|)."""

    slope: float = 25.0

    def grad(self, x: np.ndarray) -> np.ndarray:
        return 1.0 / (1 + self.slope * np.abs(x)) ** 2

    def smooth(self, x: np.ndarray) -> np.ndarray:
        return 0.5 + x / (1 + self.slope * np.abs(x))


SURROGATES = {"atan": ATan, "fast_sigmoid": FastSigmoid}


def make_surrogate(name: str, alpha: float = 2.0):
    """Surrogate by name ('atan' uses `alpha`; 'fast_sigmoid' uses it as the slope)."""
    if name == "atan":
        return ATan(alpha)
    if name == "fast_sigmoid":
        return FastSigmoid(alpha)
    raise ValueError(f"unknown surrogate {name!r}; known: {', '.join(SURROGATES)}")

"""Neuron criticality from membrane potentials (seed paper, Chen et al. 2311.16141, as in the authors' code).

A neuron (or a conv channel) is *critical* when its pre-reset membrane potential V sits near the
firing threshold θ: there a small input change flips the spike, and a binary spike with firing
probability 0.5 carries the most information. Two per-element forms are provided, because the two
code paths of the seed paper disagree (seed_paper.md §1.3):

* ``grad`` — the ATan surrogate *derivative* g'(V − θ) = (α/2) / (1 + (π α (V − θ) / 2)²); for the
  default α = 2 this is 1 / (1 + (π (V − θ))²), a bell that equals 1 at V = θ (structured path,
  ``channel_pruning/vggprune.py``, θ = 1).
* ``prim`` — the Dspike-style surrogate *function* (a soft step), the active line of the released
  unstructured code (``weight_pruning/core.py``):
  (tanh(temp (V − θ)) + tanh(temp · w)) / (2 tanh(temp · w)) with temp = 3 and w = 0.5.
  ``w`` is the half-width of Dspike's clamp window [θ − w, θ + w] (the code clamps x to [0, 1] around
  its effective threshold 0.5), which makes the function 0 at V = θ − w, 0.5 at θ and 1 at θ + w. The
  score is *not* clamped (as in the code), so it saturates at ≈ 1.05 above and ≈ −0.05 below.

Aggregation (seed_paper.md §1.2), for V of shape [T, B, C, *spatial] (linear layers: [T, B, C]):
mean over time → max over spatial positions → mean over samples, giving one score per channel.
Over several batches the per-batch scores are averaged with equal weight per batch (the code sums
the batch means and divides by the number of batches).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Literal

import numpy as np

from neurosim.snn.surrogate import ATan

Form = Literal["grad", "prim"]

#: Dspike temperature and clamp half-width of the released unstructured code (temp = 3.0, 0.5).
DSPIKE_TEMP = 3.0
DSPIKE_HALF_WIDTH = 0.5


def atan_grad(x: np.ndarray, alpha: float = 2.0) -> np.ndarray:
    """ATan surrogate derivative g'(x) = (α/2) / (1 + (π α x / 2)²) (spikingjelly ``ATan``)."""
    return ATan(alpha).grad(np.asarray(x, dtype=np.float64))


def dspike_prim(x: np.ndarray, temp: float = DSPIKE_TEMP, half_width: float = DSPIKE_HALF_WIDTH) -> np.ndarray:
    """Dspike-style surrogate function (tanh(temp·x) + tanh(temp·w)) / (2 tanh(temp·w)), unclamped."""
    x = np.asarray(x, dtype=np.float64)
    c = np.tanh(temp * half_width)
    return (np.tanh(temp * x) + c) / (2.0 * c)


def elementwise(v: np.ndarray, form: Form = "grad", threshold: float = 1.0, *, alpha: float = 2.0,
                temp: float = DSPIKE_TEMP, half_width: float = DSPIKE_HALF_WIDTH) -> np.ndarray:
    """Per-element criticality φ(V − θ) of the chosen form."""
    x = np.asarray(v, dtype=np.float64) - threshold
    if form == "grad":
        return atan_grad(x, alpha)
    if form == "prim":
        return dspike_prim(x, temp, half_width)
    raise ValueError(f"unknown criticality form {form!r}: use 'grad' or 'prim'")


def aggregate(phi: np.ndarray) -> np.ndarray:
    """[T, B, C, *spatial] per-element scores → [C]: mean over T, max over space, mean over B."""
    phi = np.asarray(phi)
    if phi.ndim < 3:
        raise ValueError(f"expected [T, B, C, *spatial] membrane potentials, got shape {phi.shape}")
    m = phi.mean(axis=0)  # [B, C, *spatial]
    if m.ndim > 2:
        m = m.reshape(m.shape[0], m.shape[1], -1).max(axis=2)
    return m.mean(axis=0)


def channel_criticality(v: np.ndarray, form: Form = "grad", threshold: float = 1.0, **kw) -> np.ndarray:
    """One batch's criticality per channel/neuron from pre-reset potentials V[T, B, C, *spatial]."""
    return aggregate(elementwise(v, form, threshold, **kw))


def crit_grad(v: np.ndarray, threshold: float = 1.0, alpha: float = 2.0) -> np.ndarray:
    """Bell-shaped score: aggregated ATan derivative g'(V − θ) (structured code path, θ = 1, α = 2)."""
    return channel_criticality(v, "grad", threshold, alpha=alpha)


def crit_prim(v: np.ndarray, threshold: float = 0.5, temp: float = DSPIKE_TEMP,
              half_width: float = DSPIKE_HALF_WIDTH) -> np.ndarray:
    """Soft-step score: aggregated Dspike primitive (released unstructured code, θ = 0.5, temp = 3)."""
    return channel_criticality(v, "prim", threshold, temp=temp, half_width=half_width)


class CriticalityMeter:
    """Accumulates per-layer channel criticality over batches: the mean of the per-batch scores.

    ``update`` takes the pre-reset potentials of every spiking layer of one batch, in layer order;
    ``scores()`` returns one array per layer. With one batch it is exactly that batch's score (the
    unstructured code path); over a pass of the training set it is §1.2's average over batches.
    """

    def __init__(self, form: Form = "grad", threshold: float = 1.0, **kw) -> None:
        elementwise(np.zeros(1), form, threshold, **kw)  # validate the form and options early
        self.form, self.threshold, self.kw = form, threshold, kw
        self._sums: list[np.ndarray] = []
        self.batches = 0

    def update(self, potentials: Sequence[np.ndarray] | Iterable[np.ndarray]) -> None:
        """Add one batch: ``potentials[l]`` is layer l's V with shape [T, B, C, *spatial]."""
        scores = [channel_criticality(v, self.form, self.threshold, **self.kw) for v in potentials]
        if self.batches == 0:
            self._sums = scores
        else:
            if len(scores) != len(self._sums):
                raise ValueError(f"got {len(scores)} layers, earlier batches had {len(self._sums)}")
            self._sums = [a + b for a, b in zip(self._sums, scores, strict=True)]
        self.batches += 1

    def scores(self) -> list[np.ndarray]:
        """Per-layer channel criticality, averaged over the batches seen so far."""
        if self.batches == 0:
            raise ValueError("no batch recorded yet")
        return [s / self.batches for s in self._sums]

    def reset(self) -> None:
        self._sums, self.batches = [], 0

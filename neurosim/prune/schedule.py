"""Gradual magnitude pruning (GMP) schedule: the cubic sparsity ramp of Zhu & Gupta used by GraNet
and the seed paper (seed_paper.md §2.2).

Pruning events happen every Δ training iterations, k = 1..K with K = floor(Np · iters_per_epoch / Δ);
after event k the target sparsity is s_k = s_f + (s_0 − s_f)(1 − k/K)³, i.e. s_f (1 − (1 − k/K)³) from a
dense start (s_0 = 0). After event K the mask is frozen (fine-tuning).
"""

from __future__ import annotations

import math
from dataclasses import dataclass


def cubic_sparsity(k: int, events: int, final: float, initial: float = 0.0) -> float:
    """Target sparsity after event k of K (k = 0 gives ``initial``, k = K gives ``final``)."""
    if events <= 0:
        raise ValueError(f"the schedule needs at least one pruning event, got {events}")
    k = min(max(k, 0), events)
    return final + (initial - final) * (1.0 - k / events) ** 3


def n_events(prune_epochs: float, iters_per_epoch: int, interval: int) -> int:
    """K = floor(Np · iters_per_epoch / Δ): how many pruning events fit into the pruning epochs."""
    if interval <= 0:
        raise ValueError(f"pruning interval must be a positive number of iterations, got {interval}")
    return math.floor(prune_epochs * iters_per_epoch / interval + 1e-9)


@dataclass(frozen=True)
class GMPSchedule:
    """When to prune and to which sparsity; iterations are counted from 1 (after the first SGD step)."""

    final_sparsity: float
    prune_epochs: float
    iters_per_epoch: int
    interval: int
    initial_sparsity: float = 0.0

    def __post_init__(self) -> None:
        if not 0.0 <= self.initial_sparsity <= self.final_sparsity < 1.0:
            raise ValueError("need 0 <= initial_sparsity <= final_sparsity < 1, got "
                             f"{self.initial_sparsity}, {self.final_sparsity}")
        if self.events < 1:
            raise ValueError(f"no pruning event: {self.prune_epochs} epochs x {self.iters_per_epoch} iterations "
                             f"is shorter than the interval {self.interval}; lower the interval")

    @property
    def events(self) -> int:
        """K, the number of pruning events."""
        return n_events(self.prune_epochs, self.iters_per_epoch, self.interval)

    def event_at(self, step: int) -> int | None:
        """The event index k if iteration ``step`` (1-based) prunes, else None."""
        if step <= 0 or step % self.interval:
            return None
        k = step // self.interval
        return k if k <= self.events else None

    def sparsity(self, k: int) -> float:
        """Target sparsity s_k after event k."""
        return cubic_sparsity(k, self.events, self.final_sparsity, self.initial_sparsity)

    @property
    def last_step(self) -> int:
        """The iteration of the last event; the mask is fixed afterwards."""
        return self.events * self.interval

"""Gradual pruning-regeneration during training (seed_paper.md §2.2), as a `neurosim.snn` trainer callback.

Training starts dense. On every Δ-th iteration k·Δ (k = 1..K) the callback runs one `prune_regrow` event at
the cubic schedule's sparsity s_k, with the regrowth rule's scores taken from *that* iteration: channel
criticality from the batch's pre-reset membrane potentials (one mini-batch, as the released code), the
batch's gradients |∂L/∂W| (GraNet), or random draws. Weights dropped by magnitude are zeroed, regrown ones
start at zero, and the trainer keeps applying the new masks after every optimiser step. After event K the
masks stay fixed: the remaining epochs are sparse fine-tuning. One-shot magnitude pruning is the special
case of a single event (K = 1) at the end of the dense phase with no regrowth.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import numpy as np

from neurosim.errors import ConfigError
from neurosim.prune.costaware import SynapseCost
from neurosim.prune.criticality import Form, channel_criticality
from neurosim.prune.fit import ChipBudget, allowed_masks
from neurosim.prune.schedule import GMPSchedule
from neurosim.prune.unstructured import (
    CriticalityRegrowth,
    GradientRegrowth,
    RandomRegrowth,
    Regrowth,
    Scope,
    Ties,
    prune_regrow,
)
from neurosim.snn.layers import LIF, Conv2d, Linear, Readout
from neurosim.snn.model import SNN

Rule = Literal["none", "criticality", "random", "gradient"]


@dataclass(frozen=True)
class MaskableLayer:
    """A weight the pruner masks: its parameter name, output-channel axis and the LIF it feeds."""

    param: str
    out_axis: int
    lif: str | None  # None for the classifier (it feeds the non-spiking readout)


def budget_masks(model: SNN, budget: ChipBudget) -> list[np.ndarray]:
    """`prune.fit.allowed_masks` for the maskable layers of a fully connected model, from its current
    weights; a ConfigError for a model with convolutions (their budgets are left to the mapper)."""
    layers = maskable_layers(model)
    ws = [model.param(ml.param).value for ml in layers]
    if any(w.ndim != 2 for w in ws):
        raise ConfigError("pruning.fit_to: fitting a network to a chip's budgets works for fully connected "
                          "networks; this one has convolutions (map it as it is, or prune it without fit_to)")
    return allowed_masks(ws, budget)


def maskable_layers(model: SNN) -> list[MaskableLayer]:
    """Every linear/conv weight in layer order, each with the first LIF (or readout) after it."""
    out: list[MaskableLayer] = []
    pending: Linear | Conv2d | None = None
    for layer in model.layers:
        if isinstance(layer, Linear | Conv2d):
            if pending is not None:
                raise ValueError(f"{pending.name} feeds {layer.name} without a spiking layer in between")
            pending = layer
        elif isinstance(layer, LIF | Readout) and pending is not None:
            out.append(MaskableLayer(pending.weight.name, 1 if isinstance(pending, Linear) else 0,
                                     layer.name if isinstance(layer, LIF) else None))
            pending = None
    if not out or out[-1].lif is not None:
        raise ValueError("the model must end with a weight layer feeding the readout (the classifier)")
    return out


@dataclass
class GradualPruner:
    """Trainer callback ``(trainer, step, record)`` that prunes and regrows on a GMP schedule.

    ``rule``: none (pure GMP; r is ignored), criticality (``form`` grad or prim, at ``threshold``, default
    the LIF threshold; ``ties`` all as the seed code, or exact), random, or gradient. ``scope``: global
    (the seed method) or layer magnitude ranking (`prune_regrow`). ``log`` keeps one dict per event.
    """

    model: SNN
    schedule: GMPSchedule
    rule: Rule = "criticality"
    r: float = 0.2
    form: Form = "grad"
    threshold: float | None = None
    seed: int = 0
    ties: Ties = "all"
    scope: Scope = "global"
    allowed: list[np.ndarray] | None = None   # the only weights that may be kept or regrown (`prune.fit`)
    cost: SynapseCost | None = None           # rank |W| per joule on a chip (`prune.costaware`)
    log: list[dict] = field(default_factory=list)

    def __post_init__(self) -> None:
        if self.rule not in ("none", "criticality", "random", "gradient"):
            raise ValueError(f"unknown regrowth rule {self.rule!r}")
        self.layers = maskable_layers(self.model)
        self.masks: list[np.ndarray] | None = None
        self.rng = np.random.default_rng(self.seed)
        if self.threshold is None:
            self.threshold = float(self.model.lif_layers()[0].threshold) if self.model.lif_layers() else 1.0

    def _regrowth(self, potentials: dict[str, np.ndarray]) -> Regrowth | None:
        if self.rule == "criticality":
            scores = [None if ml.lif is None else channel_criticality(potentials[ml.lif], self.form, self.threshold)
                      for ml in self.layers]
            return CriticalityRegrowth(scores, [ml.out_axis for ml in self.layers], self.ties, self.rng)
        if self.rule == "random":
            return RandomRegrowth(self.rng)
        if self.rule == "gradient":
            return GradientRegrowth([self.model.param(ml.param).grad for ml in self.layers])
        return None

    def __call__(self, trainer, step: int, record) -> None:
        k = self.schedule.event_at(step + 1)
        if k is None:
            return
        params = [self.model.param(ml.param) for ml in self.layers]
        costs = None
        if self.cost is not None:   # row shares counted under the masks as they stand before this event
            costs = self.cost.costs(self.masks or [p.value != 0 for p in params])
        ev = prune_regrow([p.value for p in params], self.schedule.sparsity(k), self.r,
                          self._regrowth(record.potentials), previous_masks=self.masks, scope=self.scope,
                          allowed=self.allowed, costs=costs)
        for p, w in zip(params, ev.weights, strict=True):
            p.value[...] = w
        trainer.set_masks({**trainer.masks, **{ml.param: m for ml, m in zip(self.layers, ev.masks, strict=True)}})
        self.masks = ev.masks
        self.log.append({"event": k, "step": step + 1, "target_sparsity": self.schedule.sparsity(k),
                         "sparsity": ev.sparsity, "regrown": ev.n_regrown, "growth": ev.growth,
                         "survival": ev.survival})

    def mask_dict(self) -> dict[str, np.ndarray]:
        """{parameter name: bool mask} after the last event (empty before the first)."""
        if self.masks is None:
            return {}
        return {ml.param: m for ml, m in zip(self.layers, self.masks, strict=True)}

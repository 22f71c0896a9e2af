"""Channel pruning on a `neurosim.snn` model: which BatchNorm layers own prunable channels, the L1 pressure on
their scales during training, the criticality pass over the training set, and physical channel removal.

A prunable channel group is a BatchNorm layer that sits between a linear/conv layer (its *producer*) and a
LIF layer; removing channel c deletes the producer's output c, the BN entries c, and the next linear/conv
layer's input c (after a Flatten: the c-th block of H·W inputs). Removed channels are gone from the
exported network; kept channels keep their trained weights (regenerated ones included), as in §2.3.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Literal

import numpy as np

from neurosim.prune.criticality import CriticalityMeter, Form
from neurosim.prune.structured import bn_l1_subgradient
from neurosim.snn.layers import LIF, BatchNorm, Conv2d, Flatten, Linear, Readout
from neurosim.snn.model import SNN


@dataclass(frozen=True)
class ChannelGroup:
    """Layer indices (into ``model.layers``) of one prunable group."""

    bn: int
    producer: int
    lif: int
    consumer: int
    flatten: int | None  # a Flatten between the LIF and the consumer


def channel_groups(model: SNN) -> list[ChannelGroup]:
    """Every BN whose channels can be removed: producer → BN → (pool) → LIF → … → consumer."""
    layers = model.layers
    groups = []
    for i, layer in enumerate(layers):
        if not isinstance(layer, BatchNorm):
            continue
        prod = next((j for j in range(i - 1, -1, -1) if isinstance(layers[j], Linear | Conv2d)), None)
        lif = next((j for j in range(i + 1, len(layers)) if isinstance(layers[j], LIF | Readout | Linear | Conv2d)),
                   None)
        if prod is None or lif is None or not isinstance(layers[lif], LIF):
            continue
        cons = next((j for j in range(lif + 1, len(layers)) if isinstance(layers[j], Linear | Conv2d)), None)
        if cons is None:
            continue
        flat = next((j for j in range(lif + 1, cons) if isinstance(layers[j], Flatten)), None)
        groups.append(ChannelGroup(i, prod, lif, cons, flat))
    return groups


def bn_gammas(model: SNN, groups: list[ChannelGroup] | None = None) -> list[np.ndarray]:
    """The BN scales γ of every prunable group, in layer order."""
    groups = channel_groups(model) if groups is None else groups
    return [model.layers[g.bn].gamma.value for g in groups]


@dataclass
class BNL1:
    """Trainer callback: L1 pressure on the BN scales of prunable groups (network slimming's ``updateBN``).

    ``mode`` gradient (the seed code): before the optimiser step, s·sign(γ) is added to γ's gradient, so
    the pressure goes through the optimiser (with Adam it is rescaled like every gradient). ``mode`` shrink:
    after the step, a decoupled step scaled by the learning-rate schedule, γ ← γ − s·(lr_t / lr_peak)·sign(γ),
    clipped at 0 (it never flips a sign); ``strength`` s is then the shrink per iteration at peak rate.
    """

    model: SNN
    strength: float
    mode: Literal["gradient", "shrink"] = "shrink"

    def __post_init__(self) -> None:
        if self.mode not in ("gradient", "shrink"):
            raise ValueError(f"mode must be 'gradient' or 'shrink', got {self.mode!r}")
        self.groups = channel_groups(self.model)

    def before_step(self, trainer, step: int, lr: float) -> None:
        if self.mode == "gradient":
            gammas = [self.model.layers[g.bn].gamma for g in self.groups]
            for gamma, sub in zip(gammas, bn_l1_subgradient([p.value for p in gammas], self.strength), strict=True):
                gamma.grad += sub

    def __call__(self, trainer, step: int, record) -> None:
        if self.mode != "shrink":
            return
        scale = self.strength * (record.lr / trainer.lr if trainer.lr else 0.0)
        for g in self.groups:
            gamma = self.model.layers[g.bn].gamma.value
            gamma[...] = np.sign(gamma) * np.maximum(np.abs(gamma) - scale, 0.0)


def criticality_pass(model: SNN, encoder, x: np.ndarray, form: Form = "grad", threshold: float | None = None,
                     batch_size: int = 128) -> list[np.ndarray]:
    """Channel criticality of every prunable group from one eval pass over ``x`` (§1.2a: batch means averaged)."""
    groups = channel_groups(model)
    names = [model.layers[g.lif].name for g in groups]
    if threshold is None:
        threshold = float(model.layers[groups[0].lif].threshold) if groups else 1.0
    meter = CriticalityMeter(form, threshold)
    for i in range(0, x.shape[0], batch_size):
        inp, timed = encoder.float_batch(x[i:i + batch_size])
        model.forward(inp, train=False, timed=timed)
        pots = model.potentials()
        meter.update([pots[n] for n in names])
    return meter.scores() if groups else []


def remove_channels(model: SNN, keep: list[np.ndarray]) -> SNN:
    """A new model without the channels whose ``keep`` entry is False (one bool array per group)."""
    groups = channel_groups(model)
    if len(keep) != len(groups):
        raise ValueError(f"{len(keep)} channel masks for {len(groups)} prunable groups")
    new = copy.deepcopy(model)
    layers = new.layers
    for g, m in zip(groups, keep, strict=True):
        m = np.asarray(m, dtype=bool)
        prod, bn, cons = layers[g.producer], layers[g.bn], layers[g.consumer]
        if m.size != bn.gamma.value.size:
            raise ValueError(f"{bn.name}: mask of {m.size} channels for {bn.gamma.value.size}")
        if isinstance(prod, Conv2d):
            prod.weight.value = prod.weight.value[m]
        else:
            prod.weight.value = prod.weight.value[:, m]
        if prod.bias is not None:
            prod.bias.value = prod.bias.value[m]
        for p in (bn.gamma, bn.beta):
            p.value = p.value[m]
        bn.running_mean, bn.running_var = bn.running_mean[m], bn.running_var[m]
        if isinstance(cons, Conv2d):
            cons.weight.value = cons.weight.value[:, m]
        else:
            rows = m
            if g.flatten is not None:
                per = int(np.prod(model.shapes[g.flatten][1:]))
                rows = np.repeat(m, per)
            cons.weight.value = cons.weight.value[rows]
    for layer in layers:
        if isinstance(layer, LIF):
            layer.potentials = None
        for p in layer.params():
            p.grad = None
    return SNN(layers, model.in_shape, model.timesteps)


def weight_count(model: SNN) -> int:
    """Number of linear/conv weights (the denominator of connection sparsity)."""
    return sum(layer.weight.value.size for layer in model.layers if isinstance(layer, Linear | Conv2d))

"""Pruning that keeps a network within a chip's budgets: the distinct sources one core accepts
(`core.max_fan_in_axons`) and the neurons the chip holds (cores × `core.max_neurons`).

Budgets become masks that pruning respects (weights outside them are removed and never regrown):

* **Sources.** A fully connected layer draws on at most `max_sources` distinct pre neurons (inputs or
  the previous layer's neurons): those with the largest L1 norm of outgoing weights into the layer are
  kept. Capping the whole layer, not each core, is conservative and independent of the mapping: every
  core holding part of the layer then sees at most that many sources.
* **Neurons.** A hidden neuron that no longer feeds anything is dead; when the chip holds fewer neurons
  than the network needs, the hidden neurons with the least L1 (incoming × outgoing) are removed the same
  way. `ir.without_dead_neurons` then drops dead neurons from the exported network, so the mapper does
  not place them.

Convolutions are left to the mapper (their sources are patches, not whole input neurons).
The masks are computed once from the weights at the first pruning event (after dense training) and
held fixed from then on; levels are the method's sparsity within them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np

from neurosim.errors import ConfigError
from neurosim.ir.network import Network
from neurosim.ir.trim import without_dead_neurons


@dataclass(frozen=True)
class ChipBudget:
    """The budgets a network is pruned to fit: the tightest of the chips it must run on."""

    max_sources: int
    max_neurons: int
    chips: tuple[str, ...]

    @classmethod
    def of(cls, chips: Sequence) -> ChipBudget:
        """The tightest budget over `chips` (`config.Hardware`)."""
        return cls(min(hw.core.max_fan_in_axons for hw in chips),
                   min(hw.mesh.n_cores * hw.core.max_neurons for hw in chips), tuple(hw.name for hw in chips))

    def describe(self) -> str:
        return f"≤ {self.max_sources} sources per layer, ≤ {self.max_neurons} neurons ({', '.join(self.chips)})"


def _top(score: np.ndarray, k: int) -> np.ndarray:
    """Boolean mask of the k largest scores (ties by position)."""
    keep = np.zeros(score.size, bool)
    keep[np.argsort(-score, kind="stable")[:max(k, 0)]] = True
    return keep


def allowed_masks(weights: Sequence[np.ndarray], budget: ChipBudget, extra_neurons: int = 0) -> list[np.ndarray]:
    """Masks (bool, like each weight) of the weights a network of fully connected layers may keep.

    `weights[i]` is layer i's (n_in, n_out) weight; layer i + 1's inputs are layer i's neurons; the
    last layer feeds the readout. `extra_neurons` are neurons outside these layers that the chip also
    holds (none for a plain MLP). Sources are capped layer by layer from the last (a neuron the next
    layer cannot use is dead, which frees its own inputs), then the neuron cap removes the least
    important remaining hidden neurons."""
    W = [np.abs(np.asarray(w, np.float64)) for w in weights]
    if any(w.ndim != 2 for w in W):
        raise ValueError("allowed_masks takes (n_in, n_out) weights of fully connected layers")
    rows = [np.ones(w.shape[0], bool) for w in W]       # sources each layer keeps
    alive = [np.ones(w.shape[1], bool) for w in W]      # neurons of each layer (last: the readout's inputs)
    for i in range(len(W) - 1, -1, -1):
        out_ok = alive[i]
        score = (W[i] * out_ok).sum(axis=1)
        if i > 0:
            score = np.where(alive[i - 1], score, -1.0)  # a dead neuron is no source
        rows[i] = _top(score, budget.max_sources) & (score > 0 if i == 0 else score >= 0)
        if i > 0:
            alive[i - 1] &= rows[i]
    hidden = sum(int(a.sum()) for a in alive[:-1])
    room = budget.max_neurons - extra_neurons - W[-1].shape[1]
    if hidden > room:                                    # too many neurons: drop the least important hidden ones
        scores = [(W[i] * rows[i][:, None]).sum(axis=0) * (W[i + 1] * alive[i + 1]).sum(axis=1)
                  for i in range(len(W) - 1)]
        flat = np.concatenate([np.where(alive[i], s, -1.0) for i, s in enumerate(scores)])
        keep = _top(flat, max(room, 0)) & (flat >= 0)
        start = 0
        for i in range(len(W) - 1):
            alive[i] = keep[start:start + alive[i].size]
            start += alive[i].size
            rows[i + 1] &= alive[i]
    return [rows[i][:, None] & alive[i][None, :] for i in range(len(W))]


def workload_budget(wl) -> ChipBudget | None:
    """The budget of a workload's `pruning.fit_to` chips (None when it names none)."""
    if not wl.pruning.fit_to:
        return None
    from neurosim.config import load_hardware

    return ChipBudget.of([load_hardware(c)[0] for c in wl.pruning.fit_to])


def fit_network(net: Network, budget: ChipBudget) -> Network:
    """A generated or imported `ir.Network` (a chain of fully connected projections) kept within
    `budget`: the synapses `allowed_masks` excludes are dropped, then the dead neurons. No retraining:
    the network keeps its strongest sources."""
    chain = list(net.projections)
    if not chain or any(pr.kind == "conv" for pr in chain) or any(
            a.post != b.pre for a, b in zip(chain, chain[1:], strict=False)):
        raise ConfigError(f"pruning.fit_to: network {net.name}: fitting to a chip's budgets works for a chain of fully "
                          "connected layers; this network has convolutions or branches")
    dense = [pr.to_dense(net.pop(pr.pre).size, net.pop(pr.post).size, np.float64) for pr in chain]
    masks = allowed_masks(dense, budget)
    projs = [pr.with_weights(pr.weight, m[pr.pre_idx, pr.post_idx]) for pr, m in zip(chain, masks, strict=True)]
    return fitted(replace(net, projections=projs))


def fitted(net: Network) -> Network:
    """`net` after budget masks removed synapses: dead neurons dropped (`ir.trim`), and every projection
    marked structurally sparse, so that the mapper stores rows only for the sources that remain (a
    "dense" projection keeps a row, of zeros if need be, for every source: all its axons)."""
    net, _ = without_dead_neurons(net)
    return replace(net, projections=[replace(pr, kind="sparse") if pr.kind == "dense" else pr
                                     for pr in net.projections])

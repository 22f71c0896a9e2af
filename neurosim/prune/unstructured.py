"""Weight-level pruning: one pruning-regeneration event of the seed paper (seed_paper.md §2.2), its
pluggable regrowth rules, and one-shot global magnitude pruning.

One event at target sparsity s, over maskable layers W_0..W_{L-1} whose last is the classifier:

1. n_keep = floor(N · (1 − s)) over all layers (classifier included);
2. pure magnitude: the n_keep largest |W| globally; the classifier keeps its part of them and is never
   regrown;
3. n' = n_keep − |M_cls|, g = floor(r · n'); the other layers keep their n' − g largest |W| (global over
   those layers) and every other weight is zeroed;
4. every currently pruned weight of a non-classifier layer gets a regrowth score (the rule's); the g best
   are regrown at value 0 and then trained.

Departures from the released code, all deliberate and small:

* The code keeps |W| > τ with τ the n-th largest |W|, which keeps n − 1 weights (fewer with ties). Here
  the n largest *nonzero* magnitudes are kept exactly (ties broken by position), so the schedule's budget
  holds; exactly-zero weights are never kept by magnitude (the reason for the code's strict ``>``).
* Only pruned weights are regrowth candidates. (The code ranks kept weights too, with score 0; when fewer
  than g candidates score above 0 it adds 1 to kept masks. Here masks stay binary.)
* Criticality regrowth keeps the code's tie rule: every candidate scoring ≥ ρ (the g-th best score) is
  regrown. A channel's score is broadcast over its whole fan-in, so the event can overshoot g by up to one
  channel's pruned fan-in (``PruneEvent.tie_overshoot``); ``ties="exact"`` instead regrows exactly g, the
  tied weights of the last channel drawn at random. Random and gradient regrowth select exactly g
  (GraNet's ``topk``), because their ties (e.g. zero gradients of dead inputs) would otherwise regrow
  whole layers.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal, Protocol

import numpy as np

Ties = Literal["all", "exact"]
Scope = Literal["global", "layer"]


def n_keep_for(total: int, sparsity: float) -> int:
    """floor(total · (1 − sparsity)), robust to 1 − 0.9 = 0.0999…98."""
    if not 0.0 <= sparsity <= 1.0:
        raise ValueError(f"sparsity must be in [0, 1], got {sparsity}")
    return min(total, math.floor(total * (1.0 - sparsity) + 1e-9))


def connection_sparsity(masks: Sequence[np.ndarray]) -> float:
    """Fraction of maskable weights that are pruned."""
    total = sum(m.size for m in masks)
    return 1.0 - sum(int(np.count_nonzero(m)) for m in masks) / total if total else 0.0


def _flat(arrays: Sequence[np.ndarray]) -> np.ndarray:
    return np.concatenate([np.asarray(a, dtype=np.float64).ravel() for a in arrays]) if arrays else np.zeros(0)


def _split(flat: np.ndarray, like: Sequence[np.ndarray]) -> list[np.ndarray]:
    out, start = [], 0
    for a in like:
        out.append(flat[start:start + a.size].reshape(a.shape))
        start += a.size
    return out


def _top(values: np.ndarray, k: int, eligible: np.ndarray | None = None,
         rng: np.random.Generator | None = None) -> np.ndarray:
    """Boolean mask of the k largest eligible values (ties broken by lower position, or at random with rng)."""
    sel = np.zeros(values.shape, dtype=bool)
    idx = np.flatnonzero(eligible) if eligible is not None else np.arange(values.size)
    k = min(k, idx.size)
    if k <= 0:
        return sel
    v = values[idx]
    kth = np.partition(v, v.size - k)[v.size - k]          # the k-th largest value, O(n)
    above = v > kth
    ties = np.flatnonzero(v == kth)
    ties = (ties if rng is None else rng.permutation(ties))[:k - int(above.sum())]
    sel[idx[above]] = True
    sel[idx[ties]] = True
    return sel


def top_with_ties(values: np.ndarray, k: int, eligible: np.ndarray) -> tuple[np.ndarray, float | None]:
    """(mask, ρ): all eligible values ≥ ρ, the k-th largest eligible value (the seed code's
    ``>= acceptable_score``); ρ is None when nothing is eligible. Weight and channel regrowth share it."""
    idx = np.flatnonzero(eligible)
    k = min(k, idx.size)
    if k <= 0:
        return np.zeros(values.shape, dtype=bool), None
    rho = float(np.partition(values[idx], idx.size - k)[idx.size - k])
    return eligible & (values >= rho), rho


def layer_quantiles(weights: Sequence[np.ndarray]) -> np.ndarray:
    """Flat ranking score that compares weights only within their layer: a nonzero weight scores its
    |W| rank in its layer divided by the layer's size (in (0, 1]), a zero weight 0. One threshold on
    it keeps the same fraction of every layer (up to rounding), so layers whose weight scale is
    arbitrary (conv layers followed by BatchNorm) are not emptied by a global |W| threshold."""
    out = []
    for w in weights:
        a = np.abs(np.asarray(w)).ravel()
        rank = np.empty(a.size)
        rank[np.argsort(a, kind="stable")] = np.arange(1, a.size + 1)
        out.append(np.where(a > 0, rank / max(a.size, 1), 0.0))
    return np.concatenate(out) if out else np.zeros(0)


def _ranking(weights: Sequence[np.ndarray], scope: Scope, costs: Sequence[np.ndarray] | None = None) -> np.ndarray:
    """What magnitude pruning ranks by: |W| over all layers (global) or the per-layer quantile (layer);
    with `costs` (joules per synapse on a chip, `prune.costaware`), |W| per joule instead of |W|."""
    if costs is not None:
        weights = [np.abs(np.asarray(w, np.float64)) / c for w, c in zip(weights, costs, strict=True)]
    if scope == "layer":
        return layer_quantiles(weights)
    if scope != "global":
        raise ValueError(f"scope must be 'global' or 'layer', got {scope!r}")
    return np.abs(_flat(weights))


def magnitude_masks(weights: Sequence[np.ndarray], sparsity: float, scope: Scope = "global",
                    costs: Sequence[np.ndarray] | None = None) -> list[np.ndarray]:
    """One-shot magnitude pruning: keep the largest nonzero |W| (per joule, with `costs`) to the given sparsity.

    ``global`` ranks all layers together (one threshold, as GMP and the seed code); ``layer`` prunes each
    layer to the same sparsity.
    """
    if scope == "layer":
        return [magnitude_masks([w], sparsity, costs=None if costs is None else [c])[0]
                for w, c in zip(weights, costs or [None] * len(weights), strict=True)]
    mag = _ranking(weights, scope, costs)
    keep = _top(mag, n_keep_for(mag.size, sparsity), mag > 0)
    return _split(keep, weights)


class Regrowth(Protocol):
    """A regrowth rule: a score for every weight of a regrowable layer; the best pruned ones regrow."""

    name: str
    ties: Ties

    def scores(self, layer: int, weight: np.ndarray) -> np.ndarray:
        """Scores (same shape as ``weight``) for layer ``layer`` (index into the event's weight list)."""
        ...


def broadcast_channels(channel_scores: np.ndarray, shape: tuple[int, ...], out_axis: int = 0) -> np.ndarray:
    """Give every weight into output channel c the score of channel c (the code's ``view(-1, 1, 1, 1)``)."""
    c = np.asarray(channel_scores, dtype=np.float64).ravel()
    axis = out_axis % len(shape)
    if c.size != shape[axis]:
        raise ValueError(f"{c.size} channel scores for a weight of shape {shape} (axis {axis} has {shape[axis]})")
    view = [1] * len(shape)
    view[axis] = c.size
    return np.broadcast_to(c.reshape(view), shape)


@dataclass
class CriticalityRegrowth:
    """Regrow the pruned fan-in of the most critical output channels (the seed method).

    ``channel_scores[i]`` is the criticality of layer i's output channels/neurons (aligned with the event's
    weight list; the classifier entry may be None). ``out_axis`` is the output-channel axis of the weights,
    one for all layers or one per layer (neurosim.snn stores linear weights (in, out), conv (out, in, kh, kw)).
    """

    channel_scores: Sequence[np.ndarray | None]
    out_axis: int | Sequence[int] = 0
    ties: Ties = "all"
    rng: np.random.Generator | None = None   # ties = "exact": which tied weights regrow (None: by position)
    name: str = "criticality"

    def scores(self, layer: int, weight: np.ndarray) -> np.ndarray:
        c = self.channel_scores[layer] if layer < len(self.channel_scores) else None
        if c is None:
            raise ValueError(f"no channel criticality for regrowable layer {layer}")
        axis = self.out_axis if isinstance(self.out_axis, int) else self.out_axis[layer]
        return broadcast_channels(c, weight.shape, axis)


@dataclass
class RandomRegrowth:
    """Regrow uniformly random pruned weights (SET/NDSNN-style control)."""

    rng: np.random.Generator
    ties: Ties = "exact"
    name: str = "random"

    def scores(self, layer: int, weight: np.ndarray) -> np.ndarray:
        return self.rng.random(weight.shape)


@dataclass
class GradientRegrowth:
    """Regrow the pruned weights with the largest |∂L/∂W| (GraNet / RigL); ``grads`` aligned with weights."""

    grads: Sequence[np.ndarray | None]
    ties: Ties = "exact"
    name: str = "gradient"

    def scores(self, layer: int, weight: np.ndarray) -> np.ndarray:
        g = self.grads[layer]
        if g is None or np.shape(g) != weight.shape:
            raise ValueError(f"layer {layer}: gradient missing or of the wrong shape for weight {weight.shape}")
        return np.abs(np.asarray(g, dtype=np.float64))


@dataclass(frozen=True)
class PruneEvent:
    """The outcome of one pruning-regeneration event."""

    masks: list[np.ndarray]        # final binary masks (bool), one per layer
    weights: list[np.ndarray]      # the weights times the magnitude mask: regrown weights are 0
    n_total: int                   # maskable weights, all layers
    n_keep: int                    # the schedule's budget floor(N (1 − s))
    n_classifier: int              # classifier weights kept (magnitude only)
    n_magnitude: int               # non-classifier weights kept by magnitude
    growth: int                    # g = floor(r · n'): regrowth budget
    n_regrown: int                 # weights actually regrown (g plus tie overshoot)
    rho: float | None              # the g-th best regrowth score (None when g = 0)
    survival: float | None         # 'regeneration survival percentage' as a fraction (None: nothing pruned)

    @property
    def tie_overshoot(self) -> int:
        return self.n_regrown - self.growth

    @property
    def n_kept(self) -> int:
        return self.n_classifier + self.n_magnitude + self.n_regrown

    @property
    def sparsity(self) -> float:
        return 1.0 - self.n_kept / self.n_total if self.n_total else 0.0


def prune_regrow(weights: Sequence[np.ndarray], sparsity: float, r: float, regrowth: Regrowth | None, *,
                 previous_masks: Sequence[np.ndarray] | None = None, classifier: int | None = -1,
                 scope: Scope = "global", allowed: Sequence[np.ndarray] | None = None,
                 costs: Sequence[np.ndarray] | None = None) -> PruneEvent:
    """One pruning-regeneration event (see the module docstring); ``regrowth=None`` or r = 0 is pure GMP.

    ``classifier`` is the index of the magnitude-only, never-regrown layer (None: every layer regrowable).
    ``previous_masks`` (default: dense) are the masks after the previous event, for the survival statistic.
    ``scope``: global ranks |W| over all layers (the seed method); layer ranks each weight by its quantile
    in its layer (`layer_quantiles`), so every layer keeps about the same fraction.
    ``allowed`` (bool, like the weights): the only weights that may be kept or regrown (a chip's budget,
    `prune.fit`); the budget floor(N (1 − s)) still counts all N weights. ``costs`` (joules per inference
    of every synapse on a chip, `prune.costaware`): magnitude ranks |W| per joule, so what is kept is
    what buys the most for its energy.
    """
    if not 0.0 <= r <= 1.0:
        raise ValueError(f"regeneration ratio r must be in [0, 1], got {r}")
    weights = [np.asarray(w) for w in weights]
    n_layers = len(weights)
    cls = None if classifier is None else classifier % n_layers
    is_cls_flat = np.concatenate([np.full(w.size, i == cls) for i, w in enumerate(weights)])
    mag = _ranking(weights, scope, costs)
    if allowed is not None:
        mag = np.where(_flat(allowed).astype(bool), mag, 0.0)   # outside the budget: as if already zero
    n_total = mag.size
    n_keep = n_keep_for(n_total, sparsity)

    pure = _top(mag, n_keep, mag > 0)                     # pure magnitude at the full budget
    keep_cls = pure & is_cls_flat
    n_prime = n_keep - int(keep_cls.sum())
    g = math.floor(r * n_prime + 1e-9) if regrowth is not None else 0
    keep_mag = _top(mag, n_prime - g, (mag > 0) & ~is_cls_flat)

    regrown = np.zeros(n_total, dtype=bool)
    rho = None
    if g > 0:
        candidates = ~keep_mag & ~is_cls_flat
        if allowed is not None:
            candidates &= _flat(allowed).astype(bool)
        scores = _flat([np.zeros(w.shape) if i == cls else regrowth.scores(i, w) for i, w in enumerate(weights)])
        if regrowth.ties == "all":
            regrown, rho = top_with_ties(scores, g, candidates)
        else:
            regrown = _top(scores, g, candidates, getattr(regrowth, "rng", None))
            rho = float(scores[regrown].min()) if regrown.any() else None

    final = keep_cls | keep_mag | regrown
    prev = np.ones(n_total, dtype=bool) if previous_masks is None else _flat(previous_masks).astype(bool)
    would_die = prev & ~pure
    survival = float((would_die & final).sum() / would_die.sum()) if would_die.any() else None
    mag_mask = keep_cls | keep_mag
    return PruneEvent(
        masks=_split(final, weights), weights=[w * m for w, m in zip(weights, _split(mag_mask, weights), strict=True)],
        n_total=n_total, n_keep=n_keep, n_classifier=int(keep_cls.sum()), n_magnitude=int(keep_mag.sum()),
        growth=g, n_regrown=int(regrown.sum()), rho=rho, survival=survival)

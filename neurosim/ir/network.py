"""The hardware-neutral network: populations of neurons and projections of synapses between them.

Small dataclasses in the NIR manner. Weights are stored as COO triples (pre index, post index,
weight), sorted by pre then post, with pruned synapses absent, so that memory and simulation
work scale with the synapses that exist. A conv projection also keeps its geometry and shared
kernel, which the mapper needs for the `conv_shared` memory format.

Timing (DESIGN §3): every population has a *stage*: inputs are stage 0, a population fed
(feed-forward) by input directly is stage 0 too, and otherwise stage = 1 + max stage of its
feed-forward sources. A projection whose source is not earlier in `populations` is recurrent.
Zero-delay timing: feed-forward projections act within the step, recurrent ones one step later.
Hardware timing: every projection out of a non-input population has delay stage(post) −
stage(pre) (≥ 1, so skip connections stay aligned), recurrent ones 1, and a population is held
at rest until its stage begins.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Literal

import numpy as np

Timing = Literal["zero", "hardware"]


@dataclass(frozen=True)
class Neuron:
    """Discrete-time current-based LIF (Loihi's compartment), per step:
    u ← current_decay·u + I (the synaptic current; current_decay = 0: u = I, a plain LIF);
    v ← decay·v + u + bias, floored at `v_min`; spike when v > threshold (≥ if `fire_at_equal`);
    then reset v to 0 (`zero`) or subtract the threshold, and hold v there (no update, no spike) for
    `refractory` steps while u keeps integrating. `spiking=False` makes a leaky-integrator readout
    whose membrane potential is the output."""

    decay: float = 1.0
    threshold: float = 1.0
    reset: Literal["zero", "subtract"] = "zero"
    fire_at_equal: bool = False
    spiking: bool = True
    current_decay: float = 0.0
    refractory: int = 0
    v_min: float | None = None

    @property
    def has_current(self) -> bool:
        """The synaptic current is a state of its own (it carries over between steps)."""
        return self.current_decay != 0.0

    @property
    def is_plain(self) -> bool:
        """A plain LIF: no current state, no refractory period, no floor (the fast path of the kernels)."""
        return not self.has_current and self.refractory == 0 and self.v_min is None


@dataclass(frozen=True)
class ConvGeometry:
    """2-D convolution geometry; shapes are (channels, height, width)."""

    in_shape: tuple[int, int, int]
    out_shape: tuple[int, int, int]
    kernel: tuple[int, int]
    stride: tuple[int, int] = (1, 1)
    padding: tuple[int, int] = (0, 0)


NEURON_ARRAYS = ("decay", "current_decay", "threshold")  # the Neuron fields that may differ within a population


@dataclass(eq=False)
class Population:
    """`size` neurons of one neuron model. `neuron=None` marks an input population, whose values
    (binary spikes or graded integers) come from outside the chip.

    Per-neuron parameters (learned time constants): `configs` lists the distinct models and
    `config_index` (size,) names each neuron's; `neuron` is then `configs[0]`. The configs may differ
    only in `NEURON_ARRAYS` (a chip core holds a few such profiles: a mapper budget)."""

    name: str
    size: int
    neuron: Neuron | None = None
    bias: np.ndarray | None = None
    shape: tuple[int, ...] | None = None
    configs: tuple[Neuron, ...] | None = None
    config_index: np.ndarray | None = None

    def __post_init__(self) -> None:
        if self.configs is None:
            return
        self.configs = tuple(self.configs)
        self.config_index = np.ascontiguousarray(self.config_index, dtype=np.int64)
        if self.config_index.shape != (self.size,) or not self.configs or \
                self.config_index.min(initial=0) < 0 or self.config_index.max(initial=0) >= len(self.configs):
            raise ValueError(f"population {self.name}: config_index must give one of {len(self.configs)} configs "
                             f"per neuron ({self.size})")
        first = self.configs[0]
        for c in self.configs[1:]:
            if replace(c, **{k: getattr(first, k) for k in NEURON_ARRAYS}) != first:
                raise ValueError(f"population {self.name}: configs may differ only in {', '.join(NEURON_ARRAYS)}")
        self.neuron = first

    @property
    def is_input(self) -> bool:
        return self.neuron is None

    def param(self, key: str) -> float | np.ndarray:
        """A neuron parameter: one value, or (size,) values when it differs between neurons."""
        if self.configs is None:
            return getattr(self.neuron, key)
        vals = np.array([getattr(c, key) for c in self.configs], dtype=np.float64)
        return float(vals[0]) if np.all(vals == vals[0]) else vals[self.config_index]

    @property
    def has_current(self) -> bool:
        return any(c.has_current for c in (self.configs or (self.neuron,)))

    def with_configs(self, f) -> Population:
        """The population with `f(neuron)` applied to its neuron model (every config)."""
        if self.configs is None:
            return replace(self, neuron=f(self.neuron))
        cfg = tuple(f(c) for c in self.configs)
        return replace(self, neuron=cfg[0], configs=cfg)


@dataclass(eq=False)
class Projection:
    """Synapses from population `pre` to population `post` as sorted COO arrays."""

    pre: str
    post: str
    pre_idx: np.ndarray
    post_idx: np.ndarray
    weight: np.ndarray
    kind: Literal["dense", "conv", "sparse"] = "sparse"
    conv: ConvGeometry | None = None
    kernel: np.ndarray | None = None  # (C_out, C_in, kh, kw) for conv projections
    name: str = ""

    def __post_init__(self) -> None:
        self.pre_idx = np.ascontiguousarray(self.pre_idx, dtype=np.uint32)
        self.post_idx = np.ascontiguousarray(self.post_idx, dtype=np.uint32)
        self.weight = np.ascontiguousarray(self.weight)
        if not (self.pre_idx.shape == self.post_idx.shape == self.weight.shape):
            raise ValueError("pre_idx, post_idx and weight must have the same length")
        if not _coo_sorted(self.pre_idx, self.post_idx):   # checked in blocks: no per-synapse temporaries
            order = np.lexsort((self.post_idx, self.pre_idx))
            self.pre_idx, self.post_idx, self.weight = (self.pre_idx[order], self.post_idx[order],
                                                        self.weight[order])
        if not self.name:
            self.name = f"{self.pre}->{self.post}"

    @property
    def nnz(self) -> int:
        return int(self.weight.size)

    @classmethod
    def from_dense(cls, pre: str, post: str, w: np.ndarray, kind: str = "dense", **kw) -> Projection:
        """From a (n_pre, n_post) matrix; exact zeros are absent synapses."""
        r, c = np.nonzero(w)
        return cls(pre, post, r, c, w[r, c], kind=kind, **kw)

    def to_dense(self, n_pre: int, n_post: int, dtype=None) -> np.ndarray:
        m = np.zeros((n_pre, n_post), dtype=dtype or self.weight.dtype)
        m[self.pre_idx, self.post_idx] = self.weight
        return m

    def with_weights(self, weight: np.ndarray, keep: np.ndarray | None = None) -> Projection:
        """Same structure with new weights; `keep` (bool per synapse) drops synapses."""
        if keep is None or keep.all():   # nothing dropped: the index arrays are shared, not copied
            return replace(self, weight=weight if keep is None else weight[keep])
        return replace(self, pre_idx=self.pre_idx[keep], post_idx=self.post_idx[keep], weight=weight[keep])


def _coo_sorted(pre: np.ndarray, post: np.ndarray, block: int = 1 << 22) -> bool:
    """Whether (pre, post) pairs are in non-decreasing order, checked a block at a time."""
    for a in range(0, max(pre.size - 1, 0), block):
        b = min(a + block, pre.size - 1)
        p0, p1 = pre[a:b], pre[a + 1:b + 1]
        if ((p1 < p0) | ((p1 == p0) & (post[a + 1:b + 1] < post[a:b]))).any():
            return False
    return True


@dataclass(eq=False)
class Network:
    """Populations (feed-forward ones in topological order) and the projections between them.

    `integer=True` marks a deploy network: integer weights, thresholds and biases, decay given as
    the Loihi-style leak δ/4096, and membrane potentials saturated to `state_bits`.
    """

    populations: list[Population]
    projections: list[Projection]
    name: str = "network"
    integer: bool = False
    state_bits: int | None = None
    meta: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        names = [p.name for p in self.populations]
        if len(set(names)) != len(names):
            raise ValueError(f"duplicate population names in {names}")
        self._index = {n: i for i, n in enumerate(names)}
        for pr in self.projections:
            for end in (pr.pre, pr.post):
                if end not in self._index:
                    raise ValueError(f"projection {pr.name} names unknown population {end!r}")
            if self.pop(pr.post).is_input:
                raise ValueError(f"projection {pr.name} targets input population {pr.post!r}")
            if pr.nnz and (pr.pre_idx.max() >= self.pop(pr.pre).size or
                           pr.post_idx.max() >= self.pop(pr.post).size):
                raise ValueError(f"projection {pr.name} has indices out of range")

    # --- lookup -------------------------------------------------------------------------------
    def pop(self, name: str) -> Population:
        return self.populations[self._index[name]]

    def index(self, name: str) -> int:
        return self._index[name]

    @property
    def inputs(self) -> list[Population]:
        return [p for p in self.populations if p.is_input]

    @property
    def offsets(self) -> np.ndarray:
        """Global neuron id of each population's first neuron (populations in list order)."""
        return np.concatenate(([0], np.cumsum([p.size for p in self.populations]))).astype(np.int64)

    @property
    def n_neurons(self) -> int:
        return int(sum(p.size for p in self.populations))

    @property
    def n_synapses(self) -> int:
        return int(sum(pr.nnz for pr in self.projections))

    def is_recurrent(self, pr: Projection) -> bool:
        return self.index(pr.pre) >= self.index(pr.post)

    # --- timing -------------------------------------------------------------------------------
    def stages(self) -> dict[str, int]:
        """Stage of each population (see module docstring)."""
        stage: dict[str, int] = {}
        for p in self.populations:
            if p.is_input:
                stage[p.name] = 0
                continue
            s = 0
            for pr in self.projections:
                if pr.post == p.name and not self.is_recurrent(pr):
                    src = self.pop(pr.pre)
                    s = max(s, stage[src.name] + (0 if src.is_input else 1))
            stage[p.name] = s
        return stage

    def delays(self, timing: Timing) -> list[int]:
        """Delay in steps of every projection (same order as `projections`)."""
        stage = self.stages()
        out = []
        for pr in self.projections:
            if self.is_recurrent(pr):
                out.append(1)
            elif timing == "zero":
                out.append(0)
            else:
                out.append(stage[pr.post] - stage[pr.pre])
        return out

    def steps(self, timesteps: int, timing: Timing) -> int:
        """Steps needed for `timesteps` input frames: T, or T + L − 1 with hardware timing."""
        if timing == "zero":
            return timesteps
        return timesteps + max(self.stages().values())

    def replace_projections(self, projections: list[Projection], **kw) -> Network:
        return Network(list(self.populations), projections, name=kw.get("name", self.name),
                       integer=kw.get("integer", self.integer), state_bits=kw.get("state_bits", self.state_bits),
                       meta=dict(self.meta))

    def summary(self) -> str:
        parts = [f"{p.name}({p.size})" for p in self.populations]
        return f"{self.name}: " + " ".join(parts) + f"; {self.n_synapses} synapses"

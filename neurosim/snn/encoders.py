"""Input encoders: how a sample becomes T input frames.

`direct`: the analog sample every step. On the chip the input is graded: a unit input is `levels`
integer levels, so the deploy model is fed round(x·levels) and the float model is fed exactly
round(x·levels)/levels, which keeps the two consistent.
`rate`: Bernoulli spikes with probability x per step, from a seeded generator (same draws for the
float and the deploy model)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np


@dataclass(frozen=True)
class Encoder:
    kind: Literal["direct", "rate"]
    timesteps: int
    levels: int = 255
    seed: int = 0

    @property
    def deploy_levels(self) -> int:
        """Integer value of a unit input in the deploy model (net.meta['input_levels'])."""
        return self.levels if self.kind == "direct" else 1

    def float_batch(self, x: np.ndarray, rng: np.random.Generator | None = None) -> tuple[np.ndarray, bool]:
        """Input of the float model and whether it varies over time: direct → (B, *shape), False;
        rate → (T, B, *shape), True. `rng` None uses the encoder's seed (evaluation)."""
        if self.kind == "direct":
            return (np.rint(x * self.levels) / self.levels).astype(np.float32), False
        return self._spikes(x, rng).swapaxes(0, 1).astype(np.float32), True

    def _spikes(self, x: np.ndarray, rng: np.random.Generator | None) -> np.ndarray:
        rng = np.random.default_rng(self.seed) if rng is None else rng
        return rng.random((x.shape[0], self.timesteps) + x.shape[1:], dtype=np.float32) < x[:, None]

    def deploy(self, x: np.ndarray) -> np.ndarray:
        """(B, T, n_in) integer inputs for `ir.run` / the simulator (neurons in C order)."""
        B = x.shape[0]
        if self.kind == "direct":
            q = np.rint(x.reshape(B, -1) * self.levels).astype(np.int64)
            return np.repeat(q[:, None, :], self.timesteps, axis=1)
        return self._spikes(x, None).reshape(B, self.timesteps, -1).astype(np.int64)


def make_encoder(spec, timesteps: int, seed: int = 0) -> Encoder:
    """Encoder of a workload `model` section."""
    return Encoder(spec.encoder, timesteps, spec.input_levels, seed)

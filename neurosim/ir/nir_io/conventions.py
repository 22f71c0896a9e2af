"""How each framework's NIR export is meant to be read (docs/nir.md, Conventions): the time step,
the discretisation of a leak, the threshold test and the reset that a file does not record."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal


@dataclass(frozen=True)
class Convention:
    """How a framework's NIR export is meant to be read (see docs/nir.md).

    `leak`: 'euler' — β = 1 − dt/τ, input gain r·dt/τ, drive (dt/τ)·v_leak (snnTorch, Norse, the
    NIR reference); 'sinabs' — β = exp(−dt/τ), input gain r (Sinabs' norm_input=False).
    `reset`: 'value' — v ← v_reset (NIR); 'subtract' — v ← v − θ (Sinabs' MembraneSubtract)."""

    dt: float
    leak: Literal["euler", "sinabs"] = "euler"
    fire_at_equal: bool = False
    reset: Literal["value", "subtract"] = "value"


CONVENTIONS: dict[str, Convention] = {
    "nir": Convention(dt=1e-4),
    "snntorch": Convention(dt=1e-4),
    "norse": Convention(dt=1e-3),
    "sinabs": Convention(dt=1.0, leak="sinabs", fire_at_equal=True, reset="subtract"),
}

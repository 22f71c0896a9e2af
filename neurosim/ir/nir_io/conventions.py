"""How each framework's NIR export is meant to be read (docs/nir.md, Conventions): the time step,
the discretisation of a leak, the threshold test and the reset that a file does not record, and
the quirks of each exporter's current release."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np


@dataclass(frozen=True)
class Convention:
    """How a framework's NIR export is meant to be read (see docs/nir.md).

    `leak`: 'euler' — β = 1 − dt/τ, input gain r·dt/τ, drive (dt/τ)·v_leak (the NIR reference,
    snnTorch, Norse); 'exact' — the exact solution over a step with the input held: β = exp(−dt/τ),
    gain r·(1 − β), drive (1 − β)·v_leak (Sinabs' default norm_input=True); 'unnormalised' —
    β = exp(−dt/τ), gain r (Sinabs' norm_input=False).
    `reset`: 'value' — v ← v_reset (NIR); 'subtract' — v ← v − θ (Sinabs' MembraneSubtract).
    `clamp_decay`: β clipped to [0, 1] (snnTorch clamps a learned β in its forward pass).
    `tau_times_dt`: the file's τ are the true ones times dt (Norse 1.1 writes dt / tau_inv).
    `current_jump`: a CubaLIF's input enters its current as a jump i ← i + w_in·x (Norse's LIFCell),
    not as the Euler step (dt/τ_syn)·w_in·x."""

    dt: float
    leak: Literal["euler", "exact", "unnormalised"] = "euler"
    fire_at_equal: bool = False
    reset: Literal["value", "subtract"] = "value"
    clamp_decay: bool = False
    tau_times_dt: bool = False
    current_jump: bool = False

    def leak_step(self, tau: np.ndarray, r: np.ndarray, v_leak: np.ndarray, dt: float):
        """(β, input gain, drive) per neuron of `τ·dv/dt = v_leak − v + r·x` over one step of `dt`."""
        if self.tau_times_dt:
            tau = tau / dt
        if self.leak == "euler":
            a = dt / tau
            beta, gain, drive = 1.0 - a, r * a, a * v_leak
        else:
            beta = np.exp(-dt / tau)
            gain = r * (1.0 - beta) if self.leak == "exact" else r.copy()
            drive = (1.0 - beta) * v_leak
        if self.clamp_decay:
            beta = np.clip(beta, 0.0, 1.0)
        return beta, gain, drive


CONVENTIONS: dict[str, Convention] = {
    "nir": Convention(dt=1e-4),
    "snntorch": Convention(dt=1e-4, clamp_decay=True),
    "norse": Convention(dt=1e-3, tau_times_dt=True, current_jump=True),
    "sinabs": Convention(dt=1.0, leak="exact", fire_at_equal=True, reset="subtract"),
    "sinabs_unnormalised": Convention(dt=1.0, leak="unnormalised", fire_at_equal=True, reset="subtract"),
}

PRODUCER_KEYS = ("producer", "framework", "source", "exporter")


def producer_convention(graph_metadata: dict) -> str | None:
    """The convention named by a graph's own record of its producer (a metadata key `producer`,
    `framework`, `source` or `exporter` whose value names snntorch, norse or sinabs), or None."""
    for key in PRODUCER_KEYS:
        value = str(graph_metadata.get(key, "")).lower()
        for name in ("snntorch", "norse", "sinabs"):
            if name in value:
                return name
    return None

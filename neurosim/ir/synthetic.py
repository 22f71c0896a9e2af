"""Random feed-forward LIF networks with per-layer gains calibrated to a target firing activity
(the construction of the standard speed workload, DESIGN §8, in neurosim's LIF semantics)."""

from __future__ import annotations

import numpy as np

from neurosim.ir.network import Network, Neuron, Population, Projection


def _layer_rate(w: np.ndarray, raster: np.ndarray, neuron: Neuron) -> tuple[float, np.ndarray]:
    """Firing rate and output raster of one float LIF layer driven by `raster` (S, T, n_pre)."""
    S, T, _ = raster.shape
    v = np.zeros((S, w.shape[1]), np.float32)
    out = np.zeros((S, T, w.shape[1]), bool)
    for t in range(T):
        v = neuron.decay * v + raster[:, t] @ w
        s = v >= neuron.threshold if neuron.fire_at_equal else v > neuron.threshold
        v = np.where(s, 0.0, v) if neuron.reset == "zero" else v - s * neuron.threshold
        out[:, t] = s
    return float(out.mean()), out


def calibrated_feedforward(sizes: tuple[int, ...], inputs: np.ndarray, target_rate: float, neuron: Neuron,
                           weight_mean: float = 0.5, weight_std: float = 1.0, seed: int = 0,
                           name: str = "synthetic") -> Network:
    """Fully connected LIF layers; each layer's gain is bisected (40 steps, geometric) so that it
    fires `target_rate` of its neurons per step on `inputs` (S, T, sizes[0])."""
    rng = np.random.default_rng(seed)
    pops = [Population("input", sizes[0])]
    projs = []
    raster = inputs.astype(np.float32)
    for l in range(1, len(sizes)):
        raw = rng.normal(weight_mean, weight_std, size=(sizes[l - 1], sizes[l])).astype(np.float32)
        fan = max(sizes[l - 1] * float(raster.mean()), 1e-3)
        lo, hi = 1e-3 / fan, 200.0 / fan
        for _ in range(40):
            g = np.sqrt(lo * hi)
            r, _ = _layer_rate(raw * np.float32(g), raster, neuron)
            lo, hi = (g, hi) if r < target_rate else (lo, g)
        w = raw * np.float32(np.sqrt(lo * hi))
        _, raster = _layer_rate(w, raster, neuron)
        raster = raster.astype(np.float32)
        name_l = f"lif{l}"
        pops.append(Population(name_l, sizes[l], neuron=neuron))
        projs.append(Projection.from_dense(pops[-2].name, name_l, w, kind="dense"))
    return Network(pops, projs, name=name)


def bernoulli_inputs(samples: int, timesteps: int, n: int, rate: float, seed: int) -> np.ndarray:
    """(samples, T, n) boolean Bernoulli(rate) spike trains."""
    return np.random.default_rng(seed).random((samples, timesteps, n)) < rate

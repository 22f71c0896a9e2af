"""TrueNorth: the fit of the preset's fitted figures, and the rebuild of the characterisation network
of Merolla 2014 (SM S7) that the published power points were measured on.

Model (hwconfigs/truenorth.yaml): every synaptic event, crossbar-row read, spike and hop is priced
per op (dynamic energies ∝ V²); every used core pays a fixed energy per tick (its neuron sweep,
∝ V²); every core leaks, with a linear voltage law. Sourced per-op figures: 2.3 pJ per x hop
(Merolla SM S5), 2.8 pJ per y hop (the same wire, 390 µm pitch, 24-bit N-S packets), 12.0 pJ per
256-bit row read (47 fJ/bit, Merolla SM S5), 2.3 pJ per spike sent (assumed: one router entry).
Fitted, each on named figures (none of which is then counted as validated):
- energy per synaptic event: the slope of Akopyan 2015 Fig. 17 (two endpoints at 0.8 V);
- leakage at 0.775 V, tick energy and the leakage law: the 42 mW corner (0.70 V, idle), the 323 mW
  corner (1.05 V, 200 Hz, 256 synapses) and the ratio of efficiencies at 5x and 1x real time
  (Merolla SM S8: 70 and 46 GSOPS/W).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from neurosim.validation.published import TN_FIG17, TN_GSOPS_PER_W, TN_MEAN_HOPS, TN_NEURONS, TN_V1

V_REF = 0.775
CORES = 4096
TICK_HZ = 1000.0
HOP_X_PJ, HOP_Y_PJ, ROW_PJ, SPIKE_PJ = 2.3, 2.8, 12.0, 2.3


@dataclass(frozen=True)
class TrueNorthFit:
    synaptic_op_pj: float     # at V_REF
    core_static_w: float      # leakage of one core at V_REF
    core_step_pj: float       # one core's tick at V_REF
    leakage_per_volt: float   # linear law: static(V) = static(V_REF) · (1 + k (V − V_REF))

    def chip_power_w(self, v: float, rate_hz: float, synapses: int, tick_hz: float = TICK_HZ) -> float:
        """Whole-chip power of the characterisation network (all cores, uniform random targets)."""
        d = (v / V_REF) ** 2
        static = CORES * self.core_static_w * (1 + self.leakage_per_volt * (v - V_REF))
        tick = CORES * tick_hz * self.core_step_pj * 1e-12 * d
        spikes = TN_NEURONS * rate_hz * (tick_hz / TICK_HZ)
        per_spike = SPIKE_PJ + ROW_PJ + TN_MEAN_HOPS * (HOP_X_PJ + HOP_Y_PJ) + synapses * self.synaptic_op_pj
        return static + tick + spikes * per_spike * 1e-12 * d


def per_spike_pj_without_synapses() -> float:
    return SPIKE_PJ + ROW_PJ + TN_MEAN_HOPS * (HOP_X_PJ + HOP_Y_PJ)


def fit_truenorth() -> TrueNorthFit:
    """The fitted figures of the TrueNorth preset from the named published points (module docstring)."""
    (lo, f_lo), _, (hi, f_hi) = sorted(TN_FIG17.items())
    v17 = lo[0]
    slope_j = (f_hi.value - f_lo.value) / (TN_NEURONS * (hi[1] - lo[1]))   # J per spike of 128 events at 0.8 V
    per_spike_ref = slope_j * 1e12 * (V_REF / v17) ** 2
    sop = (per_spike_ref - per_spike_pj_without_synapses()) / lo[2]
    # static S0, tick T0 (W at 1 kHz) and u = S0·k from three linear equations
    def act(v, r, s):
        return TN_NEURONS * r * (per_spike_pj_without_synapses() + s * sop) * 1e-12 * (v / V_REF) ** 2
    (v1, r1, s1), p1 = next((k, f) for k, f in TN_V1.items() if k[1] == 0)            # idle corner
    (v2, r2, s2), p2 = max(TN_V1.items(), key=lambda kv: kv[0][0])                    # high corner
    ratio = 5.0 * TN_GSOPS_PER_W[1.0].value / TN_GSOPS_PER_W[5.0].value               # P(5x) / P(1x)
    a0 = act(V_REF, 20.0, 128)
    rows = [[1.0, v1 - V_REF, (v1 / V_REF) ** 2],
            [1.0, v2 - V_REF, (v2 / V_REF) ** 2],
            [1.0 - ratio, 0.0, 5.0 - ratio]]
    rhs = [p1.value - act(v1, r1, s1), p2.value - act(v2, r2, s2), -(5.0 - ratio) * a0]
    s0, u, t0 = np.linalg.solve(np.array(rows), np.array(rhs))
    return TrueNorthFit(synaptic_op_pj=float(sop), core_static_w=float(s0) / CORES,
                        core_step_pj=float(t0) / (CORES * TICK_HZ) * 1e12, leakage_per_volt=float(u / s0))

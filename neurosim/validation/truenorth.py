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
    leakage_per_volt: float   # k of the leakage law
    law: str = "linear"       # linear: 1 + k (V − V_REF); exponential: (V / V_REF) exp(k (V − V_REF))

    def leakage_scale(self, v: float) -> float:
        k = self.leakage_per_volt
        return 1 + k * (v - V_REF) if self.law == "linear" else (v / V_REF) * float(np.exp(k * (v - V_REF)))

    def chip_power_w(self, v: float, rate_hz: float, synapses: int, tick_hz: float = TICK_HZ) -> float:
        """Whole-chip power of the characterisation network (all cores, uniform random targets)."""
        d = (v / V_REF) ** 2
        static = CORES * self.core_static_w * self.leakage_scale(v)
        tick = CORES * tick_hz * self.core_step_pj * 1e-12 * d
        spikes = TN_NEURONS * rate_hz * (tick_hz / TICK_HZ)
        per_spike = SPIKE_PJ + ROW_PJ + TN_MEAN_HOPS * (HOP_X_PJ + HOP_Y_PJ) + synapses * self.synaptic_op_pj
        return static + tick + spikes * per_spike * 1e-12 * d


def per_spike_pj_without_synapses() -> float:
    return SPIKE_PJ + ROW_PJ + TN_MEAN_HOPS * (HOP_X_PJ + HOP_Y_PJ)


def fit_truenorth(law: str = "linear") -> TrueNorthFit:
    """The fitted figures of the TrueNorth preset from the named published points (module docstring),
    with a `linear` (the preset's) or an `exponential` leakage law (for comparison)."""
    (lo, f_lo), _, (hi, f_hi) = sorted(TN_FIG17.items())
    v17 = lo[0]
    slope_j = (f_hi.value - f_lo.value) / (TN_NEURONS * (hi[1] - lo[1]))   # J per spike of 128 events at 0.8 V
    per_spike_ref = slope_j * 1e12 * (V_REF / v17) ** 2
    sop = (per_spike_ref - per_spike_pj_without_synapses()) / lo[2]

    def act(v, r, s):
        return TN_NEURONS * r * (per_spike_pj_without_synapses() + s * sop) * 1e-12 * (v / V_REF) ** 2
    (v1, r1, s1), p1 = next((k, f) for k, f in TN_V1.items() if k[1] == 0)            # idle corner
    (v2, r2, s2), p2 = max(TN_V1.items(), key=lambda kv: kv[0][0])                    # high corner
    ratio = 5.0 * TN_GSOPS_PER_W[1.0].value / TN_GSOPS_PER_W[5.0].value               # P(5x) / P(1x)
    a0 = act(V_REF, 20.0, 128)

    def solve(k: float) -> tuple[float, float, float]:
        """(static S0, tick T0) meeting the idle corner and the 5x ratio for leakage law k; and the
        high corner's residual."""
        f = TrueNorthFit(sop, 1.0, 0.0, k, law)
        g1, g2 = f.leakage_scale(v1), f.leakage_scale(v2)
        rows = [[g1, (v1 / V_REF) ** 2], [1.0 - ratio, 5.0 - ratio]]
        s0, t0 = np.linalg.solve(np.array(rows), np.array([p1.value - act(v1, r1, s1), -(5.0 - ratio) * a0]))
        return s0, t0, s0 * g2 + t0 * (v2 / V_REF) ** 2 + act(v2, r2, s2) - p2.value

    lo_k, hi_k = 0.0, 30.0                      # the high corner's residual rises with k: bisect
    for _ in range(200):
        mid = 0.5 * (lo_k + hi_k)
        lo_k, hi_k = (mid, hi_k) if solve(mid)[2] < 0 else (lo_k, mid)
    k = 0.5 * (lo_k + hi_k)
    s0, t0, _ = solve(k)
    return TrueNorthFit(synaptic_op_pj=float(sop), core_static_w=float(s0) / CORES,
                        core_step_pj=float(t0) / (CORES * TICK_HZ) * 1e12, leakage_per_volt=float(k), law=law)


def _periods(rate_hz: float, tick_s: float, n: int, rng: np.random.Generator) -> tuple[np.ndarray, int]:
    """Firing periods (ticks) whose mean rate is `rate_hz` exactly: floor and ceil of 1 / (rate · tick)
    in the right proportion, shuffled over the `n` neurons; and the length over which every neuron
    completes whole periods (their product)."""
    p = 1.0 / (rate_hz * tick_s)
    lo = int(np.floor(p))
    if lo == p:
        return np.full(n, lo), lo
    hi = lo + 1
    share = (1.0 / p - 1.0 / hi) / (1.0 / lo - 1.0 / hi)      # fraction of neurons at the shorter period
    periods = np.where(np.arange(n) < round(share * n), lo, hi)
    return rng.permutation(periods), lo * hi


def characterisation_network(cores: int, rate_hz: float, synapses: int, seed: int = 0, tick_s: float = 1e-3):
    """Merolla 2014's characterisation network on `cores` cores of 256 neurons (SM S7): every neuron
    sends its spikes to one axon of a uniformly random core (one axon per neuron), and each axon's
    crossbar row has `synapses` active cells among its core's 256 neurons. Neurons are integrators
    driven by a bias that makes them fire every p ticks (p the floor or ceil of 1 / (rate · tick), so
    that the mean rate is exact); the ±1 synaptic weights (zero on average) barely move that period.
    Returns the integer network and the number of ticks in which every neuron completes whole periods
    (its input population is unused: the activity is the neurons' own)."""
    from neurosim.ir import Network, Neuron, Population, Projection

    rng = np.random.default_rng(seed)
    n = cores * 256
    theta = 100_000
    if rate_hz > 0:
        periods, cycle = _periods(rate_hz, tick_s, n, rng)
        bias = (theta / (periods - 0.5)).astype(np.int64)      # v = k·bias first exceeds theta at k = period
    else:
        bias, cycle = np.zeros(n, np.int64), 10
    axon = rng.permutation(n)                        # neuron i drives axon axon[i] (core axon[i] // 256)
    rows = np.argsort(rng.random((n, 256)), axis=1)[:, :synapses]   # active cells of every axon's row
    pre = np.repeat(np.arange(n), synapses)
    post = ((axon // 256)[:, None] * 256 + rows[axon]).ravel()
    weight = np.where(rng.random(pre.size) < 0.5, 1, -1).astype(np.int32)
    pops = [Population("in", 1), Population("tn", n, Neuron(decay=1.0, threshold=float(theta)), bias=bias)]
    return Network(pops, [Projection("tn", "tn", pre, post, weight, kind="sparse")], name=f"tn_char_{cores}",
                   integer=True, state_bits=20), cycle


def simulated_chip_power_w(hw, point: str, rate_hz: float, synapses: int, cores: int = 64, seed: int = 0) -> float:
    """Chip power of the characterisation network (firing `rate_hz` in model time: per 1 ms tick, however
    fast the operating point runs its ticks) simulated on `cores` cores of the full 64 x 64
    mesh (distinct random routers, so that hops are those of the whole chip) and scaled to 4096
    cores. The power is the energy difference of two runs, one and two whole cycles of periods longer
    than a first period, over their time difference, so the first period (every neuron charging)
    cancels: the steady state, as measured."""
    from dataclasses import replace

    from neurosim.energy import energy_breakdown
    from neurosim.mapper import compile_network
    from neurosim.sim import simulate

    hw = replace(hw, operating=replace(hw.operating, point=point))
    net, cycle = characterisation_network(cores, rate_hz, synapses, seed)
    rng = np.random.default_rng(seed + 1)
    routers = rng.choice(hw.n_tiles, size=cores, replace=False)
    xy = np.stack([routers % hw.mesh.cols, routers // hw.mesh.cols], axis=1)
    chip = compile_network(net, hw, "dense", placement=xy, objective="cores")
    scale = CORES / cores
    energy, time = [], []
    warm = max(cycle // 4, 5)
    for k in (1, 2):
        res = simulate(chip, np.zeros((1, warm + k * cycle, 1), np.int32))
        counts = {a: float(c[0]) * scale for a, c in res.counts.items()}
        t = float(res.latency_s()[0])
        energy.append(sum(energy_breakdown(counts, t, hw, CORES).values()))
        time.append(t)
    return (energy[1] - energy[0]) / (time[1] - time[0])


def results(fast: bool = False) -> list:
    """The TrueNorth targets (module docstring): fitted points reproduced, the others validated."""
    from neurosim.config import load_hardware
    from neurosim.validation import Result
    from neurosim.validation.published import Figure

    hw = load_hardware("truenorth")[0]
    cores = 16 if fast else 64
    points = {0.775: "real_time", 0.75: "0.75V", 0.70: "0.70V", 0.8: "0.8V", 1.05: "1.05V"}
    fitted = {(0.70, 0.0, 0), (1.05, 200.0, 256), (0.8, 11.58, 128), (0.8, 95.93, 128)}
    note_fit = "fitted (module neurosim.validation.truenorth)"
    rebuild = (f"characterisation network (Merolla 2014 SM S7) simulated on {cores} cores at random routers of "
               "the 64x64 mesh, scaled to 4096")
    out = []
    for (v, r, s), fig in {**TN_V1, **TN_FIG17}.items():
        fit = (v, r, s) in fitted
        p = simulated_chip_power_w(hw, points[v], r, s, cores)
        why = ("" if fit or (v, r, s) in TN_V1 else "; Fig. 17's 71 mW at 0.8 V and 20 Hz is below Merolla's 72 mW "
               "at 0.775 V and the same activity: no model that rises with voltage can meet both (docs/validation.md)")
        tolerance = None if fit else (0.10 if (v, r, s) in TN_V1 else 0.15)
        slope = "; the Fig. 17 slope sets the synaptic-event energy" if v == 0.8 else ""
        note = note_fit + slope if fit else rebuild
        out.append(Result(f"tn_{v:g}V_{r:g}Hz_{s}syn", "truenorth", f"chip power, {v:g} V, {r:g} Hz, {s} syn/neuron",
                          fig, p, "fit" if fit else "validation", tolerance, note + why))
    # the 5x faster ticks raise efficiency from 46 to 70 GSOPS/W (fitted: sets tick vs leakage)
    p1 = simulated_chip_power_w(hw, "real_time", 20.0, 128, cores)
    p5 = simulated_chip_power_w(hw, "5x_real_time", 20.0, 128, cores)
    gain = Figure(TN_GSOPS_PER_W[5.0].value / TN_GSOPS_PER_W[1.0].value, "x",
                  "Merolla 2014 SM S8: 70 / 46 GSOPS/W at 5x / 1x real time", "M")
    out.append(Result("tn_5x_efficiency_gain", "truenorth", "efficiency gain at 5x real time (200 us ticks)", gain,
                      (5 * p1) / p5, "fit", None, note_fit + "; splits the baseline into per-tick work and leakage"))
    return out

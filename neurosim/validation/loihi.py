"""Loihi: power states and two rebuilt workloads.

Fitted (named): the idle power of one chip after boot (Blouw 2019 raw logs), as the leakage of its 128
cores, and the rise of idle power once a model has run (Blouw 2019, ~70 mW: the x86 cores), as the
armed power. Validated: the x86 power of Frady 2020's 32-chip board (not used:
the power states come from Blouw's single chip), the running power of Blouw's keyword spotter, and
the neuromorphic-core energy of Frady's k-NN query.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from neurosim.config import load_hardware
from neurosim.energy import STATIC_PARTS, armed_power_w, energy_breakdown, idle_power_w
from neurosim.ir import Network, Neuron, Population, Projection, quantize
from neurosim.ir.synthetic import bernoulli_inputs, calibrated_feedforward
from neurosim.mapper import compile_network
from neurosim.sim import simulate
from neurosim.validation import Result
from neurosim.validation.published import (
    LOIHI_ARMED,
    LOIHI_BOOT_IDLE,
    LOIHI_KNN_NEURO,
    LOIHI_KWS_RATE,
    LOIHI_KWS_RUN,
    LOIHI_KWS_SCALED,
    LOIHI_STATIC_32,
    LOIHI_X86_32,
    Figure,
)

KWS_STEPS = 10          # steps per inference: the nengo-loihi keyword-spotting example (10 steps per frame)
KWS_ACTIVITY = 0.1      # spikes per neuron per step, assumed (the paper gives no rates); see kws_power_w
KNN_PATTERNS_PER_CHIP = 76_800 // 32
KNN_INPUTS = 1000       # 2 N_C components, N_C = 500 (Frady 2020 sec. 3)
KNN_SPIKES = 708        # 667-750 input spikes per query (Frady 2020 sec. 3): the middle
KNN_WINDOW = 60         # steps (Frady 2020 sec. 3)


def _dynamic_j(counts: dict, hw, cores: int, exclude: tuple[str, ...] = ()) -> float:
    """Energy of the actions (no static or armed power) for the given counts."""
    b = energy_breakdown(counts, 0.0, hw, cores)
    return sum(v for k, v in b.items() if k not in STATIC_PARTS and k not in exclude)


def kws_network(copies: int, layers: int, x: np.ndarray, activity: float, seed: int) -> Network:
    """Blouw 2019's keyword spotter (copies = layers = 0: 390-256-256-29) or its scaled model: 390 -> 256
    -> `copies` chains of `layers` x 256 -> 256 -> 29, fully connected LIF layers (Nengo's LIF: tau_rc
    20 ms at dt 1 ms), each calibrated to fire `activity` of its neurons per step on inputs `x`."""
    lif = Neuron(decay=0.95, threshold=1.0, reset="zero")
    if copies == 0 or layers == 0:
        return calibrated_feedforward((390, 256, 256, 29), x, activity, lif, seed=seed, name="kws")
    front = calibrated_feedforward((390, 256), x, activity, lif, seed=seed)
    h = front.populations[1]
    pops, projs = list(front.populations), list(front.projections)
    rng = np.random.default_rng(seed)
    drive = (rng.random((x.shape[0], x.shape[1], 256)) < activity).astype(np.float32)  # h's spikes, statistically
    tails = []
    for c in range(copies):
        chain = calibrated_feedforward((256,) + (256,) * layers, drive, activity, lif, seed=seed + 1 + c)
        names = {p.name: f"c{c}_{p.name}" for p in chain.populations[1:]}
        names[chain.populations[0].name] = h.name
        pops += [replace(p, name=names[p.name]) for p in chain.populations[1:]]
        projs += [replace(pr, pre=names[pr.pre], post=names[pr.post], name="") for pr in chain.projections]
        tails.append(names[chain.populations[-1].name])
    concat = np.concatenate([drive] * copies, axis=2)
    back = calibrated_feedforward((256 * copies, 256, 29), concat, activity, lif, seed=seed + 99)
    w_out, w_read = back.projections[0].to_dense(256 * copies, 256, np.float64), back.projections[1]
    pops += [Population("out", 256, lif), Population("readout", 29, lif)]
    for c, tail in enumerate(tails):
        projs.append(Projection.from_dense(tail, "out", w_out[256 * c:256 * (c + 1)], kind="dense"))
    projs.append(replace(w_read, pre="out", post="readout", name=""))
    return Network(pops, projs, name=f"kws_c{copies}_l{layers}")


def kws_power_w(hw, copies: int = 0, layers: int = 0, rate: float = LOIHI_KWS_RATE, activity: float = KWS_ACTIVITY,
                samples: int = 4, seed: int = 0) -> tuple[float, int]:
    """Running power of Blouw 2019's keyword spotter (or a scaled model) at its measured inference
    rate: the idle floor + armed power + the action energy of one inference x the rate. The spike
    rates are not published: every layer is calibrated to `activity` on Bernoulli inputs of the same
    rate, 10 steps per inference (inputs stream: no reset between them). Returns (W, cores)."""
    x = bernoulli_inputs(samples, KWS_STEPS, 390, activity, seed)
    net = quantize(kws_network(copies, layers, x, activity, seed + 1), hw.core.weight_bits, hw.core.state_bits)
    chip = compile_network(net, hw, inputs=x.astype(np.int32), objective="cores")
    res = simulate(chip, x.astype(np.int32))
    dyn = _dynamic_j(res.mean_counts(), hw, chip.n_cores, exclude=("inferences",))
    return idle_power_w(hw, chip.n_cores) + armed_power_w(hw) + dyn * rate, chip.n_cores


def knn_query(hw, patterns: int, seed: int = 0) -> tuple[Network, np.ndarray]:
    """Frady 2020's k-NN query (k = 1) over `patterns` patterns: pattern neurons with 1000 8-bit weights
    W = [E, -E] that integrate without firing (k = 1: almost no output spikes), and one query's input,
    each of 708 components spiking once in the 60-step window (Frady sec. 3)."""
    rng = np.random.default_rng(seed)
    e = rng.normal(0.0, 1.0, size=(KNN_INPUTS // 2, patterns))
    w = np.clip(np.rint(np.vstack([e, -e]) * 40), -127, 127).astype(np.int32)
    pops = [Population("in", KNN_INPUTS), Population("match", patterns, Neuron(decay=1.0, threshold=float(2 ** 22)))]
    net = Network(pops, [Projection.from_dense("in", "match", w)], name="knn", integer=True,
                  state_bits=hw.core.state_bits)
    x = np.zeros((1, KNN_WINDOW, KNN_INPUTS), np.int32)
    chosen = rng.choice(KNN_INPUTS, size=KNN_SPIKES, replace=False)
    x[0, rng.integers(0, KNN_WINDOW, size=KNN_SPIKES), chosen] = 1
    return net, x


def knn_query_energy_j(hw, seed: int = 0) -> float:
    """Neuromorphic-core energy of one k-NN query of Frady 2020 (76,800 patterns on 32 chips, k = 1):
    one chip's share (2400 pattern neurons) simulated, x 32. Dynamic energy only: synaptic ops, neuron
    updates, packets and hops (Frady reports static, reset and x86 apart)."""
    net, x = knn_query(hw, KNN_PATTERNS_PER_CHIP, seed)
    chip = compile_network(net, hw, "dense", objective="cores")
    res = simulate(chip, x)
    dyn = _dynamic_j(res.mean_counts(), hw, chip.n_cores, exclude=("inferences", "input_messages"))
    return 32 * dyn


def results(fast: bool = False) -> list[Result]:
    hw = load_hardware("loihi")[0]
    davies = load_hardware("loihi_davies2018")[0]
    fit = "fitted (hwconfigs/loihi.yaml power section)"
    out = [
        Result("loihi_boot_idle", "loihi", "one chip idle after boot", LOIHI_BOOT_IDLE,
               idle_power_w(hw, 0), "fit", None, fit + ": the leakage of the 128 cores"),
        Result("loihi_static_all_powered", "loihi", "static power per chip, all circuits powered",
               Figure(LOIHI_STATIC_32.value / 32, "W", LOIHI_STATIC_32.source, LOIHI_STATIC_32.grade),
               idle_power_w(hw, 128), "gap", 0.15,
               "a 32-chip board of unstated supply and temperature against one chip's rails at 0.75 V: the "
               "measurement boundaries differ (Blouw's single chip idles at 29.6 mW)"),
        Result("loihi_armed", "loihi", "idle after a run minus idle after boot", LOIHI_ARMED, armed_power_w(hw),
               "fit", None, fit),
        Result("loihi_x86_per_chip", "loihi", "x86 power per chip, 32-chip board",
               Figure(LOIHI_X86_32.value / 32, "W", LOIHI_X86_32.source, LOIHI_X86_32.grade), armed_power_w(hw),
               "validation", 0.15, "the armed power fitted on Blouw's single chip, compared with Frady's board"),
    ]
    p, cores = kws_power_w(hw, samples=2 if fast else 8)
    lo, _ = kws_power_w(hw, activity=0.02, samples=2)
    hi, _ = kws_power_w(hw, activity=0.3, samples=2)
    out.append(Result("loihi_kws_running_power", "loihi", f"keyword spotter running, 296 inf/s ({cores} cores)",
                      LOIHI_KWS_RUN, p, "validation", 0.15,
                      f"390-256-256-29 rebuilt, 10 steps per inference, {KWS_ACTIVITY:.0%} activity assumed (spike "
                      f"rates not published): {lo * 1e3:.1f} mW at 2 %, {hi * 1e3:.1f} mW at 30 %"))
    scaled = {k: kws_power_w(hw, *k, rate, samples=2 if fast else 4) for k, (_, rate) in LOIHI_KWS_SCALED.items()}
    (p0, _), (p10, _) = scaled[(0, 0)], scaled[(10, 10)]
    f0, f10 = LOIHI_KWS_SCALED[(0, 0)][0].value, LOIHI_KWS_SCALED[(10, 10)][0].value
    for (copies, layers), (p, cores) in scaled.items():
        out.append(Result(f"loihi_kws_scaled_c{copies}_l{layers}", "loihi",
                          f"scaled keyword spotter, {copies} chains of {layers} x 256 ({cores} cores)",
                          LOIHI_KWS_SCALED[(copies, layers)][0], p, "validation", 0.15,
                          f"random weights, {KWS_ACTIVITY:.0%} activity and 10 steps per inference assumed, at the "
                          f"measured inference rate; the ten chains add {1e3 * (p10 - p0):.1f} mW in neurosim, "
                          f"{1e3 * (f10 - f0):.1f} mW measured"))
    for chip, label in ((hw, "SANA-FE silicon fit"), (davies, "Davies 2018 pre-silicon")):
        out.append(Result(f"loihi_knn_query_{chip.name}", chip.name, "k-NN query, neuromorphic-core energy",
                          LOIHI_KNN_NEURO, knn_query_energy_j(chip), "gap", 0.15,
                          f"per-op energies: {label}; one chip's 2400 patterns x 1000 8-bit weights simulated, x 32; "
                          "the weight precision and synapse format Frady used are not published"))
    return out

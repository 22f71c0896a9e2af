"""Float network → integer deploy network (DESIGN §3).

Per post-synaptic population (a "layer"), one scale S maps float currents to integers: weights
become round(w·S / k_pre) where k_pre is the integer level of a unit input of the source (1 for
spikes, e.g. 255 for 8-bit graded input), so that every incoming projection adds in the same
unit; S is chosen so that the largest |weight| uses the full signed `weight_bits` range.
Thresholds, biases and voltage floors are scaled by S and rounded. Each decay β (of the membrane and of
the synaptic current) becomes Loihi's integer decay: δ = round((1−β)·4096) and
x ← (x·(4096 − δ)) >> 12 with the product rounded toward zero, as Lava's bit-accurate Loihi model
computes it (`decay_int`). The synaptic current wraps around at `state_bits` (two's complement), the
membrane potential saturates at ±(2^(state_bits−1) − 1), as on the chip.

S is also capped so that the threshold stays `STATE_HEADROOM` times below the largest state value:
a membrane potential must be able to exceed its threshold without saturating. On chips with narrow
state (16 bits) and graded 8-bit input this cap, not the weight width, limits the first layer's
weight precision — which is what such a chip computes.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from neurosim.ir.network import Network

LEAK_SHIFT = 12
STATE_HEADROOM = 8
BLOCK = 1 << 22   # weights converted at a time


def leak_delta(decay: float | np.ndarray) -> int | np.ndarray:
    """δ of the integer decay x ← (x·(4096 − δ)) >> 12 (toward zero); δ = round((1−β)·4096)
    (per neuron for an array of decays)."""
    if np.ndim(decay):
        return np.rint((1.0 - np.asarray(decay)) * (1 << LEAK_SHIFT)).astype(np.int64)
    return int(round((1.0 - decay) * (1 << LEAK_SHIFT)))


def decay_int(x: np.ndarray, delta: int) -> np.ndarray:
    """Loihi's integer decay of int64 states: x·(4096 − δ) / 4096 rounded toward zero. (The decrement
    form x − (x·δ >> 12) never decays |x| below 4096/δ, so silent neurons would stay active.)"""
    p = x * ((1 << LEAK_SHIFT) - delta)
    return np.sign(p) * (np.abs(p) >> LEAK_SHIFT)


def wrap_int(x: np.ndarray, bits: int) -> np.ndarray:
    """Two's-complement wrap-around of int64 values to signed `bits` (how Loihi's current overflows)."""
    half = 1 << (bits - 1)
    return ((x + half) & ((1 << bits) - 1)) - half


def input_levels(net: Network, name: str) -> int:
    """Integer value of a unit input of input population `name` (meta['input_levels'], default 1)."""
    return int(net.meta.get("input_levels", {}).get(name, 1))


def _abs_max(w: np.ndarray) -> float:
    """max |w| of a non-empty array, without an array of absolute values."""
    return max(abs(float(w.min())), abs(float(w.max())))


def _max_abs_drive(net: Network, name: str) -> float:
    """Largest Σ|w|·(unit input) any neuron of population `name` can receive in one step."""
    total = np.zeros(net.pop(name).size)
    for pr in net.projections:
        if pr.post == name:
            np.add.at(total, pr.post_idx, np.abs(pr.weight.astype(np.float64)))
    p = net.pop(name)
    if p.bias is not None:
        total += np.abs(p.bias)
    return float(total.max(initial=0.0))


def quantize(net: Network, weight_bits: int, state_bits: int, narrow: bool = False) -> Network:
    """Integer deploy network for a chip with signed `weight_bits` weights and `state_bits` state.
    Weights are int32, or with `narrow` the narrowest signed type that holds `weight_bits` (int8 for
    8-bit weights: 3 bytes per synapse less for very large networks; the same values)."""
    if net.integer:
        raise ValueError("network is already integer")
    wmax_int = (1 << (weight_bits - 1)) - 1
    smax = (1 << (state_bits - 1)) - 1
    scales: dict[str, float] = {}
    wdt = np.int32
    if narrow:
        wdt = np.int8 if weight_bits <= 8 else np.int16 if weight_bits <= 16 else np.int32
    for p in net.populations:
        if p.is_input:
            continue
        m = 0.0
        for pr in net.projections:
            if pr.post == p.name and pr.nnz:
                m = max(m, _abs_max(pr.weight) / input_levels(net, pr.pre)
                        if net.pop(pr.pre).is_input else _abs_max(pr.weight))
        s = wmax_int / m if m > 0 else 1.0
        theta = float(np.max(p.param("threshold")))
        if p.neuron.spiking and theta > 0:
            s = min(s, smax / (STATE_HEADROOM * theta))
        elif not p.neuron.spiking:  # a readout integrates without reset: bound its largest possible potential
            drive = _max_abs_drive(net, p.name) / max(1.0 - float(np.max(np.abs(p.param("current_decay")))), 1e-9)
            steps = min(STATE_HEADROOM, 1.0 / max(1.0 - float(np.max(p.param("decay"))), 1e-9))
            if drive > 0:
                s = min(s, smax / (drive * steps))
        scales[p.name] = s
    pops = []
    for p in net.populations:
        if p.is_input:
            pops.append(p)
            continue
        s = scales[p.name]
        v_min = None if p.neuron.v_min is None else float(max(-smax, round(p.neuron.v_min * s)))
        bias = None if p.bias is None else np.clip(np.rint(p.bias * s), -smax, smax).astype(np.int64)
        pops.append(replace(p.with_configs(lambda n, s=s, v_min=v_min: replace(
            n, threshold=float(max(1, round(n.threshold * s))), v_min=v_min)), bias=bias))
    projs = []
    for pr in net.projections:
        s = scales[pr.post]
        k = input_levels(net, pr.pre) if net.pop(pr.pre).is_input else 1
        w = np.empty(pr.weight.shape, wdt)
        for a in range(0, w.size, BLOCK):   # a block at a time: no float64 copy of every weight
            w[a:a + BLOCK] = np.clip(np.rint(pr.weight[a:a + BLOCK].astype(np.float64) * s / k), -wmax_int - 1,
                                     wmax_int)
        kernel = None
        if pr.kernel is not None:
            kernel = np.clip(np.rint(pr.kernel * s / k), -wmax_int - 1, wmax_int).astype(np.int32)
        # a weight that rounds to zero is no synapse on the chip (when none does, the index arrays are shared)
        q = replace(pr, weight=w, kernel=kernel)
        projs.append(q if np.count_nonzero(w) == w.size else q.with_weights(w, keep=w != 0))
    meta = dict(net.meta)
    meta["weight_scales"] = scales
    meta["weight_bits"] = weight_bits
    return Network(pops, projs, name=net.name, integer=True, state_bits=state_bits, meta=meta)

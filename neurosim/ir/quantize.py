"""Float network → integer deploy network (DESIGN §3).

Per post-synaptic population (a "layer"), one scale S maps float currents to integers: weights
become round(w·S / k_pre) where k_pre is the integer level of a unit input of the source (1 for
spikes, e.g. 255 for 8-bit graded input), so that every incoming projection adds in the same
unit; S is chosen so that the largest |weight| uses the full signed `weight_bits` range.
Thresholds and biases are scaled by S and rounded. Decay becomes the Loihi leak δ = round((1−β)·4096).

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


def leak_delta(decay: float) -> int:
    """δ of the integer leak v ← v − ((v·δ) >> 12), rounding toward zero; δ = round((1−β)·4096)."""
    return int(round((1.0 - decay) * (1 << LEAK_SHIFT)))


def input_levels(net: Network, name: str) -> int:
    """Integer value of a unit input of input population `name` (meta['input_levels'], default 1)."""
    return int(net.meta.get("input_levels", {}).get(name, 1))


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


def quantize(net: Network, weight_bits: int, state_bits: int) -> Network:
    """Integer deploy network for a chip with signed `weight_bits` weights and `state_bits` state."""
    if net.integer:
        raise ValueError("network is already integer")
    wmax_int = (1 << (weight_bits - 1)) - 1
    smax = (1 << (state_bits - 1)) - 1
    scales: dict[str, float] = {}
    for p in net.populations:
        if p.is_input:
            continue
        m = 0.0
        for pr in net.projections:
            if pr.post == p.name and pr.nnz:
                m = max(m, float(np.abs(pr.weight).max()) / input_levels(net, pr.pre)
                        if net.pop(pr.pre).is_input else float(np.abs(pr.weight).max()))
        s = wmax_int / m if m > 0 else 1.0
        if p.neuron.spiking and p.neuron.threshold > 0:
            s = min(s, smax / (STATE_HEADROOM * p.neuron.threshold))
        elif not p.neuron.spiking:  # a readout integrates without reset: bound its largest possible potential
            drive = _max_abs_drive(net, p.name)
            steps = min(STATE_HEADROOM, 1.0 / max(1.0 - p.neuron.decay, 1e-9))
            if drive > 0:
                s = min(s, smax / (drive * steps))
        scales[p.name] = s
    pops = []
    for p in net.populations:
        if p.is_input:
            pops.append(p)
            continue
        s = scales[p.name]
        thr = float(max(1, round(p.neuron.threshold * s)))
        bias = None if p.bias is None else np.clip(np.rint(p.bias * s), -smax - 1, smax).astype(np.int64)
        pops.append(replace(p, neuron=replace(p.neuron, threshold=thr), bias=bias))
    projs = []
    for pr in net.projections:
        s = scales[pr.post]
        k = input_levels(net, pr.pre) if net.pop(pr.pre).is_input else 1
        w = np.clip(np.rint(pr.weight.astype(np.float64) * s / k), -wmax_int - 1, wmax_int).astype(np.int32)
        kernel = None
        if pr.kernel is not None:
            kernel = np.clip(np.rint(pr.kernel * s / k), -wmax_int - 1, wmax_int).astype(np.int32)
        # a weight that rounds to zero is no synapse on the chip
        projs.append(replace(pr, weight=w, kernel=kernel).with_weights(w, keep=w != 0))
    meta = dict(net.meta)
    meta["weight_scales"] = scales
    meta["weight_bits"] = weight_bits
    return Network(pops, projs, name=net.name, integer=True, state_bits=state_bits, meta=meta)

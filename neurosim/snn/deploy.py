"""Accuracy of an exported network run by the integer deploy model (`ir.run`), DESIGN §3.

The prediction rule is the float model's: argmax over classes of the readout potential summed
over its T-step window (with hardware timing the window is shifted by the readout's stage)."""

from __future__ import annotations

import numpy as np

from neurosim.ir import quantize, run
from neurosim.ir.network import Network, Timing
from neurosim.ir.quantize import input_levels
from neurosim.snn.datasets import Split
from neurosim.snn.encoders import Encoder


def network_encoder(net: Network) -> Encoder:
    """The encoder an exported network expects (from its meta)."""
    m = net.meta
    return Encoder(m.get("encoder", "direct"), int(m["timesteps"]), input_levels(net, "input"),
                   int(m.get("encoder_seed", 0)))


def deploy_inputs(net: Network, x: np.ndarray) -> np.ndarray:
    """(B, T, n_in) inputs of `net` for samples x: integer levels for an integer network, the
    same values divided by the levels (the float model's input) for a float network."""
    enc = network_encoder(net)
    q = enc.deploy(x)
    return q if net.integer or enc.deploy_levels == 1 else q / float(enc.deploy_levels)


def predict_deploy(net: Network, x: np.ndarray, timing: Timing = "hardware", chunk: int = 100,
                   stream: int = 1) -> np.ndarray:
    """Predicted classes of `net` (float or integer) on samples x, run in chunks to bound memory.
    `stream` > 1 runs consecutive samples back to back without reset, `stream` at a time (streaming
    mode; a last shorter stream takes the remainder), each classified from its own T-step window."""
    T = int(net.meta["timesteps"])
    readout = net.meta.get("readout", "readout")
    inputs = deploy_inputs(net, x)
    preds = []
    if stream <= 1:
        for i in range(0, x.shape[0], chunk):
            res = run(net, inputs[i:i + chunk], timing=timing)
            preds.append(res.window(readout, T).sum(1).argmax(1))
        return np.concatenate(preds) if preds else np.zeros(0, np.int64)
    n = x.shape[0]
    for i in range(0, n, chunk * stream):
        block = inputs[i:i + chunk * stream]
        full = block.shape[0] // stream * stream
        for part, m in ((block[:full], stream), (block[full:], block.shape[0] - full)):
            if m == 0 or part.shape[0] == 0:
                continue
            streams = part.reshape(part.shape[0] // m, m * T, *part.shape[2:])
            res = run(net, streams, timing=timing)
            pot = res.spikes[readout] if readout in res.spikes else res.potentials[readout]
            s0 = res.start[readout]
            wins = np.stack([pot[:, s0 + j * T:s0 + (j + 1) * T].sum(1) for j in range(m)], axis=1)
            preds.append(wins.argmax(2).reshape(-1))
    return np.concatenate(preds) if preds else np.zeros(0, np.int64)


def evaluate_deploy(net: Network, dataset_split: Split, weight_bits: int, state_bits: int,
                    timing: Timing = "hardware") -> float:
    """Test accuracy of the integer deploy model of `net` (quantised to the chip's bits unless it
    is already integer) over the whole split, with hardware timing."""
    qnet = net if net.integer else quantize(net, weight_bits, state_bits)
    return float((predict_deploy(qnet, dataset_split.x, timing) == dataset_split.y).mean())

"""Expected traffic from a profiling run: spikes per source neuron per inference of the integer
network on sample inputs (the deploy model with hardware timing), which weighs each (source, core)
packet in the traffic-aware placement."""

from __future__ import annotations

import numpy as np

from neurosim.ir.deploy import run
from neurosim.ir.network import Network


def profile_rates(net: Network, inputs: np.ndarray | dict[str, np.ndarray]) -> np.ndarray:
    """Mean delivered spikes (input events for input populations) per global neuron per inference,
    over the samples of `inputs` ((B, T, n_in) or a dict name -> array)."""
    if not isinstance(inputs, dict):
        (inp,) = net.inputs
        inputs = {inp.name: np.asarray(inputs)}
    res = run(net, inputs, timing="hardware")
    offsets = net.offsets
    rates = np.zeros(int(offsets[-1]))
    for i, p in enumerate(net.populations):
        if p.is_input:
            x = np.asarray(inputs[p.name])
            rates[offsets[i]:offsets[i + 1]] = (x != 0).sum(axis=1).mean(axis=0)
        elif p.name in res.spikes:  # a spike of the last step is never delivered (no step follows)
            rates[offsets[i]:offsets[i + 1]] = res.spikes[p.name][:, :res.steps - 1].sum(axis=1).mean(axis=0)
    return rates

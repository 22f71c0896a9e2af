"""Neuron configurations per core: a chip core stores a few neuron models (Loihi: 32 compartment
profiles of decays and refractory period), which every neuron on the core indexes; per-neuron time
constants can need more than one core holds (`core.max_neuron_configs`, a budget of the cut)."""

from __future__ import annotations

import numpy as np

from neurosim.ir.network import Network
from neurosim.ir.quantize import leak_delta


def neuron_config_ids(net: Network) -> np.ndarray:
    """Per global neuron, an id of its chip neuron model (the integer decays, threshold and the rest of
    its `Neuron`): neurons with one id share one compartment profile; input neurons get −1."""
    ids = np.full(int(net.offsets[-1]), -1, np.int64)
    seen: dict[tuple, int] = {}
    for i, p in enumerate(net.populations):
        if p.is_input:
            continue
        cfgs = p.configs or (p.neuron,)
        local = []
        for n in cfgs:
            key = (leak_delta(n.decay), leak_delta(n.current_decay), n.threshold, n.reset, n.fire_at_equal,
                   n.spiking, n.refractory, n.v_min)
            local.append(seen.setdefault(key, len(seen)))
        idx = p.config_index if p.configs is not None else np.zeros(p.size, np.int64)
        ids[net.offsets[i]:net.offsets[i + 1]] = np.asarray(local, np.int64)[idx]
    return ids

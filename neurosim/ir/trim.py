"""Neurons that can never matter, removed from a network: a hidden neuron with no outgoing synapse
(its spikes reach nothing) is dropped with its incoming synapses, repeatedly, so a chip does not
hold it. Inputs, outputs (populations nothing reads) and populations with a spatial layout (conv
geometry) keep their size: their indices have meaning outside the network.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from neurosim.ir.network import Network


def without_dead_neurons(net: Network) -> tuple[Network, int]:
    """(`net` without its dead hidden neurons, how many were removed). Removal runs to a fixed point:
    dropping a neuron can leave the neurons feeding only it with no synapse out."""
    removed = 0
    while True:
        read = {pr.pre for pr in net.projections}
        spatial = {pr.pre for pr in net.projections if pr.kind == "conv"} | \
                  {pr.post for pr in net.projections if pr.kind == "conv"}
        keep: dict[str, np.ndarray] = {}
        for p in net.populations:
            if p.is_input or p.name not in read or p.name in spatial or (p.shape is not None and len(p.shape) > 1):
                continue
            has_out = np.zeros(p.size, bool)
            for pr in net.projections:
                if pr.pre == p.name:
                    has_out[pr.pre_idx] = True
            if not has_out.all() and has_out.any():
                keep[p.name] = has_out
        if not keep:
            return net, removed
        removed += sum(int((~k).sum()) for k in keep.values())
        net = _select(net, keep)


def _select(net: Network, keep: dict[str, np.ndarray]) -> Network:
    """`net` with only the neurons `keep[pop]` marks in the named populations (others whole)."""
    new_index = {name: np.cumsum(k) - 1 for name, k in keep.items()}
    pops = []
    for p in net.populations:
        k = keep.get(p.name)
        if k is None:
            pops.append(p)
        else:
            pops.append(replace(p, size=int(k.sum()), bias=None if p.bias is None else np.asarray(p.bias)[k]))
    projs = []
    for pr in net.projections:
        ok = np.ones(pr.nnz, bool)
        pre_idx, post_idx = pr.pre_idx, pr.post_idx
        if pr.pre in keep:
            ok &= keep[pr.pre][pre_idx]
        if pr.post in keep:
            ok &= keep[pr.post][post_idx]
        pre_idx, post_idx = pre_idx[ok], post_idx[ok]
        if pr.pre in keep:
            pre_idx = new_index[pr.pre][pre_idx]
        if pr.post in keep:
            post_idx = new_index[pr.post][post_idx]
        projs.append(replace(pr, pre_idx=pre_idx, post_idx=post_idx, weight=pr.weight[ok]))
    return Network(pops, projs, name=net.name, integer=net.integer, state_bits=net.state_bits, meta=dict(net.meta))

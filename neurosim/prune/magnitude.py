"""Magnitude pruning of an `ir.Network`: the baseline every other pruning method is compared with."""

from __future__ import annotations

import numpy as np

from neurosim.ir.network import Network


def prune_magnitude(net: Network, sparsity: float) -> Network:
    """Remove the `sparsity` fraction of synapses with the smallest |w| in every projection (ties
    broken by position, so the result is deterministic and a sparser level prunes a superset)."""
    if not 0.0 <= sparsity < 1.0:
        raise ValueError(f"sparsity must be in [0, 1), got {sparsity}")
    projs = []
    for pr in net.projections:
        n_drop = int(np.floor(sparsity * pr.nnz))
        order = np.argsort(np.abs(pr.weight), kind="stable")
        keep = np.ones(pr.nnz, bool)
        keep[order[:n_drop]] = False
        projs.append(pr.with_weights(pr.weight, keep=keep))
    out = net.replace_projections(projs)
    out.meta["pruning"] = {"method": "magnitude", "sparsity": sparsity}
    return out


def connection_sparsity(net: Network, dense: Network) -> float:
    """Fraction of the dense network's synapses absent from `net` (NeuroBench connection sparsity)."""
    total = dense.n_synapses
    return 0.0 if total == 0 else 1.0 - net.n_synapses / total

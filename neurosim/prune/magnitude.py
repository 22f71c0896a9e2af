"""Magnitude pruning of an `ir.Network`: the baseline every other pruning method is compared with."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import replace

import numpy as np

from neurosim.ir.conv import synapse_taps
from neurosim.ir.network import Network


def _smallest(values: np.ndarray, fraction: float) -> np.ndarray:
    """Mask of the floor(fraction·n) entries of smallest |value| (ties by position: deterministic, and
    a larger fraction drops a superset)."""
    drop = np.zeros(values.size, bool)
    drop[np.argsort(np.abs(values), kind="stable")[:int(np.floor(fraction * values.size))]] = True
    return drop


def prune_magnitude(net: Network, sparsity: float, reference: Network | None = None,
                    keep: Collection[str] = ()) -> Network:
    """Remove the `sparsity` fraction of weights with the smallest |w| in every projection (those named
    in `keep` are left whole: structural links of an imported network, not weights).

    A conv projection that still shares its kernel is pruned by kernel tap: a pruned weight is
    gone at every position, so the layer stays a convolution (and `conv_shared` still applies).
    With `reference` (the same network before a chip's budgets removed synapses, `prune.fit`), the
    fraction counts the reference's synapses: each projection keeps (1 − sparsity) of its reference
    count, or all it has when that is fewer."""
    if not 0.0 <= sparsity < 1.0:
        raise ValueError(f"sparsity must be in [0, 1), got {sparsity}")
    projs = []
    for i, pr in enumerate(net.projections):
        if pr.name in keep:
            projs.append(pr)
            continue
        if reference is not None and pr.kernel is None:
            keep_n = np.floor((1.0 - sparsity) * reference.projections[i].nnz + 1e-9)
            fraction = max(0.0, 1.0 - keep_n / pr.nnz) if pr.nnz else 0.0
            projs.append(pr.with_weights(pr.weight, keep=~_smallest(pr.weight, fraction)))
            continue
        if pr.kernel is not None and pr.conv is not None:
            kernel = np.asarray(pr.kernel)
            live = np.flatnonzero(kernel.ravel())
            dropped = np.zeros(kernel.size, bool)
            dropped[live[_smallest(kernel.ravel()[live], sparsity)]] = True
            keep = ~dropped[synapse_taps(pr)]
            projs.append(replace(pr.with_weights(pr.weight, keep=keep),
                                 kernel=np.where(dropped.reshape(kernel.shape), 0, kernel)))
            continue
        projs.append(pr.with_weights(pr.weight, keep=~_smallest(pr.weight, sparsity)))
    out = net.replace_projections(projs)
    out.meta["pruning"] = {"method": "magnitude", "sparsity": sparsity}
    return out


def connection_sparsity(net: Network, dense: Network) -> float:
    """Fraction of the dense network's synapses absent from `net` (NeuroBench connection sparsity)."""
    total = dense.n_synapses
    return 0.0 if total == 0 else 1.0 - net.n_synapses / total

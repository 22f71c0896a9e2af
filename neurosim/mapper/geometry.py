"""The unpruned connectivity of a projection, which the `dense` format stores whatever pruning
removed: a conv's geometric receptive fields, or every (source, target) pair of any other kind."""

from __future__ import annotations

import numpy as np

from neurosim.ir.network import Projection


def shares_kernel(pr: Projection, edges: tuple[np.ndarray, np.ndarray, np.ndarray] | None) -> bool:
    """True when the projection's synapses are exactly its kernel applied over the geometry (zero
    taps absent), so the kernel can be stored once (conv_shared). Unstructured pruning of single
    positions breaks weight sharing."""
    if pr.conv is None or pr.kernel is None or edges is None:
        return False
    pre, post, tap = edges
    k = np.asarray(pr.kernel).ravel()
    keep = k[tap] != 0
    if int(keep.sum()) != pr.nnz:
        return False
    return bool(np.array_equal(pre[keep], pr.pre_idx) and np.array_equal(post[keep], pr.post_idx)
                and np.array_equal(k[tap[keep]], pr.weight))


def within(pr: Projection, edges: tuple[np.ndarray, np.ndarray, np.ndarray], n_post: int) -> bool:
    """True when every synapse of the projection is an edge of its geometry."""
    if pr.nnz == 0:
        return True
    gkey = edges[0] * n_post + edges[1]
    key = pr.pre_idx.astype(np.int64) * n_post + pr.post_idx
    pos = np.minimum(np.searchsorted(gkey, key), gkey.size - 1)
    return bool(gkey.size and np.all(gkey[pos] == key))

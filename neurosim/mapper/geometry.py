"""The unpruned connectivity of a projection, which the `dense` format stores whatever pruning
removed: a conv's geometric receptive fields, or every (source, target) pair of any other kind."""

from __future__ import annotations

import numpy as np

from neurosim.ir.network import Projection


def conv_edges(pr: Projection) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(pre, post, kernel tap index) of every edge of the conv geometry, zero taps included,
    sorted by (pre, post). Vectorised over output positions; loops only over the kernel taps."""
    g = pr.conv
    ci_n, h, w = g.in_shape
    co_n, ho, wo = g.out_shape
    kh, kw = g.kernel
    (sy, sx), (py, px) = g.stride, g.padding
    co, oy, ox = (a.ravel() for a in np.meshgrid(np.arange(co_n), np.arange(ho), np.arange(wo), indexing="ij"))
    post_all = (co * ho + oy) * wo + ox
    pres, posts, taps = [], [], []
    for ci in range(ci_n):
        for ky in range(kh):
            iy = oy * sy - py + ky
            for kx in range(kw):
                ix = ox * sx - px + kx
                ok = (iy >= 0) & (iy < h) & (ix >= 0) & (ix < w)
                pres.append((ci * h + iy[ok]) * w + ix[ok])
                posts.append(post_all[ok])
                taps.append(((co[ok] * ci_n + ci) * kh + ky) * kw + kx)
    pre, post, tap = (np.concatenate(x).astype(np.int64) for x in (pres, posts, taps))
    order = np.lexsort((post, pre))
    return pre[order], post[order], tap[order]


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

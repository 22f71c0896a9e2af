"""Conv geometry helpers shared by pruning and mapping: every edge of a conv projection's unpruned
receptive fields, with the kernel tap it uses (neurons indexed channel-major, (c, y, x))."""

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


def synapse_taps(pr: Projection) -> np.ndarray:
    """Kernel tap (flat index into `pr.kernel`) of every synapse of conv projection `pr`."""
    pre, post, tap = conv_edges(pr)
    n_post = int(np.prod(pr.conv.out_shape))
    gkey = pre * n_post + post
    key = pr.pre_idx.astype(np.int64) * n_post + pr.post_idx
    pos = np.searchsorted(gkey, key)
    if pr.nnz and (pos.max() >= gkey.size or not np.array_equal(gkey[pos], key)):
        raise ValueError(f"projection {pr.name} has synapses outside its conv geometry")
    return tap[pos]

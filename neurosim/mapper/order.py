"""The order in which the partitioner walks each population's neurons (used only inside the mapper).

Cores take consecutive ranges *in this order*; every table stays in global neuron ids. A conv-shaped
population (`Population.shape` = (C, H, W), or the out_shape / in_shape of a conv projection it
ends) is numbered channel-major (c, y, x) in the network, so consecutive ids are one channel over the
whole image: a core cut from them holds a few channels everywhere, and each source's receptive-field
targets land in many cores. Spatial orders put all channels of one position next to each other
(channel innermost) and walk the positions so that a consecutive range is a compact patch of the
image, as Loihi's compilers do with population axons:

- `channel`: the network order (identity), the old behaviour;
- `raster`: positions row by row, (y, x, c);
- `tiles`: square tiles of `t` x `t` positions (t = ⌊√(max_neurons / C)⌋, a full tile fills one core),
  tiles row by row in serpentine order, positions inside a tile row by row, channels innermost;
- `hilbert`: positions along a Hilbert curve over the enclosing 2^k x 2^k grid (any consecutive range
  is a compact patch, whatever size the budgets cut it to), channels innermost.

An order is a permutation `perm` (position -> local neuron id); populations without a conv shape keep
the identity (None).
"""

from __future__ import annotations

import numpy as np

from neurosim.ir.network import Network

ORDERS = ("channel", "raster", "tiles", "hilbert")
DEFAULT_ORDER = "hilbert"


def conv_shape(net: Network, name: str) -> tuple[int, int, int] | None:
    """(C, H, W) of a population whose neurons are a channel-major feature map, else None."""
    p = net.pop(name)
    cands = []
    if p.shape is not None and len(p.shape) == 3:
        cands.append(tuple(p.shape))
    for pr in net.projections:
        if pr.conv is not None:
            if pr.post == name:
                cands.append(tuple(pr.conv.out_shape))
            if pr.pre == name:
                cands.append(tuple(pr.conv.in_shape))
    for s in cands:
        if int(np.prod(s)) == p.size and s[1] * s[2] > 1:
            return tuple(int(v) for v in s)
    return None


def _hilbert_d(x: np.ndarray, y: np.ndarray, side: int) -> np.ndarray:
    """Distance along the Hilbert curve of a side x side grid (side a power of 2), vectorised."""
    x, y = x.astype(np.int64).copy(), y.astype(np.int64).copy()
    d = np.zeros_like(x)
    s = side // 2
    while s > 0:
        rx = (x & s) > 0
        ry = (y & s) > 0
        d += s * s * ((3 * rx) ^ ry)
        # rotate the quadrant
        flip = ~ry & rx
        x = np.where(flip, side - 1 - x, x)
        y = np.where(flip, side - 1 - y, y)
        swap = ~ry
        x, y = np.where(swap, y, x), np.where(swap, x, y)
        s //= 2
    return d


def spatial_order(shape: tuple[int, int, int], scheme: str, max_neurons: int) -> np.ndarray | None:
    """perm (position -> local id, channel-major ids) of a (C, H, W) feature map in `scheme`."""
    if scheme not in ORDERS:
        raise ValueError(f"unknown neuron order {scheme!r}; choose one of {', '.join(ORDERS)}")
    if scheme == "channel":
        return None
    c_n, h, w = shape
    yy, xx = (a.ravel() for a in np.meshgrid(np.arange(h), np.arange(w), indexing="ij"))
    if scheme == "raster":
        rank = yy * w + xx
    elif scheme == "tiles":
        t = max(1, int(np.sqrt(max_neurons / c_n)))
        ty, tx = yy // t, xx // t
        n_tx = -(-w // t)
        tx = np.where(ty % 2 == 0, tx, n_tx - 1 - tx)
        rank = ((ty * n_tx + tx) * t + yy % t) * t + xx % t
    else:
        side = 1 << max(0, int(np.ceil(np.log2(max(h, w)))))
        rank = _hilbert_d(xx, yy, side)
    pos = np.argsort(rank, kind="stable")                      # positions (y*w + x) in walk order
    ch = np.arange(c_n)
    return (ch[None, :] * (h * w) + pos[:, None]).ravel().astype(np.int64)


def population_orders(net: Network, scheme: str, max_neurons: int) -> dict[str, np.ndarray | None]:
    """Order of every chip-resident population: `scheme` for conv-shaped ones, identity (None) otherwise."""
    out: dict[str, np.ndarray | None] = {}
    for p in net.populations:
        if p.is_input:
            continue
        shape = conv_shape(net, p.name)
        out[p.name] = None if shape is None else spatial_order(shape, scheme, max_neurons)
    return out


def runs(ids: np.ndarray) -> list[tuple[int, int]]:
    """Maximal [start, stop) runs of consecutive values in a set of ids."""
    ids = np.sort(np.asarray(ids, np.int64))
    if ids.size == 0:
        return []
    cut = np.flatnonzero(np.diff(ids) != 1) + 1
    starts = np.concatenate(([0], cut))
    stops = np.concatenate((cut, [ids.size]))
    return [(int(ids[a]), int(ids[b - 1]) + 1) for a, b in zip(starts, stops, strict=True)]

"""Placement of used cores onto mesh routers, and the traffic cost of a placement."""

from __future__ import annotations

import numpy as np

from neurosim.config.hardware import Hardware


def serpentine(n_cores: int, hw: Hardware) -> np.ndarray:
    """Baseline: cores in layer order fill routers row by row, alternating direction (boustrophedon);
    each router takes `cores_per_router` consecutive cores. Returns (n_cores, 2) router (x, y)."""
    m = hw.mesh
    r = np.arange(n_cores) // m.cores_per_router
    y = r // m.cols
    x = np.where(y % 2 == 0, r % m.cols, m.cols - 1 - r % m.cols)
    return np.stack([x, y], axis=1).astype(np.int64)


def traffic_cost(router_xy: np.ndarray, traffic: np.ndarray, src_xy: np.ndarray) -> float:
    """Σ packets × Manhattan hops for a traffic matrix `traffic[s, d]` of packets from source s (whose
    router is src_xy[s]) to used core d."""
    s, d = np.nonzero(traffic)
    hops = np.abs(src_xy[s] - router_xy[d]).sum(axis=1)
    return float((traffic[s, d] * hops).sum())

"""Placement of used cores onto core slots of the mesh, and the traffic cost of a placement.

A *slot* is one core position: router r = slot // cores_per_router (routers numbered row-major),
so cores sharing a router are 0 hops apart. The cost of a placement is Σ expected packets ×
Manhattan router hops over every (source node, destination core) pair; source nodes are the used
cores and the host input port (`host.router`, fixed; also on a system whose chips generate their own
input: there it stands for keeping the network on few chips near the host, whose barrier and links
cost what hops alone do not show). On a system of chips a hop across a chip
boundary counts as many hops as its link costs energy (`crossing_weight`), so traffic stays on a
chip where it can.

- `serpentine`: the baseline; cores in layer order fill routers row by row, alternating direction.
- `traffic_aware`: a greedy construction (the core with most traffic to those already placed goes
  to the free slot that is cheapest for it), then best-improvement local search over swaps of two
  cores and moves into free slots, started from both the greedy and the serpentine placement, the
  cheaper kept. Moves are only accepted when they lower the cost, so the result is never worse
  than the baseline. On chips much larger than the network only the serpentine slots and the slots
  nearest the input port are candidates; work is capped (moves, and cost-matrix cells evaluated: a
  count, so the placement does not depend on the machine or its load).
"""

from __future__ import annotations

import numpy as np

from neurosim.config.hardware import Hardware
from neurosim.errors import FitError


def slot_xy(hw: Hardware) -> np.ndarray:
    """(n_slots, 2) router (x, y) of every core slot."""
    m = hw.mesh
    r = np.arange(m.n_cores) // m.cores_per_router
    return np.stack([r % m.cols, r // m.cols], axis=1).astype(np.int64)


def _boustrophedon(i: np.ndarray, cols: int) -> tuple[np.ndarray, np.ndarray]:
    """(x, y) of positions i filled row by row, alternating direction."""
    y = i // cols
    return np.where(y % 2 == 0, i % cols, cols - 1 - i % cols), y


def serpentine_slots(n_cores: int, hw: Hardware) -> np.ndarray:
    """Baseline slots: routers row by row, alternating direction (boustrophedon), each router taking
    `cores_per_router` consecutive cores. A system fills one chip after the other (chips in the same
    order), so a network crosses a chip boundary only when it outgrows a chip."""
    m = hw.mesh
    r = np.arange(n_cores) // m.cores_per_router
    lay = hw.system
    if lay is None:
        x, y = _boustrophedon(r, m.cols)
    else:
        per_chip = lay.chip_cols * lay.chip_rows
        cx, cy = _boustrophedon(r // per_chip, lay.spec.chips_x)
        lx, ly = _boustrophedon(r % per_chip, lay.chip_cols)
        x, y = cx * lay.chip_cols + lx, cy * lay.chip_rows + ly
    return (y * m.cols + x) * m.cores_per_router + np.arange(n_cores) % m.cores_per_router


def crossing_weight(hw: Hardware) -> float:
    """What crossing a chip boundary costs in router hops (by energy: the link's over a mean hop's;
    0 extra on a single chip), so placement keeps traffic on a chip where it can."""
    if hw.system is None:
        return 1.0
    hop = (hw.energy.hop_x_pj.value + hw.energy.hop_y_pj.value) / 2
    return max(1.0, hw.system.spec.link.energy_pj.value / hop) if hop > 0 else 1.0


def route_distance(a: np.ndarray, b: np.ndarray, hw: Hardware) -> np.ndarray:
    """Router hops between routers a and b ((..., 2) arrays), a chip crossing counted as
    `crossing_weight` hops."""
    hops = np.abs(a - b).sum(axis=-1).astype(float)
    lay = hw.system
    if lay is None:
        return hops
    cross = np.abs(a[..., 0] // lay.chip_cols - b[..., 0] // lay.chip_cols) + \
        np.abs(a[..., 1] // lay.chip_rows - b[..., 1] // lay.chip_rows)
    return hops + (crossing_weight(hw) - 1.0) * cross


def explicit_slots(router_xy, hw: Hardware) -> np.ndarray:
    """Slots of cores placed by hand: `router_xy` (n_cores, 2) router coordinates inside the mesh, at
    most `cores_per_router` cores per router. Raises FitError for a placement the chip cannot take."""
    xy = np.asarray(router_xy, np.int64).reshape(-1, 2)
    m = hw.mesh
    if np.any(xy < 0) or np.any(xy[:, 0] >= m.cols) or np.any(xy[:, 1] >= m.rows):
        raise FitError(f"explicit placement: a router outside the {m.cols}x{m.rows} mesh of {hw.name}")
    router = xy[:, 1] * m.cols + xy[:, 0]
    k = np.zeros(router.size, np.int64)
    seen: dict[int, int] = {}
    for i, r in enumerate(router.tolist()):
        k[i] = seen.get(r, 0)
        seen[r] = k[i] + 1
    if k.max(initial=0) >= m.cores_per_router:
        raise FitError(f"explicit placement: more than {m.cores_per_router} cores on one router of {hw.name}")
    return router * m.cores_per_router + k


def serpentine(n_cores: int, hw: Hardware) -> np.ndarray:
    """Router (x, y) of each core under the serpentine baseline."""
    return slot_xy(hw)[serpentine_slots(n_cores, hw)]


def traffic_cost(router_xy: np.ndarray, traffic: np.ndarray, src_xy: np.ndarray) -> float:
    """Σ packets × Manhattan hops for a traffic matrix `traffic[s, d]` of packets from source s (whose
    router is src_xy[s]) to used core d."""
    s, d = np.nonzero(traffic)
    hops = np.abs(src_xy[s] - router_xy[d]).sum(axis=1)
    return float((traffic[s, d] * hops).sum())


def candidate_slots(n_cores: int, hw: Hardware) -> np.ndarray:
    """Slots the traffic-aware placer considers: all of them on small chips; on large ones the
    serpentine slots plus the 4·n_cores slots nearest the input port (keeps the problem O(n²))."""
    m = hw.mesh
    if m.n_cores <= max(4 * n_cores, 256):
        return np.arange(m.n_cores)
    xy = slot_xy(hw)
    d = np.abs(xy - np.array(hw.host.router)[None, :]).sum(axis=1)
    near = np.argsort(d, kind="stable")[:4 * n_cores]
    return np.union1d(serpentine_slots(n_cores, hw), near)


class _Problem:
    """Symmetric core-to-core weights W, input-port weights f, distances D between candidate slots,
    their distances to the port."""

    def __init__(self, traffic: np.ndarray, hw: Hardware, slots: np.ndarray):
        n = traffic.shape[1]
        core_t = traffic[:n]
        self.W = core_t + core_t.T
        np.fill_diagonal(self.W, 0.0)
        self.f = traffic[n]
        xy = slot_xy(hw)[slots]
        self.D = route_distance(xy[:, None, :], xy[None, :, :], hw)
        port = np.array(hw.host.router, np.int64)
        self.dport = route_distance(xy, port[None, :], hw)
        self.n, self.n_slots = n, xy.shape[0]

    def cost(self, pos: np.ndarray) -> float:
        d = self.D[pos[:, None], pos[None, :]]
        return float((self.W * d).sum() / 2 + (self.f * self.dport[pos]).sum())

    def slot_costs(self, pos: np.ndarray) -> np.ndarray:
        """C[i, p]: cost of core i's traffic if it sat at slot p, the others where they are."""
        return self.W @ self.D[pos] + self.f[:, None] * self.dport[None, :]


def _greedy(pb: _Problem) -> np.ndarray:
    n = pb.n
    pos = np.full(n, -1, np.int64)
    free = np.ones(pb.n_slots, bool)
    partial = np.tile(pb.f[:, None] * pb.dport[None, :], 1)  # cost of each core per slot vs placed set
    attach = pb.f.copy()
    placed = np.zeros(n, bool)
    for _ in range(n):
        cand = np.where(placed, -np.inf, attach)
        i = int(np.argmax(cand))
        row = np.where(free, partial[i], np.inf)
        p = int(np.argmin(row))
        pos[i], free[p], placed[i] = p, False, True
        partial += pb.W[:, i:i + 1] * pb.D[p][None, :]
        attach += pb.W[:, i]
    return pos


def _local_search(pb: _Problem, pos: np.ndarray, max_iter: int, budget: list[float]) -> np.ndarray:
    """Best-improvement swaps and moves until none improves, `max_iter` moves, or the work budget
    (`budget[0]` cost-matrix cells evaluated, shared by the starts) runs out: a count, not a clock, so
    the placement is the same on any machine at any load."""
    pos = pos.copy()
    n = pb.n
    C = pb.slot_costs(pos)
    occupied = np.zeros(pb.n_slots, bool)
    occupied[pos] = True
    idx = np.arange(n)
    for _ in range(max_iter):
        free = np.flatnonzero(~occupied)
        budget[0] -= n * (n + free.size)
        if budget[0] < 0:
            break
        here = C[idx, pos]                                     # C[i, pos_i]
        cross = C[:, pos]                                      # C[i, pos_j]
        swap = cross - here[:, None] + cross.T - here[None, :] + 2 * pb.W * pb.D[pos[:, None], pos[None, :]]
        np.fill_diagonal(swap, 0.0)
        i, j = np.unravel_index(int(np.argmin(swap)), swap.shape)
        best, move = swap[i, j], None
        if free.size:
            mv = C[:, free] - here[:, None]
            k, e = np.unravel_index(int(np.argmin(mv)), mv.shape)
            if mv[k, e] < best:
                best, move = mv[k, e], (k, free[e])
        if best >= -1e-9:
            break
        if move is not None:
            k, p = move
            old = pos[k]
            occupied[old], occupied[p] = False, True
            pos[k] = p
            C += pb.W[:, k:k + 1] * (pb.D[p] - pb.D[old])[None, :]
        else:
            pi, pj = pos[i], pos[j]
            pos[i], pos[j] = pj, pi
            C += pb.W[:, i:i + 1] * (pb.D[pj] - pb.D[pi])[None, :]
            C += pb.W[:, j:j + 1] * (pb.D[pi] - pb.D[pj])[None, :]
    return pos


SEARCH_CELLS = 6e8   # work budget of the local search: about 10 s on a 2-core VM (docs/mapping.md)


def traffic_aware(traffic: np.ndarray, hw: Hardware, max_iter: int = 2000, max_cells: float = SEARCH_CELLS
                  ) -> np.ndarray:
    """Slots of the used cores minimising Σ packets × hops for `traffic` ((n_cores + 1) × n_cores,
    last row = input port). Returns an int64 slot per core."""
    n = traffic.shape[1]
    base = serpentine_slots(n, hw)
    if hw.mesh.n_cores <= 1:
        return base
    cand = candidate_slots(n, hw)
    pb = _Problem(traffic, hw, cand)
    budget = [max_cells]
    local_base = np.searchsorted(cand, base)
    starts = [local_base]
    if n * n * pb.n_slots <= 4e9:
        starts.insert(0, _greedy(pb))
    best, best_cost = local_base, pb.cost(local_base)
    for s in starts:
        p = _local_search(pb, s, max_iter, budget)
        c = pb.cost(p)
        if c < best_cost - 1e-9:
            best, best_cost = p, c
    return cand[best]

"""A system of chips (hwconfigs/*.yaml with a `chip:` key): copies of one chip arranged as a grid
whose meshes join into one, the links between neighbouring chips, the system's synchronisation and
its boards. `load_hardware` turns a system file into one `Hardware` whose mesh spans every chip and
whose `system` section says where the chip boundaries are; the mapper, simulator and pricing then
treat a packet that crosses a boundary as crossing an inter-chip link (docs/cost_model.md, Systems).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np

from neurosim.config.schema import NAME_PATTERN, Curve, Quantity, spec, zero


@dataclass(frozen=True, kw_only=True)
class Link:
    """The link between two neighbouring chips, one direction; what one packet crossing it costs."""

    energy_pj: Quantity = spec("energy of one packet crossing one chip boundary (serialiser, pins, board trace, "
                               "deserialiser)", unit="pJ")
    latency_s: Quantity = spec("head latency of a crossing (replaces the router hop it takes)", unit="s")
    bits_per_s: Quantity = spec("bandwidth of one direction: a packet occupies the link for noc.packet_bits / "
                                "bits_per_s", unit="bit/s")

    def check(self):
        if not self.bits_per_s.value > 0:
            return ("bits_per_s.value", self.bits_per_s.value, "a bandwidth > 0")
        return None


@dataclass(frozen=True, kw_only=True)
class System:
    """A grid of identical chips, joined mesh to mesh (as Loihi's and TrueNorth's meshes extend across
    chip boundaries)."""

    name: str = spec("short name used in results and plots (letters, digits, _ . -)", pattern=NAME_PATTERN)
    description: str = spec("what system this is and how faithful the numbers are", default="")
    chip: str = spec("the chip every position holds: a preset name, or a file relative to this one")
    chips_x: int = spec("chips along x", min=1)
    chips_y: int = spec("chips along y", min=1)
    link: Link = spec("the link between neighbouring chips")
    barrier_s: Quantity | Curve = spec(
        "end-of-step synchronisation of the chips in use, in seconds: a constant, or {points: [[chips, seconds], "
        "...], source} linear in log2(chips) (replaces the chip's barrier when more than one chip is in use)",
        unit="s")
    chips_per_board: int | None = spec("chips on one board (null: all on one)", default=None, min=1)
    board_static_w: Quantity = spec("power of one board apart from its chips (FPGA or host interface, regulators, "
                                    "fans)", default=zero(), unit="W")
    input_ports: Literal["one", "per_chip"] = spec(
        "where input spikes enter the system: 'one' host port (the chip file's host.router, on chip 0), or "
        "'per_chip': every chip generates its own input at that same router of its own mesh (as each Loihi chip's "
        "embedded x86 cores do), so an input spike sent to n chips is n messages, from n ports working in parallel, "
        "none of them crossing a chip boundary; output spikes still go to the one host port", default="one")
    source: str = spec("where the arrangement comes from", default="assumed")

    @property
    def n_chips(self) -> int:
        return self.chips_x * self.chips_y

    @property
    def n_boards(self) -> int:
        per = self.chips_per_board or self.n_chips
        return -(-self.n_chips // per)

    def barrier_at(self, chips: int) -> float:
        """Synchronisation seconds when `chips` chips hold used cores."""
        b = self.barrier_s
        return b.value if isinstance(b, Quantity) else b.at_log2(max(chips, 1))


@dataclass(frozen=True, kw_only=True)
class SystemLayout:
    """What the joined `Hardware` keeps of its system: the system's description and each chip's mesh."""

    spec: System
    chip_cols: int
    chip_rows: int

    def chip_of(self, x, y):
        """Chip index (row-major over the grid) of router (x, y); works on arrays."""
        return (y // self.chip_rows) * self.spec.chips_x + x // self.chip_cols

    def chip_origins(self) -> np.ndarray:
        """(n_chips, 2) router coordinates of each chip's corner (0, 0), in chip index order."""
        k = np.arange(self.spec.n_chips)
        return np.stack([k % self.spec.chips_x * self.chip_cols, k // self.spec.chips_x * self.chip_rows], axis=1)

"""The chip description (hwconfigs/*.yaml): mesh, clock, per-core budgets and timing, NoC, and the
energy reference table. Every timing and energy number is a `Quantity` carrying its source.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

from neurosim.config.schema import NAME_PATTERN, Quantity, spec

SynapseFormat = Literal["dense", "sparse", "bitmap", "conv_shared"]


@dataclass(frozen=True, kw_only=True)
class Mesh:
    """2-D mesh of routers; each router serves `cores_per_router` cores (a Loihi tile has 4)."""

    cols: int = spec("routers along x", min=1)
    rows: int = spec("routers along y", min=1)
    cores_per_router: int = spec("cores attached to one router (tile)", default=1, min=1)
    source: str = spec("where the mesh shape comes from", default="assumed")

    @property
    def n_cores(self) -> int:
        return self.cols * self.rows * self.cores_per_router


@dataclass(frozen=True, kw_only=True)
class Clock:
    """Time base. Asynchronous chips give a nominal frequency whose cycle is the unit of the
    per-op latencies below (e.g. 1 GHz: latencies are in ns)."""

    frequency_hz: Quantity = spec("cycles per second (nominal for asynchronous chips)", unit="Hz")
    asynchronous: bool = spec("the chip has no global clock; cycles are a time unit only", default=False)
    min_step_s: float = spec("shortest time step the chip allows (TrueNorth's 1 ms tick); 0 = none",
                             default=0.0, unit="s", min=0.0)

    def check(self):
        if not self.frequency_hz.value > 0:
            return ("frequency_hz.value", self.frequency_hz.value, "a frequency > 0 Hz")
        return None


@dataclass(frozen=True, kw_only=True)
class Core:
    """Per-core budgets and number formats."""

    max_neurons: int = spec("neurons (compartments) per core", min=1)
    synapse_memory_bits: int = spec("synapse memory per core", unit="bit", min=1)
    synapse_word_bits: int = spec("width of one synapse-memory word", unit="bit", min=1)
    weight_bits: int = spec("signed weight precision", unit="bit", min=2, max=32)
    synapse_entry_bits: int | None = spec("bits one synapse's weight takes in memory when it differs from "
                                          "weight_bits (TrueNorth: a 1-bit crossbar cell selecting one of 4 "
                                          "per-neuron weights)", default=None, unit="bit", min=1)
    state_bits: int = spec("signed membrane-potential precision (saturating)", unit="bit", min=2, max=32)
    max_fan_in_axons: int = spec("distinct input axons (source neurons) one core accepts", min=1)
    max_fan_out_axons: int = spec("core-to-core output axons (routing edges) one core may send on", min=1)
    routing_table_entries: int = spec("routing-table entries per core (one per source group x dest core)",
                                      min=1)
    synapse_formats: tuple[SynapseFormat, ...] = spec("synapse-memory formats the core supports",
                                                      default=["sparse"], min_len=1)
    weight_sharing: bool = spec("conv kernels can be stored once and shared (conv_shared format)",
                                default=False)
    share_cores_between_layers: bool = spec("pieces of different layers may share one core", default=True)
    row_header_bits: int = spec("bits of the header of one synapse row (axon entry)", default=0, min=0)
    neuron_state_bits: int = spec("neuron-state memory per neuron (v, thresholds, config)",
                                  default=0, unit="bit", min=0)
    routing_entry_bits: int = spec("bits per routing-table entry", default=0, unit="bit", min=0)

    @property
    def stored_weight_bits(self) -> int:
        """Bits per stored weight in synapse memory."""
        return self.synapse_entry_bits if self.synapse_entry_bits is not None else self.weight_bits

    @property
    def index_bits(self) -> int:
        """Bits of a target index inside one core: ceil(log2 max_neurons)."""
        return max(1, math.ceil(math.log2(self.max_neurons)))


@dataclass(frozen=True, kw_only=True)
class Timing:
    """Per-core service times, in cycles of `clock`."""

    synaptic_op_cycles: Quantity = spec("cycles per synaptic op in one lane", unit="cycle")
    synaptic_lanes: int = spec("synaptic ops processed in parallel", default=1, min=1)
    word_read_cycles: Quantity = spec("cycles per synapse-memory word read", unit="cycle")
    row_header_cycles: Quantity = spec("cycles to read and decode one row header (per packet)",
                                       unit="cycle")
    neuron_update_active_cycles: Quantity = spec("cycles per update of a neuron with input or state",
                                                 unit="cycle")
    neuron_update_idle_cycles: Quantity = spec("cycles per update of a neuron at rest", unit="cycle")
    spike_emit_cycles: Quantity = spec("cycles to emit one spike (per spike, not per packet)",
                                       unit="cycle")


@dataclass(frozen=True, kw_only=True)
class Noc:
    """Network on chip: dimension-order routing between routers."""

    routing: Literal["xy"] = spec("routing algorithm (dimension order: x first, then y)", default="xy")
    hop_x_cycles: Quantity = spec("latency of one router hop along x", unit="cycle")
    hop_y_cycles: Quantity = spec("latency of one router hop along y", unit="cycle")
    packet_bits: int = spec("bits of one spike packet", min=1)
    link_width_bits: int = spec("bits a link carries per cycle; a packet occupies a link for "
                                "ceil(packet_bits / link_width_bits) cycles", min=1)
    multicast: Literal["unicast", "tree"] = spec("copies per destination core (unicast) or one packet "
                                                 "forking along the XY tree", default="unicast")
    barrier_cycles: Quantity = spec("end-of-step barrier synchronisation", unit="cycle")
    input_router: tuple[int, ...] = spec("router (x, y) where input spikes from the host enter the mesh",
                                         default=[0, 0])

    def check(self):
        if len(self.input_router) != 2:
            return ("input_router", list(self.input_router), "two integers [x, y]")
        return None


@dataclass(frozen=True, kw_only=True)
class Energy:
    """Energy reference table (ERT): picojoules per action, plus static power."""

    synaptic_op_pj: Quantity = spec("one synaptic operation (weight accumulate)", unit="pJ")
    word_read_pj: Quantity = spec("one synapse-memory word read", unit="pJ")
    neuron_update_active_pj: Quantity = spec("update of a neuron with input or state", unit="pJ")
    neuron_update_idle_pj: Quantity = spec("update of a neuron at rest", unit="pJ")
    spike_generated_pj: Quantity = spec("one spike generated by a neuron", unit="pJ")
    packet_injected_pj: Quantity = spec("one packet injected into the NoC (or delivered in-tile)", unit="pJ")
    hop_x_pj: Quantity = spec("one packet crossing one router hop along x", unit="pJ")
    hop_y_pj: Quantity = spec("one packet crossing one router hop along y", unit="pJ")
    barrier_pj: Quantity = spec("one end-of-step barrier (whole chip)", unit="pJ")
    static_power_per_core_w: Quantity = spec("leakage of one powered core", unit="W")
    power_gating: bool = spec("unused cores are power-gated (no static power)", default=True)


@dataclass(frozen=True, kw_only=True)
class Hardware:
    """One chip description (one hwconfigs/*.yaml file)."""

    name: str = spec("short name used in results and plots (letters, digits, _ . -)", pattern=NAME_PATTERN)
    description: str = spec("what chip this is and how faithful the numbers are", default="")
    mesh: Mesh = spec("router mesh")
    clock: Clock = spec("time base")
    core: Core = spec("per-core budgets and formats")
    timing: Timing = spec("per-core service times")
    noc: Noc = spec("network on chip")
    energy: Energy = spec("energy reference table")
    pipelined: bool = spec("successive inferences overlap in the layer pipeline: a new input enters every T "
                           "steps (reported as throughput_pipelined_inferences_per_s)", default=False)

    def check(self):
        x, y = self.noc.input_router
        if not (0 <= x < self.mesh.cols and 0 <= y < self.mesh.rows):
            return ("noc.input_router", [x, y], f"a router inside the {self.mesh.cols}x{self.mesh.rows} mesh")
        if "conv_shared" in self.core.synapse_formats and not self.core.weight_sharing:
            return ("core.synapse_formats", list(self.core.synapse_formats),
                    "conv_shared only when core.weight_sharing is true")
        return None

    def ert_sources(self) -> dict[str, str]:
        """Action → source of its energy figure (a quick check that every entry names one)."""
        e = self.energy
        return {k: getattr(e, k).source for k in e.__dataclass_fields__ if isinstance(getattr(e, k), Quantity)}

"""Chip area from its parts: SRAM per bit (synapse, neuron-state and routing memory), logic per core,
routers, and the rest of the die, with the figures of the chip's `area` section (each calibrated on a
published die area; docs/cost_model.md). Area lets a design-space sweep pay for the cores and memory it
adds, as a third axis of its Pareto front."""

from __future__ import annotations

from neurosim.config.hardware import Hardware


def sram_bits_per_core(hw: Hardware) -> int:
    """Synapse memory + neuron state + routing table of one core."""
    c = hw.core
    return c.synapse_memory_bits + c.max_neurons * c.neuron_state_bits + c.routing_table_entries * c.routing_entry_bits


def chip_area_mm2(hw: Hardware) -> float | None:
    """Die area of the whole chip (every core on it, used or not; a system: all its chips' dies), or None
    without an area model."""
    a = hw.area
    if a is None:
        return None
    core_um2 = sram_bits_per_core(hw) * a.sram_um2_per_bit.value + a.core_logic_um2.value
    um2 = hw.mesh.n_cores * core_um2 + hw.n_tiles * a.router_um2.value
    return um2 * 1e-6 + hw.n_chips * a.uncore_mm2.value

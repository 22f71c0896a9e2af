"""Energy per inference = Σ action counts × ERT + static power × powered cores × inference time
(DESIGN §7). The ERT comes from the chip file, each entry with its source; counting is the
simulator's job, pricing is this module's (the Accelergy split)."""

from __future__ import annotations

from neurosim.config.hardware import Hardware

# simulator action → ERT entry of the chip file
ACTION_PRICES = {
    "synaptic_ops": "synaptic_op_pj",
    "word_reads": "word_read_pj",
    "neuron_updates_active": "neuron_update_active_pj",
    "neuron_updates_idle": "neuron_update_idle_pj",
    "spikes": "spike_generated_pj",
    "packets": "packet_injected_pj",
    "hops_x": "hop_x_pj",
    "hops_y": "hop_y_pj",
    "barriers": "barrier_pj",
}


def powered_cores(hw: Hardware, cores_used: int) -> int:
    """Cores drawing static power: the used ones with power gating, all of them without."""
    return cores_used if hw.energy.power_gating else hw.mesh.n_cores


def energy_breakdown(counts: dict[str, float], latency_s: float, hw: Hardware, cores_used: int) -> dict[str, float]:
    """Joules per action (and `static`) for one inference with the given mean action counts."""
    e = hw.energy
    out = {action: counts.get(action, 0.0) * getattr(e, key).value * 1e-12 for action, key in ACTION_PRICES.items()}
    out["static"] = e.static_power_per_core_w.value * powered_cores(hw, cores_used) * latency_s
    return out


def ert_table(hw: Hardware) -> dict[str, dict]:
    """The chip's ERT as {entry: {value, unit, source}} for provenance."""
    e = hw.energy
    table = {key: {"value": getattr(e, key).value, "unit": "pJ", "source": getattr(e, key).source}
             for key in ACTION_PRICES.values()}
    table["static_power_per_core_w"] = {"value": e.static_power_per_core_w.value, "unit": "W",
                                        "source": e.static_power_per_core_w.source}
    return table

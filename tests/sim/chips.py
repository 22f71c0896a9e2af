"""Small chip descriptions for simulator tests, built in memory with `parse_mapping`."""

from __future__ import annotations

from neurosim.config import Hardware, parse_mapping


def q(v: float) -> dict:
    return {"value": v, "source": "assumed: test"}


def chip(max_neurons: int = 4, cols: int = 4, rows: int = 4, cores_per_router: int = 1, multicast: str = "unicast",
         packet_bits: int = 32, link_width_bits: int = 16, lanes: int = 1, formats=("dense", "sparse", "bitmap"),
         share: bool = True, timing: dict | None = None, noc: dict | None = None, input_router=(0, 0),
         state_bits: int = 16, weight_bits: int = 8, synapse_memory_bits: int = 1 << 20,
         host: dict | None = None) -> Hardware:
    """A mesh chip with every timing figure explicit (cycles) so tests can compute by hand."""
    t = {"synaptic_op_cycles": 1.0, "word_read_cycles": 1.0, "row_header_cycles": 2.0,
         "neuron_update_active_cycles": 2.0, "neuron_update_idle_cycles": 1.0, "spike_emit_cycles": 1.0}
    t.update(timing or {})
    n = {"hop_x_cycles": 1.0, "hop_y_cycles": 1.0, "barrier_cycles": 10.0}
    n.update(noc or {})
    d = {
        "name": "testchip",
        "mesh": {"cols": cols, "rows": rows, "cores_per_router": cores_per_router},
        "clock": {"frequency_hz": q(1e9)},
        "core": {"max_neurons": max_neurons, "synapse_memory_bits": synapse_memory_bits, "synapse_word_bits": 32,
                 "weight_bits": weight_bits, "state_bits": state_bits, "max_fan_in_axons": 4096,
                 "max_fan_out_axons": 4096, "routing_table_entries": 4096, "routing_entry_bits": 16,
                 "synapse_formats": list(formats), "weight_sharing": "conv_shared" in formats,
                 "share_cores_between_layers": share, "row_header_bits": 32, "neuron_state_bits": 32},
        "timing": {**{k: q(v) for k, v in t.items()}, "synaptic_lanes": lanes},
        "noc": {"routing": "xy", "hop_x_cycles": q(n["hop_x_cycles"]), "hop_y_cycles": q(n["hop_y_cycles"]),
                "packet_bits": packet_bits, "link_width_bits": link_width_bits, "multicast": multicast,
                "barrier_cycles": q(n["barrier_cycles"])},
        "host": {"router": list(input_router),
                 **{k: q(v) if k.endswith("_s") else v for k, v in (host or {}).items()}},
        "energy": {k: q(1.0) for k in ("synaptic_op_pj", "word_read_pj", "neuron_update_active_pj",
                                        "neuron_update_idle_pj", "spike_generated_pj", "packet_injected_pj",
                                        "hop_x_pj", "hop_y_pj", "barrier_pj")},
        "power": {"core_static_w": q(1.0), "power_gating": True},   # gated: the default mapping is fewest cores
    }
    return parse_mapping(Hardware, d)

"""Pricing: power states, operating points, per-format synaptic ops, energy above idle, area —
against hand-computed values."""

from __future__ import annotations

import math
from dataclasses import replace

import pytest

from neurosim.config import load_hardware, parse_mapping
from neurosim.config.hardware import Hardware, operating_state
from neurosim.config.schema import Curve
from neurosim.energy import above_idle, armed_power_w, energy_breakdown, idle_power_w
from neurosim.energy.area import chip_area_mm2, sram_bits_per_core
from neurosim.errors import ConfigError


def q(v):
    return {"value": v, "source": "assumed: test"}


def _chip(**extra) -> Hardware:
    d = {"name": "t", "mesh": {"cols": 2, "rows": 2}, "clock": {"frequency_hz": q(1e9)},
         "core": {"max_neurons": 16, "synapse_memory_bits": 1024, "synapse_word_bits": 32, "weight_bits": 8,
                  "state_bits": 16, "max_fan_in_axons": 64, "max_fan_out_axons": 64, "routing_table_entries": 8,
                  "routing_entry_bits": 10, "neuron_state_bits": 20, "synapse_formats": ["dense", "sparse"]},
         "timing": {k: q(1.0) for k in ("synaptic_op_cycles", "word_read_cycles", "row_header_cycles",
                                        "neuron_update_active_cycles", "neuron_update_idle_cycles",
                                        "spike_emit_cycles")},
         "noc": {"hop_x_cycles": q(1.0), "hop_y_cycles": q(1.0), "packet_bits": 32, "link_width_bits": 32,
                 "barrier_cycles": q(10.0)},
         "energy": {**{k: q(0.0) for k in ("word_read_pj", "neuron_update_active_pj", "neuron_update_idle_pj",
                                           "spike_generated_pj", "packet_injected_pj", "hop_x_pj", "hop_y_pj",
                                           "barrier_pj")},
                    "synaptic_op_pj": q(10.0), "synaptic_op_pj_by_format": {"dense": q(4.0)},
                    "input_message_pj": q(100.0), "inference_pj": q(1000.0)},
         "power": {"chip_idle_w": q(0.01), "core_static_w": q(0.002), "armed_w": q(0.05), "gated_core_w": q(0.0005),
                   "power_gating": True}}
    d.update(extra)
    return parse_mapping(Hardware, d)


def test_power_states_and_energy_above_idle_by_hand():
    hw = _chip()
    # 1 core used of 4: idle = 10 mW + 2 mW + 3 × 0.5 mW; armed 50 mW
    assert idle_power_w(hw, 1) == pytest.approx(0.0135)
    assert armed_power_w(hw) == pytest.approx(0.05)
    counts = {"synaptic_ops_dense": 3.0, "synaptic_ops_sparse": 2.0, "synaptic_ops": 5.0, "input_messages": 4.0,
              "inferences": 1.0}
    b = energy_breakdown(counts, 1e-3, hw, 1)
    assert b["synaptic_ops"] == pytest.approx((3 * 4.0 + 2 * 10.0) * 1e-12)   # dense priced apart
    assert b["input_messages"] == pytest.approx(400e-12) and b["inferences"] == pytest.approx(1000e-12)
    assert b["static"] == pytest.approx(13.5e-6) and b["armed"] == pytest.approx(50e-6)
    assert above_idle(b) == pytest.approx(sum(b.values()) - 13.5e-6)
    ungated = replace(hw, power=replace(hw.power, power_gating=False))
    assert idle_power_w(ungated, 1) == pytest.approx(0.01 + 4 * 0.002)


def test_operating_point_scales_dynamic_static_and_armed():
    op = {"reference_voltage_v": 0.8, "point": "low", "leakage_per_volt": q(5.0),
          "points": [{"name": "ref", "voltage_v": 0.8}, {"name": "low", "voltage_v": 0.6, "min_step_s": 1e-3},
                     {"name": "tab", "voltage_v": 0.7, "static_scale": 0.4, "frequency_hz": 5e8}]}
    hw = _chip(operating=op)
    st = operating_state(hw)
    assert st.dynamic_scale == pytest.approx((0.6 / 0.8) ** 2)
    assert st.static_scale == pytest.approx(0.75 * math.exp(5.0 * -0.2))
    assert st.min_step_s == 1e-3 and st.clock_hz == 1e9
    assert idle_power_w(hw, 1) == pytest.approx(0.0135 * st.static_scale)
    b = energy_breakdown({"synaptic_ops": 1.0}, 0.0, hw, 1)
    assert b["synaptic_ops"] == pytest.approx(10e-12 * 0.5625)
    tab = operating_state(replace(hw, operating=replace(hw.operating, point="tab")))
    assert tab.static_scale == 0.4 and tab.clock_hz == 5e8
    assert tab.armed_scale == pytest.approx((0.7 / 0.8) ** 2 * 0.5)   # a synchronous clock at half rate
    with pytest.raises(ConfigError, match=r"operating\.point: got 'nope'; expected one of ref, low, tab"):
        _chip(operating={**op, "point": "nope"})


def test_barrier_grows_with_the_tiles_in_use():
    c = Curve(points=((1, 113), (32, 465)), source="Davies 2018 Table 2")
    assert c.at_log2(1) == 113 and c.at_log2(32) == 465
    assert c.at_log2(4) == pytest.approx(113 + 2 / 5 * 352)       # two of five doublings
    assert c.at_log2(64) == pytest.approx(465 + 352 / 5)           # extended along the last segment
    hw = _chip(noc={"hop_x_cycles": q(1.0), "hop_y_cycles": q(1.0), "packet_bits": 32, "link_width_bits": 32,
                    "barrier_cycles": {"points": [[1, 100], [4, 300]], "source": "assumed: test"}})
    assert hw.noc.barrier_at(2) == pytest.approx(200)
    with pytest.raises(ConfigError, match="strictly increasing"):
        parse_mapping(Curve, {"points": [[4, 1], [2, 3]], "source": "x"})


def test_area_from_parts():
    hw = _chip(area={"sram_um2_per_bit": q(0.5), "core_logic_um2": q(1000.0), "router_um2": q(200.0),
                     "uncore_mm2": q(0.25)})
    bits = 1024 + 16 * 20 + 8 * 10
    assert sram_bits_per_core(hw) == bits
    assert chip_area_mm2(hw) == pytest.approx((4 * (bits * 0.5 + 1000) + 4 * 200) * 1e-6 + 0.25)
    assert chip_area_mm2(_chip()) is None


def test_moved_keys_say_where_they_went():
    _, path, _ = load_hardware("loihi")
    import yaml

    d = yaml.safe_load(path.read_text())
    d["noc"]["input_router"] = [0, 0]
    with pytest.raises(ConfigError, match=r"noc\.input_router: this key has moved; write it as host\.router"):
        parse_mapping(Hardware, d)

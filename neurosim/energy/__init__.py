"""Pricing (DESIGN §7): energy per inference = Σ action counts × ERT + static power by state × time.

The ERT (energy per action) and the power states come from the chip file, each figure with its
source, at the reference voltage; `config.hardware.operating_state` scales them to the selected
operating point. Counting is the simulator's job, pricing is this module's (the Accelergy split).

Two totals are reported because published figures come in both kinds: the *all-in* energy (every
action, the idle floor and the armed power over the inference) and the energy *above idle* (all-in
minus the idle floor: what papers call "dynamic" when they subtract the power of the idle chip).
"""

from __future__ import annotations

from neurosim.config.hardware import FORMATS, Hardware, operating_state

# simulator action → ERT entry of the chip file (synaptic ops are priced per format, below)
ACTION_PRICES = {
    "word_reads": "word_read_pj",
    "neuron_updates_active": "neuron_update_active_pj",
    "neuron_updates_idle": "neuron_update_idle_pj",
    "spikes": "spike_generated_pj",
    "packets": "packet_injected_pj",
    "hops_x": "hop_x_pj",
    "hops_y": "hop_y_pj",
    "output_hops_x": "hop_x_pj",
    "output_hops_y": "hop_y_pj",
    "barriers": "barrier_pj",
    "core_steps": "core_step_pj",
    "input_messages": "input_message_pj",
    "output_messages": "output_message_pj",
    "steps": "step_pj",
    "inferences": "inference_pj",
}
STATIC_PARTS = ("static", "armed")   # breakdown entries priced by power × time
BREAKDOWN_ORDER = ("synaptic_ops", *ACTION_PRICES, "chip_crossings", *STATIC_PARTS)
INTER_CHIP = ("chip_crossings",)     # what a system's links cost (the rest is on the chips)


def powered_cores(hw: Hardware, cores_used: int) -> int:
    """Cores drawing core leakage: the used ones with power gating, all of them without."""
    return cores_used if hw.power.power_gating else hw.mesh.n_cores


def idle_power_w(hw: Hardware, cores_used: int) -> float:
    """Power with the model loaded and nothing running, at the operating point: every chip's uncore
    floor plus the leakage of powered (and gated) cores, and a system's boards (not scaled: they run
    at their own supplies)."""
    p = hw.power
    on = powered_cores(hw, cores_used)
    w = (hw.n_chips * p.chip_idle_w.value + on * p.core_static_w.value
         + (hw.mesh.n_cores - on) * p.gated_core_w.value)
    boards = 0.0 if hw.system is None else hw.system.spec.n_boards * hw.system.spec.board_static_w.value
    return w * operating_state(hw).static_scale + boards


def armed_power_w(hw: Hardware) -> float:
    """Extra power while a model runs (clocks, management processors: every chip's), at the operating point."""
    return hw.n_chips * hw.power.armed_w.value * operating_state(hw).armed_scale


def energy_breakdown(counts: dict[str, float], latency_s: float, hw: Hardware, cores_used: int) -> dict[str, float]:
    """Joules per inference by action (`BREAKDOWN_ORDER`): dynamic actions at the operating point,
    `static` the idle floor and `armed` the running overhead over `latency_s`. Synaptic ops are
    priced per synapse format (counts `synaptic_ops_<format>`) when the counts split them."""
    e = hw.energy
    dyn = operating_state(hw).dynamic_scale * 1e-12
    by_fmt = [f"synaptic_ops_{f}" for f in FORMATS]
    if any(k in counts for k in by_fmt):
        syn = sum(counts.get(k, 0.0) * e.op_pj(f) for k, f in zip(by_fmt, FORMATS, strict=True))
    else:
        syn = counts.get("synaptic_ops", 0.0) * e.synaptic_op_pj.value
    out = {"synaptic_ops": syn * dyn}
    out.update({action: counts.get(action, 0.0) * getattr(e, key).value * dyn for action, key in ACTION_PRICES.items()})
    link = 0.0 if hw.system is None else hw.system.spec.link.energy_pj.value * 1e-12   # off-chip I/O: not scaled
    out["chip_crossings"] = counts.get("chip_crossings", 0.0) * link
    out["static"] = idle_power_w(hw, cores_used) * latency_s
    out["armed"] = armed_power_w(hw) * latency_s
    return out


def above_idle(breakdown: dict[str, float]) -> float:
    """Energy above idle: everything but the idle floor."""
    return sum(v for k, v in breakdown.items() if k != "static")


def ert_table(hw: Hardware) -> dict[str, dict]:
    """The chip's ERT and power states as {entry: {value, unit, source}} for provenance, with the
    operating point they are scaled to."""
    e, p = hw.energy, hw.power
    table = {key: {"value": getattr(e, key).value, "unit": "pJ", "source": getattr(e, key).source}
             for key in ("synaptic_op_pj", *ACTION_PRICES.values())}
    if e.synaptic_op_pj_by_format is not None:
        for f in FORMATS:
            q = getattr(e.synaptic_op_pj_by_format, f)
            if q is not None:
                table[f"synaptic_op_pj.{f}"] = {"value": q.value, "unit": "pJ", "source": q.source}
    for key in ("chip_idle_w", "core_static_w", "armed_w", "gated_core_w"):
        table[key] = {"value": getattr(p, key).value, "unit": "W", "source": getattr(p, key).source}
    if hw.system is not None:
        sysdef = hw.system.spec
        table["chips"] = {"value": sysdef.n_chips, "unit": "", "source": sysdef.source}
        for key in ("energy_pj", "latency_s", "bits_per_s"):
            q = getattr(sysdef.link, key)
            table[f"link.{key}"] = {"value": q.value, "unit": key.rsplit("_", 1)[-1], "source": q.source}
        table["board_static_w"] = {"value": sysdef.board_static_w.value, "unit": "W",
                                   "source": sysdef.board_static_w.source}
    op = operating_state(hw)
    table["operating_point"] = {"name": op.name, "voltage_v": op.voltage_v, "dynamic_scale": op.dynamic_scale,
                                "static_scale": op.static_scale, "armed_scale": op.armed_scale,
                                "clock_hz": op.clock_hz, "min_step_s": op.min_step_s}
    return table

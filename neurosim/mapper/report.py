"""The fit report: per core, used / available for every budget, and totals."""

from __future__ import annotations

from neurosim.mapper.compiled import CompiledChip


def fit_report(chip: CompiledChip) -> str:
    """A text table of every used core's budgets (used/available and %), then totals."""
    c = chip.hardware.core
    budgets = [("neurons", "neurons", c.max_neurons), ("synapse_bits", "syn bits", c.synapse_memory_bits),
               ("fan_in_axons", "fan-in", c.max_fan_in_axons), ("fan_out_axons", "fan-out", c.max_fan_out_axons),
               ("routing_entries", "routes", c.routing_table_entries)]
    head = ["core", "router", "layers"] + [b[1] for b in budgets]
    rows = []
    for i, (u, chunks) in enumerate(zip(chip.usage, chip.cores, strict=True)):
        x, y = chip.router_xy[i]
        layers = ",".join(f"{k.population}[{k.start}:{k.stop}]" for k in chunks)
        rows.append([str(i), f"({x},{y})", layers] +
                    [f"{getattr(u, key)}/{cap} ({100 * getattr(u, key) / cap:.0f}%)" for key, _, cap in budgets])
    widths = [max(len(h), *(len(r[j]) for r in rows)) for j, h in enumerate(head)]
    lines = [f"chip {chip.hardware.name}: {chip.n_cores} of {chip.hardware.mesh.n_cores} cores used; formats: "
             + ", ".join(f"{k}={v}" for k, v in chip.formats.items()),
             "  ".join(h.ljust(w) for h, w in zip(head, widths, strict=True))]
    lines += ["  ".join(v.ljust(w) for v, w in zip(r, widths, strict=True)) for r in rows]
    t = chip.totals()
    lines.append(f"totals: neurons {t['neurons']}, synapse memory {t['synapse_bits']} bits "
                 f"({t['synapse_bits'] / 8192:.1f} KiB), neuron memory {t['neuron_bits']} bits, routing entries "
                 f"{t['routing_entries']} ({t['routing_bits']} bits), placement cost {chip.placement_cost_hops:.0f} "
                 f"packet-hops per all-sources-spike")
    return "\n".join(lines)

"""The fit report: per core, used / available for every budget, then totals and placement costs."""

from __future__ import annotations

import numpy as np

from neurosim.mapper.compiled import CompiledChip
from neurosim.mapper.order import conv_shape

# (CoreUsage field, column title, Core field of the budget)
BUDGETS = [("neurons", "neurons", "max_neurons"), ("synapse_bits", "synapse bits", "synapse_memory_bits"),
           ("fan_in_axons", "fan-in axons", "max_fan_in_axons"), ("fan_out_axons", "fan-out axons",
                                                                   "max_fan_out_axons"),
           ("routing_entries", "routing entries", "routing_table_entries"),
           ("neuron_configs", "neuron configs", "max_neuron_configs")]


def _cap(core, key: str) -> int | None:
    """A core budget, None when the chip sets no limit."""
    v = getattr(core, key)
    return None if v is None else int(v)


def _used(used: int, cap: int | None) -> str:
    return f"{used}/-" if cap is None else f"{used}/{cap} ({100 * used / cap:.0f}%)"


def budget_rows(chip: CompiledChip) -> list[dict]:
    """One dict per used core: router, layers, and (used, available) per budget."""
    c = chip.hardware.core
    out = []
    for i, (u, chunks) in enumerate(zip(chip.usage, chip.cores, strict=True)):
        row = {"core": i, "router": tuple(int(v) for v in chip.router_xy[i]),
               "layers": [(k.population, k.start, k.stop) for k in chunks],
               "formats": dict(u.synapse_bits_by_format)}
        row.update({key: (int(getattr(u, key)), _cap(c, cap)) for key, _, cap in BUDGETS})
        out.append(row)
    return out


def describe_layers(chip: CompiledChip, chunks: list) -> str:
    """A core's neurons, one item per population: `pop[a:b]` for one run of ids; for a spatial piece of
    a conv population (several runs) its box `pop[c0:16,y0:8,x0:8]`, prefixed `N of` when the
    piece does not fill the box."""
    by_pop: dict[str, list] = {}
    for k in chunks:
        by_pop.setdefault(k.population, []).append(k)
    items = []
    for pop, ks in by_pop.items():
        shape = conv_shape(chip.network, pop) if len(ks) > 1 else None
        if shape is None:
            items.extend(f"{pop}[{k.start}:{k.stop}]" for k in ks)
            continue
        ids = np.concatenate([np.arange(k.start, k.stop) for k in ks])
        cyx = np.unravel_index(ids, shape)
        box = ",".join(f"{d}{int(v.min())}:{int(v.max()) + 1}" for d, v in zip("cyx", cyx, strict=True))
        full = int(np.prod([int(v.max()) - int(v.min()) + 1 for v in cyx])) == ids.size
        items.append(f"{pop}[{box}]" if full else f"{pop}[{ids.size} of {box}]")
    return ",".join(items)


def fit_report(chip: CompiledChip) -> str:
    """A text table of every used core's budgets (used/available and %), then totals."""
    hw, c = chip.hardware, chip.hardware.core
    load = chip.expected_work
    head = ["core", "router", "layers"] + [b[1] for b in BUDGETS] + (["load"] if load is not None else [])
    rows = []
    for i, (r, chunks) in enumerate(zip(budget_rows(chip), chip.cores, strict=True)):
        layers = describe_layers(chip, chunks)
        rows.append([str(r["core"]), "({},{})".format(*r["router"]), layers] +
                    [_used(*r[k]) for k, _, _ in BUDGETS] +
                    ([f"{100 * load[i] / max(load.max(), 1e-30):.0f}%"] if load is not None else []))
    widths = [max(len(h), *(len(r[j]) for r in rows)) for j, h in enumerate(head)]
    fmts = sorted(set(chip.formats.values()))
    lines = [f"chip {hw.name}: {chip.n_cores} of {hw.mesh.n_cores} cores used (mapping objective {chip.objective}; "
             f"fewest cores that fit: {chip.cores_needed}); synapse formats: "
             + ", ".join(f"{k}={v}" for k, v in chip.formats.items()),
             "  ".join(h.ljust(w) for h, w in zip(head, widths, strict=True))]
    lines += ["  ".join(v.ljust(w) for v, w in zip(r, widths, strict=True)) for r in rows]
    t = chip.totals()
    lines.append("totals (used / available on the used cores, peak core):")
    for key, title, cap in BUDGETS:
        if key not in t:   # per-core only (a profile table is per core, totals do not add up)
            peak = max((getattr(u, key) for u in chip.usage), default=0)
            lines.append(f"  {title:16s} peak {peak}/{'-' if getattr(c, cap) is None else getattr(c, cap)} per core")
            continue
        avail = getattr(c, cap) * chip.n_cores
        peak = max((getattr(u, key) for u in chip.usage), default=0)
        lines.append(f"  {title:16s} {t[key]:>12d} / {avail:<12d} ({100 * t[key] / max(avail, 1):5.1f}%)  peak "
                     f"{peak}/{getattr(c, cap)}")
    by_fmt = chip.synapse_bits_by_format()
    lines.append("  synapse memory by format: " + ", ".join(f"{k} {v} bits" for k, v in sorted(by_fmt.items()))
                 + f" (total {t['synapse_bits'] / 8192:.1f} KiB; formats used: {', '.join(fmts)})")
    lines.append(f"  neuron memory {t['neuron_bits']} bits ({c.neuron_state_bits} per neuron); routing tables "
                 f"{t['routing_bits']} bits ({c.routing_entry_bits} per entry)")
    unit = ("expected packet-hops per inference (profiled spike counts)" if chip.traffic_source == "profiled"
            else "packet-hops when every source spikes once (no profile)")
    lines.append(f"placement {chip.placement}: {chip.placement_cost_hops:.6g} {unit}; serpentine baseline "
                 f"{chip.baseline_cost_hops:.6g}")
    if load is not None:
        lines.append(f"load: expected work per core relative to the busiest ({load.max():.6g} cycles per inference: "
                     "synapse service, sends, neuron updates and spikes at the profiled rates; the busiest core "
                     "sets the step)")
    lines += per_chip_lines(chip)
    return "\n".join(lines)


def per_chip_lines(chip: CompiledChip) -> list[str]:
    """On a system: each chip in use with its cores, neurons and synapse memory (nothing on one chip)."""
    lay = chip.hardware.system
    if lay is None:
        return []
    xy = chip.router_xy.astype(np.int64)
    of = lay.chip_of(xy[:, 0], xy[:, 1])
    c = chip.hardware.core
    per_chip_cores = lay.chip_cols * lay.chip_rows * chip.hardware.mesh.cores_per_router
    inputs = "each chip generates its own input" if chip.hardware.per_chip_inputs else "input from one host port"
    out = [f"per chip ({len(set(of.tolist()))} of {lay.spec.n_chips} chips of {lay.spec.chip} in use; chip index "
           f"row-major over the {lay.spec.chips_x}x{lay.spec.chips_y} grid; {inputs}):"]
    for k in sorted(set(of.tolist())):
        on = np.nonzero(of == k)[0]
        neurons = sum(chip.usage[i].neurons for i in on)
        bits = sum(chip.usage[i].synapse_bits for i in on)
        out.append(f"  chip {k} ({k % lay.spec.chips_x},{k // lay.spec.chips_x}): {on.size}/{per_chip_cores} cores, "
                   f"{neurons} neurons, {bits / 8192:.1f} KiB of synapse memory "
                   f"({100 * bits / (on.size * c.synapse_memory_bits):.0f}% of those cores')")
    return out

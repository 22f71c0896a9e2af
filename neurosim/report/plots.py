"""Plots of result records (PNG and SVG), readable without the docs: titled, with units and legends.

Records are grouped into series by `_label`: the chip, plus the pruning method when several methods
appear, plus the run name when records of several result files are compared (`neurosim plot`)."""

from __future__ import annotations

import hashlib
import io
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import matplotlib.ticker  # noqa: E402
import numpy as np  # noqa: E402

from neurosim.energy import BREAKDOWN_ORDER  # noqa: E402
from neurosim.files import write_atomic  # noqa: E402


def save_figure(fig, out_dir: Path, stem: str) -> list[Path]:
    """Write `fig` as out_dir/stem.png and .svg, each written whole or not at all (`write_atomic`)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = []
    for ext in ("png", "svg"):
        p = out_dir / f"{stem}.{ext}"
        buf = io.BytesIO()
        fig.savefig(buf, dpi=130, bbox_inches="tight", format=ext)
        write_atomic(p, buf.getvalue())
        paths.append(p)
    plt.close(fig)
    return paths


PRESET_COLORS = {"loihi": "tab:blue", "generic_mesh": "tab:orange", "truenorth": "tab:green", "odin": "tab:red",
                 "loihi_davies2018": "tab:purple"}
_OTHER_COLORS = ("tab:brown", "tab:pink", "tab:olive", "tab:cyan", "tab:gray", "navy", "darkgoldenrod", "teal")
_STYLES = ("-", "--", ":", "-.")


def chip_color(chip: str) -> str:
    """One colour per chip, the same in every plot and every run: fixed for the presets, else drawn
    from the chip's name (a hash, not the order the chips happen to come in)."""
    if chip in PRESET_COLORS:
        return PRESET_COLORS[chip]
    return _OTHER_COLORS[int(hashlib.sha256(chip.encode()).hexdigest(), 16) % len(_OTHER_COLORS)]


def _style(r: dict, records: list[dict]) -> dict:
    """Line colour from the chip; line style from the run and method when several are compared."""
    variants = sorted({(str(x.get("run", "")), str(x.get("method", ""))) for x in records})
    k = variants.index((str(r.get("run", "")), str(r.get("method", ""))))
    return {"color": chip_color(r["hardware"]), "ls": _STYLES[k % len(_STYLES)]}


def _label(r: dict, records: list[dict]) -> str:
    parts = [r["hardware"]]
    if len({x.get("method") for x in records}) > 1:
        parts.append(str(r.get("method")))
    if len({x.get("run") for x in records}) > 1:
        parts.insert(0, str(r.get("run")))
    return " / ".join(parts)


def _series(records: list[dict], key: str) -> dict[str, tuple[list, list, list]]:
    """label → (sparsity in %, value, record) over the records that fit and have `key`."""
    out: dict[str, tuple[list, list, list]] = {}
    for r in sorted(records, key=lambda r: r["sparsity"]):
        if r.get("fits", True) and r.get(key) is not None:
            xs, ys, rs = out.setdefault(_label(r, records), ([], [], []))
            xs.append(100 * r["sparsity"])
            ys.append(r[key])
            rs.append(r)
    return out


def _mark_below_floor(ax, xs, ys, rs, color) -> bool:
    """Cross out the points whose accuracy is below the accuracy floor; True if there were any."""
    low = [(x, y) for x, y, r in zip(xs, ys, rs, strict=True) if r.get("below_accuracy_floor")]
    if low:
        ax.scatter(*zip(*low, strict=True), marker="x", s=70, color="crimson", zorder=5, lw=1.5)
        ax.scatter(*zip(*low, strict=True), marker="o", s=40, facecolor="white", edgecolor=color, zorder=4)
    return bool(low)


def _floor_lines(ax, records: list[dict], vertical: bool) -> None:
    """Each chip's accuracy floor as a dotted line in its colour (one line where chips share it)."""
    floors: dict[float, set] = {}
    for r in records:
        if r.get("accuracy_floor") is not None:
            floors.setdefault(r["accuracy_floor"], set()).add(r["hardware"])
    for f, chips in sorted(floors.items()):
        color = chip_color(next(iter(chips))) if len(chips) == 1 else "crimson"
        line = ax.axvline if vertical else ax.axhline
        line(100 * f, color=color, ls=":", lw=1.2, label=f"accuracy floor ({', '.join(sorted(chips))})")


def _floor_legend(ax) -> None:
    ax.scatter([], [], marker="x", color="crimson", label="accuracy below the floor")


def _band(ax, records: list[dict], label: str, key: str, scale: float, color) -> None:
    """Shade the 95 % interval (`key` holds [low, high]) of one series, where the records have it."""
    rs = [r for r in sorted(records, key=lambda r: r["sparsity"])
          if r.get("fits", True) and r.get(key) and _label(r, records) == label]
    if rs:
        ax.fill_between([100 * r["sparsity"] for r in rs], [r[key][0] * scale for r in rs],
                        [r[key][1] * scale for r in rs], color=color, alpha=0.18, lw=0)


def _line_plot(records, key, scale, ylabel, title, stem, out_dir, log=True, ci_key: str | None = None) -> list[Path]:
    fig, ax = plt.subplots(figsize=(6.4, 4.2))
    floor = False
    for label, (xs, ys, rs) in _series(records, key).items():
        style = _style(rs[0], records)
        ax.plot(xs, [y * scale for y in ys], marker="o", label=label, **style)
        floor |= _mark_below_floor(ax, xs, [y * scale for y in ys], rs, style["color"])
        if ci_key:
            _band(ax, records, label, ci_key, scale, style["color"])
    if floor:
        _floor_legend(ax)
    if ci_key:
        ylabel += ", 95 % interval shaded"
    if log:
        ax.set_yscale("log")
    ax.set_xlabel("weight sparsity (% of synapses pruned)")
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.grid(True, which="both", alpha=0.3)
    if ax.get_legend_handles_labels()[0]:
        ax.legend(fontsize=8)
    return save_figure(fig, out_dir, stem)


def energy_vs_sparsity(records: list[dict], out_dir: Path, title: str = "") -> list[Path]:
    """Energy per inference against weight sparsity, one line per chip (log scale)."""
    return _line_plot(records, "energy_per_inference_j", 1e6, "energy per inference (µJ)",
                      title or "Energy per inference vs sparsity", "energy_vs_sparsity", out_dir,
                      ci_key="energy_per_inference_ci95_j")


def energy_vs_accuracy(records: list[dict], out_dir: Path, title: str = "") -> list[Path]:
    """The headline: what pruning buys at acceptable accuracy. Energy per inference against accuracy,
    each pruning level a point (labelled with its sparsity) with both 95 % intervals, one line per
    chip; levels below the accuracy floor crossed out, the floor drawn where it is one number."""
    fig, ax = plt.subplots(figsize=(6.8, 4.6))
    for label, (_, _, rs) in _series(records, "accuracy").items():
        rs = [r for r in rs if r.get("energy_per_inference_j") is not None]
        if not rs:
            continue
        style = _style(rs[0], records)
        x = np.array([100 * r["accuracy"] for r in rs])
        y = np.array([1e6 * r["energy_per_inference_j"] for r in rs])
        xci = np.array([[100 * v for v in (r.get("accuracy_ci95") or [r["accuracy"]] * 2)] for r in rs])
        yci = np.array([[1e6 * v for v in (r.get("energy_per_inference_ci95_j") or [r["energy_per_inference_j"]] * 2)]
                        for r in rs])
        ax.errorbar(x, y, xerr=[x - xci[:, 0], xci[:, 1] - x], yerr=[y - yci[:, 0], yci[:, 1] - y], marker="o",
                    capsize=2, label=label, **style)
        _mark_below_floor(ax, x, y, rs, style["color"])
        for xi, yi, r in zip(x, y, rs, strict=True):
            ax.annotate(f"{100 * r['sparsity']:.0f}%", (xi, yi), fontsize=7, xytext=(4, 3), textcoords="offset points")
    _floor_lines(ax, records, vertical=True)
    if any(r.get("below_accuracy_floor") for r in records):
        _floor_legend(ax)
    ax.set_yscale("log")
    ax.set_xlabel("test accuracy on the chip (%), 95 % interval")
    ax.set_ylabel("energy per inference (µJ, all-in), 95 % interval")
    ax.set_title(title or "Energy vs accuracy (labels: sparsity)")
    ax.grid(True, which="both", alpha=0.3)
    if ax.get_legend_handles_labels()[0]:
        ax.legend(fontsize=8)
    return save_figure(fig, out_dir, "energy_vs_accuracy")


def accuracy_vs_sparsity(records: list[dict], out_dir: Path, title: str = "") -> list[Path]:
    """Deploy-model accuracy (integer, whole test set) against sparsity; float accuracy dashed."""
    fig, ax = plt.subplots(figsize=(6.4, 4.2))
    for label, (xs, ys, rs) in _series(records, "accuracy").items():
        style = _style(rs[0], records)
        ax.plot(xs, [100 * y for y in ys], marker="o", label=f"{label} (chip, integer)", **style)
        _mark_below_floor(ax, xs, [100 * y for y in ys], rs, style["color"])
        _band(ax, records, label, "accuracy_ci95", 100, style["color"])
    _floor_lines(ax, records, vertical=False)
    seen = set()  # the float model's accuracy does not depend on the chip: one dashed line per method/run
    for r in sorted(records, key=lambda r: r["sparsity"]):
        if r.get("accuracy_float") is None:
            continue
        seen.add((str(r.get("run", "")), str(r.get("method", ""))))
    for run, method in sorted(seen):
        rs = sorted({(r["sparsity"], r["accuracy_float"]) for r in records if r.get("accuracy_float") is not None
                     and str(r.get("run", "")) == run and str(r.get("method", "")) == method})
        tag = " / ".join(x for x in (run, method if len(seen) > 1 else "") if x)
        ax.plot([100 * x for x, _ in rs], [100 * y for _, y in rs], ls="--", marker=".", color="gray",
                label="float model" + (f" ({tag})" if tag else ""))
    ax.set_xlabel("weight sparsity (% of synapses pruned)")
    ax.set_ylabel("test accuracy (%), 95 % interval shaded")
    ax.set_title(title or "Accuracy vs sparsity")
    ax.grid(True, alpha=0.3)
    if ax.get_legend_handles_labels()[0]:
        ax.legend(fontsize=8)
    return save_figure(fig, out_dir, "accuracy_vs_sparsity")


def _stacked_panels(records: list[dict], ylabel: str, stack, title: str, out_dir: Path, stem: str) -> list[Path]:
    """One panel per chip of stacked bars per fitting level (by sparsity): `stack(ax, rs, x, bottom)`
    draws the bars of the panel's records `rs` and returns nothing; the legend of the last panel
    applies to all."""
    labels = sorted({_label(r, records) for r in records if r.get("fits", True)})
    if not labels:
        return []
    fig, axes = plt.subplots(1, len(labels), figsize=(4.2 * len(labels) + 1.5, 4.2), squeeze=False)
    for ax, label in zip(axes[0], labels, strict=True):
        rs = sorted([r for r in records if r.get("fits", True) and _label(r, records) == label],
                    key=lambda r: r["sparsity"])
        x = np.arange(len(rs))
        stack(ax, rs, x, np.zeros(len(rs)))
        ax.set_xticks(x, [f"{100 * r['sparsity']:.0f}%" for r in rs])
        ax.set_xlabel("weight sparsity")
        ax.set_ylabel(ylabel)
        ax.set_title(label)
    axes[0][-1].legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.02, 1.0))
    fig.suptitle(title)
    return save_figure(fig, out_dir, stem)


def energy_breakdown(records: list[dict], out_dir: Path, title: str = "") -> list[Path]:
    """Stacked bars of energy per inference by action, per level, one panel per chip."""
    present = {k for r in records for k, v in (r.get("energy_breakdown_j") or {}).items() if v > 0}
    actions = [a for a in BREAKDOWN_ORDER if a in present]
    cmap = plt.get_cmap("tab20")

    def stack(ax, rs, x, bottom):
        for a in actions:
            vals = np.array([r["energy_breakdown_j"].get(a, 0.0) for r in rs]) * 1e6
            # one colour per action in every plot and run
            ax.bar(x, vals, bottom=bottom, color=cmap(BREAKDOWN_ORDER.index(a) % 20), label=a)
            bottom += vals
    return _stacked_panels(records, "energy per inference (µJ)", stack, title or "Energy per inference by action",
                           out_dir, "energy_breakdown")


def latency_breakdown(records: list[dict], out_dir: Path, title: str = "") -> list[Path]:
    """Stacked bars of latency per inference, per level, one panel per chip: the end-of-step barriers
    (on a system, the chips' synchronisation), the time the inter-chip links cost, and the rest (cores,
    on-chip mesh, host); the whole bar's 95 % interval as an error bar."""
    def stack(ax, rs, x, bottom):
        total = np.array([r["latency_per_inference_s"] for r in rs]) * 1e3
        barrier = np.array([r.get("barrier_time_per_inference_s") or 0.0 for r in rs]) * 1e3
        links = np.array([max(r.get("inter_chip_time_per_inference_s") or 0.0, 0.0) for r in rs]) * 1e3
        parts = (("barrier (synchronisation)", "tab:gray", barrier), ("inter-chip links", "tab:red", links),
                 ("cores, on-chip mesh, host", "tab:blue", np.maximum(total - barrier - links, 0.0)))
        for name, color, vals in parts:
            ax.bar(x, vals, bottom=bottom, color=color, label=name)
            bottom += vals
        ci = np.array([r["latency_per_inference_ci95_s"] for r in rs]) * 1e3
        ax.errorbar(x, total, yerr=[total - ci[:, 0], ci[:, 1] - total], fmt="none", ecolor="black", capsize=3)
    return _stacked_panels(records, "latency per inference (ms)", stack, title or "Latency per inference by part",
                           out_dir, "latency_breakdown")


def memory_and_cores(records: list[dict], out_dir: Path, title: str = "") -> list[Path]:
    """Synapse memory (KiB) and cores used against sparsity, one line per chip; each chip's capacity
    (all its cores, all their synapse memory) dashed in its colour."""
    fig, (a1, a2) = plt.subplots(1, 2, figsize=(10, 4.0))
    for ax, key, cap, scale in ((a1, "synapse_memory_bits", "synapse_memory_capacity_bits", 1 / 8192),
                                (a2, "cores_used", "cores_available", 1)):
        for label, (xs, ys, rs) in _series(records, key).items():
            style = _style(rs[0], records)
            ax.plot(xs, [y * scale for y in ys], marker="o", label=label, **style)
            if rs[0].get(cap):
                ax.axhline(rs[0][cap] * scale, color=style["color"], ls="--", lw=1, alpha=0.7,
                           label=f"{label}: capacity")
    a1.set_ylabel("synapse memory used (KiB)")
    a1.set_yscale("log")
    a2.set_ylabel("cores used")
    a2.yaxis.set_major_locator(matplotlib.ticker.MaxNLocator(integer=True))
    for a in (a1, a2):
        a.set_xlabel("weight sparsity (% of synapses pruned)")
        a.grid(True, which="both", alpha=0.3)
        if a.get_legend_handles_labels()[0]:
            a.legend(fontsize=8)
    fig.suptitle(title or "Memory and cores vs sparsity")
    return save_figure(fig, out_dir, "memory_and_cores")


def core_load_heatmap(records: list[dict], out_dir: Path, title: str = "") -> list[Path]:
    """Busy cycles per router on the mesh, for the densest and sparsest fitting level of each chip."""
    panels = []
    for label in sorted({_label(r, records) for r in records if r.get("core_load")}):
        rs = sorted([r for r in records if _label(r, records) == label and r.get("core_load")],
                    key=lambda r: r["sparsity"])
        panels += [rs[0]] + ([rs[-1]] if len(rs) > 1 else [])
    if not panels:
        return []
    cols = min(4, len(panels))
    rows = -(-len(panels) // cols)
    fig, axes = plt.subplots(rows, cols, figsize=(4.6 * cols, 3.9 * rows), squeeze=False, layout="constrained")
    for ax in axes.ravel()[len(panels):]:
        ax.set_visible(False)
    grids = []
    for r in panels:
        load = r["core_load"]
        grid = np.zeros((load["mesh_rows"], load["mesh_cols"]))
        for (x, y), busy in zip(load["router_xy"], load["busy_cycles"], strict=True):
            grid[y, x] += busy
        grids.append(grid)
    top = max(float(g.max()) for g in grids) or 1.0   # one colour scale: panels compare at a glance
    for ax, r, grid in zip(axes.ravel(), panels, grids, strict=False):
        load = r["core_load"]
        im = ax.imshow(grid, origin="lower", cmap="viridis", vmin=0.0, vmax=top)
        cw, rh = load.get("chip_cols"), load.get("chip_rows")
        for axis, n, step in ((ax.xaxis, load["mesh_cols"], cw), (ax.yaxis, load["mesh_rows"], rh)):
            if step:                 # a system: a tick where each chip starts
                axis.set_major_locator(matplotlib.ticker.MultipleLocator(step))
            elif n <= 16:
                axis.set_ticks(range(n))
            else:
                axis.set_major_locator(matplotlib.ticker.MaxNLocator(nbins=8, integer=True))
        ax.set_title(f"{_label(r, records)}, {100 * r['sparsity']:.0f}% sparse", fontsize=9)
        ax.set_xlabel("router x")
        ax.set_ylabel("router y")
        if cw and rh:   # a system: the chip boundaries
            for bx in range(cw, load["mesh_cols"], cw):
                ax.axvline(bx - 0.5, color="white", lw=1.2)
            for by in range(rh, load["mesh_rows"], rh):
                ax.axhline(by - 0.5, color="white", lw=1.2)
    fig.colorbar(im, ax=axes, label="busy cycles / inference (all panels)", shrink=0.9)
    fig.suptitle(title or "Per-router core load on the mesh")
    return save_figure(fig, out_dir, "core_load_heatmap")


def pareto_front(points: list[tuple[float, ...]], lows: list[tuple[float, ...]] | None = None,
                 highs: list[tuple[float, ...]] | None = None) -> list[int]:
    """Indices of the points that no other point dominates, every coordinate minimised. With intervals
    (`lows`, `highs` per coordinate), a point dominates another only where it is no worse in every
    coordinate and better beyond both intervals in at least one: no winner is picked inside the noise."""
    lows = lows or points
    highs = highs or points

    def dominates(j: int, i: int) -> bool:
        no_worse = all(a <= b for a, b in zip(points[j], points[i], strict=True))
        clearly = any(hj < li for hj, li in zip(highs[j], lows[i], strict=True))
        return no_worse and clearly and points[j] != points[i]
    return [i for i in range(len(points)) if not any(dominates(j, i) for j in range(len(points)) if j != i)]


def _objectives(r: dict) -> tuple[tuple, tuple, tuple]:
    """(means, lows, highs) of latency (µs), energy (µJ) and area (mm², exact) of one record."""
    lat, en = r["latency_per_inference_s"] * 1e6, r["energy_per_inference_j"] * 1e6
    lat_ci = [v * 1e6 for v in (r.get("latency_per_inference_ci95_s") or [r["latency_per_inference_s"]] * 2)]
    en_ci = [v * 1e6 for v in (r.get("energy_per_inference_ci95_j") or [r["energy_per_inference_j"]] * 2)]
    area = r.get("area_mm2") or 0.0
    return (lat, en, area), (lat_ci[0], en_ci[0], area), (lat_ci[1], en_ci[1], area)


def pareto(records: list[dict], out_dir: Path, title: str = "") -> list[Path]:
    """Energy vs latency per inference of every chip variant (marker area ∝ die area), one colour per
    sparsity level, with each level's Pareto front over energy, latency and area joined and labelled;
    a variant leaves the front only when another is no worse in all three and better beyond the 95 %
    intervals in one."""
    fits = [r for r in records if r.get("fits", True) and r.get("energy_per_inference_j") is not None]
    if not fits:
        return []
    fig, ax = plt.subplots(figsize=(7.2, 4.8))
    cmap = plt.get_cmap("viridis")
    levels = sorted({r["sparsity"] for r in fits})
    areas = [r.get("area_mm2") or 0.0 for r in fits]
    amax = max(areas) or 1.0
    for i, s in enumerate(levels):
        rs = [r for r in fits if r["sparsity"] == s]
        objs = [_objectives(r) for r in rs]
        pts = [o[0][:2] for o in objs]
        color = cmap(i / max(1, len(levels) - 1))
        sizes = [12 + 90 * (o[0][2] / amax) for o in objs]
        ax.scatter(*zip(*pts, strict=True), color=color, alpha=0.45, s=sizes)
        front = sorted(pareto_front([o[0] for o in objs], [o[1] for o in objs], [o[2] for o in objs]),
                       key=lambda k: pts[k][0])
        ax.plot([pts[k][0] for k in front], [pts[k][1] for k in front], "-o", color=color, ms=5,
                label=f"{100 * s:.0f}% sparse: Pareto front (energy, latency, area)")
        labelled = set()
        for k in front:
            if pts[k] in labelled:  # identical points: one label
                continue
            labelled.add(pts[k])
            values = [kv.split("=")[-1] for kv in rs[k]["hardware"].split("[")[-1].rstrip("]").split(",")]
            ax.annotate("/".join(values), pts[k], fontsize=6, xytext=(3, 3), textcoords="offset points")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("latency per inference (µs)")
    ax.set_ylabel("energy per inference (µJ)")
    keys = [kv.split("=")[0] for kv in fits[0]["hardware"].split("[")[-1].rstrip("]").split(",")] \
        if "[" in fits[0]["hardware"] else []
    ax.set_title((title or "Design space: energy vs latency") + ("\nfront labels: " + " / ".join(keys) if keys else "")
                 + f"\nmarker area ∝ die area (largest {amax:.3g} mm²)", fontsize=9)
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=7)
    return save_figure(fig, out_dir, "pareto_energy_latency")


def variant_ranking(records: list[dict], out_dir: Path, title: str = "") -> list[Path]:
    """The chip variants of a design-space sweep ranked by energy per inference (95 % interval as
    whiskers; the axis is zoomed to the variants, it does not start at zero), one panel per sparsity
    level (densest, a middle one, sparsest). The variants see the same inputs, so a difference
    smaller than the intervals (the spread over inputs) can still be systematic."""
    fits = [r for r in records if r.get("fits", True) and r.get("energy_per_inference_j") is not None]
    levels = sorted({r["sparsity"] for r in fits})
    if not fits or len({r["hardware"] for r in fits}) < 2:
        return []
    shown = sorted({levels[0], levels[len(levels) // 2], levels[-1]})
    fig, axes = plt.subplots(1, len(shown), figsize=(4.8 * len(shown), 0.9 + 0.32 * len(fits) / len(levels)),
                             squeeze=False, layout="constrained")
    for ax, s in zip(axes[0], shown, strict=True):
        rs = sorted([r for r in fits if r["sparsity"] == s], key=lambda r: r["energy_per_inference_j"])
        e = np.array([r["energy_per_inference_j"] for r in rs]) * 1e6
        ci = np.array([r.get("energy_per_inference_ci95_j") or [r["energy_per_inference_j"]] * 2 for r in rs]) * 1e6
        y = np.arange(len(rs))[::-1]
        ax.errorbar(e, y, xerr=[e - ci[:, 0], ci[:, 1] - e], fmt="o", color="tab:blue", ecolor="k", capsize=2, ms=4)
        labels = [r["hardware"].split("[", 1)[-1].rstrip("]") if "[" in r["hardware"] else r["hardware"] for r in rs]
        ax.set_yticks(y, labels, fontsize=7)
        ax.set_xlabel("energy per inference (µJ), 95 % interval")
        ax.set_title(f"{100 * s:.0f}% sparse", fontsize=9)
        ax.grid(True, axis="x", alpha=0.3)
    fig.suptitle(title or "Chip variants ranked by energy per inference")
    return save_figure(fig, out_dir, "variant_ranking")


def all_plots(records: list[dict], out_dir: Path, name: str = "") -> list[Path]:
    """Every plot that the records have data for; returns the written files."""
    prefix = f"{name}: " if name else ""
    paths = []
    if any(r.get("accuracy") is not None for r in records):
        paths += energy_vs_accuracy(records, out_dir, f"{prefix}energy vs accuracy (labels: sparsity)")
    paths += energy_vs_sparsity(records, out_dir, f"{prefix}energy per inference vs sparsity")
    if any(r.get("accuracy") is not None for r in records):
        paths += accuracy_vs_sparsity(records, out_dir, f"{prefix}accuracy vs sparsity")
    paths += energy_breakdown(records, out_dir, f"{prefix}energy per inference by action")
    paths += latency_breakdown(records, out_dir, f"{prefix}latency per inference by part")
    paths += memory_and_cores(records, out_dir, f"{prefix}memory and cores vs sparsity")
    paths += core_load_heatmap(records, out_dir, f"{prefix}per-router core load")
    return paths

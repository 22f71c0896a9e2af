"""Structured against unstructured sparsity on the hardware: the same network pruned to the same
parameter counts by removing whole channels (neurons) and by removing scattered weights, each run on
the same chips (`neurosim experiment structure`).

The channel method sets the counts: at each channel level (fraction of channels removed) its network
keeps some fraction of the weights; the weight method is then asked for exactly that connection
sparsity, so each pair compares equal parameter counts. Both are the seed paper's criticality-guided
methods (`slimming_criticality` and `criticality`) with the workload's pruning settings.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

from neurosim.config import Workload
from neurosim.report.stats import with_interval
from neurosim.sweep.pipeline import Chip, MapOptions, run_workload

CHANNEL, WEIGHT = "slimming_criticality", "criticality"


def run_structure_study(wl: Workload, wl_path: Path, wl_sha: str, chips: list[Chip], levels: list[float],
                        mapping: MapOptions | None = None, points_dir: Path | None = None) -> tuple[dict, list[dict]]:
    """Records of both methods on every chip: channel pruning at `levels`, then weight pruning at the
    connection sparsity each channel level reached. Records carry `structure` (channels or weights)
    and `matched_channel_level`."""
    mapping = mapping or MapOptions()

    def with_pruning(method: str, lv) -> Workload:
        return dataclasses.replace(wl, pruning=dataclasses.replace(wl.pruning, method=method, levels=tuple(lv)))
    prov, channel = run_workload(with_pruning(CHANNEL, levels), wl_path, wl_sha, chips, mapping, points_dir)
    reached = {}
    for r in channel:
        reached.setdefault(r["sparsity"], round(float(r["connection_sparsity"]), 4))
    _, weight = run_workload(with_pruning(WEIGHT, sorted(set(reached.values()))), wl_path, wl_sha, chips, mapping,
                             points_dir)
    by_sparsity = {v: k for k, v in reached.items()}
    for r in channel:
        r.update(structure="channels", matched_channel_level=r["sparsity"])
    for r in weight:
        r.update(structure="weights", matched_channel_level=by_sparsity.get(round(r["sparsity"], 4)))
    return prov, channel + weight


def comparison_table(records: list[dict]) -> str:
    """Markdown: per chip and matched level, both structures side by side on what the chip pays."""
    head = ("| chip | channel level | structure | connection sparsity (%) | accuracy (%) | synapse memory (KiB) by "
            "format | cores | packets / inf | hops / inf | energy / inf (µJ) | latency (µs) |")
    lines = [head, "|---" * (head.count("|") - 1) + "|"]
    key = lambda r: (r["hardware"], r["matched_channel_level"], r["structure"])  # noqa: E731
    for r in sorted((r for r in records if r.get("matched_channel_level") is not None), key=key):
        if not r.get("fits"):
            lines.append(f"| {r['hardware']} | {r['matched_channel_level']:.2f} | {r['structure']} | "
                         f"{100 * r.get('connection_sparsity', 0):.1f} | does not fit | | | | | | |")
            continue
        mem = ", ".join(f"{f} {b / 8192:.1f}" for f, b in sorted(r["synapse_memory_bits_by_format"].items()) if b)
        acc = "–" if r.get("accuracy") is None else with_interval(r["accuracy"], *r["accuracy_ci95"], scale=100)
        lines.append(f"| {r['hardware']} | {r['matched_channel_level']:.2f} | {r['structure']} | "
                     f"{100 * r['connection_sparsity']:.1f} | {acc} | {mem} | {r['cores_used']} | "
                     f"{r['packets_per_inference']:.0f} | {r['hops_per_inference']:.0f} | "
                     f"{with_interval(r['energy_per_inference_j'], *r['energy_per_inference_ci95_j'], scale=1e6)} | "
                     f"{with_interval(r['latency_per_inference_s'], *r['latency_per_inference_ci95_s'], scale=1e6)} |")
    return "\n".join(lines)

"""report.md: an index of one run's output folder — the table, the plots and the provenance."""

from __future__ import annotations

from pathlib import Path

from neurosim.files import write_atomic
from neurosim.report.stats import with_interval


def result_cells(r: dict, none: str = "–") -> list[str]:
    """One record as table cells: chip, method, sparsity, accuracy (%), SOPs, energy (µJ), latency (µs),
    inferences/s, cores, synapse memory (KiB); accuracy, energy and latency with their 95 % intervals
    (digits as the interval supports); a level that does not fit says so after the accuracy."""
    def cell(v, scale=1.0) -> str:
        return none if v is None else f"{v * scale:.4g}"

    def ci(key: str, interval: str, scale: float) -> str:
        v = r.get(key)
        lo_hi = r.get(interval)
        return none if v is None else with_interval(v, *(lo_hi or (v, v)), scale=scale)
    chip = r["hardware"] + (f" → {r['system']}" if r.get("system") else "")   # too big for one chip
    lead = [chip, str(r.get("method")), f"{r['sparsity']:.2f}", ci("accuracy", "accuracy_ci95", 100)]
    if not r.get("fits", True):
        return lead + ["does not fit", "", "", "", "", ""]
    return lead + [cell(r["synaptic_ops_per_inference"]),
                   ci("energy_per_inference_j", "energy_per_inference_ci95_j", 1e6),
                   ci("latency_per_inference_s", "latency_per_inference_ci95_s", 1e6),
                   cell(r["throughput_inferences_per_s"]), str(r["cores_used"]),
                   f"{r['synapse_memory_bits'] / 8192:.1f}"]


def markdown_table(records: list[dict]) -> str:
    head = ("| chip | method | sparsity | accuracy (%, 95 % CI) | SOPs / inference | energy / inference (µJ, all-in, "
            "95 % CI) | latency (µs, 95 % CI) | inferences / s | cores | synapse memory (KiB) |")
    lines = [head, "|---" * (head.count("|") - 1) + "|"]
    for r in sorted(records, key=lambda r: (r["hardware"], str(r.get("method")), r["sparsity"])):
        lines.append("| " + " | ".join(result_cells(r)) + " |")
    return "\n".join(lines)


def write_index(out_dir: Path, title: str, provenance: dict, records: list[dict], plots: list[Path]) -> Path:
    """Write out_dir/report.md linking the results files and every PNG plot."""
    lines = [f"# {title}", "", f"neurosim {provenance.get('neurosim_version')}, seed {provenance.get('seed')}, "
             f"created {provenance.get('created_utc')}.", "", "Files: [results.json](results.json) · "
             "[results.csv](results.csv)", "", "## Per pruning level and chip", "", markdown_table(records), ""]
    misfits = [r for r in records if not r.get("fits", True)]
    if misfits:
        lines += ["### Levels that do not fit", ""] + [f"- {r['hardware']} at {r['sparsity']:.2f}: {r['fit_error']}"
                                                       for r in misfits] + [""]
    lines += ["## Plots", ""]
    for p in plots:
        if p.suffix == ".png":
            lines += [f"### {p.stem.replace('_', ' ')}", "", f"![{p.stem}]({p.name}) ([SVG]({p.stem}.svg))", ""]
    lines += ["## Provenance", "", "Config files (SHA-256):", ""]
    lines += [f"- `{k}`: `{v[:16]}…`" for k, v in provenance.get("config_sha256", {}).items()]
    lines += ["", "Energy figures and their sources are in `results.json` → `provenance.ert`.", ""]
    path = out_dir / "report.md"
    write_atomic(path, "\n".join(lines))
    return path

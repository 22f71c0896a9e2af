"""report.md: an index of one run's output folder — the table, the plots and the provenance."""

from __future__ import annotations

from pathlib import Path

from neurosim.report.records import write_atomic


def _cell(v, scale=1.0, fmt="{:.4g}") -> str:
    return "–" if v is None else fmt.format(v * scale)


def markdown_table(records: list[dict]) -> str:
    head = ("| chip | method | sparsity | accuracy (%) | SOPs / inference | energy / inference (µJ) | "
            "latency (µs) | inferences / s | cores | synapse memory (KiB) |")
    lines = [head, "|---" * (head.count("|") - 1) + "|"]
    for r in sorted(records, key=lambda r: (r["hardware"], str(r.get("method")), r["sparsity"])):
        if not r.get("fits", True):
            lines.append(f"| {r['hardware']} | {r.get('method')} | {r['sparsity']:.2f} | "
                         f"{_cell(r.get('accuracy'), 100)} | does not fit | | | | | |")
            continue
        lines.append(f"| {r['hardware']} | {r.get('method')} | {r['sparsity']:.2f} | {_cell(r.get('accuracy'), 100)} "
                     f"| {_cell(r['synaptic_ops_per_inference'])} | {_cell(r['energy_per_inference_j'], 1e6)} | "
                     f"{_cell(r['latency_per_inference_s'], 1e6)} | {_cell(r['throughput_inferences_per_s'])} | "
                     f"{r['cores_used']} | {r['synapse_memory_bits'] / 8192:.1f} |")
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

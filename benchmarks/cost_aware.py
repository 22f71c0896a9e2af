#!/usr/bin/env python3
"""Cost-aware pruning against plain criticality and GMP, over seeds, on two chips.

Every method prunes the default workload's MLP (workloads/mnist_mlp.yaml) to each level with seeds
0..N-1; every pruned network runs on Loihi and the generic mesh. Per (method, level, chip): accuracy,
energy and latency per inference as the mean over seeds with a 95 % Student-t interval over seeds.
Writes a markdown table (and JSON lines of every record) to --out.

  python benchmarks/cost_aware.py --seeds 5 --out docs/results/cost_aware
"""
from __future__ import annotations

import argparse
import dataclasses
import json
from pathlib import Path

import numpy as np

from neurosim.config import load_hardware, load_workload
from neurosim.progress import QUIET, set_verbosity
from neurosim.report.stats import mean_ci, with_interval
from neurosim.sweep.pipeline import Chip, run_workload

METHODS = {"gmp": ("gmp", None), "criticality": ("criticality", None),
           "criticality + cost (loihi)": ("criticality", "loihi"),
           "criticality + cost (generic_mesh)": ("criticality", "generic_mesh")}
CHIPS = ("loihi", "generic_mesh")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seeds", type=int, default=5)
    ap.add_argument("--levels", type=float, nargs="+", default=[0.8, 0.9, 0.95])
    ap.add_argument("--out", type=Path, default=Path("cost_aware"))
    ap.add_argument("--from-records", action="store_true", help="table and plot from OUT/records.jsonl, no runs")
    a = ap.parse_args()
    set_verbosity(QUIET)
    a.out.mkdir(parents=True, exist_ok=True)
    rows: dict[tuple, list[dict]] = {}
    if a.from_records:
        for line in (a.out / "records.jsonl").read_text().splitlines():
            r = json.loads(line)
            rows.setdefault((_label(r), r["sparsity"], r["hardware"]), []).append(r)
    else:
        base, path, sha = load_workload("mnist_mlp")
        chips = [Chip(*load_hardware(c)) for c in CHIPS]
        with (a.out / "records.jsonl").open("w") as log:
            for label, (method, target) in METHODS.items():
                for seed in range(a.seeds):
                    pr = dataclasses.replace(base.pruning, method=method, cost_aware=target, levels=tuple(a.levels))
                    wl = dataclasses.replace(base, seed=seed, pruning=pr)
                    _, recs = run_workload(wl, path, f"{sha}-{label}-{seed}", chips, progress=False)
                    for r in recs:
                        rows.setdefault((label, r["sparsity"], r["hardware"]), []).append(r)
                        log.write(json.dumps({**r, "seed": seed}) + "\n")
                    print(f"{label} seed {seed} done", flush=True)
    plot(rows, a.out / "energy_vs_accuracy.png")
    lines = ["| method | level | chip | accuracy (%) | energy / inference (µJ) | latency (µs) | packets / inference |",
             "|---|---|---|---|---|---|---|"]
    for (label, level, chip), rs in sorted(rows.items(), key=lambda kv: (kv[0][2], kv[0][1], kv[0][0])):
        acc, en, lat = (mean_ci([r[k] for r in rs]) for k in ("accuracy", "energy_per_inference_j",
                                                              "latency_per_inference_s"))
        pk = np.mean([r["packets_per_inference"] for r in rs])
        lines.append(f"| {label} | {level:.2f} | {chip} | {with_interval(*acc, scale=100)} | "
                     f"{with_interval(*en, scale=1e6)} | {with_interval(*lat, scale=1e6)} | {pk:.0f} |")
    (a.out / "table.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


def _label(r: dict) -> str:
    """The study's name of a record's method (records name the pruning method and the cost-aware chip)."""
    return f"{r['method']} + cost ({r['cost_aware']})" if r.get("cost_aware") else r["method"]


def plot(rows: dict[tuple, list[dict]], path: Path) -> None:
    """Energy against accuracy per method (mean over seeds, 95 % intervals both ways), a panel per chip,
    each point labelled with its level."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(CHIPS), figsize=(6.2 * len(CHIPS), 4.4))
    for ax, chip in zip(axes, CHIPS, strict=True):
        for i, label in enumerate(METHODS):
            pts = sorted((lv, rs) for (m, lv, c), rs in rows.items() if m == label and c == chip)
            if not pts:
                continue
            acc = [mean_ci([100 * r["accuracy"] for r in rs]) for _, rs in pts]
            en = [mean_ci([1e6 * r["energy_per_inference_j"] for r in rs]) for _, rs in pts]
            x, y = np.array([a[0] for a in acc]), np.array([e[0] for e in en])
            ax.errorbar(x, y, xerr=[x - [a[1] for a in acc], [a[2] for a in acc] - x],
                        yerr=[y - [e[1] for e in en], [e[2] for e in en] - y], marker="os^D"[i], capsize=2,
                        label=label)
            for (lv, _), xi, yi in zip(pts, x, y, strict=True):
                ax.annotate(f"{100 * lv:.0f}%", (xi, yi), fontsize=6, xytext=(3, 3), textcoords="offset points")
        ax.set_xlabel("test accuracy (%), mean over seeds, 95 % interval")
        ax.set_ylabel("energy per inference (µJ), 95 % interval")
        ax.set_title(chip)
        ax.grid(True, alpha=0.3)
    axes[0].legend(fontsize=7)
    fig.suptitle("Cost-aware vs plain pruning, MNIST MLP (labels: sparsity)")
    fig.tight_layout()
    fig.savefig(path, dpi=130)


if __name__ == "__main__":
    main()

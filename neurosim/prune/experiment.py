"""The pruning experiment: every method × level × seed through `prune_workload`, written as it goes
(``records.jsonl``, resumable), then summarised as mean ± std over seeds with the cost columns, paired
per-seed differences against a reference method, a Markdown/CSV table and an accuracy-vs-sparsity plot.

A method may carry a criticality form and tie rule, ``criticality:prim`` or ``criticality:grad:exact``
(defaults: the workload's). Level 0 is run once per seed as the ``dense`` reference (same epochs, no pruning).
"""

from __future__ import annotations

import csv
import dataclasses
import io
import json
import math
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from neurosim.config import Workload
from neurosim.errors import ConfigError
from neurosim.files import write_atomic
from neurosim.prune.workflow import METHODS, prune_workload
from neurosim.report.plots import save_figure

UNSTRUCTURED = ("gmp", "criticality:grad", "criticality:prim", "random_regrowth", "gradient_regrowth", "oneshot")
STRUCTURED = ("slimming", "slimming_criticality:grad", "slimming_random")


def parse_method(name: str) -> tuple[str, str | None, str | None]:
    """'criticality:prim:exact' → ('criticality', 'prim', 'exact'); 'gmp' → ('gmp', None, None)."""
    base, form, ties, *rest = name.split(":") + [None, None]
    if base not in METHODS or any(rest):
        raise ConfigError(f"unknown method {name!r}; known: {', '.join(METHODS)} (criticality[:grad|prim[:all|exact]])")
    if form not in (None, "", "grad", "prim"):
        raise ConfigError(f"unknown criticality form {form!r} in {name!r}: use grad or prim")
    if ties not in (None, "", "all", "exact"):
        raise ConfigError(f"unknown tie rule {ties!r} in {name!r}: use all or exact")
    return base, form or None, ties or None


def _label(base: str, form: str | None, ties: str | None, wl: Workload) -> str:
    if "criticality" in base:
        t = ties or wl.pruning.criticality_ties
        return f"{base}-{form or wl.pruning.criticality}" + ("-exact" if t == "exact" else "")
    return base


def _load(path: Path) -> list[dict]:
    """Records of an earlier run. A last line cut short by an interruption is dropped (and the file
    rewritten without it, so that the next append starts on a fresh line); any other bad line is a
    corrupt file."""
    if not path.exists():
        return []
    lines = [ln for ln in path.read_text().splitlines() if ln.strip()]
    records = []
    for i, line in enumerate(lines):
        try:
            records.append(json.loads(line))
        except json.JSONDecodeError as e:
            if i < len(lines) - 1:
                raise ConfigError(f"{path}: line {i + 1} is not a JSON record ({e.msg}); "
                                  "fix or delete the file to start the experiment afresh") from None
            write_atomic(path, "".join(ln + "\n" for ln in lines[:-1]))
    return records


def run_experiment(wl: Workload, methods: Sequence[str], levels: Sequence[float], seeds: Sequence[int],
                   out_dir: Path, log: Callable[[str], None] = print) -> list[dict]:
    """Run (or resume) the grid; every finished run is appended to ``out_dir/records.jsonl`` at once."""
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / "records.jsonl"
    records = _load(path)
    done = {(r["label"], r["level"], r["seed"]) for r in records}
    parsed = [parse_method(m) for m in methods]
    for seed in seeds:   # seed outermost: the slimming methods share one pretrained model per seed
        jobs = [("dense", "gmp", None, None, 0.0)] if 0.0 in levels else []
        jobs += [(_label(b, f, t, wl), b, f, t, lv) for b, f, t in parsed for lv in levels if lv > 0.0]
        for label, base, form, ties, level in jobs:
            if (label, level, seed) in done:
                continue
            over = {k: v for k, v in (("criticality", form), ("criticality_ties", ties)) if v is not None}
            w = dataclasses.replace(wl, pruning=dataclasses.replace(wl.pruning, **over)) if over else wl
            _, rec = prune_workload(w, level, base, seed)
            rec["label"] = label
            records.append(rec)
            with path.open("a") as f:
                f.write(json.dumps(rec, allow_nan=False) + "\n")
            log(f"[pruning] {label:24s} level {level:.2f} seed {seed}: sparsity {rec['connection_sparsity']:.4f} "
                f"accuracy {100 * rec['accuracy_float']:.2f}% ({rec['pruning_epochs']} epochs, "
                f"{rec['pruning_seconds']:.1f} s)")
    return records


def _ms(values: Sequence[float]) -> tuple[float, float]:
    a = np.asarray(values, dtype=float)
    return float(a.mean()), float(a.std(ddof=1)) if a.size > 1 else 0.0


def summarize(records: Sequence[dict]) -> list[dict]:
    """One row per (label, level): seeds, mean ± std of accuracy, sparsity and cost."""
    groups: dict[tuple[str, float], list[dict]] = {}
    for r in records:
        groups.setdefault((r["label"], r["level"]), []).append(r)
    rows = []
    for (label, level), rs in sorted(groups.items(), key=lambda kv: (kv[0][1], kv[0][0])):
        acc, acc_sd = _ms([100 * r["accuracy_float"] for r in rs])
        sp, sp_sd = _ms([100 * r["connection_sparsity"] for r in rs])
        sec, sec_sd = _ms([r["pruning_seconds"] for r in rs])
        rows.append({"method": label, "level": level, "seeds": len(rs), "sparsity_pct": sp, "sparsity_sd": sp_sd,
                     "accuracy_pct": acc, "accuracy_sd": acc_sd, "epochs": float(np.mean([r["pruning_epochs"]
                                                                                           for r in rs])),
                     "seconds": sec, "seconds_sd": sec_sd})
    return rows


def paired(records: Sequence[dict], label: str, reference: str) -> list[dict]:
    """Per level: accuracy difference label − reference over the seeds both have (mean ± std, wins/ties/losses)."""
    by = {(r["label"], r["level"], r["seed"]): r for r in records}
    out = []
    for level in sorted({r["level"] for r in records if r["label"] == label}):
        d = [100 * (by[(label, level, s)]["accuracy_float"] - by[(reference, level, s)]["accuracy_float"])
             for (lb, lv, s) in by if lb == label and lv == level and (reference, level, s) in by]
        if not d:
            continue
        m, sd = _ms(d)
        out.append({"method": label, "reference": reference, "level": level, "pairs": len(d), "diff_pct": m,
                    "diff_sd": sd, "wins": sum(x > 0 for x in d), "ties": sum(x == 0 for x in d),
                    "losses": sum(x < 0 for x in d)})
    return out


def markdown(rows: Sequence[dict]) -> str:
    lines = ["| method | level | seeds | connection sparsity % | float accuracy % | epochs | wall s |",
             "|---|---:|---:|---:|---:|---:|---:|"]
    for r in rows:
        lines.append(f"| {r['method']} | {r['level']:.2f} | {r['seeds']} | {r['sparsity_pct']:.2f} ± "
                     f"{r['sparsity_sd']:.2f} | {r['accuracy_pct']:.2f} ± {r['accuracy_sd']:.2f} | {r['epochs']:g} | "
                     f"{r['seconds']:.1f} ± {r['seconds_sd']:.1f} |")
    return "\n".join(lines)


def markdown_paired(rows: Sequence[dict]) -> str:
    lines = ["| method − reference | level | pairs | Δ accuracy (points) | wins / ties / losses |",
             "|---|---:|---:|---:|---|"]
    for r in rows:
        lines.append(f"| {r['method']} − {r['reference']} | {r['level']:.2f} | {r['pairs']} | "
                     f"{r['diff_pct']:+.2f} ± {r['diff_sd']:.2f} | {r['wins']} / {r['ties']} / {r['losses']} |")
    return "\n".join(lines)


def plot(rows: Sequence[dict], path_stem: Path, title: str) -> list[Path]:
    """Accuracy vs connection sparsity per method (error bars: std over seeds); PNG and SVG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4.5))
    for r in rows:   # the dense reference is a horizontal line, so the pruned levels keep the x range
        if r["method"] == "dense":
            ax.axhline(r["accuracy_pct"], color="gray", ls="--", lw=1, label=f"dense ({r['accuracy_pct']:.2f} %)")
    for label in sorted({r["method"] for r in rows} - {"dense"}):
        rs = sorted((r for r in rows if r["method"] == label), key=lambda r: r["sparsity_pct"])
        ax.errorbar([r["sparsity_pct"] for r in rs], [r["accuracy_pct"] for r in rs],
                    yerr=[r["accuracy_sd"] for r in rs], marker="o", capsize=3, label=label)
    ax.set_xlabel("connection sparsity (%)")
    ax.set_ylabel("test accuracy, float model (%)")
    ax.set_title(title)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    return save_figure(fig, path_stem.parent, path_stem.name)


def write_outputs(records: Sequence[dict], out_dir: Path, title: str, reference: str | None = None) -> str:
    """table.md / table.csv / paired.csv / accuracy_vs_sparsity.{png,svg}; returns the Markdown text.
    Paired differences are against ``reference`` (default: gmp, or slimming for the structured methods)."""
    rows = summarize(records)
    if reference is None:
        present = {r["label"] for r in records}
        reference = next((m for m in ("gmp", "slimming") if m in present), "gmp")
    labels = sorted({r["label"] for r in records} - {reference, "dense"})
    pairs = [p for lb in labels for p in paired(records, lb, reference)] if any(
        r["label"] == reference for r in records) else []
    for name, data in (("table.csv", rows), ("paired.csv", pairs)):
        if data:
            buf = io.StringIO(newline="")
            w = csv.DictWriter(buf, fieldnames=list(data[0]))
            w.writeheader()
            w.writerows(data)
            write_atomic(out_dir / name, buf.getvalue())
    text = markdown(rows)
    if pairs:
        text += f"\n\nPaired per-seed differences against {reference} (same seed, same level):\n\n" + \
            markdown_paired(pairs)
    write_atomic(out_dir / "table.md", text + "\n")
    plot([r for r in rows if not math.isnan(r["accuracy_pct"])], out_dir / "accuracy_vs_sparsity", title)
    return text

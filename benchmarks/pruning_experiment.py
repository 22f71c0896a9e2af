"""Accuracy vs sparsity of every pruning method, mean ± std over seeds, with the pruning cost.

    .venv/bin/python benchmarks/pruning_experiment.py workloads/mnist_mlp.yaml --seeds 5 \
        --levels 0 0.8 0.9 0.95 0.98 --out results/pruning_mlp

Writes OUT/records.jsonl (one line per finished run; rerunning resumes), OUT/table.md, OUT/table.csv,
OUT/paired.csv and OUT/accuracy_vs_sparsity.{png,svg}, and prints the table. Hyper-parameters come from the
workload's `pruning` section; the flags below override them. BLAS runs single-threaded (the machines
have 2 shared cores; a multi-threaded BLAS under contention is ~40x slower on these small matrices).
"""

from __future__ import annotations

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")

import argparse  # noqa: E402
import dataclasses  # noqa: E402
import sys  # noqa: E402
from pathlib import Path  # noqa: E402

from neurosim.config import load_workload  # noqa: E402
from neurosim.prune.experiment import run_experiment, write_outputs  # noqa: E402

UNSTRUCTURED = ["gmp", "criticality:grad", "criticality:prim", "random_regrowth", "gradient_regrowth", "oneshot"]
STRUCTURED = ["slimming", "slimming_criticality:grad", "slimming_random"]
OVERRIDES = ("prune_epochs", "finetune_epochs", "interval", "regrowth_ratio", "growth_rate", "bn_l1")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("workload", type=Path)
    ap.add_argument("--methods", nargs="+", default=None,
                    help="methods (method[:grad|prim]); default: all unstructured, or all structured with "
                         "--structured")
    ap.add_argument("--structured", action="store_true", help="run the channel (slimming) methods")
    ap.add_argument("--levels", nargs="+", type=float, default=[0.0, 0.8, 0.9, 0.95, 0.98])
    ap.add_argument("--seeds", type=int, default=5, help="seeds 0..N-1")
    ap.add_argument("--out", type=Path, required=True)
    for name in OVERRIDES:
        ap.add_argument("--" + name.replace("_", "-"), type=float, default=None)
    a = ap.parse_args(argv)
    wl = load_workload(a.workload)[0]
    over = {k: getattr(a, k) for k in OVERRIDES if getattr(a, k) is not None}
    over = {k: int(v) if k in ("prune_epochs", "finetune_epochs", "interval") else v for k, v in over.items()}
    wl = dataclasses.replace(wl, pruning=dataclasses.replace(wl.pruning, **over))
    methods = a.methods or (STRUCTURED if a.structured else UNSTRUCTURED)
    p = wl.pruning
    print(f"# {wl.name}: methods {methods}, levels {a.levels}, seeds 0..{a.seeds - 1}; Np={p.prune_epochs} "
          f"Nf={p.finetune_epochs} interval={p.interval} r={p.regrowth_ratio} growth_rate={p.growth_rate} "
          f"bn_l1={p.bn_l1}", flush=True)
    records = run_experiment(wl, methods, a.levels, range(a.seeds), a.out,
                             log=lambda m: print(m, file=sys.stderr, flush=True))
    print(write_outputs(records, a.out, f"{wl.name}: accuracy vs connection sparsity"))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Accuracy vs sparsity of every pruning method, mean ± std over seeds, with the pruning cost.

The same as `neurosim experiment pruning ...` (kept for the commands recorded in docs/results/pruning.md):

    .venv/bin/python benchmarks/pruning_experiment.py workloads/mnist_mlp.yaml --seeds 5 \\
        --levels 0 0.8 0.9 0.95 0.98 --out results/pruning_mlp

Writes OUT/records.jsonl (one line per finished run; rerunning resumes), OUT/table.md, OUT/table.csv,
OUT/paired.csv and OUT/accuracy_vs_sparsity.{png,svg}, and prints the table. BLAS runs single-threaded
(the machines have 2 shared cores; a multi-threaded BLAS under contention is far slower on small matrices).
"""

from __future__ import annotations

import os
import sys

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")

from neurosim.cli import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(main(["experiment", "pruning", *sys.argv[1:]]))

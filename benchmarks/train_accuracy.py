"""Accuracy and training time of the trained-network workloads (issue 3 acceptance figures).

Trains every workload for every seed from scratch (the checkpoint cache is bypassed), then
evaluates the float model and the integer deploy model (the workload's chip: weight/state bits,
hardware timing) on the whole test set. Prints one line per run and a summary with the medians
over seeds against the targets. Wall time depends on what else runs on the machine: the load
average and the process CPU time are printed beside it.

    .venv/bin/python benchmarks/train_accuracy.py                       # all three, seeds 0 1 2
    .venv/bin/python benchmarks/train_accuracy.py --workloads mnist_mlp --seeds 0
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys

from neurosim.snn import train_workload

TARGETS = {  # workload: (min median float accuracy, max train seconds)
    "mnist_cnn": (0.975, 180.0),
    "mnist_mlp": (0.960, 60.0),
    "digits_mlp": (0.960, 60.0),
}
MAX_DEPLOY_GAP = 0.005


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--workloads", nargs="+", default=["mnist_cnn", "mnist_mlp", "digits_mlp"])
    ap.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    ap.add_argument("--json", help="also write all runs to this JSON file")
    ap.add_argument("--quiet", action="store_true", help="no per-epoch progress on stderr")
    args = ap.parse_args(argv)
    print(f"cpus {os.cpu_count()}; load average at start {os.getloadavg()[0]:.2f}", flush=True)
    runs = []
    print(f"{'workload':<11} {'seed':>4} {'float%':>7} {'deploy%':>8} {'gap':>6} {'train_s':>8} {'cpu_s':>7} "
          f"{'load':>5}", flush=True)
    for name in args.workloads:
        for seed in args.seeds:
            tm = train_workload(name, seed=seed, progress=not args.quiet, use_cache=False)
            m = dict(tm.metrics)
            m["load_average"] = os.getloadavg()[0]
            runs.append(m)
            gap = m["test_accuracy"] - m["test_accuracy_deploy"]
            print(f"{name:<11} {seed:>4} {100 * m['test_accuracy']:>7.2f} {100 * m['test_accuracy_deploy']:>8.2f} "
                  f"{100 * gap:>6.2f} {m['train_seconds']:>8.1f} {m['train_cpu_seconds']:>7.1f} "
                  f"{m['load_average']:>5.2f}", flush=True)
    print("\nsummary (median over seeds)")
    ok = True
    for name in args.workloads:
        rs = [r for r in runs if r["workload"] == name]
        acc = statistics.median(r["test_accuracy"] for r in rs)
        dep = statistics.median(r["test_accuracy_deploy"] for r in rs)
        gap = max(abs(r["test_accuracy"] - r["test_accuracy_deploy"]) for r in rs)
        secs = statistics.median(r["train_seconds"] for r in rs)
        bits = f"{rs[0]['deploy_weight_bits']}-bit weights on {rs[0]['deploy_chip']}"
        line = (f"{name:<11} float {100 * acc:.2f}%  deploy {100 * dep:.2f}% ({bits}), max gap {100 * gap:.2f} pt, "
                f"train {secs:.1f} s (epochs {rs[0]['epochs']})")
        if name in TARGETS:
            amin, smax = TARGETS[name]
            passed = acc >= amin and gap <= MAX_DEPLOY_GAP and secs <= smax
            ok &= passed
            line += f"  [{'PASS' if passed else 'FAIL'}: >= {100 * amin:.1f}%, gap <= 0.5 pt, <= {smax:.0f} s]"
        print(line)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(runs, f, indent=1)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

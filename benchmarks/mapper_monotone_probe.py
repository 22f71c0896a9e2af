"""Probe of the monotone-cores property where output budgets (fan-out axons, routing entries) bind:
maps the two test networks of tests/mapper/test_partition.py at 39 sparsity levels on tight chips and
prints every level that needs more cores than some denser level (docs/mapping.md, section 2).

    .venv/bin/python benchmarks/mapper_monotone_probe.py
"""

from __future__ import annotations

import itertools
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from neurosim.errors import FitError  # noqa: E402
from neurosim.mapper import compile_network  # noqa: E402
from neurosim.prune.magnitude import prune_magnitude  # noqa: E402
from tests.mapper.test_partition import CONV, NET, tight_chip  # noqa: E402


def main() -> None:
    worst, cases, increases = 0.0, 0, 0
    grid = itertools.product(((NET, "ff"), (CONV, "conv")), (True, False), (24, 48, 96), (4096, 8192),
                             ("sparse", "bitmap", "auto"))
    for (net, name), share, fan_out, mem, fmt in grid:
        hw = tight_chip(mem=mem, fan_in=512, share=share)
        hw = replace(hw, core=replace(hw.core, max_fan_out_axons=fan_out, routing_table_entries=fan_out))
        best = None
        for s in np.linspace(0, 0.95, 39):
            try:
                n = compile_network(prune_magnitude(net, s), hw, fmt, placement="serpentine", objective="cores").n_cores
            except FitError:
                continue
            cases += 1
            if best is not None and n > best:
                increases += 1
                worst = max(worst, (n - best) / best)
                print(f"increase: {name} share={share} fan_out={fan_out} mem={mem} {fmt} sparsity {s:.3f}: "
                      f"{best} -> {n} cores")
            best = n if best is None else min(best, n)
    print(f"mappings {cases}, increases {increases}, worst relative increase {worst:.3f}")


if __name__ == "__main__":
    main()

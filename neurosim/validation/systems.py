"""Loihi systems: the 32-chip Nahuku board (`loihi_nahuku32`) and Pohoiki Springs (`pohoiki_springs`).

Fitted (named): the board's power apart from its chips on Frady 2020's static power of a 32-chip
board; the system barrier on Frady's two Pohoiki Springs points (256 and 768 chips); the reset energy
per query (the chip's inference_pj, fitted on it, priced once per chip in use). Checked against
the model without being fitted: the time per step of Frady's k-NN query on one board, rebuilt with his
partition (2400 patterns per chip on all 32 chips, each chip generating its own input) — a gap,
explained in docs/validation.md.
"""

from __future__ import annotations

import math
from functools import lru_cache

from neurosim.config import load_hardware
from neurosim.energy import energy_breakdown, idle_power_w
from neurosim.mapper import compile_network
from neurosim.sim import simulate
from neurosim.validation import Result
from neurosim.validation.loihi import KNN_PATTERNS_PER_CHIP, knn_query
from neurosim.validation.published import LOIHI_BARRIER, LOIHI_KNN_RESET, LOIHI_KNN_STEP_32, LOIHI_STATIC_32

KNN_PATTERNS = 76_800


@lru_cache(maxsize=2)
def knn_query_on(system: str = "loihi_nahuku32") -> tuple[float, int, float, float, float]:
    """(mean seconds per step, cores used, packets, chip crossings, reset joules) of one k-NN query on
    `system`, with Frady's partition: the patterns spread evenly over every core of every chip (caps)."""
    hw = load_hardware(system)[0]
    net, x = knn_query(hw, KNN_PATTERNS)
    per_core = math.ceil(KNN_PATTERNS_PER_CHIP / (hw.mesh.n_cores // hw.n_chips))
    chip = compile_network(net, hw, "dense", objective="cores", caps={"match": per_core})
    res = simulate(chip, x)
    counts = res.mean_counts()
    reset = energy_breakdown(counts, 0.0, hw, chip.n_cores)["inferences"]
    return (float(res.latency_s().mean()) / res.steps, chip.n_cores, counts["packets"],
            counts.get("chip_crossings", 0.0), reset)


def results(fast: bool = False) -> list[Result]:
    board = load_hardware("loihi_nahuku32")[0]
    springs = load_hardware("pohoiki_springs")[0]
    boards = springs.system.spec.n_boards
    fit = "fitted: board_static_w = the published figure minus 32 chips' idle (hwconfigs/loihi_nahuku32.yaml)"
    out = [
        Result("nahuku32_static", "loihi_nahuku32", "static power of a 32-chip board", LOIHI_STATIC_32,
               idle_power_w(board, board.mesh.n_cores), "fit", None, fit),
        Result("pohoiki_springs_static_per_32", "pohoiki_springs", "static power per 32 chips, 768 chips",
               LOIHI_STATIC_32, idle_power_w(springs, springs.mesh.n_cores) / boards, "fit", None,
               f"{boards} boards of the same figures"),
    ]
    for chips, fig in LOIHI_BARRIER.items():
        out.append(Result(f"pohoiki_springs_barrier_{chips}", "pohoiki_springs",
                          f"system barrier, {chips} chips in use", fig, springs.system.spec.barrier_at(chips), "fit",
                          None, "fitted: barrier_s points, linear in log2(chips)"))
    step, cores, packets, crossings, reset = knn_query_on()
    out.append(Result("nahuku32_knn_reset", "loihi_nahuku32", "k-NN query, state reset energy, 32 chips",
                      LOIHI_KNN_RESET, reset, "fit", None,
                      "fitted: loihi inference_pj = the published figure / 32; each chip in use resets its own state"))
    out.append(Result("nahuku32_knn_step_time", "loihi_nahuku32", "k-NN query, time per step, 32 chips",
                      LOIHI_KNN_STEP_32, step, "gap", 0.15,
                      f"76,800 patterns x 1000 8-bit weights on {cores} cores of 32 chips (Frady's 2400 per chip); "
                      f"each chip generates its own input, one packet per spike and core ({packets / 1e6:.2f} M "
                      f"packets, {crossings / 1e6:.1f} M chip crossings per query); the barrier alone, "
                      f"{board.system.spec.barrier_at(32) * 1e6:.1f} us at 32 chips on the log2 curve through "
                      "Frady's 256/768-chip points, exceeds the measured step"))
    return out

"""Validation of the chip presets against published silicon figures (docs/validation.md).

Every target rebuilds a published experiment (workload, chip, operating point) and runs it through
neurosim's own mapper, simulator and pricing; each result says whether the published figure was used
to fit the preset (`fit`: it cannot count as validation), is a micro-benchmark of a per-op figure
(`micro-benchmark`: exact by construction), was not used in any fit and lands within its tolerance
(`validation`), or was not used in any fit and is missed (`gap`: shown with what explains it, never
counted as validated). `neurosim validation` prints the table; tests/validation asserts it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from neurosim.validation.published import Figure

ROLES = ("fit", "micro-benchmark", "validation", "gap")


@dataclass(frozen=True)
class Result:
    """One published figure next to neurosim's."""

    target: str             # short id
    chip: str               # preset used
    quantity: str           # what was measured, under which conditions
    published: Figure
    neurosim: float         # in published.unit
    role: str               # one of ROLES
    tolerance: float | None  # relative error allowed (validation targets)
    note: str = ""          # how it was rebuilt, what explains the gap

    @property
    def error(self) -> float:
        return (self.neurosim - self.published.value) / self.published.value

    @property
    def within(self) -> bool:
        return self.tolerance is None or abs(self.error) <= self.tolerance


def _groups() -> dict[str, Callable[[bool], list[Result]]]:
    from neurosim.validation import loihi, microbench, odin, systems, truenorth

    return {"loihi_davies2018": microbench.results, "truenorth": truenorth.results, "loihi": loihi.results,
            "odin": odin.results, "loihi_systems": systems.results}


def run(fast: bool = False, only: list[str] | None = None) -> list[Result]:
    """Every target (or those of the chips in `only`); `fast` simulates smaller samples of the large
    workloads (the tests' setting)."""
    out: list[Result] = []
    for chip, fn in _groups().items():
        if only is None or chip in only:
            out += fn(fast)
    return out


def chips() -> list[str]:
    return list(_groups())


def display_unit(value: float, unit: str) -> tuple[float, str]:
    """(factor, unit) that shows `value` readably: W → mW/uW, J → mJ/uJ/nJ/pJ, s → us/ns."""
    prefixes = {"W": [(1e-3, "mW"), (1e-6, "uW")], "J": [(1e-3, "mJ"), (1e-6, "uJ"), (1e-9, "nJ"), (1e-12, "pJ")],
                "s": [(1e-6, "us"), (1e-9, "ns")]}
    options = prefixes.get(unit, [])
    for f, u in options:
        if abs(value) >= f:
            return f, u
    return options[-1] if options else (1.0, unit)


def markdown_table(results: list[Result]) -> str:
    """The results as a markdown table (docs/validation.md)."""
    lines = ["| target | chip | quantity | published | neurosim | error | role | grade | source |",
             "|---|---|---|---|---|---|---|---|---|"]
    for r in results:
        f, u = display_unit(r.published.value, r.published.unit)
        tol = "" if r.tolerance is None else f" (±{100 * r.tolerance:.0f} %{'' if r.within else ', OUTSIDE'})"
        lines.append(f"| {r.target} | {r.chip} | {r.quantity} | {r.published.value / f:.4g} {u} | "
                     f"{r.neurosim / f:.4g} {u} | {100 * r.error:+.1f} %{tol} | {r.role} | {r.published.grade} | "
                     f"{r.published.source} |")
    return "\n".join(lines)

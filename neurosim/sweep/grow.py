"""A network too big for one chip goes to a system of that chip: the shipped system presets built of
the chip, smallest first. Only an unedited chip preset grows (a user's own chip file has no system
made of it; they write one, docs/config_reference.md, Systems)."""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import TypeVar

from neurosim.config import Hardware, load_hardware
from neurosim.config.presets import is_preset, preset_names
from neurosim.errors import FitError

T = TypeVar("T")


@cache
def _system_presets() -> tuple[tuple[str, str, int], ...]:
    """(system preset, chip preset it is built of, number of chips) of every shipped system."""
    out = []
    for name in preset_names("hwconfigs"):
        hw = load_hardware(name)[0]
        if hw.system is not None:
            out.append((name, hw.system.spec.chip, hw.system.spec.n_chips))
    return tuple(sorted(out, key=lambda t: t[2]))


def systems_of(chip_name: str, chip_path) -> list[str]:
    """System presets built of the chip preset `chip_name`, fewest chips first; none for a chip that is
    not an unedited shipped preset."""
    if not is_preset(chip_path, "hwconfigs"):
        return []
    return [name for name, of, _ in _system_presets() if of == chip_name]


def first_system_that_fits(chip_name: str, chip_path, compile_on: Callable[[tuple[Hardware, Path, str]], T]
                           ) -> tuple[tuple[Hardware, Path, str], T] | None:
    """(the system as `load_hardware` returns it, `compile_on` of that) for the smallest system of the
    chip preset that `compile_on` fits without a FitError; None when no shipped system of it does."""
    for name in systems_of(chip_name, chip_path):
        loaded = load_hardware(name)
        try:
            return loaded, compile_on(loaded)
        except FitError:
            continue
    return None

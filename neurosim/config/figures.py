"""The sourced figures of a chip (every `Quantity`, by key path) checked against the shipped presets:
a value many orders of magnitude from every preset's is probably in the wrong unit, and a value that
differs from a preset's while citing that preset's source was edited without saying so.
"""

from __future__ import annotations

import dataclasses
import math
from functools import lru_cache

from neurosim.config.schema import Quantity

PLAUSIBLE_FACTOR = 1e4   # presets span ~100× for one key (TrueNorth to Loihi); 10⁴ beyond them is a unit slip


def figures(obj, prefix: str = "") -> dict[str, tuple[Quantity, str | None]]:
    """{key path: (figure, unit)} of every Quantity in a config object, nested sections included."""
    out: dict[str, tuple[Quantity, str | None]] = {}
    for f in dataclasses.fields(obj):
        v = getattr(obj, f.name)
        path = f"{prefix}{f.name}"
        if isinstance(v, Quantity):
            out[path] = (v, f.metadata.get("unit"))
        elif dataclasses.is_dataclass(v) and not isinstance(v, type):
            out.update(figures(v, path + "."))
    return out


@lru_cache(maxsize=1)
def preset_figures() -> dict[str, list[tuple[str, Quantity]]]:
    """{key path: [(preset name, figure), ...]} over the shipped chip presets."""
    from neurosim.config import load_hardware, preset_names

    out: dict[str, list[tuple[str, Quantity]]] = {}
    for name in preset_names("hwconfigs"):
        for path, (q, _) in figures(load_hardware(name)[0]).items():
            out.setdefault(path, []).append((name, q))
    return out


def implausible(hw) -> list[str]:
    """One sentence per figure more than PLAUSIBLE_FACTOR beyond every preset's nonzero value of the key."""
    out = []
    for path, (q, unit) in figures(hw).items():
        known = [p.value for _, p in preset_figures().get(path, []) if p.value > 0]
        if q.value <= 0 or not known:
            continue
        lo, hi = min(known), max(known)
        if q.value > hi * PLAUSIBLE_FACTOR or q.value < lo / PLAUSIBLE_FACTOR:
            ratio = q.value / (hi if q.value > hi else lo)
            unit_text = f" {unit}" if unit else ""
            out.append(f"{path} = {q.value:g}{unit_text} is {ratio:.0e} × the presets' "
                       f"{'largest' if ratio > 1 else 'smallest'} ({hi if ratio > 1 else lo:g}{unit_text}); "
                       f"the key is in{unit_text or ' its unit'}: check the unit")
    return out


def edited(hw) -> list[dict]:
    """Figures whose source is a preset's source for the same key but whose value is not that preset's
    (an edited number still citing the paper): recorded in provenance, so results say so."""
    out = []
    for path, (q, _) in figures(hw).items():
        for name, p in preset_figures().get(path, []):
            if p.source == q.source and not math.isclose(p.value, q.value, rel_tol=1e-9, abs_tol=0.0):
                out.append({"key": path, "value": q.value, "source": q.source, "preset": name,
                            "preset_value": p.value})
                break
    return out

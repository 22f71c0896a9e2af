"""Find chip and workload files by preset name or path.

Presets live in the top-level `hwconfigs/` and `workloads/` folders, which are installed as the
package data `neurosim.hwconfigs` and `neurosim.workloads`.
"""

from __future__ import annotations

from pathlib import Path

from neurosim.errors import ConfigError, shown

_PACKAGE = Path(__file__).resolve().parents[1]


def _preset_dir(kind: str) -> Path:
    """Installed package data (neurosim/<kind>), else the repository's top-level folder."""
    installed = _PACKAGE / kind
    return installed if installed.is_dir() else _PACKAGE.parent / kind


def preset_names(kind: str = "hwconfigs") -> list[str]:
    """Names of the shipped presets of `kind` ('hwconfigs' or 'workloads')."""
    return sorted(p.stem for p in _preset_dir(kind).glob("*.yaml"))


def is_preset(path: Path, kind: str) -> bool:
    """Whether `path` is one of the shipped presets of `kind`."""
    try:
        return path.resolve().parent == _preset_dir(kind).resolve()
    except OSError:
        return False


def _is_file(p: Path) -> bool:
    try:
        return p.is_file()
    except OSError:  # a name too long for a path, ...
        return False


def resolve(name_or_path: str, kind: str = "hwconfigs") -> Path:
    """A path that exists, or the shipped preset of that name; otherwise a ConfigError listing presets."""
    p = Path(name_or_path)
    if _is_file(p):
        return p
    if p.suffix in ("", ".yaml") and p.parent == Path("."):
        candidate = _preset_dir(kind) / f"{p.stem}.yaml"
        if _is_file(candidate):
            return candidate
    names = ", ".join(preset_names(kind)) or "(none found)"
    raise ConfigError(f"{shown(name_or_path)}: no such file and no such preset; presets: {names} "
                      f"(or give the path of a YAML file)")

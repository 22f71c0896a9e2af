"""YAML → frozen, validated dataclasses (`Hardware`, `Workload`); preset lookup; error messages."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from neurosim.config.hardware import Hardware
from neurosim.config.presets import is_preset, preset_names, resolve
from neurosim.config.schema import Quantity, load_node, parse_mapping, read_yaml
from neurosim.config.workload import Workload
from neurosim.errors import ConfigError

__all__ = ["Hardware", "Workload", "Quantity", "as_workload", "join_system", "load_hardware", "load_workload",
           "load_any", "parse_mapping", "preset_names", "resolve", "read_yaml"]


def load_hardware(name_or_path: str | Path) -> tuple[Hardware, Path, str]:
    """Chip or system file, or preset name → (Hardware, resolved path, sha256 of the file; of a system
    file, of it and its chip's). A system file (`config.system`) becomes one Hardware spanning all its
    chips. A user's file is checked against the presets: figures far beyond every preset's (a unit
    slip?) and figures edited while still citing a preset's source are reported as warnings."""
    path = resolve(str(name_or_path), "hwconfigs")
    data, _ = read_yaml(path)
    if "chip" in data:
        return _load_system(path)
    hw, digest = load_node(Hardware, path)
    if not is_preset(path, "hwconfigs"):
        from neurosim.config.figures import edited, implausible
        from neurosim.progress import say

        for w in implausible(hw):
            say(f"neurosim: warning: {path}: {w}")
        for e in edited(hw):
            say(f"neurosim: warning: {path}: {e['key']} = {e['value']:g} cites '{e['source']}', whose value is "
                f"{e['preset_value']:g} (preset {e['preset']}); say where the new value comes from")
    return hw, path, digest


def _load_system(path: Path) -> tuple[Hardware, Path, str]:
    """A system file: its chip joined `chips_x` × `chips_y` times into one mesh (`config.system`)."""
    import hashlib

    from neurosim.config.system import System

    sysdef, digest = load_node(System, path)
    hw, chip_digest = join_system(sysdef, path)
    return hw, path, hashlib.sha256((digest + chip_digest).encode()).hexdigest()


def join_system(sysdef, path: Path) -> tuple[Hardware, str]:
    """(the Hardware of system `sysdef`, read from file `path`: its chip's mesh repeated chips_x ×
    chips_y times; the chip file's sha256). A relative chip file is taken relative to `path`."""
    from neurosim.config.system import SystemLayout

    chip_ref = Path(sysdef.chip)
    if not chip_ref.is_absolute() and (path.parent / chip_ref).is_file():
        chip_ref = path.parent / chip_ref
    chip_path = resolve(str(chip_ref), "hwconfigs")
    if "chip" in read_yaml(chip_path)[0]:
        raise ConfigError(f"{path}: chip: {sysdef.chip} is itself a system; name a chip file or preset")
    chip, _, chip_digest = load_hardware(chip_path)
    if sysdef.input_ports == "per_chip" and chip.noc.multicast != "unicast":
        raise ConfigError(f"{path}: input_ports: per_chip needs a unicast chip, and {chip_path} has noc.multicast: "
                          f"{chip.noc.multicast}; use input_ports: one")
    mesh = replace(chip.mesh, cols=chip.mesh.cols * sysdef.chips_x, rows=chip.mesh.rows * sysdef.chips_y,
                   source=f"{sysdef.chips_x} x {sysdef.chips_y} chips of {chip.name}: {sysdef.source}")
    hw = replace(chip, name=sysdef.name, description=sysdef.description or chip.description, mesh=mesh,
                 system=SystemLayout(spec=sysdef, chip_cols=chip.mesh.cols, chip_rows=chip.mesh.rows))
    return hw, chip_digest


def load_workload(name_or_path: str | Path) -> tuple[Workload, Path, str]:
    """Workload file or preset name → (Workload, resolved path, sha256 of the file). A relative npz
    dataset path is taken relative to the workload file when it is not found from the current
    directory, so every command and API reads the same file."""
    path = resolve(str(name_or_path), "workloads")
    wl, digest = load_node(Workload, path)
    m = wl.network.model
    if m is not None and m.dataset == "npz" and m.path and not Path(m.path).is_absolute() \
            and not Path(m.path).exists() and (path.resolve().parent / m.path).exists():
        wl = replace(wl, network=replace(wl.network, model=replace(m, path=str(path.resolve().parent / m.path))))
    return wl, path, digest


def as_workload(workload: Workload | str | Path) -> Workload:
    """A loaded `Workload` as is; a file or preset name through `load_workload`."""
    return workload if isinstance(workload, Workload) else load_workload(workload)[0]


def load_any(path: str | Path) -> tuple[str, object]:
    """Validate a file (or preset name) of either kind: a file with a `core` key is a chip, otherwise a
    workload."""
    try:
        path = resolve(str(path), "hwconfigs")
    except ConfigError:
        path = resolve(str(path), "workloads")
    data, _ = read_yaml(path)
    if "core" in data or "mesh" in data or "chip" in data:
        return "hardware", load_hardware(path)[0]
    return "workload", load_workload(path)[0]

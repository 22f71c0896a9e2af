"""The Python entry point: `neurosim.run(...)`, the `neurosim run` command as a function.

    import neurosim
    records = neurosim.run("mnist_mlp", hardware=["loihi", "truenorth"])
    df = neurosim.run("ff784", hardware="loihi", as_dataframe=True)     # needs pandas

It returns one record per (pruning level, chip) (docs/records.md) and, with `out`, writes the same
files as the command (results.json/csv, plots, report.md) into that folder.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

from neurosim.errors import MissingExtraError


def run(workload: str | Path, hardware: str | Path | list[str | Path] | None = None, *, out: str | Path | None = None,
        format: str = "auto", objective: str = "auto", as_dataframe: bool = False, progress: bool | None = False,
        check_limits: bool = True, fit: bool = False):
    """Every pruning level of `workload` (preset name or YAML file) on every chip of `hardware` (preset
    names or files; default: the workload's `hardware` list). Returns the records (a list of dicts,
    or a pandas DataFrame with nested fields flattened as `a.b` when `as_dataframe`). With `out`,
    also writes results.json, results.csv, the plots and report.md there, as `neurosim run` does, and
    finished points resume from `out/points`. `progress`: show progress bars on stderr (None: as
    `neurosim.progress.set_verbosity` says). `fit`: prune every level to fit the budgets of all these
    chips (`pruning.fit_to`). User mistakes raise `neurosim.errors.UserError`."""
    from neurosim.config import load_hardware, load_workload
    from neurosim.files import output_folder
    from neurosim.progress import NORMAL, QUIET, set_verbosity, verbosity
    from neurosim.report import all_plots, write_index, write_results
    from neurosim.sweep.pipeline import Chip, MapOptions, run_workload

    wl, wl_path, wl_sha = load_workload(workload)
    names = wl.hardware if hardware is None else [hardware] if isinstance(hardware, str | Path) else hardware
    chips = [Chip(*load_hardware(h)) for h in names]
    if fit:
        wl = dataclasses.replace(wl, pruning=dataclasses.replace(wl.pruning, fit_to=tuple(str(c.path) for c in chips)))
    mapping = MapOptions(format, objective)
    before = verbosity()
    if progress is not None:
        set_verbosity(max(before, NORMAL) if progress else QUIET)
    show = verbosity() >= NORMAL
    try:
        if out is None:
            records = run_workload(wl, wl_path, wl_sha, chips, mapping, progress=show, check_limits=check_limits)[1]
        else:
            out = Path(out)
            with output_folder(out, option="out"):
                prov, records = run_workload(wl, wl_path, wl_sha, chips, mapping, points_dir=out / "points",
                                             progress=show, check_limits=check_limits)
                write_results(out, prov, records)
                write_index(out, f"neurosim: {wl.name}", prov, records, all_plots(records, out, wl.name))
    finally:
        set_verbosity(before)
    return as_table(records) if as_dataframe else records


def as_table(records: list[dict]):
    """Records as a pandas DataFrame, one row per record, nested fields flattened (`a.b`)."""
    try:
        import pandas as pd
    except ImportError:
        raise MissingExtraError("as_dataframe=True needs pandas: pip install pandas") from None
    return pd.json_normalize(records)

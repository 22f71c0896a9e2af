"""The `neurosim` command. User mistakes end in one line on stderr and exit code 2."""

from __future__ import annotations

import argparse
import math
import os
import sys
import typing
from pathlib import Path

from neurosim import __version__
from neurosim.errors import UserError, shown
from neurosim.files import output_folder

FORMAT_CHOICES = ("auto", "dense", "sparse", "bitmap", "conv_shared")
OBJECTIVE_CHOICES = ("auto", "cores", "latency")
OBJECTIVE_HELP = ("mapping objective: cores (fewest), latency (spread the busiest layers over more cores) or auto "
                  "(latency on chips whose unused cores are not power-gated and whose steps are not paced by a "
                  "fixed tick, else cores; default)")


def format_table(records: list[dict]) -> str:
    """The at-a-glance table printed by `neurosim run` (report.md's cells without the method)."""
    from neurosim.report.index import result_cells

    head = ["chip", "sparsity", "accuracy", "SOPs/inf", "energy/inf (uJ)", "latency (us)", "inf/s", "cores",
            "syn mem (KiB)"]
    rows = [[c for i, c in enumerate(result_cells(r, none="-")) if i != 1] for r in records]
    widths = [max(len(h), *(len(row[i]) for row in rows)) for i, h in enumerate(head)]
    lines = ["  ".join(h.rjust(w) for h, w in zip(head, widths, strict=True))]
    lines += ["  ".join(c.rjust(w) for c, w in zip(row, widths, strict=True)) for row in rows]
    return "\n".join(lines)


def _all_unfit(records: list[dict], where: Path) -> None:
    """Nothing fits: a user error (the first level's reason), after the records (fits: false) are written."""
    if not any(r.get("fits") for r in records):
        raise UserError(f"{records[0]['fit_error']} (no level fits; the records, with fits: false, are in {where})")


def interval_note(records: list[dict]) -> str:
    """A line saying which points ended with intervals wider than their target (empty if none)."""
    wide = [r for r in records if r.get("fits") and r.get("ci_target_met") is False]
    if not wide:
        return ""
    worst = max(r["ci_half_width"] or math.inf for r in wide)
    return (f"note: {len(wide)} of {len(records)} points keep 95 % intervals wider than the target (up to "
            f"±{100 * worst:.1f} %) after {max(r['inputs_simulated'] for r in wide)} inputs; raise "
            f"simulation.max_samples for tighter ones")


def cmd_run(a: argparse.Namespace) -> int:
    from neurosim.api import run

    out = Path(a.out)
    # locked; removed again if this run made it and fails (nothing half-written)
    records = run(a.workload, a.hw, out=out, format=a.format, objective=a.objective, progress=None,
                  check_limits=not a.ignore_limits, fit=a.fit)
    print(format_table(records))
    _all_unfit(records, out / "results.json")
    note = interval_note(records)
    print(f"\n{note}" if note else "", end="")
    print(f"\nwrote {out / 'report.md'} (table and plots), {out / 'results.json'}, {out / 'results.csv'}")
    return 0


def cmd_dse(a: argparse.Namespace) -> int:
    from neurosim.config import load_workload
    from neurosim.report import all_plots, write_index, write_results
    from neurosim.report.plots import pareto, variant_ranking
    from neurosim.sweep.grid import parse_vary, run_grid, variants
    from neurosim.sweep.pipeline import MapOptions

    wl, wl_path, wl_sha = load_workload(a.workload)
    chips = variants(a.hw or wl.hardware[0], parse_vary(a.vary or []))
    out = Path(a.out)
    with output_folder(out):
        prov, records = run_grid(wl, wl_path, wl_sha, chips, MapOptions(a.format, a.objective), out / "points",
                                 a.workers, a.scheduler, check_limits=not a.ignore_limits)
        jpath, _ = write_results(out, prov, records)
        plots = pareto(records, out, f"{wl.name}: design space of {a.hw or wl.hardware[0]}")
        plots += variant_ranking(records, out, f"{wl.name}: variants of {a.hw or wl.hardware[0]} ranked by energy")
        plots += all_plots(records, out, wl.name)
        index = write_index(out, f"neurosim design-space exploration: {wl.name}", prov, records, plots)
    print(format_table(records))
    _all_unfit(records, jpath)
    note = interval_note(records)
    print(f"\n{note}" if note else "", end="")
    print(f"\n{len(chips)} chip variants x {len(wl.pruning.levels)} levels; wrote {index}")
    return 0


EXPERIMENT_OVERRIDES = ("prune_epochs", "finetune_epochs", "interval", "regrowth_ratio", "growth_rate", "bn_l1",
                        "bn_l1_mode")


def cmd_experiment(a: argparse.Namespace) -> int:
    import dataclasses

    from neurosim.config import load_workload, parse_mapping
    from neurosim.config.workload import Pruning
    from neurosim.progress import say as log
    from neurosim.prune.experiment import STRUCTURED, UNSTRUCTURED, parse_method, run_experiment, write_outputs

    if a.kind == "structure":
        return _structure_study(a)
    wl = load_workload(a.workload)[0]
    over = {k: getattr(a, k) for k in EXPERIMENT_OVERRIDES if getattr(a, k) is not None}
    merged = {**dataclasses.asdict(wl.pruning), **over, "levels": list(a.levels)}
    merged = {k: list(v) if isinstance(v, tuple) else v for k, v in merged.items()}
    wl = dataclasses.replace(wl, pruning=parse_mapping(Pruning, merged, "command line (pruning)"))
    methods = a.methods or list(STRUCTURED if a.structured else UNSTRUCTURED)
    for m in methods:
        parse_method(m)  # a typo ends here, before any training
    p = wl.pruning
    log(f"[neurosim] {wl.name}: methods {methods}, levels {a.levels}, seeds 0..{a.seeds - 1}; Np={p.prune_epochs} "
        f"Nf={p.finetune_epochs} interval={p.interval} r={p.regrowth_ratio} growth_rate={p.growth_rate}")
    with output_folder(Path(a.out)):
        records = run_experiment(wl, methods, a.levels, range(a.seeds), Path(a.out), log=log)
        summary = write_outputs(records, Path(a.out), f"{wl.name}: accuracy vs connection sparsity")
    print(summary)
    return 0


def _structure_study(a: argparse.Namespace) -> int:
    """`experiment structure`: channel and weight pruning at equal parameter counts, on the chips."""
    from neurosim.config import load_hardware, load_workload
    from neurosim.files import write_atomic
    from neurosim.report import all_plots, write_index, write_results
    from neurosim.sweep.pipeline import Chip, MapOptions
    from neurosim.sweep.structure import comparison_table, run_structure_study

    wl, wl_path, wl_sha = load_workload(a.workload)
    if wl.network.model is None:
        raise UserError(f"{a.workload}: experiment structure trains and prunes a network (network.model); this "
                        "workload has none")
    chips = [Chip(*load_hardware(h)) for h in (a.hw or wl.hardware)]
    out = Path(a.out)
    with output_folder(out):
        prov, records = run_structure_study(wl, wl_path, wl_sha, chips, [lv for lv in a.levels if lv > 0],
                                            MapOptions(), out / "points")
        write_results(out, prov, records)
        table = comparison_table(records)
        write_atomic(out / "comparison.md", f"# {wl.name}: channels vs weights at equal parameter counts\n\n"
                     + table + "\n")
        plots = all_plots([{**r, "method": r["structure"]} for r in records], out, f"{wl.name} (channels vs weights)")
        write_index(out, f"neurosim: {wl.name}, channels vs weights", prov, records, plots)
    print(table)
    print(f"\nwrote {out / 'comparison.md'} and {out / 'report.md'}")
    return 0


def cmd_plot(a: argparse.Namespace) -> int:
    from neurosim.report import all_plots, read_results, write_index

    records, provs = [], []
    for f in a.results:
        data = read_results(Path(f))
        run = Path(f).parent.name or Path(f).stem
        for r in data["records"]:
            records.append({**r, "run": run})
        provs.append(data["provenance"])
    out = Path(a.out)
    with output_folder(out):
        plots = all_plots(records, out)
        index = write_index(out, "neurosim: " + " vs ".join(a.results), provs[0], records, plots)
    print(f"wrote {index} and {len(plots)} plot files to {out}")
    return 0


def cmd_train(a: argparse.Namespace) -> int:
    import json

    from neurosim.config import load_workload
    from neurosim.files import write_atomic
    from neurosim.snn import train_workload
    from neurosim.sweep.budget import check_budget, estimate_training

    wl, wl_path, _ = load_workload(a.workload)
    if wl.network.model is None:
        raise UserError(f"{a.workload}: network.model is not set; `neurosim train` trains workloads that name a "
                        f"dataset and an architecture (see workloads/mnist_mlp.yaml)")
    if not a.ignore_limits:
        check_budget(estimate_training(wl, wl_path))
    out = Path(a.out)
    with output_folder(out):
        trained = train_workload(wl, seed=a.seed, use_cache=not a.no_cache)
        write_atomic(out / "metrics.json", json.dumps(trained.metrics, indent=1, allow_nan=False))
    print(json.dumps({k: v for k, v in trained.metrics.items() if not isinstance(v, list | dict)}, indent=1))
    return 0


def cmd_validate(a: argparse.Namespace) -> int:
    from neurosim.config import load_any

    for f in a.files:
        kind, obj = load_any(f)
        print(f"{f}: valid {kind} '{obj.name}'")
    return 0


def cmd_validation(a: argparse.Namespace) -> int:
    from neurosim.files import write_atomic
    from neurosim.validation import chips, display_unit, markdown_table, run

    if a.fit:
        from neurosim.config import load_hardware
        from neurosim.validation.truenorth import fit_truenorth

        hw = load_hardware("truenorth")[0]
        f = fit_truenorth()
        rows = [("energy.synaptic_op_pj", f.synaptic_op_pj, hw.energy.synaptic_op_pj.value),
                ("energy.core_step_pj", f.core_step_pj, hw.energy.core_step_pj.value),
                ("power.core_static_w", f.core_static_w, hw.power.core_static_w.value),
                ("operating.leakage_per_volt", f.leakage_per_volt, hw.operating.leakage_per_volt.value)]
        print("truenorth fit (named published points: neurosim.validation.truenorth)")
        for key, fitted, preset in rows:
            print(f"  {key:28s} fitted {fitted:.6g}   preset {preset:.6g}")
        from neurosim.validation.published import TN_FIG17, TN_V1

        print("chip power of the characterisation network, closed form, by leakage law:")
        fits = {law: fit_truenorth(law) for law in ("linear", "exponential")}
        for (v, r, s), fig in {**TN_V1, **TN_FIG17}.items():
            errs = "  ".join(f"{law} {100 * (f.chip_power_w(v, r, s) / fig.value - 1):+6.1f} %"
                             for law, f in fits.items())
            print(f"  {v:5.3f} V {r:6.2f} Hz {s:3d} syn: published {fig.value * 1e3:5.1f} mW   {errs}")
        return 0
    unknown = [c for c in a.chip or [] if c not in chips()]
    if unknown:
        raise UserError(f"--chip {unknown[0]}: no validation targets for it; choose from {', '.join(chips())}")
    results = run(fast=a.fast, only=a.chip)
    for r in results:
        f, u = display_unit(r.published.value, r.published.unit)
        flag = "" if r.within else "  OUTSIDE"
        print(f"{r.target:34s} {r.role:15s} published {r.published.value / f:9.4g} {u:3s} neurosim "
              f"{r.neurosim / f:9.4g} {u:3s} {100 * r.error:+7.1f} %{flag}")
    if a.markdown:
        write_atomic(Path(a.markdown), markdown_table(results) + "\n")
        print(f"\nwrote {a.markdown}")
    failed = [r.target for r in results if r.role == "validation" and not r.within]
    if failed:
        print(f"neurosim: {len(failed)} validation target(s) outside tolerance: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


def cmd_presets(a: argparse.Namespace) -> int:
    from neurosim.config import load_hardware, preset_names

    for name in preset_names("hwconfigs"):
        hw, path, _ = load_hardware(name)
        print(f"{name:18s} {hw.mesh.n_cores:5d} cores  {hw.description.split(';')[0]}")
    print("\nworkloads: " + ", ".join(preset_names("workloads")))
    return 0


def cmd_map(a: argparse.Namespace) -> int:
    from neurosim.config import load_hardware, load_workload
    from neurosim.errors import FitError
    from neurosim.ir import quantize
    from neurosim.mapper import compile_network
    from neurosim.mapper.report import fit_report
    from neurosim.sweep.budget import check_budget, estimate_workload
    from neurosim.sweep.grow import first_system_that_fits
    from neurosim.sweep.sources import Source, make_source

    wl, wl_path, _ = load_workload(a.workload)
    hw, hw_path, _ = load_hardware(a.hw or wl.hardware[0])
    if not a.ignore_limits:
        check_budget(estimate_workload(wl, wl_path, n_chips=1, levels=1))
    source = make_source(wl, wl_path)
    # magnitude pruning of the network as run, whatever the workload's method (no training here); an
    # imported network's own zeros count towards the sparsity asked for
    net = Source.level(source, a.sparsity).network if a.sparsity else source.dense

    def compile_on(chip_hw):
        qnet = quantize(net, chip_hw.core.weight_bits, chip_hw.core.state_bits)
        # expected traffic for the traffic-aware placement: a profiling run on the workload's sample inputs
        return compile_network(qnet, chip_hw, a.format, inputs=source.inputs_for(qnet), objective=a.objective)

    try:
        chip = compile_on(hw)
    except FitError:
        found = first_system_that_fits(hw.name, hw_path, lambda loaded: compile_on(loaded[0]))
        if found is None:
            raise
        (system, _, _), chip = found
        print(f"does not fit one {hw.name}: mapped onto {system.name}")
    print(fit_report(chip))
    return 0


class _Parser(argparse.ArgumentParser):
    """argparse with the CLI's error style: one line on stderr, exit 2 (not the usage block)."""

    def error(self, message: str) -> typing.NoReturn:
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def _count(low: int):
    """An argparse type: an integer >= low."""
    def parse(text: str) -> int:
        try:
            v = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected an integer >= {low}, got {text!r}") from None
        if v < low or v > 2**31:
            raise argparse.ArgumentTypeError(f"expected an integer in [{low}, 2^31], got {text}")
        return v
    return parse


def _fraction(text: str) -> float:
    """An argparse type: a sparsity in [0, 1)."""
    try:
        v = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a sparsity in [0, 1), got {text!r}") from None
    if not 0.0 <= v < 1.0:
        raise argparse.ArgumentTypeError(f"expected a sparsity in [0, 1), got {text}")
    return v


LIMITS_HELP = ("run even when the size estimate exceeds this machine's memory or a week of compute (the run may "
               "then fail or take that long)")


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(prog="neurosim", description="What a pruned spiking network costs on "
                                "neuromorphic hardware: prune, map, simulate, report.")
    p.add_argument("--version", action="version", version=f"neurosim {__version__}")
    sub = p.add_subparsers(dest="command", required=True, parser_class=_Parser)
    loud = _Parser(add_help=False)
    group = loud.add_mutually_exclusive_group()
    group.add_argument("-q", "--quiet", dest="verbosity", action="store_const", const=0, default=1,
                       help="print only the results and errors (no progress)")
    group.add_argument("-v", "--verbose", dest="verbosity", action="store_const", const=2,
                       help="also print each step's details (pruning, caches)")
    _add = sub.add_parser
    sub.add_parser = lambda *a, **k: _add(*a, parents=[loud], **k)   # every command takes -q / -v

    r = sub.add_parser("run", help="every pruning level of a workload on one or more chips")
    r.add_argument("workload", help="workload YAML file or preset name (e.g. ff784)")
    r.add_argument("--hw", action="append", help="chip YAML file or preset name; repeat for several "
                   "(default: the workload's `hardware` list)")
    r.add_argument("--out", default="results", help="output folder (default: results)")
    r.add_argument("--format", default="auto", choices=FORMAT_CHOICES, help="synapse format (default: auto, the "
                   "smallest per projection)")
    r.add_argument("--objective", default="auto", choices=OBJECTIVE_CHOICES, help=OBJECTIVE_HELP)
    r.add_argument("--ignore-limits", action="store_true", help=LIMITS_HELP)
    r.add_argument("--fit", action="store_true", help="prune every level to fit the budgets of all the chips of the "
                   "run (sources per layer, neurons; the workload key pruning.fit_to), so one network runs on all")
    r.set_defaults(func=cmd_run)

    v = sub.add_parser("validate", help="check chip or workload YAML files")
    v.add_argument("files", nargs="+")
    v.set_defaults(func=cmd_validate)

    s = sub.add_parser("presets", help="list the shipped chip and workload presets")
    s.set_defaults(func=cmd_presets)

    d = sub.add_parser("dse", help="design-space exploration: every level on a grid of chip variants")
    d.add_argument("workload")
    d.add_argument("--hw", help="base chip YAML file or preset (default: the workload's first chip)")
    d.add_argument("--vary", action="append", metavar="KEY.PATH=V1,V2",
                   help="chip key to vary, e.g. core.synapse_memory_bits=262144,524288; repeat for a grid")
    d.add_argument("--out", default="dse", help="output folder (default: dse)")
    d.add_argument("--format", default="auto", choices=FORMAT_CHOICES)
    d.add_argument("--workers", type=_count(1), default=1, help="processes running sweep points in parallel")
    d.add_argument("--scheduler", default=None, metavar="ADDRESS|local",
                   help="run the sweep points on a Dask cluster: a scheduler address (tcp://host:8786; workers "
                        "must share the files) or local (a local cluster of --workers processes); needs the "
                        "'distributed' extra")
    d.add_argument("--objective", default="auto", choices=OBJECTIVE_CHOICES, help=OBJECTIVE_HELP)
    d.add_argument("--ignore-limits", action="store_true", help=LIMITS_HELP)
    d.set_defaults(func=cmd_dse)

    e = sub.add_parser("experiment", help="pruning: accuracy vs sparsity per method over seeds; structure: channel "
                       "vs weight pruning at equal parameter counts on the chips")
    e.add_argument("kind", choices=["pruning", "structure"])
    e.add_argument("workload")
    e.add_argument("--methods", nargs="+", default=None, metavar="METHOD[:grad|prim[:all|exact]]",
                   help="default: every unstructured method, or every structured one with --structured")
    e.add_argument("--structured", action="store_true", help="the channel (slimming) methods")
    e.add_argument("--levels", nargs="+", type=_fraction, default=[0.0, 0.8, 0.9, 0.95, 0.98])
    e.add_argument("--seeds", type=_count(1), default=5, help="seeds 0..N-1 (default 5)")
    e.add_argument("--out", required=True, help="folder; records.jsonl (points/ for structure) there makes a rerun "
                   "resume")
    e.add_argument("--hw", action="append", help="structure: chips to run on (default: the workload's)")
    for name in EXPERIMENT_OVERRIDES:
        kind = {"prune_epochs": _count(1), "finetune_epochs": _count(0), "interval": _count(1),
                "bn_l1_mode": str}.get(name, float)
        e.add_argument("--" + name.replace("_", "-"), type=kind, default=None, help=f"override pruning.{name}")
    e.set_defaults(func=cmd_experiment)

    pl = sub.add_parser("plot", help="re-plot and compare earlier runs' results.json files")
    pl.add_argument("results", nargs="+", help="results.json files")
    pl.add_argument("--out", default="plots", help="output folder (default: plots)")
    pl.set_defaults(func=cmd_plot)

    t = sub.add_parser("train", help="train a workload's network (cached by configuration hash)")
    t.add_argument("workload")
    t.add_argument("--out", default="train", help="folder for metrics.json (default: train)")
    t.add_argument("--seed", type=_count(0), default=None, help="seed (default: the workload's)")
    t.add_argument("--no-cache", action="store_true", help="retrain even if a checkpoint exists")
    t.add_argument("--ignore-limits", action="store_true", help=LIMITS_HELP)
    t.set_defaults(func=cmd_train)

    val = sub.add_parser("validation", help="compare the presets with published silicon figures (docs/validation.md)")
    val.add_argument("--chip", action="append", help="only the targets of this preset; repeat for several")
    val.add_argument("--fast", action="store_true", help="smaller samples of the large workloads (the tests' setting)")
    val.add_argument("--markdown", metavar="FILE", help="also write the table as markdown to FILE")
    val.add_argument("--fit", choices=["truenorth"], help="print the fitted figures of a preset next to its file's")
    val.set_defaults(func=cmd_validation)

    m = sub.add_parser("map", help="map a workload's network onto a chip and print the fit report")
    m.add_argument("workload")
    m.add_argument("--hw", help="chip YAML file or preset name (default: the workload's first chip)")
    m.add_argument("--sparsity", type=_fraction, default=0.0, help="magnitude-prune to this sparsity first")
    m.add_argument("--format", default="auto", choices=FORMAT_CHOICES)
    m.add_argument("--objective", default="auto", choices=OBJECTIVE_CHOICES, help=OBJECTIVE_HELP)
    m.add_argument("--ignore-limits", action="store_true", help=LIMITS_HELP)
    m.set_defaults(func=cmd_map)
    return p


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    try:
        a = parser.parse_args(argv)
    except SystemExit as e:  # --help, --version, or a usage error already printed in one line
        return e.code if isinstance(e.code, int) else 2
    from neurosim.progress import set_verbosity

    set_verbosity(a.verbosity)
    try:
        return a.func(a)
    except UserError as e:
        print(f"neurosim: error: {e}", file=sys.stderr)
        return e.exit_code
    except KeyboardInterrupt:
        print("neurosim: interrupted", file=sys.stderr)
        return 130
    except MemoryError:
        print("neurosim: error: out of memory: the run needs more memory than this machine has; use a smaller "
              "network, fewer samples or timesteps", file=sys.stderr)
        return 2
    except BrokenPipeError:   # the reader went away (`neurosim presets | head`): nothing to say
        sys.stderr = open(os.devnull, "w")   # noqa: SIM115 - Python flushes stderr at exit
        return 0
    except OSError as e:  # the environment (disk full, permissions), not a neurosim bug
        where = f"{shown(e.filename)}: " if e.filename else ""
        print(f"neurosim: error: {where}{e.strerror or e}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())

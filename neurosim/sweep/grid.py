"""Design-space exploration: a grid of chip variants made by overriding keys of a base chip file.

`--vary core.synapse_memory_bits=262144,524288 --vary noc.link_width_bits=16,32` gives the 4
combinations. Every variant is validated by the same parser as a chip file (errors name the key
path), named after its overrides, and hashed for provenance and resumable points.
"""

from __future__ import annotations

import copy
import hashlib
import itertools
import json
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from multiprocessing import get_context
from pathlib import Path

import yaml

from neurosim.config import Hardware, Workload, join_system, load_hardware, parse_mapping, read_yaml
from neurosim.config.system import System
from neurosim.dask_cluster import dask_client
from neurosim.errors import ConfigError
from neurosim.progress import bar, say
from neurosim.report.records import mark_accuracy_floor
from neurosim.sweep.budget import check_budget, estimate_workload
from neurosim.sweep.pipeline import Chip, MapOptions, missing_levels, run_provenance, run_workload
from neurosim.sweep.sources import make_source


def parse_vary(items: list[str]) -> dict[str, list]:
    """['a.b=1,2', ...] → {'a.b': [1, 2]}; values are read as YAML scalars (numbers, booleans, words)."""
    out: dict[str, list] = {}
    for item in items:
        key, sep, values = item.partition("=")
        if not sep or not key.strip() or not values.strip():
            raise ConfigError(f"--vary {item!r}: expected KEY.PATH=V1,V2,... (e.g. core.synapse_memory_bits=262144,"
                              f"524288)")
        try:
            out[key.strip()] = [yaml.safe_load(v) for v in values.split(",")]
        except yaml.YAMLError:
            raise ConfigError(f"--vary {item!r}: a value is not a YAML scalar (number, true/false or a word)") from None
    return out


def _field(path: str, cls: type):
    """The field a dotted key of config class `cls` names (a `dataclasses.Field`), or None if no such key
    exists."""
    import dataclasses
    import typing

    f = None
    for k in path.split("."):
        if cls is None or not dataclasses.is_dataclass(cls):
            return None
        f = {x.name: x for x in dataclasses.fields(cls)}.get(k)
        if f is None:
            return None
        tp = typing.get_type_hints(cls)[k]
        options = [a for a in typing.get_args(tp) if a is not type(None)] or [tp]
        cls = next((a for a in options if dataclasses.is_dataclass(a)), None)
    return f, tp


def _set(d: dict, path: str, value, where: str, cls: type = Hardware) -> None:
    """Set key `path` (dotted) of a chip (`cls` Hardware) or system (`cls` System) to `value` in its
    mapping `d`: any documented key, present in the base file or not; a {value, source} figure keeps
    its source, marked as a variant."""
    found = _field(path, cls)
    if found is None:
        kind = "system" if cls is System else "chip"
        extra = (" (a system varies its own keys: link, barrier_s, chips_x, ...; to vary its chip, write a system "
                 "file naming your chip file)") if cls is System else ""
        raise ConfigError(f"{where}: {path}: no such {kind} key{extra}; the keys are in docs/config_reference.md")
    keys = path.split(".")
    node = d
    for k in keys[:-1]:
        if node.get(k) is None:
            node[k] = {}
        if not isinstance(node[k], dict):
            raise ConfigError(f"{where}: {path}: {k} is not a section in the base chip file")
        node = node[k]
    old = node.get(keys[-1])
    if isinstance(old, dict) and "value" in old:  # a {value, source} figure
        node[keys[-1]] = {**old, "value": value, "source": f"design-space variant of: {old['source']}"}
    elif old is None and "Quantity" in str(found[1]) and not isinstance(value, dict):
        node[keys[-1]] = {"value": value, "source": "design-space variant (not in the base chip file)"}
    else:
        node[keys[-1]] = value


def variants(base: str, vary: dict[str, list]) -> list[Chip]:
    """Every combination of the varied values applied to chip or system `base` (preset name or file)."""
    base_hw, path, _ = load_hardware(base)
    data, _ = read_yaml(path)
    cls = Hardware if base_hw.system is None else System
    chips = []
    keys = list(vary)
    for combo in itertools.product(*(vary[k] for k in keys)):
        d = copy.deepcopy(data)
        label = ",".join(f"{k.split('.')[-1]}={v}" for k, v in zip(keys, combo, strict=True))
        where = f"{path} with {label}"
        for k, v in zip(keys, combo, strict=True):
            _set(d, k, v, where, cls)
        d["name"] = f"{data['name']}[{label}]" if keys else data["name"]
        extra = ""
        if cls is System:
            hw, extra = join_system(parse_mapping(System, d, where), path)
        else:
            hw = parse_mapping(Hardware, d, where)
        digest = hashlib.sha256((json.dumps(d, sort_keys=True, default=str) + extra).encode()).hexdigest()
        chips.append(Chip(hw, Path(f"{path}#{label}") if keys else path, digest))
    return chips


def _run_group(args) -> list[dict]:
    """One worker's share: every level on its chips, silently (the parent shows one bar for all)."""
    wl, wl_path, wl_sha, chips, mapping, points_dir = args
    return run_workload(wl, wl_path, wl_sha, chips, mapping, points_dir=points_dir, progress=False,
                        check_limits=False)[1]


def dask_map(fn, jobs: list, scheduler: str, workers: int, done=lambda result: None) -> list:
    """fn over jobs on a Dask cluster (`neurosim.dask_cluster.dask_client`: a scheduler's address, or
    "local" for `workers` local processes). `done(result)` is called as each job finishes; results
    come back in job order."""
    with dask_client(scheduler, workers) as client:
        from dask.distributed import as_completed

        futures = client.map(fn, jobs, pure=False)
        for f in as_completed(futures):
            done(f.result())
        return client.gather(futures)


def run_grid(wl: Workload, wl_path: Path, wl_sha: str, chips: list[Chip], mapping: MapOptions, points_dir: Path,
             workers: int = 1, scheduler: str | None = None, check_limits: bool = True) -> tuple[dict, list[dict]]:
    """Every level on every chip variant. With workers > 1 the variants are split over processes
    (sweep points in parallel; samples inside a point already run on every core); with `scheduler`
    (a Dask scheduler address, or "local" for a local Dask cluster of `workers` processes) over Dask
    workers. Finished points land in `points_dir` as they complete, so an interrupted grid resumes."""
    if scheduler is None and (workers <= 1 or len(chips) <= 1):
        return run_workload(wl, wl_path, wl_sha, chips, mapping, points_dir=points_dir, check_limits=check_limits)
    t0 = time.perf_counter()
    if check_limits:
        check_budget(estimate_workload(wl, wl_path, len(chips)))
    todo = missing_levels(wl, wl_path, wl_sha, chips, mapping, points_dir)
    if todo:  # train, prune (and build a synthetic network) here, once, not in every worker side by side
        say("[neurosim] preparing the network and its levels before starting the workers ...")
        make_source(wl, wl_path).prepare(todo)
    jobs = [(wl, wl_path, wl_sha, [c], mapping, points_dir) for c in chips]   # one job per chip variant
    levels = len(wl.pruning.levels)
    with bar(len(chips) * levels, f"{wl.name}: {len(chips)} chip variants on {workers} workers:", unit="point") as b:
        def done(recs: list[dict]) -> None:
            b.update(levels, f"{recs[0]['hardware']} done" if recs else "")
        if scheduler is None:
            with ProcessPoolExecutor(workers, mp_context=get_context("spawn")) as ex:
                futures = [ex.submit(_run_group, j) for j in jobs]
                for f in as_completed(futures):
                    done(f.result())
                results = [f.result() for f in futures]
        else:
            results = dask_map(_run_group, jobs, scheduler, workers, done)
    by_chip = {}
    for recs in results:
        for r in recs:
            by_chip[(r["sparsity"], r["hardware"])] = r
    records = mark_accuracy_floor([by_chip[(s, c.hw.name)] for s in sorted(wl.pruning.levels) for c in chips],
                                  wl.report.accuracy_floor, wl.report.accuracy_drop)
    return run_provenance(wl, wl_path, wl_sha, chips, mapping, time.perf_counter() - t0), records

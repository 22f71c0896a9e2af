"""Result records: one per (pruning level, chip), written as results.json ({provenance, records})
and results.csv. Files are written to a temporary name and renamed, so a crash never leaves a
half-written result."""

from __future__ import annotations

import csv
import io
import json
import math
import os
import platform
import sys
from datetime import UTC, datetime
from pathlib import Path

import neurosim
from neurosim.files import write_atomic


def blas_info() -> dict:
    """numpy's BLAS library and its thread settings. Training pins BLAS to NEUROSIM_TRAIN_THREADS threads
    (default 1, through threadpoolctl from the `data` extra; `snn.train.blas_threads`), so trained
    weights do not depend on the machine's core count; without threadpoolctl BLAS keeps its default."""
    import importlib.util

    import numpy

    try:
        blas = numpy.show_config(mode="dicts")["Build Dependencies"]["blas"]
        name, version = blas.get("name"), blas.get("version")
    except Exception:  # noqa: BLE001 - numpy builds differ in what they report
        name = version = None
    threads = {k: os.environ[k] for k in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")
               if k in os.environ}
    pinned = importlib.util.find_spec("threadpoolctl") is not None
    return {"name": name, "version": version, "threads_env": threads or "default (one per core)",
            "training_threads": int(os.environ.get("NEUROSIM_TRAIN_THREADS", "1")) if pinned
            else "BLAS default (threadpoolctl not installed)"}


def git_commit() -> str | None:
    """The commit of the neurosim source when it runs from a git checkout (with "+dirty" when files
    differ from it); None for an installed copy or without git."""
    import subprocess

    root = Path(neurosim.__file__).resolve().parent.parent
    if not (root / ".git").exists():
        return None
    try:
        head = subprocess.run(["git", "-C", str(root), "rev-parse", "HEAD"], capture_output=True, text=True,
                              timeout=5, check=True).stdout.strip()
        dirty = subprocess.run(["git", "-C", str(root), "status", "--porcelain", "--untracked-files=no"],
                               capture_output=True, text=True, timeout=5, check=True).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None
    return head + ("+dirty" if dirty else "")


def provenance(seed: int, configs: dict[str, str], ert: dict[str, dict], **extra) -> dict:
    """Version, config file hashes (path → sha256), seed, ERT sources and the environment."""
    import numba
    import numpy

    return {"neurosim_version": neurosim.__version__, "git_commit": git_commit(),
            "created_utc": datetime.now(UTC).isoformat(timespec="seconds"),
            "seed": seed, "config_sha256": configs, "ert": ert, "command": " ".join(sys.argv),
            "python": platform.python_version(), "numpy": numpy.__version__, "numba": numba.__version__,
            "blas": blas_info(), **extra}


def _flatten(rec: dict) -> dict:
    out = {}
    for k, v in rec.items():
        if isinstance(v, dict):
            for k2, v2 in v.items():
                out[f"{k}.{k2}"] = v2
        elif isinstance(v, list):
            out[k] = json.dumps(v)
        else:
            out[k] = v
    return out


def mark_accuracy_floor(records: list[dict], floor: float | None, drop: float) -> list[dict]:
    """Set `accuracy_floor` and `below_accuracy_floor` on every record with an accuracy: below the
    absolute `floor`, or (floor None) more than `drop` below the densest level's accuracy on the same
    chip and method. A level is below only when its whole 95 % interval is (a dip inside the noise is
    not marked)."""
    densest: dict = {}
    for r in sorted(records, key=lambda r: r["sparsity"]):
        if r.get("accuracy") is not None:
            densest.setdefault((r["hardware"], r.get("method"), r.get("run")), r["accuracy"])
    for r in records:
        if r.get("accuracy") is None:
            continue
        f = floor if floor is not None else densest[(r["hardware"], r.get("method"), r.get("run"))] - drop
        high = (r.get("accuracy_ci95") or [r["accuracy"]] * 2)[1]
        r["accuracy_floor"] = round(f, 6)
        r["below_accuracy_floor"] = bool(high < f)
    return records


def write_results(out_dir: Path, prov: dict, records: list[dict]) -> tuple[Path, Path]:
    """results.json and results.csv in `out_dir`; returns their paths."""
    out_dir.mkdir(parents=True, exist_ok=True)
    jpath, cpath = out_dir / "results.json", out_dir / "results.csv"
    write_atomic(jpath, json.dumps({"provenance": prov, "records": records}, indent=1, default=_json_default,
                                   allow_nan=False))
    flat = [_flatten(r) for r in records]
    cols = []
    for r in flat:
        cols += [k for k in r if k not in cols]
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=cols)
    w.writeheader()
    w.writerows(flat)
    write_atomic(cpath, buf.getvalue())
    return jpath, cpath


def _json_default(o):
    import numpy as np

    if isinstance(o, np.integer):
        return int(o)
    if isinstance(o, np.floating):
        return float(o)
    if isinstance(o, np.ndarray):
        return o.tolist()
    raise TypeError(f"not JSON serialisable: {type(o).__name__}")


MAX_RESULTS_BYTES = 1 << 29
_NUMBERS = ("synaptic_ops_per_inference", "energy_per_inference_j", "latency_per_inference_s",
            "synapse_memory_bits", "cores_used")
_OPTIONAL_NUMBERS = ("throughput_inferences_per_s", "area_mm2")
_FRACTIONS = ("accuracy", "accuracy_float")
_INTERVALS = ("accuracy_ci95", "energy_per_inference_ci95_j", "latency_per_inference_ci95_s")


def _number(v) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v)


def record_problem(r) -> str | None:
    """What makes `r` unusable as a result record for the tables and plots (None if nothing): the
    keys they read, with the types and ranges neurosim writes."""
    if not isinstance(r, dict):
        return "a record is not a mapping"
    if not isinstance(r.get("hardware"), str) or not _number(r.get("sparsity")) or not 0 <= r["sparsity"] <= 1:
        return "a record lacks 'hardware' (a name) or 'sparsity' (a number in [0, 1])"
    if not isinstance(r.get("fits", True), bool):
        return f"'fits' of {r['hardware']} at {r['sparsity']} is not true/false"
    if not r.get("fits", True):
        return None
    for k in _NUMBERS:
        if not _number(r.get(k)) or r[k] < 0:
            return f"'{k}' of {r['hardware']} at {r['sparsity']} is not a number >= 0"
    for k in _OPTIONAL_NUMBERS:
        if r.get(k) is not None and not (_number(r[k]) and r[k] >= 0):
            return f"'{k}' of {r['hardware']} at {r['sparsity']} is not a number >= 0"
    for k in _FRACTIONS:
        if r.get(k) is not None and not (_number(r[k]) and 0 <= r[k] <= 1):
            return f"'{k}' of {r['hardware']} at {r['sparsity']} is not a fraction in [0, 1]"
    for k in _INTERVALS:
        v = r.get(k)
        if v is not None and not (isinstance(v, list) and len(v) == 2 and all(_number(x) for x in v)):
            return f"'{k}' of {r['hardware']} at {r['sparsity']} is not a pair of numbers"
    b = r.get("energy_breakdown_j", {})
    if not isinstance(b, dict) or not all(isinstance(k, str) and _number(v) for k, v in b.items()):
        return f"'energy_breakdown_j' of {r['hardware']} at {r['sparsity']} is not a mapping of numbers"
    load = r.get("core_load")
    if load is not None:
        ok = isinstance(load, dict) and all(isinstance(load.get(k), int) and 0 < load[k] <= 4096
                                            for k in ("mesh_cols", "mesh_rows"))
        xy, busy = (load.get("router_xy"), load.get("busy_cycles")) if ok else (None, None)
        ok = ok and isinstance(xy, list) and isinstance(busy, list) and len(xy) == len(busy) and all(
            isinstance(p, list) and len(p) == 2 and all(isinstance(c, int) and 0 <= c < 4096 for c in p) for p in xy
        ) and all(_number(c) for c in busy)
        if not ok:
            return f"'core_load' of {r['hardware']} at {r['sparsity']} is malformed"
    return None


def _no_constant(name: str):
    raise ValueError(f"{name} is not a number in strict JSON")


def read_results(path: Path) -> dict:
    """Load a results.json written by neurosim (used by `neurosim plot`), checked record by record."""
    from neurosim.errors import ConfigError
    from neurosim.files import read_limited

    raw = read_limited(path, MAX_RESULTS_BYTES, "results.json")
    try:
        data = json.loads(raw.decode("utf-8"), parse_constant=_no_constant)
    except (ValueError, RecursionError) as e:  # JSONDecodeError and UnicodeDecodeError are ValueErrors
        raise ConfigError(f"{path}: not a neurosim results.json (invalid JSON: {str(e)[:120]})") from None
    if not isinstance(data, dict) or not isinstance(data.get("records"), list) \
            or not isinstance(data.get("provenance"), dict):
        raise ConfigError(f"{path}: not a neurosim results.json (needs 'provenance' (a mapping) and 'records' (a "
                          f"list))")
    if not data["records"]:
        raise ConfigError(f"{path}: holds no records; give the results.json of a run")
    for r in data["records"]:
        problem = record_problem(r)
        if problem:
            raise ConfigError(f"{path}: not a usable neurosim results.json: {problem}")
    return data

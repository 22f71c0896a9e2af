"""Result records: one per (pruning level, chip), written as results.json ({provenance, records})
and results.csv. Files are written to a temporary name and renamed, so a crash never leaves a
half-written result."""

from __future__ import annotations

import csv
import io
import json
import os
import platform
import sys
from datetime import UTC, datetime
from pathlib import Path

import neurosim


def provenance(seed: int, configs: dict[str, str], ert: dict[str, dict], **extra) -> dict:
    """Version, config file hashes (path → sha256), seed, ERT sources and the environment."""
    import numba
    import numpy

    return {"neurosim_version": neurosim.__version__, "created_utc": datetime.now(UTC).isoformat(timespec="seconds"),
            "seed": seed, "config_sha256": configs, "ert": ert, "command": " ".join(sys.argv),
            "python": platform.python_version(), "numpy": numpy.__version__, "numba": numba.__version__, **extra}


def write_atomic(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.tmp{os.getpid()}")
    tmp.write_text(text)
    os.replace(tmp, path)


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


def write_results(out_dir: Path, prov: dict, records: list[dict]) -> tuple[Path, Path]:
    """results.json and results.csv in `out_dir`; returns their paths."""
    out_dir.mkdir(parents=True, exist_ok=True)
    jpath, cpath = out_dir / "results.json", out_dir / "results.csv"
    write_atomic(jpath, json.dumps({"provenance": prov, "records": records}, indent=1, default=_json_default))
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


def read_results(path: Path) -> dict:
    """Load a results.json written by neurosim (used by `neurosim plot`)."""
    from neurosim.errors import ConfigError

    try:
        data = json.loads(Path(path).read_text())
    except FileNotFoundError:
        raise ConfigError(f"{path}: file not found") from None
    except OSError as e:
        raise ConfigError(f"{path}: cannot read ({e.strerror}); give a results.json file") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise ConfigError(f"{path}: not a neurosim results.json (invalid JSON: {e})") from None
    if not isinstance(data, dict) or "records" not in data or "provenance" not in data:
        raise ConfigError(f"{path}: not a neurosim results.json (needs keys 'provenance' and 'records')")
    return data

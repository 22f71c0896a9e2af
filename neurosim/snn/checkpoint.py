"""Training checkpoints cached by configuration hash, so repeated runs do not retrain.

Directory: $NEUROSIM_CACHE/snn (default ~/.cache/neurosim/snn). The key hashes the `model`
section, T, the seed and a format version; files are written atomically."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
from pathlib import Path

import numpy as np

FORMAT_VERSION = 1


def cache_dir() -> Path:
    root = os.environ.get("NEUROSIM_CACHE") or str(Path.home() / ".cache" / "neurosim")
    return Path(root) / "snn"


def config_key(spec, timesteps: int, seed: int) -> str:
    """sha256 of everything that determines the trained weights (for an npz dataset, its bytes too)."""
    data = None
    if getattr(spec, "dataset", None) == "npz" and spec.path and Path(spec.path).is_file():
        data = hashlib.sha256(Path(spec.path).read_bytes()).hexdigest()
    blob = json.dumps({"model": dataclasses.asdict(spec), "timesteps": timesteps, "seed": seed,
                       "data": data, "format": FORMAT_VERSION}, sort_keys=True, default=str)
    return hashlib.sha256(blob.encode()).hexdigest()


def save(path: Path, state: dict[str, np.ndarray], info: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + f".tmp{os.getpid()}")
    with open(tmp, "wb") as f:
        np.savez(f, __info__=np.array(json.dumps(info)), **state)
    os.replace(tmp, path)


def load(path: Path) -> tuple[dict[str, np.ndarray], dict] | None:
    """(state, info), or None when the file is missing or unreadable (then it is retrained)."""
    try:
        with np.load(path, allow_pickle=False) as f:
            state = {k: f[k] for k in f.files if k != "__info__"}
            info = json.loads(str(f["__info__"]))
        return state, info
    except (OSError, ValueError, KeyError, EOFError):
        return None

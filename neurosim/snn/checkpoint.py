"""Training checkpoints cached by configuration hash, so repeated runs do not retrain.

Directory: $NEUROSIM_CACHE/snn (default ~/.cache/neurosim/snn). The key hashes the `model`
section, T, the seed and a format version; files are written atomically, hold plain arrays and JSON
(never pickle) and a checksum over both, so a corrupt file is set aside and retrained, never fatal."""

from __future__ import annotations

import dataclasses
import hashlib
import io
import json
from pathlib import Path

import numpy as np

from neurosim.files import arrays_digest, cache_root, set_aside, write_atomic

FORMAT_VERSION = 2


def cache_dir() -> Path:
    return cache_root() / "snn"


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
    text = json.dumps(info, allow_nan=False)
    buf = io.BytesIO()
    np.savez(buf, __info__=np.array(text), __sha256__=np.array(arrays_digest(text, state)), **state)
    write_atomic(path, buf.getvalue())


def load(path: Path) -> tuple[dict[str, np.ndarray], dict] | None:
    """(state, info), or None when the file is missing, or corrupt (then set aside and retrained)."""
    try:
        with np.load(path, allow_pickle=False) as f:
            state = {k: f[k] for k in f.files if k not in ("__info__", "__sha256__")}
            text = str(f["__info__"])
            stored = str(f["__sha256__"])
        if arrays_digest(text, state) != stored:
            raise ValueError("checksum mismatch")
        info = json.loads(text)
        if not isinstance(info, dict):
            raise ValueError("info is not a mapping")
        return state, info
    except FileNotFoundError:
        return None
    except Exception as e:  # noqa: BLE001 - whatever a damaged zip, npy header or payload raises
        set_aside(path, f"training checkpoint {path} is unusable ({type(e).__name__}: {e})")
        return None

        set_aside(path, f"training checkpoint {path} is unusable ({e})")
        return None

"""What every part of NIR import/export shares: the optional `nir` package, neurosim's metadata key
and reading a node's parameters as numpy arrays."""

from __future__ import annotations

import json

import numpy as np

from neurosim.errors import MissingExtraError

META_KEY = "neurosim"  # node/graph metadata key holding neurosim's JSON annotations

SUPPORTED = ("Input", "Output", "Affine", "Linear", "Scale", "Conv2d", "AvgPool2d", "SumPool2d", "Flatten",
             "Identity", "IF", "LIF", "LI", "I", "CubaLIF", "CubaLI")


def nir_module():
    try:
        import nir
    except ImportError:
        raise MissingExtraError("NIR import/export needs the optional package 'nir': "
                                "pip install 'neurosim-hw[nir]'") from None
    return nir


def meta(node) -> dict:
    raw = (getattr(node, "metadata", None) or {}).get(META_KEY)
    if raw is None:
        return {}
    if isinstance(raw, bytes | np.bytes_):
        raw = raw.decode("utf8")
    try:
        out = json.loads(str(raw))
    except ValueError:
        return {}
    return out if isinstance(out, dict) else {}


def arr(x) -> np.ndarray:
    return np.asarray(x.detach().cpu().numpy() if hasattr(x, "detach") else x)

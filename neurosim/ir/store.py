"""A `Network` on disk: one `.npz` file of plain arrays plus a JSON header, with a checksum.

Caches (pruned levels) use this instead of pickle: loading a file can never run code (numpy's
`allow_pickle=False`, JSON for everything else), and a checksum over the header and every array
tells a corrupt or tampered file from a good one, so a cache can be set aside and recomputed
instead of trusted.
"""

from __future__ import annotations

import dataclasses
import io
import json
from pathlib import Path

import numpy as np

from neurosim.files import arrays_digest, write_atomic
from neurosim.ir.network import ConvGeometry, Network, Neuron, Population, Projection

FORMAT = "neurosim-network/1"


class CorruptFile(Exception):
    """The file exists but is not a valid, intact network file (wrong format, bad checksum)."""


def save_network(path: Path, net: Network, info: dict | None = None) -> None:
    """Write `net` (and a JSON-serialisable `info`) atomically to `path`."""
    arrays: dict[str, np.ndarray] = {}
    pops = []
    for i, p in enumerate(net.populations):
        if p.bias is not None:
            arrays[f"pop{i}.bias"] = np.asarray(p.bias)
        if p.configs is not None:
            arrays[f"pop{i}.config_index"] = p.config_index
        pops.append({"name": p.name, "size": p.size, "shape": p.shape,
                     "neuron": None if p.neuron is None else dataclasses.asdict(p.neuron),
                     "configs": None if p.configs is None else [dataclasses.asdict(c) for c in p.configs]})
    projs = []
    for i, pr in enumerate(net.projections):
        arrays[f"proj{i}.pre"] = pr.pre_idx
        arrays[f"proj{i}.post"] = pr.post_idx
        arrays[f"proj{i}.weight"] = pr.weight
        if pr.kernel is not None:
            arrays[f"proj{i}.kernel"] = np.asarray(pr.kernel)
        projs.append({"pre": pr.pre, "post": pr.post, "kind": pr.kind, "name": pr.name,
                      "conv": None if pr.conv is None else dataclasses.asdict(pr.conv)})
    header = json.dumps({"format": FORMAT, "name": net.name, "integer": net.integer, "state_bits": net.state_bits,
                         "meta": net.meta, "populations": pops, "projections": projs, "info": info or {}},
                        sort_keys=True, allow_nan=False)
    path.parent.mkdir(parents=True, exist_ok=True)
    buf = io.BytesIO()
    np.savez(buf, __header__=np.array(header), __sha256__=np.array(arrays_digest(header, arrays)), **arrays)
    write_atomic(path, buf.getvalue())


def load_network(path: Path) -> tuple[Network, dict]:
    """(network, info) from a file written by `save_network`. FileNotFoundError when there is none;
    `CorruptFile` when it cannot be read back exactly."""
    try:
        with np.load(path, allow_pickle=False) as f:
            arrays = {k: f[k] for k in f.files}
    except FileNotFoundError:
        raise
    except Exception as e:  # noqa: BLE001 - whatever a damaged zip, npy header or payload raises
        raise CorruptFile(f"not a readable .npz file ({type(e).__name__})") from None
    try:
        header = str(arrays.pop("__header__"))
        stored = str(arrays.pop("__sha256__"))
    except KeyError:
        raise CorruptFile("no header or checksum") from None
    if arrays_digest(header, arrays) != stored:
        raise CorruptFile("checksum mismatch")
    try:
        h = json.loads(header)
        if h.get("format") != FORMAT:
            raise CorruptFile(f"format {h.get('format')!r}, expected {FORMAT!r}")
        pops = [Population(p["name"], int(p["size"]), None if p["neuron"] is None else Neuron(**p["neuron"]),
                           arrays.get(f"pop{i}.bias"), None if p["shape"] is None else tuple(p["shape"]),
                           None if p.get("configs") is None else tuple(Neuron(**c) for c in p["configs"]),
                           arrays.get(f"pop{i}.config_index"))
                for i, p in enumerate(h["populations"])]
        projs = []
        for i, q in enumerate(h["projections"]):
            conv = None
            if q["conv"] is not None:
                conv = ConvGeometry(**{k: tuple(v) for k, v in q["conv"].items()})
            projs.append(Projection(q["pre"], q["post"], arrays[f"proj{i}.pre"], arrays[f"proj{i}.post"],
                                    arrays[f"proj{i}.weight"], kind=q["kind"], conv=conv,
                                    kernel=arrays.get(f"proj{i}.kernel"), name=q["name"]))
        net = Network(pops, projs, name=h["name"], integer=h["integer"], state_bits=h["state_bits"], meta=h["meta"])
    except (KeyError, TypeError, ValueError) as e:
        raise CorruptFile(f"inconsistent contents ({e})") from None
    return net, h["info"]

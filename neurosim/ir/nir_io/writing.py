"""Writing an `ir.Network` as a NIR graph (docs/nir.md, Export), with the metadata that makes
neurosim → NIR → neurosim exact."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from neurosim.errors import UserError
from neurosim.ir.conv import conv_edges
from neurosim.ir.network import Network, Projection
from neurosim.ir.nir_io.common import META_KEY, nir_module


def _jsonable(d: dict) -> dict:
    out = {}
    for k, v in d.items():
        try:
            json.dumps(v)
        except (TypeError, ValueError):
            continue
        out[str(k)] = v
    return out


def _conv_coo_of(pr: Projection) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """COO a plain conv projection would have from its geometry and kernel (zero taps absent)."""
    g = pr.conv
    if g is None or pr.kernel is None:
        return None
    k = np.asarray(pr.kernel)
    if k.shape != (g.out_shape[0], g.in_shape[0], *g.kernel):
        return None
    pre, post, tap = conv_edges(pr)
    vals = k.ravel()[tap]
    keep = vals != 0
    return pre[keep], post[keep], vals[keep]


def _export_plan(net: Network) -> tuple[dict[str, tuple[int, ...]], list[bool], dict[str, int]]:
    """(NIR shape of every population, which projections are written as Conv2d, index of the
    projection that carries each population's bias). NIR type-checks shapes on every edge: a Conv2d
    needs its (C, H, W) source and target shapes, an Affine gives a flat vector (a Flatten node is put
    in front of it), so a population fed by any dense map is written flat, and a conv that then no
    longer fits its ends is written as a dense map instead (repeated until nothing changes)."""
    projs = net.projections
    shape = {p.name: tuple(int(x) for x in p.shape) if p.shape and int(np.prod(p.shape)) == p.size else (p.size,)
             for p in net.populations}
    plain = []
    for pr in projs:
        coo = _conv_coo_of(pr) if pr.kind == "conv" else None
        plain.append(coo is not None and np.array_equal(coo[0], pr.pre_idx) and np.array_equal(coo[1], pr.post_idx)
                     and np.array_equal(coo[2], pr.weight))
    forced: set[int] = set()

    def ok(i: int) -> bool:
        pr = projs[i]
        return plain[i] and i not in forced and shape[pr.pre] == tuple(pr.conv.in_shape) \
            and shape[pr.post] == tuple(pr.conv.out_shape)

    while True:
        conv_ok = [ok(i) for i in range(len(projs))]
        carrier: dict[str, int] = {}
        changed = False
        for p in net.populations:
            if p.is_input or p.bias is None or not np.any(p.bias):
                continue
            inc = [i for i, pr in enumerate(projs) if pr.post == p.name]
            if not inc:
                continue
            dense = [i for i in inc if not conv_ok[i]]
            if dense:
                carrier[p.name] = dense[0]
            else:
                per_ch = np.asarray(p.bias, dtype=np.float64).reshape(projs[inc[0]].conv.out_shape[0], -1)
                if np.all(per_ch == per_ch[:, :1]):
                    carrier[p.name] = inc[0]
                else:
                    forced.add(inc[0])  # a per-neuron bias needs an Affine
                    changed = True
        for i, pr in enumerate(projs):
            if not conv_ok[i] and len(shape[pr.post]) > 1:
                shape[pr.post] = (net.pop(pr.post).size,)
                changed = True
        if not changed:
            return shape, conv_ok, carrier


def to_nir_graph(net: Network, dt: float = 1e-4):
    """The `nir.NIRGraph` of `net` (see `write_nir`)."""
    nir = nir_module()
    if not dt > 0:
        raise UserError(f"dt must be positive, got {dt}")
    used: set[str] = set()

    def uid(s: str) -> str:
        s = s.replace("/", "|") or "node"
        base, i = s, 1
        while s in used:
            s, i = f"{base}_{i}", i + 1
        used.add(s)
        return s

    nodes: dict[str, Any] = {}
    edges: list[tuple[str, str]] = []
    pid = {p.name: uid(p.name) for p in net.populations}
    wdt = np.int32 if net.integer else np.float64
    shape, conv_ok, carrier = _export_plan(net)
    for p in net.populations:
        sh = shape[p.name]
        meta: dict[str, Any] = {"name": p.name}
        if p.shape is not None:
            meta["shape"] = [int(x) for x in p.shape]
        if p.is_input:
            nodes[pid[p.name]] = nir.Input(input_type={"input": np.array(sh)}, metadata={META_KEY: json.dumps(meta)})
            continue
        n = p.neuron
        meta.update(decay=n.decay, reset=n.reset, fire_at_equal=n.fire_at_equal)
        md = {META_KEY: json.dumps(meta)}
        ones = np.ones(sh)
        if n.decay == 1.0:
            if n.spiking:
                node = nir.IF(r=ones, v_threshold=ones * n.threshold, v_reset=np.zeros(sh), metadata=md)
            else:
                node = nir.I(r=ones, metadata=md)
        else:
            if not 0.0 <= n.decay < 1.0:
                raise UserError(f"population {p.name!r}: decay {n.decay} is outside [0, 1]; NIR has no such neuron")
            tau = dt / (1.0 - n.decay)
            if n.spiking:
                node = nir.LIF(tau=ones * tau, r=ones * (tau / dt), v_leak=np.zeros(sh),
                               v_threshold=ones * n.threshold, v_reset=np.zeros(sh), metadata=md)
            else:
                node = nir.LI(tau=ones * tau, r=ones * (tau / dt), v_leak=np.zeros(sh), metadata=md)
        nodes[pid[p.name]] = node

    flat: dict[str, str] = {}

    def source(name: str) -> str:
        """The node a dense map reads `name` from: the population, or a Flatten of it."""
        if len(shape[name]) == 1:
            return pid[name]
        if name not in flat:
            flat[name] = uid(f"{name}.flatten")
            nodes[flat[name]] = nir.Flatten(input_type={"input": np.array(shape[name])}, start_dim=0, end_dim=-1)
            edges.append((pid[name], flat[name]))
        return flat[name]

    for i, pr in enumerate(net.projections):
        pre, post = net.pop(pr.pre), net.pop(pr.post)
        bias = post.bias if carrier.get(pr.post) == i else None
        meta = {"name": pr.name, "kind": pr.kind}
        k = uid(pr.name)
        if conv_ok[i]:
            g = pr.conv
            cb = np.zeros(g.out_shape[0]) if bias is None else \
                np.asarray(bias, dtype=np.float64).reshape(g.out_shape[0], -1)[:, 0]
            nodes[k] = nir.Conv2d(input_shape=tuple(g.in_shape[1:]), weight=np.asarray(pr.kernel).astype(wdt),
                                  stride=g.stride, padding=g.padding, dilation=(1, 1), groups=1, bias=cb,
                                  metadata={META_KEY: json.dumps(meta)})
            edges += [(pid[pr.pre], k), (k, pid[pr.post])]
            continue
        w = np.zeros((post.size, pre.size), dtype=wdt if net.integer else pr.weight.dtype)
        w[pr.post_idx, pr.pre_idx] = pr.weight
        if pr.kind == "conv" and pr.conv is not None and pr.kernel is not None:  # e.g. a pruned conv
            meta["conv"] = {key: list(v) for key, v in vars(pr.conv).items()}
            meta["kernel"] = np.asarray(pr.kernel).tolist()
        md = {META_KEY: json.dumps(meta)}
        nodes[k] = nir.Affine(weight=w, bias=np.asarray(bias), metadata=md) if bias is not None else \
            nir.Linear(weight=w, metadata=md)
        edges += [(source(pr.pre), k), (k, pid[pr.post])]
    for p in net.populations:  # a bias with no incoming projection: an all-zero Affine from an input
        if p.is_input or p.bias is None or not np.any(p.bias) or p.name in carrier:
            continue
        if not net.inputs:
            raise UserError(f"population {p.name!r} has a bias but the network has no input to carry it in NIR")
        src = net.inputs[0]
        k = uid(f"{p.name}.bias")
        nodes[k] = nir.Affine(weight=np.zeros((p.size, src.size)), bias=np.asarray(p.bias),
                              metadata={META_KEY: json.dumps({"name": k, "bias_only": True})})
        edges += [(source(src.name), k), (k, pid[p.name])]
    outs = net.meta.get("nir_outputs") or {}
    out_pops = [n for n in dict.fromkeys(outs.values()) if n in pid] or [
        p.name for p in net.populations if not p.is_input and not any(pr.pre == p.name for pr in net.projections)]
    if not out_pops:  # every population feeds another (cycles): NIR still wants an exit point
        out_pops = [net.populations[-1].name]
    for name in out_pops:
        k = uid(f"output_{name}" if len(out_pops) > 1 else "output")
        nodes[k] = nir.Output(output_type={"output": np.array(shape[name])})
        edges.append((pid[name], k))
    meta = {"dt": dt, "order": [p.name for p in net.populations], "integer": net.integer, "name": net.name,
            "meta": _jsonable({k: v for k, v in net.meta.items() if k not in ("nir", "nir_outputs")})}
    if net.state_bits is not None:
        meta["state_bits"] = net.state_bits
    return nir.NIRGraph(nodes=nodes, edges=edges, metadata={META_KEY: json.dumps(meta)}, type_check=False)


def write_nir(net: Network, path, *, dt: float = 1e-4) -> None:
    """Write `net` as a NIR graph to `path`: IF (decay 1) / LIF / LI / I nodes with τ = dt/(1 − β),
    r = τ/dt and v_leak = 0, so that NIR's Euler reading (β = 1 − dt/τ, gain r·dt/τ = 1) gives back
    the same update; each projection as Affine/Linear (or Conv2d when it is a plain convolution).
    neurosim's reset mode, `fire_at_equal` and exact decay travel in node metadata."""
    nir = nir_module()
    graph = to_nir_graph(net, dt=dt)
    p = Path(path)
    tmp = p.with_name(p.name + ".tmp")
    try:
        nir.write(tmp, graph)
        tmp.replace(p)
    except OSError as e:
        raise UserError(f"{p}: cannot write NIR file ({e.strerror or e})") from None
    finally:
        if tmp.exists():
            tmp.unlink()


"""NIR (Neuromorphic Intermediate Representation, neuroir.org) import and export.

Every file-format concern of `neurosim.ir` lives in this one module (the NIR pattern): reading a
`.nir` graph into an `ir.Network`, writing a network back out, and the conventions that turn
NIR's continuous-time neuron equations into the discrete update of DESIGN §3
(v ← β·v + I, threshold, reset). `docs/nir.md` states every mapping; keep the two in step.

Import in short: synapse nodes (Affine, Linear, Scale, Conv2d, pools, Flatten, Identity) between
two neuron nodes (or an Input and a neuron) are composed into one `Projection` per (source,
target) pair; each neuron node becomes one `Population` (a CubaLIF / CubaLI becomes two: its
synaptic current, a non-spiking population, feeding its membrane). Affine/conv biases and the
leak drive `v_leak` become the population bias. Export writes Input, Affine/Linear/Conv2d,
LIF/IF/LI/I and Output nodes, plus a JSON string in the metadata that makes the round trip
neurosim → NIR → neurosim exact (decay, reset mode, `fire_at_equal`, population order).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np

from neurosim.config.workload import resolve_relative
from neurosim.errors import ConfigError, MissingExtraError, UserError, shown
from neurosim.ir.conv import conv_edges
from neurosim.ir.network import ConvGeometry, Network, Neuron, Population, Projection

META_KEY = "neurosim"  # node/graph metadata key holding neurosim's JSON annotations
_SNAP = 1e-12  # input gains within this of 1 are float noise of r·dt/τ with r = τ/dt: taken as 1

SUPPORTED = ("Input", "Output", "Affine", "Linear", "Scale", "Conv2d", "AvgPool2d", "SumPool2d", "Flatten",
             "Identity", "IF", "LIF", "LI", "I", "CubaLIF", "CubaLI")


@dataclass(frozen=True)
class Convention:
    """How a framework's NIR export is meant to be read (see docs/nir.md).

    `leak`: 'euler' — β = 1 − dt/τ, input gain r·dt/τ, drive (dt/τ)·v_leak (snnTorch, Norse, the
    NIR reference); 'sinabs' — β = exp(−dt/τ), input gain r (Sinabs' norm_input=False).
    `reset`: 'value' — v ← v_reset (NIR); 'subtract' — v ← v − θ (Sinabs' MembraneSubtract)."""

    dt: float
    leak: Literal["euler", "sinabs"] = "euler"
    fire_at_equal: bool = False
    reset: Literal["value", "subtract"] = "value"


CONVENTIONS: dict[str, Convention] = {
    "nir": Convention(dt=1e-4),
    "snntorch": Convention(dt=1e-4),
    "norse": Convention(dt=1e-3),
    "sinabs": Convention(dt=1.0, leak="sinabs", fire_at_equal=True, reset="subtract"),
}


def _nir():
    try:
        import nir
    except ImportError:
        raise MissingExtraError("NIR import/export needs the optional package 'nir': "
                                "pip install 'neurosim-hw[nir]'") from None
    return nir


# ------------------------------------------------------------------------------------------------
# sparse operators (COO, rows = input index, cols = output index)
# ------------------------------------------------------------------------------------------------
@dataclass
class _Coo:
    rows: np.ndarray
    cols: np.ndarray
    vals: np.ndarray
    n_in: int
    n_out: int

    @classmethod
    def identity(cls, n: int) -> _Coo:
        i = np.arange(n, dtype=np.int64)
        return cls(i, i.copy(), np.ones(n), n, n)

    @classmethod
    def from_matrix(cls, w: np.ndarray) -> _Coo:
        """From a NIR weight (n_out, n_in)."""
        o, i = np.nonzero(w)
        return cls(i.astype(np.int64), o.astype(np.int64), w[o, i], w.shape[1], w.shape[0])

    def apply(self, x: np.ndarray) -> np.ndarray:
        """x (n_in,) → (n_out,)."""
        return np.bincount(self.cols, weights=x[self.rows] * self.vals, minlength=self.n_out)

    def scale_cols(self, g: np.ndarray) -> _Coo:
        if np.all(g == 1.0):
            return self
        return _Coo(self.rows, self.cols, self.vals * g[self.cols], self.n_in, self.n_out)


def _coalesce(rows, cols, vals, n_in, n_out) -> _Coo:
    key = rows * n_out + cols
    uniq, inv = np.unique(key, return_inverse=True)
    v = np.bincount(inv, weights=vals.astype(np.float64), minlength=uniq.size)
    return _Coo(uniq // n_out, uniq % n_out, v, n_in, n_out)


def _add(a: _Coo, b: _Coo) -> _Coo:
    return _coalesce(np.concatenate([a.rows, b.rows]), np.concatenate([a.cols, b.cols]),
                     np.concatenate([a.vals.astype(np.float64), b.vals.astype(np.float64)]), a.n_in, a.n_out)


def _matmul(a: _Coo, b: _Coo) -> _Coo:
    """Operator a then b (a: n → m, b: m → k)."""
    order = np.argsort(b.rows, kind="stable")
    br, bc, bv = b.rows[order], b.cols[order], b.vals[order]
    start = np.searchsorted(br, a.cols, "left")
    cnt = np.searchsorted(br, a.cols, "right") - start
    ai = np.repeat(np.arange(a.rows.size), cnt)
    bi = np.repeat(start, cnt) + (np.arange(int(cnt.sum())) - np.repeat(np.cumsum(cnt) - cnt, cnt))
    return _coalesce(a.rows[ai], bc[bi], a.vals[ai].astype(np.float64) * bv[bi], a.n_in, b.n_out)


def _window_coo(in_shape, out_hw, taps, stride, pad, dilation):
    """Generic 2-D sliding window. `taps`: arrays (co, ci, ky, kx, w) of the non-zero kernel taps.
    Returns COO rows (input flat index), cols (output flat index), vals."""
    C, H, W = in_shape
    Ho, Wo = out_hw
    co, ci, ky, kx, w = taps
    oy, ox = np.meshgrid(np.arange(Ho), np.arange(Wo), indexing="ij")
    oy, ox = oy.ravel(), ox.ravel()
    iy = oy[None, :] * stride[0] - pad[0] + ky[:, None] * dilation[0]
    ix = ox[None, :] * stride[1] - pad[1] + kx[:, None] * dilation[1]
    ok = (iy >= 0) & (iy < H) & (ix >= 0) & (ix < W)
    rows = (ci[:, None] * H + iy) * W + ix
    cols = (co[:, None] * Ho + oy[None, :]) * Wo + ox[None, :]
    vals = np.broadcast_to(w[:, None], ok.shape)
    return rows[ok].astype(np.int64), cols[ok].astype(np.int64), vals[ok]


def _pair(x, what: str) -> tuple[int, int]:
    a = np.asarray(x).ravel()
    if a.size == 1:
        return int(a[0]), int(a[0])
    if a.size == 2:
        return int(a[0]), int(a[1])
    raise ValueError(f"{what} must be one or two integers, got {x!r}")


def _out_len(n, pad_total, dil, k, s) -> int:
    return (n + pad_total - dil * (k - 1) - 1) // s + 1


# ------------------------------------------------------------------------------------------------
# import
# ------------------------------------------------------------------------------------------------
def _named(tag) -> bool:
    return bool(tag) and tag[0] in ("dense", "conv")


@dataclass
class _Expr:
    """Output of a synapse node as Σ M · out(source) + const. Each term (source, operator, tag)
    has a tag saying what its path is: ('identity',), one Affine/Linear ('dense', kind, id), one
    plain conv ('conv', geometry, kernel, id), or None (anything composed)."""

    terms: list[tuple[str, _Coo, tuple | None]] = field(default_factory=list)
    const: np.ndarray | None = None

    def merged(self, keep_named: bool) -> list[tuple[str, _Coo, tuple | None]]:
        """Terms with the same source summed; single-node paths kept apart when `keep_named` (two
        Affine nodes from one source to one target stay two projections)."""
        out: list[tuple[str, _Coo, tuple | None]] = []
        slot: dict[str, int] = {}
        for s, m, t in self.terms:
            if keep_named and _named(t):
                out.append((s, m, t))
            elif s in slot:
                out[slot[s]] = (s, _add(out[slot[s]][1], m), None)
            else:
                slot[s] = len(out)
                out.append((s, m, t))
        return out

    def add_const(self, c: np.ndarray | None) -> None:
        if c is not None:
            self.const = c.astype(np.float64) if self.const is None else self.const + c


def _meta(node) -> dict:
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


def _arr(x) -> np.ndarray:
    return np.asarray(x.detach().cpu().numpy() if hasattr(x, "detach") else x)


class _Importer:
    def __init__(self, graph, where: str, conv: Convention, dt: float, fire_at_equal: bool | None,
                 reset: str | None):
        self.nir = _nir()
        self.where = where
        self.conv = conv
        self.dt = dt
        self.fire_at_equal = fire_at_equal
        self.reset = reset
        self.nodes: dict[str, Any] = {}
        self.edges: list[tuple[str, str]] = []
        self.kind: dict[str, str] = {}
        self.graph_meta = _meta(graph)
        self._flatten(graph, "", top=True)
        self._preds: dict[str, list[str]] = {k: [] for k in self.nodes}
        for a, b in self.edges:
            self._preds[b].append(a)

    # --- graph structure ------------------------------------------------------------------
    def fail(self, msg: str) -> UserError:
        return UserError(f"{self.where}: {msg}")

    def _flatten(self, graph, prefix: str, top: bool) -> tuple[list[str], list[str]]:
        """Copy the nodes of `graph` (nested NIRGraphs inlined with dotted ids) into self.nodes;
        return the ids of its Input and Output nodes."""
        nir = self.nir
        ins, outs = [], []
        ports: dict[str, tuple[list[str], list[str]]] = {}
        for k, n in graph.nodes.items():
            nid = prefix + str(k)
            if isinstance(n, nir.NIRGraph):
                ports[str(k)] = self._flatten(n, nid + ".", top=False)
                continue
            self.nodes[nid] = n
            tname = type(n).__name__
            if isinstance(n, nir.Input):
                self.kind[nid] = "input" if top else "linear"
                ins.append(nid)
            elif isinstance(n, nir.Output):
                self.kind[nid] = "output" if top else "linear"
                outs.append(nid)
            elif tname in ("IF", "LIF", "LI", "I", "CubaLIF", "CubaLI"):
                self.kind[nid] = "neuron"
            elif tname in ("Affine", "Linear", "Scale", "Conv2d", "AvgPool2d", "SumPool2d", "Flatten", "Identity"):
                self.kind[nid] = "linear"
            else:
                raise self.fail(f"NIR node {nid!r} of type {tname} is not supported; neurosim imports "
                                + ", ".join(SUPPORTED) + " (and nested NIRGraphs of these)")

        def ends(name: str, side: int) -> list[str]:
            """Node ids an edge end names: a node, a nested graph's Input (side 0) / Output (side 1)
            nodes, or a node inside a nested graph as 'sub.node'."""
            name = str(name)
            if name in ports:
                if not ports[name][side]:
                    raise self.fail(f"edge {'into' if side == 0 else 'out of'} nested graph {prefix + name!r}, "
                                    f"which has no {'Input' if side == 0 else 'Output'} node")
                return ports[name][side]
            if prefix + name in self.nodes:
                return [prefix + name]
            raise self.fail(f"edge names unknown node {prefix + name!r}")

        for a, b in graph.edges:
            a = a.decode() if isinstance(a, bytes) else a
            b = b.decode() if isinstance(b, bytes) else b
            for x in ends(a, 1):
                for y in ends(b, 0):
                    self.edges.append((x, y))
        return ins, outs

    def preds(self, nid: str) -> list[str]:
        return self._preds[nid]

    # --- shapes ---------------------------------------------------------------------------
    def _param_shape(self, n) -> tuple[int, ...] | None:
        for name in ("v_threshold", "tau", "tau_mem", "r"):
            if hasattr(n, name) and getattr(n, name) is not None:
                a = _arr(getattr(n, name))
                if a.size > 1:
                    return tuple(int(s) for s in a.shape)
        return None

    def infer_shapes(self) -> None:
        shape: dict[str, tuple[int, ...]] = {}
        for nid, k in self.kind.items():
            n = self.nodes[nid]
            if k == "input":
                shape[nid] = tuple(int(s) for s in np.asarray(n.input_type["input"]).ravel())
            elif k == "neuron":
                s = self._param_shape(n)
                if s is not None:
                    shape[nid] = s
        self.in_shape: dict[str, tuple[int, ...]] = {}
        changed = True
        while changed:
            changed = False
            for nid, k in self.kind.items():
                if k == "input" or (nid in shape and (k != "linear" or nid in self.in_shape)):
                    continue
                known = [shape[p] for p in self.preds(nid) if p in shape]
                if not known:
                    continue
                sizes = {int(np.prod(s)) for s in known}
                if len(sizes) > 1:
                    raise self.fail(f"node {nid!r} ({type(self.nodes[nid]).__name__}) receives inputs of "
                                    f"different sizes {sorted(sizes)}")
                ins = max(known, key=len)
                if k == "linear":
                    self.in_shape[nid] = ins
                    shape[nid] = self._linear_out_shape(nid, ins)
                elif nid not in shape:
                    shape[nid] = ins
                changed = True
        for nid, k in self.kind.items():
            if nid not in shape and k != "output":
                raise self.fail(f"cannot infer the size of node {nid!r} ({type(self.nodes[nid]).__name__}): "
                                "it has no input with a known shape and no per-neuron parameters")
        self.shape = shape

    def _conv_in_shape(self, nid: str, ins: tuple[int, ...]) -> tuple[int, int, int]:
        n = self.nodes[nid]
        if len(ins) == 3:
            return ins
        size = int(np.prod(ins))
        w = _arr(n.weight)
        cin = w.shape[1] * int(getattr(n, "groups", 1) or 1)
        hw = getattr(n, "input_shape", None)
        if hw is not None:
            h, wd = _pair(hw, "input_shape")
            if cin * h * wd == size:
                return (cin, h, wd)
        raise self.fail(f"node {nid!r} ({type(n).__name__}) needs a (channels, height, width) input, got shape {ins}")

    def _conv_params(self, nid: str, ins: tuple[int, int, int]):
        n = self.nodes[nid]
        w = _arr(n.weight)
        kh, kw = w.shape[2], w.shape[3]
        stride = _pair(n.stride, "stride")
        dil = _pair(getattr(n, "dilation", 1), "dilation")
        pad = n.padding
        if isinstance(pad, bytes | np.bytes_):
            pad = pad.decode()
        if isinstance(pad, str):
            if pad == "valid":
                pads = (0, 0, 0, 0)
            elif pad == "same":
                th, tw = dil[0] * (kh - 1), dil[1] * (kw - 1)
                pads = (th // 2, tw // 2, th - th // 2, tw - tw // 2)
            else:
                raise self.fail(f"node {nid!r}: padding {pad!r} is not 'same', 'valid' or integers")
        else:
            ph, pw = _pair(pad, "padding")
            pads = (ph, pw, ph, pw)
        ho = _out_len(ins[1], pads[0] + pads[2], dil[0], kh, stride[0])
        wo = _out_len(ins[2], pads[1] + pads[3], dil[1], kw, stride[1])
        return w, stride, dil, pads, (ho, wo)

    def _pool_params(self, nid: str, ins: tuple[int, int, int]):
        n = self.nodes[nid]
        k = _pair(n.kernel_size, "kernel_size")
        s = _pair(n.stride if n.stride is not None else n.kernel_size, "stride")
        p = _pair(n.padding if n.padding is not None else 0, "padding")
        ho = _out_len(ins[1], 2 * p[0], 1, k[0], s[0])
        wo = _out_len(ins[2], 2 * p[1], 1, k[1], s[1])
        return k, s, p, (ho, wo)

    def _linear_out_shape(self, nid: str, ins: tuple[int, ...]) -> tuple[int, ...]:
        n = self.nodes[nid]
        t = type(n).__name__
        size = int(np.prod(ins))
        try:
            if t in ("Affine", "Linear"):
                w = _arr(n.weight)
                if w.ndim != 2:
                    raise self.fail(f"node {nid!r} ({t}): only 2-D weights (out, in) are supported, got {w.shape}")
                if w.shape[1] != size:
                    raise self.fail(f"node {nid!r} ({t}): weight has {w.shape[1]} inputs but receives {size}")
                return (int(w.shape[0]),)
            if t == "Scale":
                if _arr(n.scale).size not in (1, size):
                    raise self.fail(f"node {nid!r} (Scale): {_arr(n.scale).size} scales for {size} inputs")
                return ins
            if t == "Conv2d":
                ci = self._conv_in_shape(nid, ins)
                w, _, _, _, (ho, wo) = self._conv_params(nid, ci)
                return (int(w.shape[0]), ho, wo)
            if t in ("AvgPool2d", "SumPool2d"):
                if len(ins) != 3:
                    raise self.fail(f"node {nid!r} ({t}) needs a (channels, height, width) input, got shape {ins}")
                _, _, _, (ho, wo) = self._pool_params(nid, ins)
                return (ins[0], ho, wo)
            if t == "Flatten":
                nd = len(ins)
                s0, e0 = int(n.start_dim), int(n.end_dim)
                s0 = s0 + nd if s0 < 0 else s0
                e0 = e0 + nd if e0 < 0 else e0
                if 0 <= s0 <= e0 < nd:
                    return ins[:s0] + (int(np.prod(ins[s0:e0 + 1])),) + ins[e0 + 1:]
                return (size,)  # a reshape in C order never permutes elements: only the size matters
            return ins  # Identity, inner Input/Output
        except UserError:
            raise
        except (ValueError, TypeError, IndexError, AttributeError) as e:
            raise self.fail(f"node {nid!r} ({t}) has invalid parameters: {e}") from None

    # --- local operators ------------------------------------------------------------------
    def local_op(self, nid: str) -> tuple[_Coo, np.ndarray | None, tuple | None]:
        """(operator, bias over outputs or None, tag) of synapse node `nid`."""
        n = self.nodes[nid]
        t = type(n).__name__
        ins = self.in_shape[nid]
        n_in = int(np.prod(ins))
        n_out = int(np.prod(self.shape[nid]))
        meta = _meta(n)
        if t in ("Affine", "Linear"):
            w = _arr(n.weight)
            bias = _arr(n.bias).ravel() if t == "Affine" and getattr(n, "bias", None) is not None else None
            if bias is not None and not np.any(bias):
                bias = None
            return _Coo.from_matrix(w), bias, ("dense", meta.get("kind", "dense"), meta.get("name", nid), meta)
        if t == "Scale":
            s = np.broadcast_to(_arr(n.scale).ravel(), (n_in,)).astype(np.float64)
            i = np.nonzero(s)[0]
            return _Coo(i, i.copy(), s[i], n_in, n_in), None, None
        if t == "Conv2d":
            ci = self._conv_in_shape(nid, ins)
            w, stride, dil, pads, (ho, wo) = self._conv_params(nid, ci)
            groups = int(getattr(n, "groups", 1) or 1)
            co_n, cig = w.shape[0], w.shape[1]
            co, cil, ky, kx = np.nonzero(w)
            ci_idx = (co // (co_n // groups)) * cig + cil
            rows, cols, vals = _window_coo(ci, (ho, wo), (co, ci_idx, ky, kx, w[co, cil, ky, kx]), stride,
                                           pads[:2], dil)
            op = _Coo(rows, cols, vals, n_in, n_out)
            b = getattr(n, "bias", None)
            bias = None
            if b is not None and np.any(_arr(b)):
                bias = np.repeat(_arr(b).ravel().astype(np.float64), ho * wo)
            tag = None
            if groups == 1 and dil == (1, 1) and pads[0] == pads[2] and pads[1] == pads[3]:
                geom = ConvGeometry(in_shape=tuple(int(x) for x in ci), out_shape=(int(co_n), ho, wo),
                                    kernel=(int(w.shape[2]), int(w.shape[3])), stride=stride,
                                    padding=(pads[0], pads[1]))
                tag = ("conv", geom, w, meta.get("name", nid))
            return op, bias, tag
        if t in ("AvgPool2d", "SumPool2d"):
            k, s, p, (ho, wo) = self._pool_params(nid, ins)
            c = np.arange(ins[0])
            ky, kx = np.meshgrid(np.arange(k[0]), np.arange(k[1]), indexing="ij")
            cc = np.repeat(c, k[0] * k[1])
            kyy = np.tile(ky.ravel(), ins[0])
            kxx = np.tile(kx.ravel(), ins[0])
            val = 1.0 / (k[0] * k[1]) if t == "AvgPool2d" else 1.0
            rows, cols, vals = _window_coo(ins, (ho, wo), (cc, cc, kyy, kxx, np.full(cc.size, val)), s, p, (1, 1))
            return _Coo(rows, cols, vals, n_in, n_out), None, None
        return _Coo.identity(n_in), None, ("identity",)  # Flatten, Identity, inner Input/Output

    # --- composition ----------------------------------------------------------------------
    def compose(self) -> dict[str, _Expr]:
        """Input expression of every neuron and Output node, in terms of source nodes."""
        linear = [k for k, v in self.kind.items() if v == "linear"]
        indeg = {k: sum(1 for p in self.preds(k) if self.kind[p] == "linear") for k in linear}
        ready = [k for k in linear if indeg[k] == 0]
        order = []
        while ready:
            k = ready.pop(0)
            order.append(k)
            for a, b in self.edges:
                if a == k and self.kind.get(b) == "linear":
                    indeg[b] -= 1
                    if indeg[b] == 0:
                        ready.append(b)
        if len(order) != len(linear):
            loop = sorted(set(linear) - set(order))
            raise self.fail(f"synapse nodes {loop} form a cycle with no neuron in it (an algebraic loop)")
        expr: dict[str, _Expr] = {}

        def gather(nid: str) -> _Expr:
            e = _Expr()
            for p in self.preds(nid):
                kp = self.kind[p]
                if kp in ("input", "neuron"):
                    e.terms.append((p, _Coo.identity(int(np.prod(self.shape[p]))), ("identity",)))
                elif kp == "linear":
                    e.terms += expr[p].terms
                    e.add_const(expr[p].const)
                else:
                    raise self.fail(f"edge from Output node {p!r} to {nid!r}: Output nodes must be sinks")
            return e

        for nid in order:
            e = gather(nid)
            op, bias, tag = self.local_op(nid)
            out = _Expr()
            if tag == ("identity",):  # a reshape: every term passes unchanged
                out.terms = list(e.terms)
            else:
                for s, m, t_in in e.merged(keep_named=False):
                    out.terms.append((s, op, tag) if t_in == ("identity",) else (s, _matmul(m, op), None))
            if e.const is not None:
                out.add_const(op.apply(e.const))
            out.add_const(bias)
            expr[nid] = out
        sinks = {}
        for nid, k in self.kind.items():
            if k == "input" and self.preds(nid):
                raise self.fail(f"Input node {nid!r} has incoming edges")
            if k in ("neuron", "output"):
                e = gather(nid)
                e.terms = e.merged(keep_named=True)
                sinks[nid] = e
        return sinks

    # --- neurons --------------------------------------------------------------------------
    def _vec(self, nid: str, name: str, size: int, default=None) -> np.ndarray:
        n = self.nodes[nid]
        v = getattr(n, name, None)
        if v is None:
            if default is None:
                raise self.fail(f"node {nid!r} ({type(n).__name__}) has no {name}")
            v = default
        a = _arr(v).astype(np.float64).ravel()
        if a.size == 1:
            return np.full(size, a[0])
        if a.size != size:
            raise self.fail(f"node {nid!r} ({type(n).__name__}): {name} has {a.size} values for {size} neurons")
        return a

    def _leak(self, nid: str, tau: np.ndarray, r: np.ndarray, v_leak: np.ndarray, what: str):
        """(β, per-neuron input gain, per-neuron drive) of one leaky state variable."""
        if np.any(tau <= 0) or np.any(~np.isfinite(tau)):
            raise self.fail(f"node {nid!r}: {what} must be positive and finite, got {np.unique(tau)[:4]}")
        if self.conv.leak == "euler":
            a = self.dt / tau
            beta, gain, drive = 1.0 - a, r * a, a * v_leak
        else:  # sinabs
            beta = np.exp(-self.dt / tau)
            gain, drive = r.copy(), (1.0 - beta) * v_leak
        if np.any(beta < 0):
            raise self.fail(f"node {nid!r}: dt={self.dt:g} is larger than {what}={tau.min():g}, which makes the "
                            "decay 1 − dt/τ negative; give a smaller dt (read_nir(..., dt=...))")
        if np.unique(beta).size > 1:
            raise self.fail(f"node {nid!r}: {what} differs between neurons; a neurosim population shares one decay "
                            "(split the layer into one node per time constant)")
        return float(beta[0]), gain, drive

    def neuron_model(self, nid: str) -> dict:
        """Discrete parameters of neuron node `nid`: decay, threshold, per-neuron gain/drive, and for
        current-based nodes the synaptic stage."""
        n = self.nodes[nid]
        t = type(n).__name__
        size = int(np.prod(self.shape[nid]))
        meta = _meta(n)
        spiking = t in ("IF", "LIF", "CubaLIF")
        out: dict[str, Any] = {"spiking": spiking, "syn": None}
        if t in ("IF", "I"):
            r = self._vec(nid, "r", size)
            out.update(decay=1.0, gain=r, drive=np.zeros(size))
        elif t in ("LIF", "LI"):
            out["decay"], out["gain"], out["drive"] = self._leak(
                nid, self._vec(nid, "tau", size), self._vec(nid, "r", size), self._vec(nid, "v_leak", size, 0.0), "tau")
        else:  # CubaLIF, CubaLI
            w_in = self._vec(nid, "w_in", size, 1.0)
            alpha, g_syn, _ = self._leak(nid, self._vec(nid, "tau_syn", size), w_in, np.zeros(size), "tau_syn")
            beta, g_mem, drive = self._leak(nid, self._vec(nid, "tau_mem", size), self._vec(nid, "r", size),
                                            self._vec(nid, "v_leak", size, 0.0), "tau_mem")
            if alpha == 0.0:  # the current forgets itself every step: exactly an LIF with gain g_syn·g_mem
                out.update(decay=beta, gain=g_syn * g_mem, drive=drive)
            else:
                out.update(decay=beta, gain=g_mem, drive=drive, syn={"decay": alpha, "gain": g_syn})
        if "decay" in meta and abs(float(meta["decay"]) - out["decay"]) <= 1e-9:
            out["decay"] = float(meta["decay"])  # written by neurosim: the exact β it came from
        fae = self.fire_at_equal if self.fire_at_equal is not None else meta.get("fire_at_equal",
                                                                                self.conv.fire_at_equal)
        reset = self.reset or meta.get("reset")
        if reset is None:
            reset = "subtract" if self.conv.reset == "subtract" else "zero"
        out.update(fire_at_equal=bool(fae), reset="subtract" if reset == "subtract_delayed" else reset,
                   threshold=1.0, delayed_reset=reset == "subtract_delayed")
        if spiking:
            theta = self._vec(nid, "v_threshold", size)
            if reset == "zero":
                v_reset = self._vec(nid, "v_reset", size, 0.0)
                if np.any(v_reset != 0):
                    raise self.fail(
                        f"node {nid!r} ({t}) has v_reset = {np.unique(v_reset)[:4]}; neurosim membranes start at 0 "
                        "and reset to 0, so only v_reset = 0 is exact (shift v_leak/v_threshold by −v_reset and "
                        "re-export, or read with reset='subtract' if the source subtracts the threshold)")
            if np.unique(theta).size == 1:
                out["threshold"] = float(theta[0])
            else:  # per-neuron thresholds: measure v in units of θ_i (exact up to float rounding)
                if np.any(theta <= 0):
                    raise self.fail(f"node {nid!r}: per-neuron thresholds must be positive to be normalised")
                out["gain"] = out["gain"] / theta
                out["drive"] = out["drive"] / theta
                out["threshold"] = 1.0
        g = out["gain"]
        out["gain"] = np.where(np.abs(g - 1.0) <= _SNAP, 1.0, g)
        if out["syn"] is not None:
            g = out["syn"]["gain"]
            out["syn"]["gain"] = np.where(np.abs(g - 1.0) <= _SNAP, 1.0, g)
        return out

    # --- build ----------------------------------------------------------------------------
    def build(self, name: str | None) -> Network:
        self.infer_shapes()
        sinks = self.compose()
        gm = self.graph_meta
        integer = bool(gm.get("integer", False))
        pops: dict[str, Population] = {}
        projs: list[Projection] = []
        target_of: dict[str, str] = {}  # NIR neuron id → population receiving its synapses
        skip_bias_only: set[str] = set()
        for nid, k in self.kind.items():
            n = self.nodes[nid]
            if k == "linear" and _meta(n).get("bias_only"):
                skip_bias_only.add(_meta(n).get("name", nid))

        def pname(nid: str) -> str:
            return str(_meta(self.nodes[nid]).get("name", nid))

        models = {}
        for nid, k in self.kind.items():
            shape = self.shape.get(nid)
            nm = _meta(self.nodes[nid])
            if "name" in nm and k in ("input", "neuron"):  # written by neurosim: its own Population.shape
                written = nm.get("shape")
                if written is None or (shape is not None and int(np.prod(written)) == int(np.prod(shape))):
                    shape_attr = None if written is None else tuple(int(x) for x in written)
                else:
                    shape_attr = shape
            else:
                shape_attr = shape
            if k == "input":
                pops[nid] = Population(pname(nid), int(np.prod(shape)), shape=shape_attr)
            elif k == "neuron":
                m = models[nid] = self.neuron_model(nid)
                size = int(np.prod(shape))
                current_decay = 0.0
                if m["syn"] is not None and not _has_constant(sinks.get(nid)):
                    # one current-based compartment (Loihi's): u ← α·u + g_syn·g_mem·x, v ← β·v + u + drive;
                    # exactly the two-stage form below with u scaled by the membrane gain g_mem
                    current_decay = m["syn"]["decay"]
                    m["gain"] = m["gain"] * m["syn"]["gain"]
                    m["syn"] = None
                neuron = Neuron(decay=m["decay"], threshold=m["threshold"], reset=m["reset"],
                                fire_at_equal=m["fire_at_equal"], spiking=m["spiking"], current_decay=current_decay)
                main = pname(nid)
                pops[nid] = Population(main, size, neuron=neuron, shape=shape_attr)
                target_of[nid] = nid
                if m["syn"] is not None:  # a constant input into the current: a stage of its own (exact, graded)
                    sid = nid + ".syn"
                    while sid in self.nodes:
                        sid += "_"
                    pops[sid] = Population(main + ".syn", size, neuron=Neuron(decay=m["syn"]["decay"], spiking=False),
                                           shape=shape_attr)
                    target_of[nid] = sid
                    models[sid] = {"gain": m["syn"]["gain"], "drive": np.zeros(size)}
                    i = np.arange(size)
                    w = m["gain"]
                    keep = w != 0
                    projs.append(Projection(main + ".syn", main, i[keep], i[keep], w[keep].astype(np.float64),
                                            kind="sparse", name=f"{main}.syn->{main}"))
                    m["gain"] = np.ones(size)
                    if np.any(m["drive"]):  # the membrane's own leak drive (its synapses go to .syn)
                        pops[nid].bias = m["drive"].astype(np.float64)
                if m.get("delayed_reset") and m["decay"] != 1.0:
                    # snnTorch's delayed subtract: v[t+1] = β·v[t] + I − θ·s[t]; the immediate subtract
                    # gives β·(v − θ·s) + I, so a self-synapse adds back −(1 − β)·θ one step later
                    i = np.arange(size)
                    w = np.full(size, -(1.0 - m["decay"]) * m["threshold"])
                    projs.append(Projection(main, main, i, i, w, kind="sparse", name=f"{main}.reset"))

        outputs = {}
        for nid, e in sinks.items():
            if self.kind[nid] == "output":
                if e.const is None and len(e.terms) == 1 and e.terms[0][2] == ("identity",):
                    outputs[nid] = pops[e.terms[0][0]].name  # a neuron node's own output
                    continue
                if not e.terms and e.const is None:
                    continue
                # synapses straight into an Output: a linear readout, v ← 0·v + I
                size = int(np.prod(self.shape.get(nid) or (e.terms[0][1].n_out,)))
                pops[nid] = Population(pname(nid), size, neuron=Neuron(decay=0.0, spiking=False),
                                       shape=self.shape.get(nid))
                target_of[nid] = nid
                models[nid] = {"gain": np.ones(size), "drive": np.zeros(size)}
                outputs[nid] = pops[nid].name

        used: set[str] = set()
        for nid, e in sinks.items():
            if nid not in target_of:
                continue
            tgt = target_of[nid]
            post = pops[tgt]
            m = models[tgt]
            g = m["gain"]
            bias = m["drive"].astype(np.float64).copy()
            if e.const is not None:
                bias += e.const * g
            if np.any(bias):
                post.bias = np.rint(bias).astype(np.int64) if integer else bias
            for src, op, tag in e.terms:
                pre = pops[src]
                if op.n_in != pre.size or op.n_out != post.size:
                    raise self.fail(f"synapses from {src!r} to {nid!r} map {op.n_in}→{op.n_out} values but the "
                                    f"nodes have {pre.size} and {post.size} neurons")
                op = op.scale_cols(g)
                w = op.vals
                if integer and np.all(np.mod(w, 1) == 0):
                    w = w.astype(np.int32)
                keep = w != 0
                kw: dict[str, Any] = {"kind": "sparse"}
                pname_ = f"{pre.name}->{post.name}"
                if tag and tag[0] == "dense":
                    kw["kind"] = tag[1] if tag[1] in ("dense", "sparse") else "dense"
                    pname_ = str(tag[2])
                    if pname_ in skip_bias_only:
                        continue
                    cm = tag[3].get("conv")
                    if tag[1] == "conv" and cm and np.all(g == 1.0):  # a pruned conv written as Affine
                        kw.update(kind="conv", conv=ConvGeometry(**{k: tuple(v) for k, v in cm.items()}),
                                  kernel=np.asarray(tag[3]["kernel"], dtype=w.dtype))
                elif tag and tag[0] == "conv":
                    kern = tag[2]
                    gc = g.reshape(tag[1].out_shape[0], -1)
                    if np.all(gc == gc[:, :1]):
                        kernel = kern * gc[:, 0].reshape(-1, 1, 1, 1) if np.any(gc != 1) else kern
                        kw.update(kind="conv", conv=tag[1], kernel=kernel)
                    pname_ = str(tag[3])
                while pname_ in used:  # one synapse node feeding several targets
                    pname_ += f"@{post.name}"
                used.add(pname_)
                projs.append(Projection(pre.name, post.name, op.rows[keep], op.cols[keep], w[keep], name=pname_, **kw))

        # population order: the writer's order when present, else inputs first then a DFS order in
        # which exactly the edges closing a cycle point backwards (and so are recurrent)
        plist = list(pops.values())
        by_name = {p.name: p for p in plist}
        order = gm.get("order")
        if isinstance(order, list) and sorted(order) == sorted(by_name):
            ordered = [by_name[x] for x in order]
        else:
            ordered = self._dfs_order(plist, projs)
        names = [p.name for p in ordered]
        if len(set(names)) != len(names):
            raise self.fail(f"two NIR nodes map to the same population name in {names}")
        meta = {k: v for k, v in (gm.get("meta") or {}).items()}
        meta["nir"] = {"convention_dt": self.dt, "leak": self.conv.leak, "source": self.where}
        meta["nir_outputs"] = outputs
        if integer and "state_bits" not in gm:
            raise self.fail("graph metadata marks an integer network but gives no state_bits")
        return Network(ordered, projs, name=name or str(gm.get("name", Path(self.where).stem or "nir")),
                       integer=integer, state_bits=gm.get("state_bits"), meta=meta)

    @staticmethod
    def _dfs_order(pops: list[Population], projs: list[Projection]) -> list[Population]:
        succ: dict[str, list[str]] = {p.name: [] for p in pops}
        for pr in projs:
            if pr.post not in succ[pr.pre]:
                succ[pr.pre].append(pr.post)
        seen: set[str] = set()
        post: list[str] = []
        for root in [p.name for p in pops if p.is_input] + [p.name for p in pops]:
            if root in seen:
                continue
            seen.add(root)
            stack = [(root, iter(succ[root]))]
            while stack:
                node, it = stack[-1]
                nxt = next(it, None)
                if nxt is None:
                    post.append(node)
                    stack.pop()
                elif nxt not in seen:
                    seen.add(nxt)
                    stack.append((nxt, iter(succ[nxt])))
        by_name = {p.name: p for p in pops}
        order = [by_name[n] for n in reversed(post)]
        return [p for p in order if p.is_input] + [p for p in order if not p.is_input]


MAX_NIR_BYTES = 1 << 34   # 16 GiB, stored or once decompressed


def _check_self_contained(path: Path) -> None:
    """Refuse a NIR (HDF5) file that reads data from other files (external links, external raw
    storage, virtual datasets: reading would open files the user did not give) or whose datasets
    decompress to more than MAX_NIR_BYTES; checked from the file's metadata, before reading any data."""
    import h5py

    from neurosim.files import checked_file

    checked_file(path, MAX_NIR_BYTES, "NIR file")
    problems: list[str] = []
    total = 0

    def visit(name: str, link) -> None:
        nonlocal total
        if isinstance(link, h5py.ExternalLink):
            problems.append(f"'{name}' links to the file {link.filename!r}")
        elif isinstance(link, h5py.HardLink):
            obj = f[name]
            if isinstance(obj, h5py.Dataset):
                if obj.is_virtual or obj.external:
                    problems.append(f"'{name}' reads its data from another file")
                total += int(obj.size or 0) * obj.dtype.itemsize

    try:
        with h5py.File(path, "r") as f:
            f.visititems_links(visit)
    except Exception as e:  # h5py raises many types for damaged files
        raise ConfigError(f"{path}: not a readable NIR file ({type(e).__name__}: {e})") from None
    if problems:
        raise ConfigError(f"{path}: refused: the NIR file must hold all its data, but {problems[0]}; export the "
                          f"network again into a single file")
    if total > MAX_NIR_BYTES:
        raise ConfigError(f"{path}: refused: its arrays hold {total / 2**30:.0f} GiB once decompressed, more than "
                          f"any NIR network neurosim reads ({MAX_NIR_BYTES >> 30} GiB)")


MAX_PARAMETER = 1e30   # beyond float32 range once multiplied: no trained network has such a value


def _check_parameters(graph, where: str) -> None:
    """Refuse a graph with a NaN, an infinity or an absurd magnitude in any numeric parameter (nested
    graphs included): they would turn into silent wrong numbers after quantisation, not errors."""
    for name, node in getattr(graph, "nodes", {}).items():
        if hasattr(node, "nodes"):
            _check_parameters(node, where)
            continue
        for key, value in vars(node).items():
            if isinstance(value, np.ndarray) and value.dtype.kind in "fiuc" and value.size:
                a = np.abs(value.astype(np.float64, copy=False))
                if not np.isfinite(a).all() or a.max() > MAX_PARAMETER:
                    raise ConfigError(f"{where}: node {shown(name)}: {key} holds NaN, an infinity or a value beyond "
                                      f"±{MAX_PARAMETER:g}; export the network again from a trained model")


def read_nir(source, *, convention: str = "nir", dt: float | None = None, fire_at_equal: bool | None = None,
             reset: Literal["zero", "subtract", "subtract_delayed"] | None = None,
             name: str | None = None) -> Network:
    """A `.nir` file (path) or an in-memory `nir.NIRGraph` → float (or, for files written by neurosim
    from a deploy network, integer) `Network`.

    `convention` ('nir', 'snntorch', 'norse', 'sinabs') fixes dt (1e-4, 1e-4, 1e-3, 1 step), the
    leak discretisation, the threshold test and the reset mode, as docs/nir.md describes; `dt`,
    `fire_at_equal` and `reset` override it ('subtract_delayed' reproduces snnTorch's default
    Leaky/Synaptic reset, which NIR files do not record). Unsupported nodes raise UserError naming the node;
    an unreadable file raises ConfigError naming the file."""
    nir = _nir()
    if convention not in CONVENTIONS:
        raise UserError(f"unknown NIR convention {convention!r}; choose one of {', '.join(CONVENTIONS)}")
    conv = CONVENTIONS[convention]
    if isinstance(source, nir.NIRGraph):
        graph, where = source, "<NIR graph>"
    elif isinstance(source, nir.NIRNode):
        raise UserError(f"read_nir needs a NIR graph or a .nir file, got a single {type(source).__name__} node")
    else:
        path = Path(source)
        where = str(path)
        _check_self_contained(path)
        try:
            graph = nir.read(path, type_check=False)
        except Exception as e:  # h5py/nir raise many types for damaged files
            raise ConfigError(f"{path}: not a readable NIR file ({type(e).__name__}: {e})") from None
        if not isinstance(graph, nir.NIRGraph):
            raise ConfigError(f"{path}: the file holds a single {type(graph).__name__} node, not a NIR graph")
    _check_parameters(graph, where)
    step = float(dt) if dt is not None else float(_meta(graph).get("dt", conv.dt))
    if not step > 0:
        raise UserError(f"{where}: dt must be positive, got {step}")
    if reset is not None and reset not in ("zero", "subtract", "subtract_delayed"):
        raise UserError(f"reset must be 'zero', 'subtract' or 'subtract_delayed', got {reset!r}")
    try:
        return _Importer(graph, where, conv, step, fire_at_equal, reset).build(name)
    except UserError:
        raise
    except (ValueError, TypeError, KeyError, IndexError, AttributeError) as e:
        raise ConfigError(f"{where}: malformed NIR graph ({type(e).__name__}: {e})") from None


# ------------------------------------------------------------------------------------------------
# export
# ------------------------------------------------------------------------------------------------
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
    nir = _nir()
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
    nir = _nir()
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


def _has_constant(e) -> bool:
    """The synapse input of a node adds a nonzero constant (an Affine bias, a constant Input)."""
    return e is not None and e.const is not None and bool(np.any(e.const))


def graded_sources(net: Network) -> list[str]:
    """Non-spiking, non-input populations that drive a projection (the synaptic stage of a CubaLIF
    whose input has a constant term, an LI feeding another node): they send graded values, not spikes."""
    return sorted({pr.pre for pr in net.projections
                   if not net.pop(pr.pre).is_input and not net.pop(pr.pre).neuron.spiking})


def network_from_nir_spec(nir_path, workload_file: str | Path | None = None, *, allow_graded: bool = False,
                          **kw) -> Network:
    """The network a workload's `network.nir` names; a relative path is taken relative to the
    workload file's folder. Keyword arguments go to `read_nir` (convention, dt, ...; a workload's
    `NetworkSpec.nir_options()`).

    The chip pipeline (quantize → map → simulate) carries spikes only, so a network with graded
    sources (see `graded_sources`) raises UserError unless `allow_graded` (the float `ir.run` of such
    a network is exact; its integer model and chip mapping are not yet)."""
    p = resolve_relative(nir_path, workload_file)
    net = read_nir(p, **kw)
    graded = graded_sources(net)
    if graded and not allow_graded:
        raise UserError(f"{p}: populations {graded} drive synapses with graded values (a non-spiking LI/I node "
                        "feeding another node, or a CubaLIF whose synaptic current receives a constant bias: chips "
                        "add biases to the membrane, not the current); neurosim's integer deploy model and chip "
                        "simulator carry spikes only, so this network cannot be run on a chip exactly (re-export "
                        "without that bias, or read it with neurosim.ir.nir_io.read_nir for the exact float model)")
    return net

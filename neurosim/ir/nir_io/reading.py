"""Reading a NIR graph into an `ir.Network`: the file checks, the graph's structure (nested graphs
inlined), the composition of synapse paths into one projection per (source, target) pair, and the
populations, biases and order of the result. Per-node translation is in `nodes.py`."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

import numpy as np

from neurosim.errors import ConfigError, UserError, shown
from neurosim.ir.network import ConvGeometry, Network, Neuron, Population, Projection
from neurosim.ir.nir_io.common import SUPPORTED, nir_module
from neurosim.ir.nir_io.common import meta as _meta
from neurosim.ir.nir_io.conventions import CONVENTIONS, Convention, producer_convention
from neurosim.ir.nir_io.nodes import NeuronNodes, SynapseNodes
from neurosim.ir.nir_io.synapses import Coo as _Coo
from neurosim.ir.nir_io.synapses import add as _add
from neurosim.ir.nir_io.synapses import matmul as _matmul


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



def _population(name: str, size: int, base: Neuron, shape, **params) -> Population:
    """A population of `base` neurons whose `params` (decay, current_decay: one float or (size,)
    values) may differ between neurons: one config per distinct combination."""
    arrays = {k: np.broadcast_to(np.asarray(v, np.float64), (size,)) for k, v in params.items()}
    if all(np.all(a == a[0]) for a in arrays.values()) or size == 0:
        return Population(name, size, neuron=replace(base, **{k: float(a[0]) if size else 0.0
                                                               for k, a in arrays.items()}), shape=shape)
    keys = np.stack(list(arrays.values()), axis=1)
    uniq, index = np.unique(keys, axis=0, return_inverse=True)
    configs = tuple(replace(base, **{k: float(u[j]) for j, k in enumerate(arrays)}) for u in uniq)
    return Population(name, size, neuron=configs[0], shape=shape, configs=configs, config_index=index.ravel())


def _has_constant(e) -> bool:
    """The synapse input of a node adds a nonzero constant (an Affine bias, a constant Input)."""
    return e is not None and e.const is not None and bool(np.any(e.const))


class _Importer(SynapseNodes, NeuronNodes):
    def __init__(self, graph, where: str, conv: Convention, dt: float, fire_at_equal: bool | None,
                 reset: str | None):
        self.nir = nir_module()
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
                base = Neuron(threshold=m["threshold"], reset=m["reset"], fire_at_equal=m["fire_at_equal"],
                              spiking=m["spiking"])
                main = pname(nid)
                pops[nid] = _population(main, size, base, shape_attr, decay=m["decay"], current_decay=current_decay)
                target_of[nid] = nid
                if m["syn"] is not None:  # a constant input into the current: a stage of its own (exact, graded)
                    sid = nid + ".syn"
                    while sid in self.nodes:
                        sid += "_"
                    pops[sid] = _population(main + ".syn", size, Neuron(spiking=False), shape_attr,
                                            decay=m["syn"]["decay"])
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
                if m.get("delayed_reset") and np.any(np.asarray(m["decay"]) != 1.0):
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
        meta["nir_weights"] = self.weight_counts()
        # projections the import adds that hold no weight of the file (a CubaLIF's current-to-membrane
        # link, the self-synapse of snnTorch's delayed reset): pruning leaves them whole
        meta["nir_structural"] = sorted(pr.name for pr in projs if pr.name.endswith(".reset")
                                        or pr.pre == pr.post + ".syn")
        if integer and "state_bits" not in gm:
            raise self.fail("graph metadata marks an integer network but gives no state_bits")
        return Network(ordered, projs, name=name or str(gm.get("name", Path(self.where).stem or "nir")),
                       integer=integer, state_bits=gm.get("state_bits"), meta=meta)

    def weight_counts(self) -> dict[str, int]:
        """Entries and nonzero entries of the file's weights (Affine/Linear matrices and Conv2d kernels,
        nested graphs included): what the network's own connection sparsity is measured on."""
        total = nonzero = 0
        for n in self.nodes.values():
            if type(n).__name__ in ("Affine", "Linear", "Conv2d") and not _meta(n).get("bias_only"):
                w = np.asarray(n.weight)
                total += int(w.size)
                nonzero += int(np.count_nonzero(w))
        return {"total": total, "nonzero": nonzero}

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


def read_nir(source, *, convention: str | None = None, dt: float | None = None, fire_at_equal: bool | None = None,
             reset: Literal["zero", "subtract", "subtract_delayed"] | None = None,
             name: str | None = None) -> Network:
    """A `.nir` file (path) or an in-memory `nir.NIRGraph` → float (or, for files written by neurosim
    from a deploy network, integer) `Network`.

    `convention` ('nir', 'snntorch', 'norse', 'sinabs', 'sinabs_unnormalised'; None: the producer the
    graph's metadata names, else 'nir') fixes dt (1e-4, 1e-4, 1e-3, 1 step), the
    leak discretisation, the threshold test and the reset mode, as docs/nir.md describes; `dt`,
    `fire_at_equal` and `reset` override it ('subtract_delayed' reproduces snnTorch's default
    Leaky/Synaptic reset, which NIR files do not record). Unsupported nodes raise UserError naming the node;
    an unreadable file raises ConfigError naming the file."""
    nir = nir_module()
    if convention is not None and convention not in CONVENTIONS:
        raise UserError(f"unknown NIR convention {convention!r}; choose one of {', '.join(CONVENTIONS)}")
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
    if convention is None:
        convention = producer_convention(getattr(graph, "metadata", None) or {}) or "nir"
    conv = CONVENTIONS[convention]
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



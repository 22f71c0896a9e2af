"""Per-node translation of a NIR graph: the shape and linear operator of every synapse node
(Affine, Linear, Scale, Conv2d, pools, Flatten, Identity) and the discrete neuron model of every
neuron node (IF, LIF, LI, I, CubaLIF, CubaLI). Mixed into the reader (`reading.Importer`), which
provides `nodes`, `kind`, `preds`, `conv`, `dt` and `fail`."""

from __future__ import annotations

from typing import Any

import numpy as np

from neurosim.errors import UserError
from neurosim.ir.network import ConvGeometry
from neurosim.ir.nir_io.common import arr as _arr
from neurosim.ir.nir_io.common import meta as _meta
from neurosim.ir.nir_io.synapses import Coo as _Coo
from neurosim.ir.nir_io.synapses import out_len as _out_len
from neurosim.ir.nir_io.synapses import pair as _pair
from neurosim.ir.nir_io.synapses import window_coo as _window_coo

_SNAP = 1e-12  # input gains within this of 1 are float noise of r·dt/τ with r = τ/dt: taken as 1


class SynapseNodes:
    """Shapes and local operators of synapse nodes."""

    # --- shapes ---------------------------------------------------------------------------
    def _param_shape(self, n) -> tuple[int, ...] | None:
        for name in ("v_threshold", "tau", "tau_mem", "r"):
            if hasattr(n, name) and getattr(n, name) is not None:
                a = _arr(getattr(n, name))
                if a.size > 1:
                    return tuple(int(s) for s in a.shape)
        return None

    def _input_shape(self, nid: str, shape: tuple[int, ...]) -> tuple[int, ...]:
        """An Input's shape; leading dimensions that only its Affine/Linear consumers' weights tell apart
        from the features are the time steps of the exporter's sample (Sinabs writes (T, n)): dropped."""
        succ = [self.nodes[b] for a, b in self.edges if a == nid]
        if len(shape) > 1 and succ and all(type(n).__name__ in ("Affine", "Linear") for n in succ):
            widths = {int(_arr(n.weight).shape[-1]) for n in succ}
            if widths == {shape[-1]} and int(np.prod(shape)) != shape[-1]:
                return (shape[-1],)
        return shape

    def infer_shapes(self) -> None:
        shape: dict[str, tuple[int, ...]] = {}
        for nid, k in self.kind.items():
            n = self.nodes[nid]
            if k == "input":
                shape[nid] = self._input_shape(nid, tuple(int(s) for s in np.asarray(n.input_type["input"]).ravel()))
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



class NeuronNodes:
    """Discrete parameters of neuron nodes."""

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
        """(β, per-neuron input gain, per-neuron drive) of one leaky state variable; β is one float when
        all neurons share it, else (size,) values (per-neuron time constants)."""
        finite = np.isfinite(tau)
        if not np.all(finite) or (np.any(tau <= 0) and not self.conv.clamp_decay):
            raise self.fail(f"node {nid!r}: {what} must be positive and finite, got {np.unique(tau)[:4]}")
        beta, gain, drive = self.conv.leak_step(tau, r, v_leak, self.dt)
        if np.any(beta < 0):
            raise self.fail(f"node {nid!r}: dt={self.dt:g} is larger than {what}={tau.min():g}, which makes the "
                            "decay 1 − dt/τ negative; give a smaller dt (read_nir(..., dt=...))")
        return (float(beta[0]) if np.all(beta == beta[0]) else beta), gain, drive

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
            if self.conv.current_jump:  # the input jumps into the current: i ← i + w_in·x
                g_syn = w_in
            beta, g_mem, drive = self._leak(nid, self._vec(nid, "tau_mem", size), self._vec(nid, "r", size),
                                            self._vec(nid, "v_leak", size, 0.0), "tau_mem")
            if np.all(np.asarray(alpha) == 0.0):  # the current forgets itself: an LIF with gain g_syn·g_mem
                out.update(decay=beta, gain=g_syn * g_mem, drive=drive)
            else:
                out.update(decay=beta, gain=g_mem, drive=drive, syn={"decay": alpha, "gain": g_syn})
        if "decay" in meta and np.ndim(out["decay"]) == 0 and abs(float(meta["decay"]) - out["decay"]) <= 1e-9:
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


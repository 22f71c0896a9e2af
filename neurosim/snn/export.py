"""Export a trained float model to `ir.Network` (DESIGN §3).

Every LIF layer and the readout become a population; the input is a population without neuron
model. The stateless layers between two populations (pooling, flatten, linear or conv, BatchNorm)
compose into one affine map that becomes the projection between them plus the post population's
bias: BatchNorm (eval statistics) is folded into the weights and biases; AvgPool and Flatten are
not neurons on a chip and are folded into the next projection. Patterns and the projection kind:

- [flatten] linear [bn] → `dense`; conv [bn] → `conv` (geometry + shared kernel);
- avgpool conv [bn] with the pooled map's size divisible by the pool → `conv` (kernel k·p,
  stride s·p, padding pad·p, kernel entries divided by p²);
- avgpool [flatten] linear [bn] → `sparse` (the composite matrix);
- anything else → `sparse`, the composite map measured by running the layers on unit vectors.
"""

from __future__ import annotations

import numpy as np

from neurosim.ir.network import ConvGeometry, Network, Neuron, Population, Projection
from neurosim.snn.layers import LIF, AvgPool2d, BatchNorm, Conv2d, Flatten, Layer, Linear, Readout, Step, conv_out
from neurosim.snn.model import SNN

_PROBE_LIMIT = 64_000_000  # n_pre * n_post of the generic (measured) composite


def conv_coo(kernel: np.ndarray, in_shape: tuple[int, int, int], stride: int, padding: int
             ) -> tuple[np.ndarray, np.ndarray, np.ndarray, tuple[int, int, int]]:
    """Every (pre, post, weight) synapse of a conv over a (C, H, W) map (zero weights omitted)."""
    co_n, ci_n, kh, kw = kernel.shape
    _, H, W = in_shape
    Ho, Wo = conv_out(H, kh, stride, padding), conv_out(W, kw, stride, padding)
    co, oy, ox, ci, ky, kx = np.meshgrid(np.arange(co_n), np.arange(Ho), np.arange(Wo), np.arange(ci_n),
                                         np.arange(kh), np.arange(kw), indexing="ij", sparse=True)
    iy = oy * stride - padding + ky
    ix = ox * stride - padding + kx
    w = np.broadcast_to(kernel[co, ci, ky, kx], (co_n, Ho, Wo, ci_n, kh, kw))
    keep = (iy >= 0) & (iy < H) & (ix >= 0) & (ix < W) & (w != 0)
    pre = np.broadcast_to(ci * H * W + iy * W + ix, keep.shape)[keep]
    post = np.broadcast_to(co * Ho * Wo + oy * Wo + ox, keep.shape)[keep]
    return pre, post, w[keep], (co_n, Ho, Wo)


def _bn_affine(bn: BatchNorm | None, n: int) -> tuple[np.ndarray, np.ndarray]:
    if bn is None:
        return np.ones(n), np.zeros(n)
    a, c = bn.affine()
    return a.astype(np.float64), c.astype(np.float64)


def _probe(layers: list[Layer], in_shape: tuple[int, ...], chunk: int = 256) -> tuple[np.ndarray, np.ndarray]:
    """(n_pre, n_post) matrix and bias of the affine map computed by `layers` (eval mode)."""
    n_in = int(np.prod(in_shape))
    st = Step(T=1, timed=False, train=False)

    def f(x):
        for layer in layers:
            x = layer.forward(x, st)
        return x.reshape(x.shape[0], -1)

    c = f(np.zeros((1,) + in_shape))[0]
    if n_in * c.size > _PROBE_LIMIT:
        raise ValueError(f"cannot fold {[type(x).__name__ for x in layers]} ({n_in}x{c.size} map): too large")
    m = np.empty((n_in, c.size))
    for i in range(0, n_in, chunk):
        e = np.zeros((min(chunk, n_in - i), n_in))
        e[np.arange(e.shape[0]), i + np.arange(e.shape[0])] = 1.0
        m[i:i + e.shape[0]] = f(e.reshape((-1,) + in_shape)) - c
    return m, c


def _fold(layers: list[Layer], pre: str, post: str, in_shape: tuple[int, ...]
          ) -> tuple[Projection, np.ndarray, tuple[int, ...]]:
    """Projection pre → post, the post population's bias, and its shape."""
    kinds = [type(x) for x in layers]
    core = [i for i, x in enumerate(layers) if isinstance(x, Linear | Conv2d)]
    prefix = layers[:core[0]] if len(core) == 1 else None
    suffix = layers[core[0] + 1:] if len(core) == 1 else None
    simple = (prefix is not None and len(suffix) <= 1 and all(isinstance(x, BatchNorm) for x in suffix)
              and [type(x) for x in prefix] in ([], [Flatten], [AvgPool2d], [AvgPool2d, Flatten]))
    if simple:
        lin = layers[core[0]]
        bn = suffix[0] if suffix else None
        pool = prefix[0] if prefix and isinstance(prefix[0], AvgPool2d) else None
        if isinstance(lin, Linear):
            w = lin.weight.value.astype(np.float64)
            n_out = w.shape[1]
            a, c = _bn_affine(bn, n_out)
            b = lin.bias.value.astype(np.float64) if lin.bias is not None else np.zeros(n_out)
            w, bias = w * a, b * a + c
            if pool is None:
                return Projection.from_dense(pre, post, w, kind="dense"), bias, (n_out,)
            C, H, W = in_shape
            k = pool.k
            Hp, Wp = H // k, W // k
            full = np.zeros((C, H, W, n_out))
            full[:, :Hp * k, :Wp * k] = np.repeat(np.repeat(w.reshape(C, Hp, Wp, n_out), k, 1), k, 2) / (k * k)
            return Projection.from_dense(pre, post, full.reshape(-1, n_out), kind="sparse"), bias, (n_out,)
        if isinstance(lin, Conv2d) and (pool is None or (in_shape[1] % pool.k == 0 and in_shape[2] % pool.k == 0)):
            K = lin.weight.value.astype(np.float64)
            co = K.shape[0]
            a, c = _bn_affine(bn, co)
            b = lin.bias.value.astype(np.float64) if lin.bias is not None else np.zeros(co)
            K, bch = K * a[:, None, None, None], b * a + c
            s, p = lin.stride, lin.padding
            if pool is not None:
                k = pool.k
                K = np.repeat(np.repeat(K, k, 2), k, 3) / (k * k)
                s, p = s * k, p * k
            pre_i, post_i, w, out_shape = conv_coo(K, in_shape, s, p)
            geo = ConvGeometry(tuple(in_shape), out_shape, (K.shape[2], K.shape[3]), (s, s), (p, p))
            proj = Projection(pre, post, pre_i, post_i, w, kind="conv", conv=geo, kernel=K)
            return proj, np.repeat(bch, out_shape[1] * out_shape[2]), out_shape
    if not core:
        raise ValueError(f"no linear or conv layer between {pre} and {post}: {[k.__name__ for k in kinds]}")
    m, c = _probe(layers, in_shape)
    shape = in_shape
    for layer in layers:
        shape = tuple(layer.out_shape(shape))
    return Projection.from_dense(pre, post, m, kind="sparse"), c, shape


def to_network(model: SNN, *, name: str = "snn", encoder: str = "direct", input_levels: int = 1,
               meta: dict | None = None) -> Network:
    """The float `ir.Network` computing what `model` computes in eval mode (zero-delay timing).

    Population names: 'input', the LIF layer names ('lif1', …) and 'readout'. meta carries
    'input_levels' (for direct encoding: the integer value of a unit input in the deploy model),
    'timesteps', 'encoder' and 'readout' (the population whose summed potential gives the class)."""
    pops = [Population("input", int(np.prod(model.in_shape)), None, shape=tuple(model.in_shape))]
    projs: list[Projection] = []
    cur, pending = "input", []
    for i, layer in enumerate(model.layers):
        if not isinstance(layer, LIF | Readout):
            if not pending:
                pend_shape = model.shapes[i]
            pending.append(layer)
            continue
        if not pending:
            raise ValueError(f"{layer.name} follows {cur} without a linear or conv layer")
        proj, bias, shape = _fold(pending, cur, layer.name, pend_shape)
        if isinstance(layer, LIF):
            neuron = Neuron(decay=float(layer.beta), threshold=float(layer.threshold), reset=layer.reset,
                            fire_at_equal=bool(layer.fire_at_equal), spiking=True)
        else:
            neuron = Neuron(decay=float(layer.beta), threshold=1.0, reset="zero", spiking=False)
        size = int(np.prod(shape))
        bias = None if not np.any(bias) else np.asarray(bias, np.float64).reshape(size)
        pops.append(Population(layer.name, size, neuron, bias=bias, shape=tuple(shape)))
        projs.append(proj)
        cur, pending = layer.name, []
    if pending:
        raise ValueError(f"layers after {cur} do not end in a LIF or readout layer")
    md = {"timesteps": model.timesteps, "encoder": encoder, "readout": cur}
    if encoder == "direct" and input_levels != 1:
        md["input_levels"] = {"input": int(input_levels)}
    md.update(meta or {})
    return Network(pops, projs, name=name, meta=md)

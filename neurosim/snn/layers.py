"""Layers of the float training model, with hand-written forward and backward passes.

Activations flow as arrays whose first axis is N = T·B (time-major: step t of sample b is row
t·B + b) once they vary over time, or N = B while they do not (direct encoding: the layers before
the first LIF see the same input every step, so they run once and LIF broadcasts over T; their
gradient is the sum over steps). Stateless layers do not care which; LIF and Readout turn either
into a time-varying (T·B, …) array. Every parameter is a `Param` with a name ``<layer>.<kind>``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from neurosim.snn import kernels
from neurosim.snn.surrogate import ATan


@dataclass(eq=False)
class Param:
    """A trainable array, its gradient, and whether weight decay applies (weights only)."""

    name: str
    value: np.ndarray
    decay: bool = True
    grad: np.ndarray | None = None

    def zero_grad(self) -> None:
        self.grad = np.zeros_like(self.value)


@dataclass
class Step:
    """How a forward call is run: T steps, whether `x` already varies over time, train or eval."""

    T: int
    timed: bool
    train: bool = True


class Layer:
    """Base: stateless identity. `forward` caches what `backward` needs (train mode only)."""

    name: str = ""
    temporal = False  # LIF and Readout own time: their output varies over steps
    need_input_grad = True  # the model clears it on the first layer (no gradient w.r.t. the data)

    def params(self) -> list[Param]:
        return []

    def out_shape(self, in_shape: tuple[int, ...]) -> tuple[int, ...]:
        return in_shape

    def forward(self, x: np.ndarray, st: Step) -> np.ndarray:
        return x

    def backward(self, dy: np.ndarray) -> np.ndarray:
        return dy


def _uniform(rng: np.random.Generator, shape, fan_in: int) -> np.ndarray:
    bound = 1.0 / math.sqrt(fan_in)
    return rng.uniform(-bound, bound, size=shape).astype(np.float32)


class Linear(Layer):
    """y = x·W + b with W stored (in, out), the (n_pre, n_post) layout of `ir.Projection`."""

    def __init__(self, name: str, n_in: int, n_out: int, rng: np.random.Generator, bias: bool = True):
        self.name = name
        self.weight = Param(f"{name}.weight", _uniform(rng, (n_in, n_out), n_in))
        self.bias = Param(f"{name}.bias", _uniform(rng, (n_out,), n_in), decay=False) if bias else None

    def params(self) -> list[Param]:
        return [self.weight] + ([self.bias] if self.bias else [])

    def out_shape(self, in_shape):
        return (self.weight.value.shape[1],)

    def forward(self, x, st):
        if st.train:
            self._x = x
        y = x @ self.weight.value
        if self.bias is not None:
            y += self.bias.value
        return y

    def backward(self, dy):
        self.weight.grad += self._x.T @ dy
        if self.bias is not None:
            self.bias.grad += dy.sum(0)
        return dy @ self.weight.value.T if self.need_input_grad else None


def conv_out(size: int, k: int, stride: int, pad: int) -> int:
    return (size + 2 * pad - k) // stride + 1


class Conv2d(Layer):
    """2-D convolution (cross-correlation, NCHW) by im2col; kernel (C_out, C_in, kh, kw)."""

    def __init__(self, name: str, c_in: int, c_out: int, k: int, rng: np.random.Generator, stride: int = 1,
                 padding: int = 0, bias: bool = True):
        self.name, self.k, self.stride, self.padding = name, k, stride, padding
        fan = c_in * k * k
        self.weight = Param(f"{name}.weight", _uniform(rng, (c_out, c_in, k, k), fan))
        self.bias = Param(f"{name}.bias", _uniform(rng, (c_out,), fan), decay=False) if bias else None

    def params(self):
        return [self.weight] + ([self.bias] if self.bias else [])

    def out_shape(self, in_shape):
        c, h, w = in_shape
        return (self.weight.value.shape[0], conv_out(h, self.k, self.stride, self.padding),
                conv_out(w, self.k, self.stride, self.padding))

    def _cols(self, x):
        N, C, H, W = x.shape
        k, s, p = self.k, self.stride, self.padding
        Ho, Wo = conv_out(H, k, s, p), conv_out(W, k, s, p)
        xp = np.zeros((N, H + 2 * p, W + 2 * p, C), dtype=x.dtype)
        xp[:, p:p + H, p:p + W, :] = x.transpose(0, 2, 3, 1)  # NHWC: the copies below move contiguous C runs
        cols = np.empty((N, Ho, Wo, k, k, C), dtype=x.dtype)
        for i in range(k):
            for j in range(k):
                cols[:, :, :, i, j, :] = xp[:, i:i + s * Ho:s, j:j + s * Wo:s, :]
        return cols.reshape(N * Ho * Wo, k * k * C), (N, C, H, W, Ho, Wo)

    def _wmat(self):
        # (k, k, C_in, C_out) flattened to match the column order (i, j, c)
        return self.weight.value.transpose(2, 3, 1, 0).reshape(-1, self.weight.value.shape[0])

    def forward(self, x, st):
        cols, dims = self._cols(x)
        N, _, _, _, Ho, Wo = dims
        y = cols @ self._wmat()
        if self.bias is not None:
            y += self.bias.value
        if st.train:
            self._cols_cache, self._dims = cols, dims
        return np.ascontiguousarray(y.reshape(N, Ho, Wo, -1).transpose(0, 3, 1, 2))

    def backward(self, dy):
        cols, (N, C, H, W, Ho, Wo) = self._cols_cache, self._dims
        k, s, p = self.k, self.stride, self.padding
        co = dy.shape[1]
        dyf = dy.transpose(0, 2, 3, 1).reshape(-1, co)
        dw = cols.T @ dyf  # (k*k*C, C_out)
        self.weight.grad += dw.reshape(k, k, C, co).transpose(3, 2, 0, 1)
        if self.bias is not None:
            self.bias.grad += dyf.sum(0)
        if not self.need_input_grad:
            return None
        dcols = (dyf @ self._wmat().T).reshape(N, Ho, Wo, k, k, C)
        dxp = np.zeros((N, H + 2 * p, W + 2 * p, C), dtype=dy.dtype)
        for i in range(k):
            for j in range(k):
                dxp[:, i:i + s * Ho:s, j:j + s * Wo:s, :] += dcols[:, :, :, i, j, :]
        dxp = dxp[:, p:p + H, p:p + W, :] if p else dxp
        return np.ascontiguousarray(dxp.transpose(0, 3, 1, 2))


class AvgPool2d(Layer):
    """Non-overlapping average pooling (kernel = stride, no padding; trailing rows that do not
    fill a window are dropped, as in PyTorch)."""

    def __init__(self, name: str, k: int):
        self.name, self.k = name, k

    def out_shape(self, in_shape):
        c, h, w = in_shape
        return (c, h // self.k, w // self.k)

    def forward(self, x, st):
        N, C, H, W = x.shape
        k = self.k
        Ho, Wo = H // k, W // k
        if st.train:
            self._in = x.shape
        y = np.zeros((N, C, Ho, Wo), dtype=x.dtype)
        for i in range(k):  # k*k strided adds are much faster than a mean over strided axes
            for j in range(k):
                y += x[:, :, i:Ho * k:k, j:Wo * k:k]
        y *= x.dtype.type(1.0 / (k * k))
        return y

    def backward(self, dy):
        N, C, H, W = self._in
        k = self.k
        Ho, Wo = dy.shape[2:]
        dx = np.zeros(self._in, dtype=dy.dtype)
        g = dy * dy.dtype.type(1.0 / (k * k))
        for i in range(k):
            for j in range(k):
                dx[:, :, i:Ho * k:k, j:Wo * k:k] = g
        return dx


class Flatten(Layer):
    """(N, C, H, W) → (N, C·H·W) in C order, the neuron order of `ir.Population`."""

    def __init__(self, name: str):
        self.name = name

    def out_shape(self, in_shape):
        return (int(np.prod(in_shape)),)

    def forward(self, x, st):
        if st.train:
            self._in = x.shape
        return x.reshape(x.shape[0], -1)

    def backward(self, dy):
        return dy.reshape(self._in)


class BatchNorm(Layer):
    """Batch normalisation over axis 1 (features or channels); batch statistics while training,
    running statistics in eval mode, where it is the per-channel affine map folded at export."""

    def __init__(self, name: str, c: int, momentum: float = 0.1, eps: float = 1e-5):
        self.name, self.momentum, self.eps = name, momentum, eps
        self.gamma = Param(f"{name}.gamma", np.ones(c, np.float32), decay=False)
        self.beta = Param(f"{name}.beta", np.zeros(c, np.float32), decay=False)
        self.running_mean = np.zeros(c, np.float32)
        self.running_var = np.ones(c, np.float32)

    def params(self):
        return [self.gamma, self.beta]

    def affine(self) -> tuple[np.ndarray, np.ndarray]:
        """Eval-mode map y = a·x + c per channel."""
        a = self.gamma.value / np.sqrt(self.running_var + self.eps)
        return a, self.beta.value - self.running_mean * a

    def forward(self, x, st):
        shape = (1, -1) + (1,) * (x.ndim - 2)
        axes = (0,) + tuple(range(2, x.ndim))
        if not st.train:
            a, c = self.affine()
            return x * a.reshape(shape).astype(x.dtype) + c.reshape(shape).astype(x.dtype)
        mean = x.mean(axes)
        var = x.var(axes)
        m = x.size // x.shape[1]
        self.running_mean = ((1 - self.momentum) * self.running_mean + self.momentum * mean).astype(np.float32)
        self.running_var = ((1 - self.momentum) * self.running_var
                            + self.momentum * var * m / max(m - 1, 1)).astype(np.float32)
        inv = 1.0 / np.sqrt(var + self.eps)
        xhat = (x - mean.reshape(shape)) * inv.reshape(shape)
        self._cache = (xhat, inv, shape, axes, m)
        return xhat * self.gamma.value.reshape(shape) + self.beta.value.reshape(shape)

    def backward(self, dy):
        xhat, inv, shape, axes, m = self._cache
        self.gamma.grad += (dy * xhat).sum(axes)
        self.beta.grad += dy.sum(axes)
        dxhat = dy * self.gamma.value.reshape(shape)
        return (inv.reshape(shape) / m) * (m * dxhat - dxhat.sum(axes).reshape(shape)
                                           - xhat * (dxhat * xhat).sum(axes).reshape(shape))


class LIF(Layer):
    """Leaky integrate-and-fire neurons (DESIGN §3): v ← β·v + I; s = v > θ (≥ if `fire_at_equal`);
    reset to 0 or by subtraction. BPTT through the membrane with the surrogate gradient; the reset
    is treated as a constant in the backward pass (`detach_reset`, the snnTorch default).

    `smooth=True` replaces the step by the surrogate's smooth function in the forward pass too,
    which makes the backward pass the exact gradient (for finite-difference tests)."""

    temporal = True

    def __init__(self, name: str, beta: float, threshold: float = 1.0, reset: str = "subtract",
                 fire_at_equal: bool = False, surrogate=None, detach_reset: bool = True, smooth: bool = False):
        self.name, self.beta, self.threshold, self.reset = name, beta, threshold, reset
        self.fire_at_equal = fire_at_equal
        self.surrogate = ATan() if surrogate is None else surrogate
        self.detach_reset, self.smooth = detach_reset, smooth
        self.numba = True  # use the fused kernels when they apply (ATan, detached reset, step forward)
        self.potentials: np.ndarray | None = None  # pre-reset v of the last forward, (T, B, ...)

    def _fast(self) -> bool:
        return self.numba and not self.smooth and self.detach_reset and isinstance(self.surrogate, ATan)

    def forward(self, x, st):
        T = st.T
        B = x.shape[0] // T if st.timed else x.shape[0]
        if self._fast():
            vpre = np.empty((T, B) + x.shape[1:], dtype=x.dtype)
            s_all = np.empty_like(vpre)
            dt = x.dtype.type
            kernels.lif_forward(np.ascontiguousarray(x).reshape(T if st.timed else 1, -1), not st.timed,
                                dt(self.beta), dt(self.threshold), self.reset == "zero", self.fire_at_equal,
                                vpre.reshape(T, -1), s_all.reshape(T, -1))
            self.potentials = vpre
            if st.train:
                self._timed, self._spikes = st.timed, s_all
            return s_all.reshape((T * B,) + x.shape[1:])
        I = x.reshape((T, B) + x.shape[1:]) if st.timed else None
        vpre = np.empty((T, B) + x.shape[1:], dtype=x.dtype)
        s_all = np.empty_like(vpre)
        v = np.zeros((B,) + x.shape[1:], dtype=x.dtype)
        th = self.threshold
        for t in range(T):
            v = self.beta * v + (I[t] if st.timed else x)
            vpre[t] = v
            if self.smooth:
                s = self.surrogate.smooth(v - th).astype(x.dtype)
            else:
                s = ((v >= th) if self.fire_at_equal else (v > th)).astype(x.dtype)
            s_all[t] = s
            v = v * (1 - s) if self.reset == "zero" else v - th * s
        self.potentials = vpre
        if st.train:
            self._timed = st.timed
            self._spikes = s_all
        return s_all.reshape((T * B,) + x.shape[1:])

    def backward(self, dy):
        vpre, s = self.potentials, self._spikes
        T, B = vpre.shape[:2]
        if self._fast():
            dI = np.empty_like(vpre)
            dt = vpre.dtype.type
            kernels.lif_backward_atan(np.ascontiguousarray(dy, dtype=vpre.dtype).reshape(T, -1), vpre.reshape(T, -1),
                                      s.reshape(T, -1), dt(self.beta), dt(self.threshold), dt(self.surrogate.alpha),
                                      self.reset == "zero", dI.reshape(T, -1))
            return dI.reshape((T * B,) + vpre.shape[2:]) if self._timed else dI.sum(0)
        ds = dy.reshape(vpre.shape)
        sg = self.surrogate.grad(vpre - self.threshold).astype(dy.dtype)
        dI = np.empty_like(vpre)
        du = np.zeros(vpre.shape[1:], dtype=dy.dtype)
        for t in range(T - 1, -1, -1):
            if self.reset == "zero":
                r = (1 - s[t]) if self.detach_reset else (1 - s[t]) - vpre[t] * sg[t]
            else:
                r = 1.0 if self.detach_reset else 1 - self.threshold * sg[t]
            dv = ds[t] * sg[t] + du * r
            dI[t] = dv
            du = self.beta * dv
        if self._timed:
            return dI.reshape((T * B,) + vpre.shape[2:])
        return dI.sum(0)


class Readout(Layer):
    """Non-spiking leaky integrator: v ← β·v + I; the output at every step is v."""

    temporal = True

    def __init__(self, name: str, beta: float):
        self.name, self.beta = name, beta

    def forward(self, x, st):
        T = st.T
        B = x.shape[0] // T if st.timed else x.shape[0]
        out = np.empty((T, B) + x.shape[1:], dtype=x.dtype)
        v = np.zeros((B,) + x.shape[1:], dtype=x.dtype)
        for t in range(T):
            v = self.beta * v + (x[t * B:(t + 1) * B] if st.timed else x)
            out[t] = v
        if st.train:
            self._timed, self._T = st.timed, T
        return out.reshape((T * B,) + x.shape[1:])

    def backward(self, dy):
        T = self._T
        B = dy.shape[0] // T
        g = dy.reshape((T, B) + dy.shape[1:])
        dI = np.empty_like(g)
        dv = np.zeros(g.shape[1:], dtype=dy.dtype)
        for t in range(T - 1, -1, -1):
            dv = g[t] + self.beta * dv
            dI[t] = dv
        return dI.reshape(dy.shape) if self._timed else dI.sum(0)

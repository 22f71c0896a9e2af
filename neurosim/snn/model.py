"""The float training model: a sequence of layers built from a workload's `model` section."""

from __future__ import annotations

import numpy as np

from neurosim.config.workload import Model as ModelSpec
from neurosim.errors import ConfigError
from neurosim.snn.layers import LIF, AvgPool2d, BatchNorm, Conv2d, Flatten, Layer, Linear, Param, Readout, Step
from neurosim.snn.surrogate import make_surrogate


def decay_of(tau: float) -> float:
    """β = 1 − 1/τ (DESIGN §3)."""
    return 1.0 - 1.0 / tau


class SNN:
    """Layers in order; `forward` maps an encoded batch to the readout potentials (T, B, classes).

    Input: (B, *in_shape) when `timed=False` (direct encoding: same frame every step) or
    (T, B, *in_shape) when the input varies over steps (rate encoding)."""

    def __init__(self, layers: list[Layer], in_shape: tuple[int, ...], timesteps: int):
        self.layers = layers
        self.in_shape = tuple(in_shape)
        self.timesteps = timesteps
        for i, layer in enumerate(layers):  # no gradient w.r.t. the data: stop at the first weight layer
            layer.need_input_grad = i > 0 and any(lay.params() for lay in layers[:i])
        self.shapes = [self.in_shape]  # input shape of each layer, then the output shape
        for layer in layers:
            self.shapes.append(tuple(layer.out_shape(self.shapes[-1])))

    # --- parameters ---------------------------------------------------------------------------
    def params(self) -> list[Param]:
        return [p for layer in self.layers for p in layer.params()]

    def param(self, name: str) -> Param:
        for p in self.params():
            if p.name == name:
                return p
        raise KeyError(name)

    def lif_layers(self) -> list[LIF]:
        return [layer for layer in self.layers if isinstance(layer, LIF)]

    def feeding_weight(self, name: str) -> str:
        """Name of the weight parameter of the last linear/conv layer before LIF/readout `name`."""
        w = None
        for layer in self.layers:
            if isinstance(layer, Linear | Conv2d):
                w = layer.weight.name
            if layer.name == name:
                if w is None:
                    raise KeyError(f"no weight layer feeds {name}")
                return w
        raise KeyError(name)

    def state_dict(self) -> dict[str, np.ndarray]:
        d = {p.name: p.value for p in self.params()}
        for layer in self.layers:
            if isinstance(layer, BatchNorm):
                d[f"{layer.name}.running_mean"] = layer.running_mean
                d[f"{layer.name}.running_var"] = layer.running_var
        return d

    def load_state_dict(self, d: dict[str, np.ndarray]) -> None:
        for p in self.params():
            if np.shape(d[p.name]) != p.value.shape:
                raise ValueError(f"{p.name} has shape {np.shape(d[p.name])}, the model {p.value.shape}")
            p.value = np.array(d[p.name], dtype=p.value.dtype)
        for layer in self.layers:
            if isinstance(layer, BatchNorm):
                layer.running_mean = np.array(d[f"{layer.name}.running_mean"], np.float32)
                layer.running_var = np.array(d[f"{layer.name}.running_var"], np.float32)

    def astype(self, dtype) -> SNN:
        """Cast parameters in place (float64 for exact comparisons with the IR)."""
        for p in self.params():
            p.value = p.value.astype(dtype)
        return self

    # --- passes -------------------------------------------------------------------------------
    def forward(self, x: np.ndarray, train: bool = False, timed: bool = False) -> np.ndarray:
        T = self.timesteps
        if timed:
            x = x.reshape((T * x.shape[1],) + x.shape[2:])
        dtype = self.params()[0].value.dtype if self.params() else np.float32
        x = x.astype(dtype, copy=False)
        st = Step(T=T, timed=timed, train=train)
        for layer in self.layers:
            x = layer.forward(x, st)
            if layer.temporal and not st.timed:
                st = Step(T=T, timed=True, train=train)
        return x.reshape((T, -1) + x.shape[1:])

    def backward(self, dout: np.ndarray) -> None:
        """Accumulate parameter gradients from d loss / d output (T, B, classes)."""
        g = dout.reshape((-1,) + dout.shape[2:])
        for layer in reversed(self.layers):
            g = layer.backward(g)
            if g is None:
                break

    def zero_grad(self) -> None:
        for p in self.params():
            p.zero_grad()

    def potentials(self) -> dict[str, np.ndarray]:
        """Pre-reset membrane potentials (T, B, C[, H, W]) of every LIF layer in the last forward."""
        return {layer.name: layer.potentials for layer in self.lif_layers()}


def build(spec: ModelSpec, in_shape: tuple[int, ...], timesteps: int, seed: int) -> SNN:
    """The SNN described by a workload's `model` section, with seeded initial weights."""
    rng = np.random.default_rng(seed)
    sur = make_surrogate(spec.surrogate, spec.surrogate_alpha)
    layers: list[Layer] = []
    shape = tuple(in_shape)
    counts: dict[str, int] = {}

    def name(kind: str) -> str:
        counts[kind] = counts.get(kind, 0) + 1
        return f"{kind}{counts[kind]}"

    for i, ls in enumerate(spec.layers):
        t = ls.type
        if t == "linear":
            if len(shape) != 1:
                raise ConfigError(f"network.model.layers[{i}]: linear needs a flat input, got shape {shape}; "
                                  "add a flatten layer")
            layer = Linear(name("fc"), shape[0], ls.out, rng, bias=ls.bias)
        elif t == "conv":
            if len(shape) != 3:
                raise ConfigError(f"network.model.layers[{i}]: conv needs (C, H, W) input, got shape {shape}")
            layer = Conv2d(name("conv"), shape[0], ls.out, ls.kernel, rng, stride=ls.stride or 1,
                           padding=ls.padding, bias=ls.bias)
        elif t == "avgpool":
            layer = AvgPool2d(name("pool"), ls.kernel)
        elif t == "flatten":
            layer = Flatten(name("flatten"))
        elif t == "batchnorm":
            layer = BatchNorm(name("bn"), shape[0])
        elif t == "lif":
            layer = LIF(name("lif"), decay_of(spec.tau), spec.threshold, spec.reset, spec.fire_at_equal, sur)
        elif t == "readout":
            if i != len(spec.layers) - 1:
                raise ConfigError(f"network.model.layers[{i}]: readout must be the last layer")
            layer = Readout("readout", decay_of(spec.readout_tau))
        else:  # pragma: no cover - the config schema rejects other kinds
            raise ValueError(t)
        layers.append(layer)
        shape = tuple(layer.out_shape(shape))
        if min(shape) < 1:
            raise ConfigError(f"network.model.layers[{i}]: {t} leaves an empty feature map {shape} "
                              f"(input {tuple(in_shape)}); use less stride, pooling or kernel size")
    return SNN(layers, in_shape, timesteps)

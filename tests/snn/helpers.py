"""Small models for the snn tests."""

import numpy as np

from neurosim.config.schema import parse_mapping
from neurosim.config.workload import Model
from neurosim.snn.layers import BatchNorm
from neurosim.snn.model import build


def model_spec(layers, **kw):
    d = {"dataset": "digits", "layers": layers, "epochs": 1}
    d.update(kw)
    return parse_mapping(Model, d)


CNN = [{"type": "conv", "out": 4, "kernel": 3, "padding": 1}, {"type": "batchnorm"}, {"type": "lif"},
       {"type": "avgpool", "kernel": 2},
       {"type": "conv", "out": 5, "kernel": 3, "padding": 1}, {"type": "batchnorm"}, {"type": "lif"},
       {"type": "avgpool", "kernel": 2}, {"type": "flatten"},
       {"type": "linear", "out": 6}, {"type": "batchnorm"}, {"type": "lif"},
       {"type": "linear", "out": 3}, {"type": "readout"}]


def random_model(spec, in_shape, T=4, seed=0, dtype=np.float64, gain=1.5):
    """A built model with random BatchNorm statistics, active enough that every LIF layer fires."""
    rng = np.random.default_rng(seed)
    m = build(spec, in_shape, T, seed)
    for layer in m.layers:
        if isinstance(layer, BatchNorm):
            c = layer.gamma.value.size
            layer.gamma.value = rng.uniform(0.5, gain, c).astype(np.float32)
            layer.beta.value = rng.normal(0.4, 0.4, c).astype(np.float32)
            layer.running_mean = rng.normal(0, 0.3, c).astype(np.float32)
            layer.running_var = rng.uniform(0.2, 1.0, c).astype(np.float32)
    return m.astype(dtype)


def check_fd(loss, arr, grad, rng, n, eps=1e-6, rel=1e-6, abs_=1e-6, msg=""):
    """Central finite differences of `loss()` w.r.t. n random entries of `arr` (changed in place
    and restored) against the analytic gradient `grad`."""
    flat, g = arr.reshape(-1), grad.reshape(-1)
    for i in rng.choice(flat.size, size=min(n, flat.size), replace=False):
        old = flat[i]
        flat[i] = old + eps
        lp = loss()
        flat[i] = old - eps
        lm = loss()
        flat[i] = old
        assert abs((lp - lm) / (2 * eps) - g[i]) <= abs_ + rel * abs(g[i]), (msg, i)

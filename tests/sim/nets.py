"""Random integer networks for simulator tests (feed-forward, skip, recurrent, conv, readout)."""

from __future__ import annotations

import numpy as np

from neurosim.ir import ConvGeometry, Network, Neuron, Population, Projection


def random_neuron(rng: np.random.Generator, spiking: bool = True) -> Neuron:
    """A plain LIF, or (40 %) Loihi's full compartment: a synaptic current with its own decay, a
    refractory period and a voltage floor, each drawn independently."""
    full = rng.random() < 0.4
    return Neuron(decay=float(rng.choice([1.0, 0.9, 0.75, 0.5])), threshold=float(rng.integers(1, 8)),
                  reset=str(rng.choice(["zero", "subtract"])), fire_at_equal=bool(rng.integers(2)),
                  spiking=spiking,
                  current_decay=float(rng.choice([0.0, 0.5, 0.9])) if full else 0.0,
                  refractory=int(rng.integers(0, 3)) if full else 0,
                  v_min=float(rng.choice([-2, -20])) if full and rng.random() < 0.5 else None)


def random_projection(rng, pre: str, post: str, n_pre: int, n_post: int, density: float, wmax: int = 6,
                      positive_bias: float = 0.4) -> Projection:
    mask = rng.random((n_pre, n_post)) < density
    w = rng.integers(1, wmax + 1, size=(n_pre, n_post)) * np.where(rng.random((n_pre, n_post)) < positive_bias + 0.3,
                                                                   1, -1)
    r, c = np.nonzero(mask)
    return Projection(pre, post, r, c, w[r, c].astype(np.int32), kind="dense" if density >= 1 else "sparse")


def random_network(seed: int, n_hidden: int, skip: bool, self_rec: bool, feedback: bool, readout: bool,
                   density: float, state_bits: int = 16) -> Network:
    """Integer network in -> h1 .. hk (-> out readout), pruned to `density`, with optional skip
    (in -> h2 or h1 -> h3), self-recurrent (h1 -> h1) and feedback (h2 -> h1) projections and biases."""
    rng = np.random.default_rng(seed)
    sizes = [int(rng.integers(2, 10))] + [int(rng.integers(1, 11)) for _ in range(n_hidden)]
    pops = [Population("in", sizes[0])]
    for i in range(n_hidden):
        bias = rng.integers(-2, 3, size=sizes[i + 1]).astype(np.int64) if rng.random() < 0.5 else None
        pops.append(Population(f"h{i + 1}", sizes[i + 1], neuron=random_neuron(rng), bias=bias))
    if readout:
        pops.append(Population("out", int(rng.integers(1, 5)), neuron=random_neuron(rng, spiking=False)))
    projs = []
    for a, b in zip(pops[:-1], pops[1:], strict=True):
        projs.append(random_projection(rng, a.name, b.name, a.size, b.size, density))
    if skip and n_hidden >= 2:
        a, b = (pops[0], pops[2]) if n_hidden < 3 or rng.random() < 0.5 else (pops[1], pops[3])
        projs.append(random_projection(rng, a.name, b.name, a.size, b.size, density))
    if self_rec:
        projs.append(random_projection(rng, "h1", "h1", pops[1].size, pops[1].size, density * 0.5))
    if feedback and n_hidden >= 2:
        projs.append(random_projection(rng, "h2", "h1", pops[2].size, pops[1].size, density * 0.5))
    return Network(pops, projs, name=f"rand{seed}", integer=True, state_bits=state_bits)


def conv_coo(geom: ConvGeometry, kernel: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Enumerate the synapses (pre, post, weight) of a 2-D convolution; zero kernel entries are absent."""
    ci_n, h, w = geom.in_shape
    co_n, ho, wo = geom.out_shape
    kh, kw = geom.kernel
    sy, sx = geom.stride
    py, px = geom.padding
    pre, post, wt = [], [], []
    for co in range(co_n):
        for oy in range(ho):
            for ox in range(wo):
                for ci in range(ci_n):
                    for ky in range(kh):
                        for kx in range(kw):
                            iy, ix = oy * sy - py + ky, ox * sx - px + kx
                            k = kernel[co, ci, ky, kx]
                            if 0 <= iy < h and 0 <= ix < w and k != 0:
                                pre.append(ci * h * w + iy * w + ix)
                                post.append(co * ho * wo + oy * wo + ox)
                                wt.append(k)
    return np.array(pre, np.int64), np.array(post, np.int64), np.array(wt, np.int32)


def conv_network(seed: int, c_in: int, hw: int, c_out: int, k: int, stride: int, pad: int,
                 readout: bool) -> Network:
    """in (c_in, hw, hw) -conv-> c (c_out, ho, ho) spiking (-> out readout, dense)."""
    rng = np.random.default_rng(seed)
    ho = (hw + 2 * pad - k) // stride + 1
    geom = ConvGeometry((c_in, hw, hw), (c_out, ho, ho), (k, k), (stride, stride), (pad, pad))
    kernel = rng.integers(-3, 6, size=(c_out, c_in, k, k)).astype(np.int32)
    pre, post, w = conv_coo(geom, kernel)
    pops = [Population("in", c_in * hw * hw, shape=(c_in, hw, hw)),
            Population("c", c_out * ho * ho, neuron=random_neuron(rng), shape=(c_out, ho, ho))]
    projs = [Projection("in", "c", pre, post, w, kind="conv", conv=geom, kernel=kernel)]
    if readout:
        pops.append(Population("out", 3, neuron=random_neuron(rng, spiking=False)))
        projs.append(random_projection(rng, "c", "out", pops[1].size, 3, 0.7))
    return Network(pops, projs, name=f"conv{seed}", integer=True, state_bits=16)


def random_inputs(seed: int, samples: int, timesteps: int, n: int, graded: bool) -> np.ndarray:
    rng = np.random.default_rng(seed + 7)
    spikes = rng.random((samples, timesteps, n)) < rng.uniform(0.2, 0.7)
    if graded:
        return (spikes * rng.integers(1, 4, size=spikes.shape)).astype(np.int32)
    return spikes.astype(np.int32)

"""Small chips and networks for mapper tests."""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from neurosim.config import load_hardware
from neurosim.ir import ConvGeometry, Network, Neuron, Population, Projection


def chip(**core) -> object:
    """The Loihi preset with core fields overridden and a mesh large enough for any test network; unused
    cores power-gated, so that the default mapping objective (auto) is the fewest-cores cut under test."""
    hw = load_hardware("loihi")[0]
    mesh = core.pop("mesh", None)
    hw = replace(hw, core=replace(hw.core, **core), power=replace(hw.power, power_gating=True))
    return replace(hw, mesh=mesh) if mesh is not None else hw


def big_mesh(hw, cols=16, rows=16, cores_per_router=1):
    return replace(hw.mesh, cols=cols, rows=rows, cores_per_router=cores_per_router)


def integer_net(pops: list[tuple[str, int]], projs: list[Projection]) -> Network:
    neuron = Neuron(decay=1.0, threshold=10.0)
    populations = [Population(n, s, None if i == 0 else neuron) for i, (n, s) in enumerate(pops)]
    return Network(populations, projs, integer=True, state_bits=24)


def conv_coo(kernel: np.ndarray, in_shape, stride=(1, 1), padding=(0, 0)):
    """Plain-loop conv COO (pre, post, weight) and output shape, zero taps absent (independent of the
    mapper's vectorised geometry)."""
    co_n, ci_n, kh, kw = kernel.shape
    _, h, w = in_shape
    ho = (h + 2 * padding[0] - kh) // stride[0] + 1
    wo = (w + 2 * padding[1] - kw) // stride[1] + 1
    pre, post, wt = [], [], []
    for co in range(co_n):
        for oy in range(ho):
            for ox in range(wo):
                for ci in range(ci_n):
                    for ky in range(kh):
                        for kx in range(kw):
                            iy, ix = oy * stride[0] - padding[0] + ky, ox * stride[1] - padding[1] + kx
                            if 0 <= iy < h and 0 <= ix < w and kernel[co, ci, ky, kx] != 0:
                                pre.append(ci * h * w + iy * w + ix)
                                post.append(co * ho * wo + oy * wo + ox)
                                wt.append(kernel[co, ci, ky, kx])
    return np.array(pre), np.array(post), np.array(wt, np.int32), (co_n, ho, wo)


def conv_projection(kernel, in_shape, stride=(1, 1), padding=(0, 0), pre="input", post="conv") -> Projection:
    p, q, w, out_shape = conv_coo(kernel, in_shape, stride, padding)
    geo = ConvGeometry(tuple(in_shape), out_shape, kernel.shape[2:], stride, padding)
    return Projection(pre, post, p, q, w, kind="conv", conv=geo, kernel=kernel.astype(np.int32))

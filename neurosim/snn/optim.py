"""Optimisers (SGD with momentum, Adam) and the cosine learning-rate schedule.

Weight decay applies to parameters with `decay=True` (weights, not biases or BatchNorm): added to
the gradient (L2) for SGD, decoupled (AdamW) for Adam."""

from __future__ import annotations

import math

import numpy as np

from neurosim.snn.layers import Param


def cosine_lr(base: float, step: int, total: int) -> float:
    """Cosine annealing from `base` at step 0 to 0 at step `total`."""
    return 0.5 * base * (1 + math.cos(math.pi * min(step, total) / max(total, 1)))


class SGD:
    def __init__(self, params: list[Param], lr: float, momentum: float = 0.9, weight_decay: float = 0.0):
        self.params, self.lr, self.momentum, self.wd = params, lr, momentum, weight_decay
        self.buf = [np.zeros_like(p.value) for p in params]

    def step(self, lr: float | None = None) -> None:
        lr = self.lr if lr is None else lr
        for p, b in zip(self.params, self.buf, strict=True):
            g = p.grad + self.wd * p.value if (self.wd and p.decay) else p.grad
            b *= self.momentum
            b += g
            p.value -= (lr * b).astype(p.value.dtype)


class Adam:
    def __init__(self, params: list[Param], lr: float, betas=(0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0.0):
        self.params, self.lr, self.betas, self.eps, self.wd = params, lr, betas, eps, weight_decay
        self.m = [np.zeros_like(p.value) for p in params]
        self.v = [np.zeros_like(p.value) for p in params]
        self.t = 0

    def step(self, lr: float | None = None) -> None:
        lr = self.lr if lr is None else lr
        self.t += 1
        b1, b2 = self.betas
        c1, c2 = 1 - b1 ** self.t, 1 - b2 ** self.t
        for p, m, v in zip(self.params, self.m, self.v, strict=True):
            g = p.grad
            m *= b1
            m += (1 - b1) * g
            v *= b2
            v += (1 - b2) * g * g
            upd = (m / c1) / (np.sqrt(v / c2) + self.eps)
            if self.wd and p.decay:
                upd = upd + self.wd * p.value
            p.value -= (lr * upd).astype(p.value.dtype)


def make_optimizer(name: str, params: list[Param], lr: float, momentum: float, weight_decay: float):
    if name == "sgd":
        return SGD(params, lr, momentum, weight_decay)
    return Adam(params, lr, weight_decay=weight_decay)

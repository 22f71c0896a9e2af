"""Numba kernels of the training model: the LIF time loop (forward, and BPTT with the ATan
surrogate), fused over all neurons so that one pass touches each state once per step."""

import math

import numba as nb
import numpy as np


@nb.njit(cache=True)
def lif_forward(I: np.ndarray, static: bool, beta, th, zero_reset: bool, at_equal: bool,
                vpre: np.ndarray, s: np.ndarray) -> None:
    """I (T, M) or (1, M) when `static`; writes pre-reset potentials and spikes, both (T, M)."""
    T, M = vpre.shape
    v = np.zeros(M, dtype=vpre.dtype)
    one = vpre.dtype.type(1.0)
    zero = vpre.dtype.type(0.0)
    for t in range(T):
        row = 0 if static else t
        for m in range(M):
            x = beta * v[m] + I[row, m]
            vpre[t, m] = x
            spk = (x >= th) if at_equal else (x > th)
            if spk:
                s[t, m] = one
                v[m] = zero if zero_reset else x - th
            else:
                s[t, m] = zero
                v[m] = x


@nb.njit(cache=True)
def lif_backward_atan(ds: np.ndarray, vpre: np.ndarray, s: np.ndarray, beta, th, alpha, zero_reset: bool,
                      dI: np.ndarray) -> None:
    """BPTT with the reset detached: dv_t = ds_t·g'(v_t − θ) + β·dv_{t+1}·r_t, r_t = 1 − s_t (zero
    reset) or 1 (subtract); g' the ATan surrogate."""
    T, M = vpre.shape
    du = np.zeros(M, dtype=vpre.dtype)
    half = alpha / 2
    c = math.pi / 2 * alpha
    for t in range(T - 1, -1, -1):
        for m in range(M):
            x = c * (vpre[t, m] - th)
            sg = half / (1 + x * x)
            r = (1 - s[t, m]) if zero_reset else 1
            dv = ds[t, m] * sg + du[m] * r
            dI[t, m] = dv
            du[m] = beta * dv

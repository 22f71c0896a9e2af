"""Synapse nodes as sparse linear operators: COO matrices, their sum and product, and the sliding
windows of Conv2d and pooling (rows = input index, cols = output index)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass
class Coo:
    rows: np.ndarray
    cols: np.ndarray
    vals: np.ndarray
    n_in: int
    n_out: int

    @classmethod
    def identity(cls, n: int) -> Coo:
        i = np.arange(n, dtype=np.int64)
        return cls(i, i.copy(), np.ones(n), n, n)

    @classmethod
    def from_matrix(cls, w: np.ndarray) -> Coo:
        """From a NIR weight (n_out, n_in)."""
        o, i = np.nonzero(w)
        return cls(i.astype(np.int64), o.astype(np.int64), w[o, i], w.shape[1], w.shape[0])

    def apply(self, x: np.ndarray) -> np.ndarray:
        """x (n_in,) → (n_out,)."""
        return np.bincount(self.cols, weights=x[self.rows] * self.vals, minlength=self.n_out)

    def scale_cols(self, g: np.ndarray) -> Coo:
        if np.all(g == 1.0):
            return self
        return Coo(self.rows, self.cols, self.vals * g[self.cols], self.n_in, self.n_out)


def coalesce(rows, cols, vals, n_in, n_out) -> Coo:
    key = rows * n_out + cols
    uniq, inv = np.unique(key, return_inverse=True)
    v = np.bincount(inv, weights=vals.astype(np.float64), minlength=uniq.size)
    return Coo(uniq // n_out, uniq % n_out, v, n_in, n_out)


def add(a: Coo, b: Coo) -> Coo:
    return coalesce(np.concatenate([a.rows, b.rows]), np.concatenate([a.cols, b.cols]),
                     np.concatenate([a.vals.astype(np.float64), b.vals.astype(np.float64)]), a.n_in, a.n_out)


def matmul(a: Coo, b: Coo) -> Coo:
    """Operator a then b (a: n → m, b: m → k)."""
    order = np.argsort(b.rows, kind="stable")
    br, bc, bv = b.rows[order], b.cols[order], b.vals[order]
    start = np.searchsorted(br, a.cols, "left")
    cnt = np.searchsorted(br, a.cols, "right") - start
    ai = np.repeat(np.arange(a.rows.size), cnt)
    bi = np.repeat(start, cnt) + (np.arange(int(cnt.sum())) - np.repeat(np.cumsum(cnt) - cnt, cnt))
    return coalesce(a.rows[ai], bc[bi], a.vals[ai].astype(np.float64) * bv[bi], a.n_in, b.n_out)


def window_coo(in_shape, out_hw, taps, stride, pad, dilation):
    """Generic 2-D sliding window. `taps`: arrays (co, ci, ky, kx, w) of the non-zero kernel taps.
    Returns COO rows (input flat index), cols (output flat index), vals."""
    C, H, W = in_shape
    Ho, Wo = out_hw
    co, ci, ky, kx, w = taps
    oy, ox = np.meshgrid(np.arange(Ho), np.arange(Wo), indexing="ij")
    oy, ox = oy.ravel(), ox.ravel()
    iy = oy[None, :] * stride[0] - pad[0] + ky[:, None] * dilation[0]
    ix = ox[None, :] * stride[1] - pad[1] + kx[:, None] * dilation[1]
    ok = (iy >= 0) & (iy < H) & (ix >= 0) & (ix < W)
    rows = (ci[:, None] * H + iy) * W + ix
    cols = (co[:, None] * Ho + oy[None, :]) * Wo + ox[None, :]
    vals = np.broadcast_to(w[:, None], ok.shape)
    return rows[ok].astype(np.int64), cols[ok].astype(np.int64), vals[ok]


def pair(x, what: str) -> tuple[int, int]:
    a = np.asarray(x).ravel()
    if a.size == 1:
        return int(a[0]), int(a[0])
    if a.size == 2:
        return int(a[0]), int(a[1])
    raise ValueError(f"{what} must be one or two integers, got {x!r}")


def out_len(n, pad_total, dil, k, s) -> int:
    return (n + pad_total - dil * (k - 1) - 1) // s + 1


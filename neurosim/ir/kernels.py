"""Numba kernels of the deploy model: sparse (CSR) projection of a batch of activity vectors."""

import numba as nb
import numpy as np


@nb.njit(cache=True, parallel=True, fastmath=False)
def csr_project(x: np.ndarray, indptr: np.ndarray, idx: np.ndarray, w: np.ndarray, out: np.ndarray) -> None:
    """out[b, idx[k]] += x[b, i] * w[k] for every synapse k of row i with x[b, i] != 0.

    Parallel over the batch (samples are independent); work scales with active rows."""
    n_pre = x.shape[1]
    for b in nb.prange(x.shape[0]):
        for i in range(n_pre):
            xi = x[b, i]
            if xi != 0.0:
                for k in range(indptr[i], indptr[i + 1]):
                    out[b, idx[k]] += xi * w[k]

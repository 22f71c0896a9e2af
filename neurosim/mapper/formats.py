"""Synapse-memory formats, sized bit-exactly (DESIGN §5).

A *row* is what one input axon (one source neuron) stores in one core for one projection. Each row
is word-aligned: its bits are rounded up to whole `synapse_word_bits` words.

- dense:  every row stores all `n_targets` in-core targets of the projection, w bits each
          (pruned synapses are stored as zeros, so pruning does not shrink it);
- sparse: header + nnz × (w + index) bits, index = ⌈log2 max_neurons⌉;
- bitmap: an n_targets-bit mask + nnz × w bits;
- conv_shared: the kernel entries of the core's output channels are stored once per core (w bits
  each, word-rounded as one block); rows cost nothing (addresses are computed), but serving a
  packet still reads nnz × w bits of kernel.

w is `core.stored_weight_bits` (TrueNorth stores a 1-bit crossbar cell).
"""

from __future__ import annotations

import numpy as np

from neurosim.config.hardware import Core

FORMATS = ("dense", "sparse", "bitmap", "conv_shared")


def words(bits: np.ndarray | int, word_bits: int) -> np.ndarray | int:
    """Whole words needed for `bits` (row-wise ceil)."""
    return -(-np.asarray(bits) // word_bits) if isinstance(bits, np.ndarray) else -(-bits // word_bits)


def row_bits(fmt: str, nnz: np.ndarray, n_targets: int, core: Core) -> np.ndarray:
    """Bits of each row (before word rounding) for rows with `nnz` stored synapses."""
    w = core.stored_weight_bits
    nnz = np.asarray(nnz, dtype=np.int64)
    if fmt == "dense":
        return np.full(nnz.shape, n_targets * w, dtype=np.int64)
    if fmt == "sparse":
        return core.row_header_bits + nnz * (w + core.index_bits)
    if fmt == "bitmap":
        return n_targets + nnz * w
    if fmt == "conv_shared":
        return nnz * w  # bits read per packet; storage is the shared kernel block
    raise ValueError(f"unknown format {fmt!r}")


def memory_bits(fmt: str, nnz: np.ndarray, n_targets: int, core: Core, kernel_entries: int = 0) -> int:
    """Synapse memory (bits, word-rounded) of one projection's rows in one core."""
    wb = core.synapse_word_bits
    if fmt == "conv_shared":
        return int(words(kernel_entries * core.stored_weight_bits, wb) * wb)
    return int(words(row_bits(fmt, nnz, n_targets, core), wb).sum() * wb)

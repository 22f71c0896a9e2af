"""Synapse-memory formats, sized bit-exactly (DESIGN §5).

A *row* is what one input axon (one source neuron) stores in one core for one projection; a
packet carrying that source's spike makes the core read the row. Every row of the dense, sparse
and bitmap formats starts with `core.row_header_bits` of header (the axon entry: pointer, length,
format; 0 on a crossbar) and is rounded up to whole `synapse_word_bits` words:

- dense:  header + L × w, L = the row's targets in the core under the *unpruned* connectivity
          (all in-core targets of a fully connected or unstructured projection; the in-core
          targets whose receptive field holds the source for a conv). Pruned synapses are stored
          as zeros, so pruning never shrinks it.
- sparse: header + nnz × (w + index), index = ⌈log2 core.max_neurons⌉.
- bitmap: header + T + nnz × w, a T-bit mask over the projection's T in-core targets.
- conv_shared: the kernel taps of the output channels a core holds are stored once, w bits
  each, as one word-rounded block; rows store nothing (addresses are computed from the geometry),
  but serving a packet reads ⌈nnz × w / word⌉ words of kernel.

Rows with no surviving synapse exist only in `dense`. w is `core.stored_weight_bits`
(TrueNorth stores a 1-bit crossbar cell).
"""

from __future__ import annotations

import numpy as np

from neurosim.config.hardware import Core

FORMATS = ("dense", "sparse", "bitmap", "conv_shared")


def words(bits: np.ndarray | int, word_bits: int) -> np.ndarray | int:
    """Whole words needed for `bits` (row-wise ceil)."""
    return -(-bits // word_bits)


def row_layout(fmt: str, n_targets: int, core: Core) -> tuple[int, int]:
    """(constant bits, bits per counted synapse) of one row: row bits = const + count × per, where
    count is the row's structural length L for dense and its surviving synapses nnz otherwise."""
    w = core.stored_weight_bits
    if fmt == "dense":
        return core.row_header_bits, w
    if fmt == "sparse":
        return core.row_header_bits, w + core.index_bits
    if fmt == "bitmap":
        return core.row_header_bits + int(n_targets), w
    if fmt == "conv_shared":
        return 0, w  # bits read per packet; storage is the shared kernel block
    raise ValueError(f"unknown format {fmt!r}")


def kernel_block_bits(entries: int, core: Core) -> int:
    """Stored bits of `entries` shared kernel taps (conv_shared), word-rounded as one block."""
    wb = core.synapse_word_bits
    return int(words(int(entries) * core.stored_weight_bits, wb) * wb)

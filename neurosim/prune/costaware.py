"""Cost-aware pruning: rank synapses by what they do per joule they cost on a target chip.

Each spike of a source costs, at every synapse it reaches, one synaptic operation and its
synapse-memory read, plus the synapse's share of its row: the packet that carries the spike to the
destination core, the hops on the way and the row header read, divided among the synapses the row still
holds. What a synapse does per spike is |W| (the current it adds); so both sides scale with the
source's activity, which cancels, and the ranking kept by magnitude pruning becomes
|W| / (E_synapse + E_row / n_row) instead of |W|: among equal weights, a synapse in a nearly empty row
(whose last synapses keep a whole packet alive) goes first. Rows, and so shares, are recounted at
every pruning event from the current masks. (Ranking by |W| per expected joule instead, activity
included, keeps the synapses of silent sources — cheap and useless — and lost 23 points of accuracy at
90 % on the MNIST MLP.)

The chip-specific numbers (activities, destination cores, row energies) come from neurosim's own
mapper and cost model (`sweep.chipcost` builds a `SynapseCost` from the dense network on the chip).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class SynapseCost:
    """Per maskable layer i (weight (n_in, n_out)): `cores[i]` the destination core (0..k−1) of each
    post neuron, `row_j[i]` (n_in, k) the energy of one row activation of source s on core c (packet,
    hops, header); `syn_j` one synapse's energy per spike (op and read)."""

    cores: list[np.ndarray]
    row_j: list[np.ndarray]
    syn_j: float
    chip: str

    def costs(self, masks: Sequence[np.ndarray]) -> list[np.ndarray]:
        """Joules per spike of every synapse under the current `masks` (bool, like the weights): its own
        energy and its share of its row at the row's present size."""
        out = []
        for m, core, row in zip(masks, self.cores, self.row_j, strict=True):
            counts = np.zeros((m.shape[0], row.shape[1]))
            np.add.at(counts.T, core, m.T.astype(np.float64))          # synapses per (source, core) row
            out.append(self.syn_j + (row / np.maximum(counts, 1.0))[:, core])
        return out


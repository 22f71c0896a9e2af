"""What each synapse of a network costs on a chip, from neurosim's own mapper and cost model: the
input of cost-aware pruning (`prune.costaware`)."""

from __future__ import annotations

import numpy as np

from neurosim.config.hardware import Hardware
from neurosim.ir import Network, quantize
from neurosim.mapper import compile_network
from neurosim.prune.costaware import SynapseCost


def synapse_cost(net: Network, hw: Hardware, inputs: np.ndarray | None = None) -> SynapseCost:
    """The `SynapseCost` of `net` (a chain of projections, each a maskable layer in order) mapped on
    `hw` as the sweep maps it (placement weighted by a profiling run on `inputs`, (B, T, n_in))."""
    qnet = quantize(net, hw.core.weight_bits, hw.core.state_bits)
    chip = compile_network(qnet, hw, inputs=inputs)
    e = hw.energy
    syn_j = 1e-12 * (e.synaptic_op_pj.value + e.word_read_pj.value * hw.core.weight_bits / hw.core.synapse_word_bits)
    fixed_j = 1e-12 * (e.packet_injected_pj.value + e.word_read_pj.value)        # the packet and the row header
    ports = hw.input_ports_xy()
    offsets = qnet.offsets
    cores, rows = [], []
    for pr in qnet.projections:
        n_pre, n_post = qnet.pop(pr.pre).size, qnet.pop(pr.post).size
        post_core = chip.neuron_core[offsets[qnet.index(pr.post)] + np.arange(n_post)].astype(np.int64)
        used, local = np.unique(post_core, return_inverse=True)
        src_core = chip.neuron_core[offsets[qnet.index(pr.pre)] + np.arange(n_pre)].astype(np.int64)
        dst_xy = chip.router_xy[used].astype(np.int64)
        src_xy = chip.router_xy[np.maximum(src_core, 0)].astype(np.int64)[:, None, :]
        if (src_core < 0).any():   # input: from the input port that feeds each target core
            src_xy = np.where(src_core[:, None, None] >= 0, src_xy, ports[hw.input_port_of(dst_xy)][None, :, :])
        d = np.abs(src_xy - dst_xy[None, :, :])
        hops_j = 1e-12 * (d[..., 0] * e.hop_x_pj.value + d[..., 1] * e.hop_y_pj.value)
        cores.append(local)
        rows.append(fixed_j + hops_j)
    return SynapseCost(cores, rows, syn_j, hw.name)

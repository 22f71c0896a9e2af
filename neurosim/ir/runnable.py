"""What a chip can run: spiking sources only. A non-spiking population that drives synapses (an LI
or I node feeding another node, the current stage of a CubaLIF whose input has a constant bias)
sends graded values, which the integer deploy model and the simulator do not carry. One refusal,
shared by the workload reader, `compile_network` and the Python API."""

from __future__ import annotations

from neurosim.errors import UserError
from neurosim.ir.network import Network


def graded_sources(net: Network) -> list[str]:
    """Non-spiking, non-input populations that drive a projection: they send graded values, not spikes."""
    return sorted({pr.pre for pr in net.projections
                   if not net.pop(pr.pre).is_input and not net.pop(pr.pre).neuron.spiking})


def require_spiking_sources(net: Network, where: str) -> None:
    """UserError naming `where` and the graded sources, when the network has any."""
    graded = graded_sources(net)
    if graded:
        raise UserError(f"{where}: populations {graded} drive synapses with graded values (a non-spiking LI/I node "
                        "feeding another node, or a CubaLIF whose synaptic current receives a constant bias: chips "
                        "add biases to the membrane, not the current); neurosim's integer deploy model and chip "
                        "simulator carry spikes only, so this network cannot be run on a chip exactly (re-export "
                        "without that bias, or read it with neurosim.ir.nir_io.read_nir for the exact float model)")

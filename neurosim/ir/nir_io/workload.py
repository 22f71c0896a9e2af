"""NIR networks in workloads: the file a workload names, and the refusal of what the chip pipeline
cannot carry (graded sources)."""

from __future__ import annotations

from pathlib import Path

from neurosim.config.workload import resolve_relative
from neurosim.errors import UserError
from neurosim.ir.network import Network
from neurosim.ir.nir_io.reading import read_nir


def graded_sources(net: Network) -> list[str]:
    """Non-spiking, non-input populations that drive a projection (the synaptic stage of a CubaLIF
    whose input has a constant term, an LI feeding another node): they send graded values, not spikes."""
    return sorted({pr.pre for pr in net.projections
                   if not net.pop(pr.pre).is_input and not net.pop(pr.pre).neuron.spiking})


def network_from_nir_spec(nir_path, workload_file: str | Path | None = None, *, allow_graded: bool = False,
                          **kw) -> Network:
    """The network a workload's `network.nir` names; a relative path is taken relative to the
    workload file's folder. Keyword arguments go to `read_nir` (convention, dt, ...; a workload's
    `NetworkSpec.nir_options()`).

    The chip pipeline (quantize → map → simulate) carries spikes only, so a network with graded
    sources (see `graded_sources`) raises UserError unless `allow_graded` (the float `ir.run` of such
    a network is exact; its integer model and chip mapping are not yet)."""
    p = resolve_relative(nir_path, workload_file)
    net = read_nir(p, **kw)
    graded = graded_sources(net)
    if graded and not allow_graded:
        raise UserError(f"{p}: populations {graded} drive synapses with graded values (a non-spiking LI/I node "
                        "feeding another node, or a CubaLIF whose synaptic current receives a constant bias: chips "
                        "add biases to the membrane, not the current); neurosim's integer deploy model and chip "
                        "simulator carry spikes only, so this network cannot be run on a chip exactly (re-export "
                        "without that bias, or read it with neurosim.ir.nir_io.read_nir for the exact float model)")
    return net

"""NIR networks in workloads: the file a workload names, the refusal of what the chip pipeline
cannot carry (graded sources, `ir.runnable`), and the file's own connection sparsity."""

from __future__ import annotations

from pathlib import Path

from neurosim.config.workload import resolve_relative
from neurosim.ir.network import Network
from neurosim.ir.nir_io.reading import read_nir
from neurosim.ir.runnable import graded_sources, require_spiking_sources

__all__ = ["graded_sources", "network_from_nir_spec", "network_sparsity"]


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
    if not allow_graded:
        require_spiking_sources(net, str(p))
    return net


def network_sparsity(net: Network) -> float:
    """Fraction of the NIR file's weights (Affine/Linear matrices, Conv2d kernels) that are zero, as
    counted when it was read (`meta["nir_weights"]`); 0 for a network read otherwise."""
    counts = net.meta.get("nir_weights") or {}
    total = int(counts.get("total", 0))
    return 0.0 if total <= 0 else 1.0 - int(counts.get("nonzero", 0)) / total

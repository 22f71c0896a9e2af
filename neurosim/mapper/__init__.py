"""Mapper: partition a deploy network into core-sized chunks, place cores on the mesh, build the
synapse rows and routing tables, and report what every core uses (DESIGN §5)."""

from __future__ import annotations

import numpy as np

from neurosim.config.hardware import Hardware
from neurosim.errors import FitError
from neurosim.ir.network import Network
from neurosim.mapper.compiled import CompiledChip, CoreUsage, build_tables
from neurosim.mapper.partition import Chunk, choose_formats, chunk_population, pack
from neurosim.mapper.placement import serpentine, traffic_cost

__all__ = ["Chunk", "CompiledChip", "CoreUsage", "compile_network", "packet_traffic"]


def compile_network(net: Network, hw: Hardware, fmt: str = "auto", rates: np.ndarray | None = None) -> CompiledChip:
    """Map integer network `net` onto chip `hw`. `fmt` is a synapse format or `auto` (smallest per
    projection). `rates` (expected spikes per neuron per inference, e.g. from a profiling run)
    weight the placement cost; without them every source counts once."""
    if not net.integer:
        raise ValueError("compile_network needs the integer deploy network (ir.quantize)")
    formats = choose_formats(net, hw, fmt)
    chunks = [c for p in net.populations if not p.is_input for c in chunk_population(net, p.name, hw, formats)]
    cores = pack(chunks, hw)
    if len(cores) > hw.mesh.n_cores:
        need = {}
        for c in chunks:
            need[c.population] = need.get(c.population, 0) + 1
        detail = ", ".join(f"{k}: {v}" for k, v in need.items())
        raise FitError(f"network needs {len(cores)} cores ({detail}) but chip {hw.name} has {hw.mesh.n_cores} "
                       f"(short by {len(cores) - hw.mesh.n_cores}); use a larger mesh (mesh.cols / mesh.rows), "
                       f"prune more, or a smaller synapse format")
    tables = build_tables(net, hw, cores, formats, net.delays("hardware"))
    _check_outgoing(net, hw, cores, tables["usage"])
    router_xy = serpentine(len(cores), hw)
    chip = CompiledChip(hardware=hw, network=net, cores=cores, router_xy=router_xy, formats=formats, **tables)
    traffic, src_xy = packet_traffic(chip, rates)
    chip.placement_cost_hops = chip.baseline_cost_hops = traffic_cost(router_xy, traffic, src_xy(router_xy))
    return chip


def packet_traffic(chip: CompiledChip, rates: np.ndarray | None = None):
    """Expected packets from each source node to each used core: a (n_cores + 1, n_cores) matrix whose
    last row is the host input port, and a function giving source router coordinates for a placement."""
    n = chip.n_cores
    starts = chip.src_row_ptr[:-1].astype(np.int64)
    counts = np.diff(chip.src_row_ptr.astype(np.int64))
    src = np.repeat(np.arange(counts.size), counts)
    pair = np.unique(src * n + chip.row_core.astype(np.int64))
    p_src, p_core = pair // n, pair % n
    w = np.ones(p_src.size) if rates is None else rates[p_src]
    node = chip.neuron_core[p_src].astype(np.int64)
    node[node < 0] = n
    traffic = np.zeros((n + 1, n))
    np.add.at(traffic, (node, p_core), w)
    del starts
    port = np.array(chip.hardware.noc.input_router, np.int64)
    return traffic, lambda xy: np.vstack([xy, port[None, :]])


def _check_outgoing(net: Network, hw: Hardware, cores: list[list[Chunk]], usage: list[CoreUsage]) -> None:
    core = hw.core
    for ci, u in enumerate(usage):
        layers = ", ".join(sorted({c.population for c in cores[ci]}))
        if u.fan_out_axons > core.max_fan_out_axons:
            raise FitError(f"layer {layers} (core {ci}): needs {u.fan_out_axons} output axons, "
                           f"core.max_fan_out_axons is {core.max_fan_out_axons} (short by "
                           f"{u.fan_out_axons - core.max_fan_out_axons}); its targets are spread over too many "
                           f"cores: use larger target cores or a chip with more fan-out")
        if u.routing_entries > core.routing_table_entries:
            raise FitError(f"layer {layers} (core {ci}): needs {u.routing_entries} routing entries, "
                           f"core.routing_table_entries is {core.routing_table_entries}; use fewer, larger "
                           f"target cores or a chip with a larger routing table")

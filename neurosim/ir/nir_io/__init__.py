"""NIR (Neuromorphic Intermediate Representation, neuroir.org) import and export; docs/nir.md is the
contract. One concept per module: `conventions` (how each framework's files are read), `synapses`
(sparse operators), `nodes` (per-node translation), `reading` (graph → `ir.Network`), `writing`
(`ir.Network` → graph), `workload` (NIR files named by workloads)."""

from neurosim.ir.nir_io.common import META_KEY, SUPPORTED
from neurosim.ir.nir_io.conventions import CONVENTIONS, Convention
from neurosim.ir.nir_io.reading import MAX_NIR_BYTES, MAX_PARAMETER, read_nir
from neurosim.ir.nir_io.workload import graded_sources, network_from_nir_spec, network_sparsity
from neurosim.ir.nir_io.writing import to_nir_graph, write_nir

__all__ = ["CONVENTIONS", "MAX_NIR_BYTES", "MAX_PARAMETER", "META_KEY", "SUPPORTED", "Convention", "graded_sources",
           "network_from_nir_spec", "network_sparsity", "read_nir", "to_nir_graph", "write_nir"]

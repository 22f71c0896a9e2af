"""Result records (JSON/CSV with provenance) and plots."""

from neurosim.report.plots import energy_vs_sparsity
from neurosim.report.records import CORE_KEYS, provenance, read_results, write_results

__all__ = ["CORE_KEYS", "energy_vs_sparsity", "provenance", "read_results", "write_results"]

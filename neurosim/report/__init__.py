"""Result records (JSON/CSV with provenance), the report index and plots."""

from neurosim.report.index import markdown_table, write_index
from neurosim.report.plots import all_plots, energy_vs_sparsity
from neurosim.report.records import mark_accuracy_floor, provenance, read_results, write_results

__all__ = ["all_plots", "energy_vs_sparsity", "mark_accuracy_floor", "markdown_table", "provenance", "read_results",
           "write_index", "write_results"]

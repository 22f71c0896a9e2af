"""What every field of a result record and of the provenance means: the one list that
`docs/records.md` is generated from (`python -m neurosim.report.fields > docs/records.md`); a test
checks that every key a run writes is listed here and that the page is current.
"""

from __future__ import annotations

# (key, unit, meaning). Intervals are 95 %: Student t over the simulated inputs (or streams) for
# energy, latency and throughput; Wilson over the test set for accuracy.
RECORD = [
    ("workload", "", "workload name"),
    ("hardware", "", "chip name (a design-space variant: `base[key=value,...]`)"),
    ("sparsity", "fraction", "pruning level asked for (fraction of weights removed; structured methods: of "
                             "channels; NIR networks: the total fraction of zero weights, the file's own included)"),
    ("method", "", "pruning method that made the level"),
    ("fits", "", "the level fits the chip; when false, `fit_error` says which budget and by how much"),
    ("fit_error", "", "why the level does not fit (only when `fits` is false)"),
    ("mode", "", "`single` (each input an inference from rest) or `streaming` (inputs back to back)"),
    ("inputs_per_stream", "", "streaming mode: inputs per stream (null in single mode)"),
    ("operating_point", "", "the chip's operating point: name, voltage (V), minimum step time (s)"),
    ("accuracy", "fraction", "test accuracy of the integer deploy model on the chip's bit widths, whole test set "
                             "(null without labels)"),
    ("accuracy_ci95", "fraction", "its 95 % Wilson interval [low, high]"),
    ("accuracy_test_inputs", "", "test inputs the accuracy is measured on"),
    ("accuracy_float", "fraction", "accuracy of the float model of the level (before quantisation)"),
    ("accuracy_floor", "fraction", "the accuracy floor this level is judged against (`report` section)"),
    ("below_accuracy_floor", "", "the whole accuracy interval lies below the floor"),
    ("synaptic_ops_per_inference", "", "synaptic operations (weight accumulates) per inference"),
    ("energy_per_inference_j", "J", "energy per inference, all-in: every action, idle floor and armed power"),
    ("energy_per_inference_ci95_j", "J", "its 95 % interval [low, high] over the simulated inputs"),
    ("energy_above_idle_per_inference_j", "J", "energy per inference above the chip's idle floor (what papers "
                                               "call dynamic energy)"),
    ("energy_above_idle_per_inference_ci95_j", "J", "its 95 % interval"),
    ("energy_breakdown_j", "J", "energy per inference by action, plus `static` (idle floor) and `armed`; sums "
                                "to energy_per_inference_j"),
    ("energy_per_synaptic_op_j", "J", "all-in energy divided by the synaptic operations"),
    ("idle_power_w", "W", "idle floor: chip idle power plus the leakage of the powered cores"),
    ("armed_power_w", "W", "power of the chip's management while a model is loaded (clocks, embedded CPUs)"),
    ("latency_per_inference_s", "s", "time per inference (steps, host time, barriers)"),
    ("latency_per_inference_ci95_s", "s", "its 95 % interval"),
    ("throughput_inferences_per_s", "1/s", "inferences per second (1 / mean latency)"),
    ("throughput_inferences_per_s_ci95", "1/s", "its 95 % interval"),
    ("area_mm2", "mm²", "die area of the chip from its parts"),
    ("system", "", "the system preset a level went to because it did not fit one chip of `hardware` (null: it "
                   "ran on what `hardware` names)"),
    ("chips_used", "", "chips of a system that hold used cores (1 on a chip)"),
    ("chips_available", "", "chips of the system (1 for a chip)"),
    ("chip_crossings_per_inference", "", "packet crossings of inter-chip links per inference (systems)"),
    ("inter_chip_energy_j", "J", "energy of those crossings (part of energy_breakdown_j: `chip_crossings`)"),
    ("inter_chip_time_per_inference_s", "s", "time per inference the inter-chip links cost: the latency minus "
                                             "that of the same inputs with every chip boundary as fast as an "
                                             "on-chip hop (0 on one chip)"),
    ("inter_chip_time_per_inference_ci95_s", "s", "its 95 % interval"),
    ("cores_used", "", "cores the mapping uses"),
    ("cores_needed", "", "the fewest cores the level fits on"),
    ("cores_available", "", "cores on the chip"),
    ("mapping_objective", "", "`cores` (fewest) or `latency` (busiest layers spread out)"),
    ("synapse_memory_bits", "bit", "synapse memory used"),
    ("synapse_memory_bits_by_format", "bit", "synapse memory used per memory format"),
    ("synapse_memory_capacity_bits", "bit", "synapse memory of all the chip's cores"),
    ("synapse_formats", "", "memory format chosen per projection"),
    ("neuron_memory_bits", "bit", "neuron state memory used"),
    ("routing_memory_bits", "bit", "routing table memory used"),
    ("routing_entries", "", "routing table entries used"),
    ("memory_utilisation", "fraction", "used / available on the used cores: synapse memory, neurons, routing "
                                       "entries"),
    ("placement", "", "placement method (`traffic_aware`, `serpentine` or `explicit`)"),
    ("placement_traffic", "", "what weighted the traffic-aware placement (a profiling run)"),
    ("placement_cost_hops", "", "expected packet hops of the placement"),
    ("baseline_placement_cost_hops", "", "the same for the serpentine placement"),
    ("packets_per_inference", "", "packets sent on the mesh per inference"),
    ("hops_per_inference", "", "router hops of those packets"),
    ("max_link_load", "", "packets over the busiest mesh link per inference"),
    ("spikes_per_inference", "", "spikes of all neurons per inference"),
    ("activation_sparsity", "fraction", "1 − spikes / (spiking neurons × timesteps)"),
    ("input_messages_per_inference", "", "messages from the host into the chip per inference"),
    ("output_messages_per_inference", "", "messages from the chip to the host per inference"),
    ("neuron_updates_per_inference", "", "neuron updates (active and idle) per inference"),
    ("word_reads_per_inference", "", "synapse-memory word reads per inference"),
    ("barrier_cycles", "cycles", "the end-of-step barrier for the tiles in use (on a system using more than one "
                                 "chip: the system's synchronisation across the chips in use)"),
    ("barrier_time_per_inference_s", "s", "time per inference spent in those barriers (part of "
                                          "latency_per_inference_s; on a system, the time of synchronising chips)"),
    ("timesteps", "", "timesteps T per inference"),
    ("steps_simulated", "", "chip steps simulated per sample (T plus the pipeline's fill and drain)"),
    ("samples_simulated", "", "samples simulated (inputs, or streams in streaming mode)"),
    ("inputs_simulated", "", "inputs simulated; the same for every chip at a level"),
    ("ci_half_width", "fraction", "the wider of the energy and latency intervals, relative to the mean"),
    ("ci_target_met", "", "that width is within `simulation.target_ci`"),
    ("core_load", "cycles", "busy cycles per inference of each used core with its router (x, y), the mesh size "
                            "and, on a system, each chip's (the heat map)"),
    ("connection_sparsity", "fraction", "fraction of the dense network's weights that are zero at this level (a "
                                        "NIR network: of the file's weights, its own zeros included)"),
    ("network_sparsity", "fraction", "NIR networks: fraction of the file's weights (Affine/Linear matrices, Conv2d "
                                     "kernels) that are zero as read, before any pruning"),
    ("weights_dense", "", "weights of the dense network"),
    ("weights_nonzero", "", "nonzero weights at this level"),
    ("pruning_epochs", "", "training epochs the pruning method spent"),
    ("pruning_seconds", "s", "wall time of the pruning"),
    ("seed", "", "seed of the pruning run"),
    ("events", "", "gradual methods: pruning(-regrowth) events"),
    ("interval", "", "gradual methods: iterations between events"),
    ("regrowth", "", "gradual methods: regrowth rule (none, criticality, random, gradient)"),
    ("regrowth_ratio", "fraction", "gradual methods: fraction of the kept budget regrown per event"),
    ("regrown_total", "", "gradual methods: weights regrown over all events"),
    ("survival_mean", "fraction", "gradual methods: mean fraction of regrown weights that survive the next event"),
    ("scope", "", "gradual methods: magnitude ranked over all layers (`global`) or per layer"),
    ("criticality", "", "criticality form (`grad` or `prim`)"),
    ("criticality_ties", "", "criticality regrowth: ties at the budget all regrown, or exactly g"),
    ("fit_to", "", "the budgets every level was pruned to fit (`pruning.fit_to`, `run --fit`): sources per layer, "
                   "neurons, and the chips they come from"),
    ("neurons_removed", "", "hidden neurons dropped because the budgets left them without a synapse out"),
    ("structure", "", "`experiment structure`: `channels` (whole neurons removed) or `weights` (scattered)"),
    ("matched_channel_level", "fraction", "`experiment structure`: the channel level whose parameter count this "
                                          "record matches"),
    ("cost_aware", "", "the chip whose per-synapse energies ranked the pruning (`pruning.cost_aware`)"),
    ("channel_sparsity", "fraction", "structured methods: fraction of BatchNorm channels removed"),
    ("channels_kept", "", "structured methods: channels kept"),
    ("channels_total", "", "structured methods: channels before pruning"),
    ("channels_regrown", "", "structured methods: channels regenerated"),
    ("channels_rescued", "", "structured methods: channels kept so that no layer loses all of them"),
    ("channels_per_layer", "", "structured methods: channels kept per layer"),
    ("gammas_zero_per_layer", "", "structured methods: BatchNorm scales exactly zero per layer"),
    ("growth_rate", "fraction", "structured methods: fraction of the kept channel budget regenerated"),
    ("bn_l1", "", "structured methods: L1 pressure on the BatchNorm scales"),
    ("bn_l1_mode", "", "structured methods: how that pressure is applied"),
]

PROVENANCE = [
    ("neurosim_version", "neurosim's version"),
    ("git_commit", "commit of the neurosim source when run from a git checkout (`+dirty`: with local changes)"),
    ("created_utc", "when the results were written"),
    ("command", "the command line"),
    ("workload", "workload name"),
    ("seed", "the workload's seed"),
    ("config_sha256", "SHA-256 of the workload and every chip file, by path (presets as `hwconfigs/<name>.yaml`)"),
    ("data_sha256", "SHA-256 of the dataset or NIR file the network comes from"),
    ("ert", "per chip: every energy, power and time figure with its source, and the operating point"),
    ("edited_figures", "per chip: figures whose value differs from a preset's while citing that preset's source"),
    ("synapse_format", "the synapse format asked for (`auto`: smallest per projection)"),
    ("mapping_objective", "the mapping objective asked for"),
    ("python", "Python version"),
    ("numpy", "numpy version"),
    ("numba", "numba version"),
    ("blas", "numpy's BLAS library, version, thread settings and the training pin"),
    ("wall_seconds", "wall time of the run"),
]


def markdown() -> str:
    lines = ["# Result records", "",
             "Every field of `results.json` (`records` and `provenance`); `results.csv` holds the same records "
             "flattened (`a.b` for nested fields). Intervals are 95 %: Student t over the simulated inputs for "
             "energy, latency and throughput, Wilson over the test set for accuracy.", "",
             "Generated by `python -m neurosim.report.fields > docs/records.md`; do not edit by hand.", "",
             "## Record (one per pruning level and chip)", "", "| field | unit | meaning |", "|---|---|---|"]
    lines += [f"| `{k}` | {u} | {m} |" for k, u, m in RECORD]
    lines += ["", "## Provenance (one per run)", "", "| field | meaning |", "|---|---|"]
    lines += [f"| `{k}` | {m} |" for k, m in PROVENANCE]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    print(markdown(), end="")

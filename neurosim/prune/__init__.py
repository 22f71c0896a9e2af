"""Pruning of spiking networks: criticality metrics, the GMP schedule, weight-level pruning-regeneration
(seed paper §2.2) and channel-level slimming with criticality regeneration (§2.3).

Entry point: `prune_workload(workload, level, method, seed) -> (TrainedModel, record)`; the experiment grid
is `neurosim.prune.experiment` (benchmarks/pruning_experiment.py).
"""

from neurosim.prune.criticality import (
    CriticalityMeter,
    aggregate,
    atan_grad,
    channel_criticality,
    crit_grad,
    crit_prim,
    dspike_prim,
)
from neurosim.prune.gradual import GradualPruner, maskable_layers
from neurosim.prune.schedule import GMPSchedule, cubic_sparsity, n_events
from neurosim.prune.structured import ChannelSelection, bn_l1_subgradient, select_channels
from neurosim.prune.unstructured import (
    CriticalityRegrowth,
    GradientRegrowth,
    PruneEvent,
    RandomRegrowth,
    Regrowth,
    broadcast_channels,
    connection_sparsity,
    magnitude_masks,
    n_keep_for,
    prune_regrow,
)
from neurosim.prune.workflow import METHODS, prune_workload

__all__ = ["METHODS", "ChannelSelection", "CriticalityMeter", "CriticalityRegrowth", "GMPSchedule", "GradientRegrowth",
           "GradualPruner", "PruneEvent", "RandomRegrowth", "Regrowth", "aggregate", "atan_grad", "bn_l1_subgradient",
           "broadcast_channels", "channel_criticality", "connection_sparsity", "crit_grad", "crit_prim",
           "cubic_sparsity", "dspike_prim", "magnitude_masks", "maskable_layers", "n_events", "n_keep_for",
           "prune_regrow", "prune_workload", "select_channels"]

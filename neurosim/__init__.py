"""neurosim: what a pruned spiking network costs on neuromorphic hardware.

Pipeline (docs/architecture.md): workload → snn (train) → prune → ir.Network → mapper →
sim → energy → report, driven per pruning level and per chip by sweep and the CLI.
"""

__version__ = "0.1.0"

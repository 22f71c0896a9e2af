"""Spiking networks trained in numpy: layers, LIF with surrogate-gradient BPTT, encoders, offline
datasets, export to `ir.Network` and the integer deploy accuracy (DESIGN §3).

Public API:
- `train_workload(workload, *, seed=None, progress=True, use_cache=True, evaluate=True) -> TrainedModel`
- `TrainedModel.to_network() -> ir.Network`, `.metrics`, `.model`, `.dataset`, `.encoder`
- `evaluate_deploy(net, dataset_split, weight_bits, state_bits) -> float`
- `load_dataset(spec) -> Dataset` (`.train` / `.test` splits of x, y)
- `Encoder.deploy(x)` / `deploy_inputs(net, x)`: the (B, T, n_in) inputs for `ir.run` / the simulator
- `Trainer` (callbacks, masks), `BatchRecord`, `fine_tune` for pruning; `build`, `to_network`.
"""

from neurosim.snn.api import TrainedModel, train_workload
from neurosim.snn.datasets import Dataset, Split, load_dataset
from neurosim.snn.deploy import deploy_inputs, evaluate_deploy, network_encoder, predict_deploy
from neurosim.snn.encoders import Encoder, make_encoder
from neurosim.snn.export import to_network
from neurosim.snn.model import SNN, build
from neurosim.snn.train import BatchRecord, Trainer, accuracy, fine_tune, predict

__all__ = ["BatchRecord", "Dataset", "Encoder", "SNN", "Split", "TrainedModel", "Trainer", "accuracy", "build",
           "deploy_inputs", "evaluate_deploy", "fine_tune", "load_dataset", "make_encoder", "network_encoder",
           "predict", "predict_deploy", "to_network", "train_workload"]

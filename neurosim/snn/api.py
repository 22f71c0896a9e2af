"""Train the network a workload describes (`network.model`), with caching, and report metrics."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

from neurosim.config import Workload, as_workload, load_hardware
from neurosim.errors import ConfigError
from neurosim.files import safe_stem, set_aside
from neurosim.ir.network import Network
from neurosim.progress import VERBOSE, say
from neurosim.snn import checkpoint
from neurosim.snn.datasets import Dataset, load_dataset
from neurosim.snn.deploy import evaluate_deploy
from neurosim.snn.encoders import Encoder, make_encoder
from neurosim.snn.export import to_network
from neurosim.snn.model import SNN, build
from neurosim.snn.train import Trainer, accuracy


@dataclass(eq=False)
class TrainedModel:
    """A trained float model with its workload, data, encoder and metrics."""

    model: SNN
    workload: Workload
    dataset: Dataset
    encoder: Encoder
    metrics: dict
    history: list[dict] = field(default_factory=list)

    @property
    def spec(self):
        return self.workload.network.model

    def to_network(self) -> Network:
        """The float `ir.Network` (BN folded; quantise it with `ir.quantize` for a chip)."""
        return to_network(self.model, name=self.workload.name, encoder=self.encoder.kind,
                          input_levels=self.encoder.deploy_levels,
                          meta={"encoder_seed": self.encoder.seed, "dataset": self.dataset.name})

    def evaluate_deploy(self, weight_bits: int, state_bits: int) -> float:
        return evaluate_deploy(self.to_network(), self.dataset.test, weight_bits, state_bits)


def _chip_bits(wl: Workload) -> tuple[str, int, int]:
    hw = load_hardware(wl.hardware[0])[0]
    return hw.name, hw.core.weight_bits, hw.core.state_bits


def train_workload(workload: Workload | str | Path, *, seed: int | None = None, progress: bool = True,
                   use_cache: bool = True, evaluate: bool = True) -> TrainedModel:
    """Train (or load from the cache) the workload's `network.model`; metrics hold epochs,
    train_seconds and more, and with `evaluate` test_accuracy (float model) and test_accuracy_deploy
    (integer model at the first chip's weight/state bits, hardware timing); callers that measure
    accuracy themselves pass evaluate=False and skip two passes over the test set."""
    wl = as_workload(workload)
    spec = wl.network.model
    if spec is None:
        raise ConfigError(f"workload {wl.name}: network.model is not set; nothing to train")
    seed = wl.seed if seed is None else seed
    T = wl.timesteps
    ds = load_dataset(spec)
    enc = make_encoder(spec, T, seed)
    try:
        model = build(spec, ds.in_shape, T, seed)
    except ConfigError as e:
        raise ConfigError(f"workload {wl.name}: {e}") from None
    out = model.shapes[-1]
    if len(out) != 1 or out[0] < ds.n_classes:
        raise ConfigError(f"workload {wl.name}: network.model.layers: the readout gives outputs of shape {out}, but "
                          f"the labels of {ds.name} need {ds.n_classes} classes (0..{ds.n_classes - 1}); end with "
                          f"flatten, linear (out: {ds.n_classes}) and readout")
    key = checkpoint.config_key(spec, T, seed)
    path = checkpoint.cache_dir() / f"{safe_stem(wl.name)}-{key[:20]}.npz"
    cached = checkpoint.load(path) if use_cache else None
    history: list[dict] = []
    if cached is not None:
        state, info = cached
        try:
            model.load_state_dict(state)
            train_seconds, history = float(info["train_seconds"]), list(info.get("history", []))
            train_cpu = info.get("train_cpu_seconds")   # absent from older checkpoints
        except (KeyError, ValueError, TypeError) as e:  # intact file, wrong contents: retrain
            set_aside(path, f"training checkpoint {path} does not match the model ({e})")
            model = build(spec, ds.in_shape, T, seed)
            cached, history = None, []
    if cached is not None:
        if progress:
            say(f"[neurosim] {wl.name}: trained model loaded from the cache ({path})", VERBOSE)
    else:
        if progress:
            say(f"[neurosim] {wl.name}: training {spec.epochs} epochs on {ds.name} "
                f"({len(ds.train)} train / {len(ds.test)} test), T={T}, seed {seed}")
        t0, c0 = time.perf_counter(), time.process_time()
        history = Trainer(model, spec, ds, enc, seed=seed, progress=progress).fit()
        train_seconds, train_cpu = time.perf_counter() - t0, time.process_time() - c0
        if use_cache:
            checkpoint.save(path, model.state_dict(), {"train_seconds": train_seconds, "history": history,
                                                       "train_cpu_seconds": train_cpu})
    tm = TrainedModel(model, wl, ds, enc, {}, history)
    tm.metrics = {
        "workload": wl.name, "dataset": ds.name, "seed": seed, "timesteps": T,
        "n_train": len(ds.train), "n_test": len(ds.test),
        "epochs": spec.epochs, "train_seconds": round(train_seconds, 3),
        "train_cpu_seconds": None if train_cpu is None else round(float(train_cpu), 3), "cached": cached is not None,
        "train_accuracy": history[-1]["train_accuracy"] if history else None,
    }
    if evaluate:
        chip, wb, sb = _chip_bits(wl)
        tm.metrics.update(test_accuracy=accuracy(model, enc, ds.test), test_accuracy_deploy=tm.evaluate_deploy(wb, sb),
                          deploy_chip=chip, deploy_weight_bits=wb, deploy_state_bits=sb)
    return tm

"""Where a workload's network, its pruned levels, its simulation inputs and its accuracy come from:
a synthetic calibrated network, a network trained on a dataset (neurosim.snn, pruned by
neurosim.prune), or a NIR file (scored on a dataset when the workload names one)."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

import neurosim
from neurosim.config import Workload
from neurosim.config.workload import NirData
from neurosim.errors import UserError
from neurosim.files import cache_root, display_path, safe_stem, set_aside
from neurosim.ir import Network, Neuron, quantize
from neurosim.ir.deploy import synaptic_events
from neurosim.ir.store import CorruptFile, load_network, save_network
from neurosim.ir.synthetic import bernoulli_inputs, calibrated_feedforward
from neurosim.prune.fit import fit_network, fitted, workload_budget
from neurosim.prune.magnitude import connection_sparsity, prune_magnitude
from neurosim.report.stats import mean_ci, relative_half_width


@dataclass
class Level:
    """One pruned network, shared by every chip; `info` goes into the records (method details,
    pruning cost, float accuracy)."""

    sparsity: float
    method: str
    network: Network
    info: dict = field(default_factory=dict)


class Source:
    """The dense network of a workload, its levels, simulation inputs, and (with labels) accuracy.
    Simulation inputs come on demand: `inputs_for(qnet, n)` gives the first n of a fixed sequence (the
    same first inputs whatever n), up to `max_inputs`."""

    def __init__(self, wl: Workload, dense: Network, make_inputs, max_inputs: int | None = None,
                 reference: Network | None = None):
        self.wl = wl
        self.dense = dense
        self.reference = dense if reference is None else reference   # before a chip's budgets (`prune.fit`)
        self._make_inputs = make_inputs          # n -> (n, T, N) int32: a prefix-stable sequence
        self.max_inputs = max_inputs             # None: unlimited (generated inputs)
        self._inputs = np.zeros((0, wl.timesteps, 0), np.int32)
        self._deployed: dict[tuple, list] = {}   # (sparsity, method, weight bits, state bits) -> [qnet, accuracy]
        self._needed: dict[tuple, int] = {}      # (sparsity, method) -> inputs to simulate
        self.own_sparsity: float | None = None   # an imported network's own fraction of zero weights

    def deploy(self, level: Level, weight_bits: int, state_bits: int) -> Network:
        """The integer deploy network of `level` for a chip's bit widths, quantized once and shared by
        every chip with those widths (a sweep keeps only the current level's)."""
        return self._deployed_entry(level, weight_bits, state_bits)[0]

    def deploy_accuracy(self, level: Level, weight_bits: int, state_bits: int) -> tuple[int, int] | None:
        """(correct, test inputs) of that deploy network, computed once per level and bit widths."""
        entry = self._deployed_entry(level, weight_bits, state_bits)
        if len(entry) == 1:
            entry.append(self.accuracy(entry[0]))
        return entry[1]

    def _deployed_entry(self, level: Level, weight_bits: int, state_bits: int) -> list:
        key = (level.sparsity, level.method, weight_bits, state_bits)
        if key not in self._deployed:
            self._deployed = {k: v for k, v in self._deployed.items() if k[:2] == key[:2]}
            self._deployed[key] = [quantize(level.network, weight_bits, state_bits)]
        return self._deployed[key]

    def level(self, sparsity: float) -> Level:
        """Magnitude pruning of the dense network to `sparsity` (no retraining). For an imported network
        whose weights are partly zero already (`own_sparsity`), `sparsity` is the total to reach: see
        `prune_fraction`."""
        t0 = time.perf_counter()
        fraction = self.prune_fraction(sparsity)
        net = prune_magnitude(self.dense, fraction, self.reference if self.reference is not self.dense else None,
                              keep=self.structural) if fraction > 0 else self.dense
        info = {"connection_sparsity": self.connection_sparsity(net), "pruning_epochs": 0,
                "pruning_seconds": time.perf_counter() - t0, "accuracy_float": self.float_accuracy(net)}
        if self.own_sparsity is not None:
            info["network_sparsity"] = self.own_sparsity
        return Level(sparsity, "magnitude", net, info)

    def prune_fraction(self, sparsity: float) -> float:
        """Fraction of the network's nonzero weights that magnitude pruning removes for level `sparsity`:
        the level itself, or for a network with its own sparsity s0, 0 when `sparsity` <= s0 (the file runs
        as it is) and 1 - (1 - sparsity) / (1 - s0) above, so that s0 and the removed weights add up to it."""
        own = self.own_sparsity or 0.0
        if own <= 0.0:
            return sparsity
        return 0.0 if sparsity <= own else 1.0 - (1.0 - sparsity) / (1.0 - own)

    @property
    def structural(self) -> tuple[str, ...]:
        """Projections of an imported network that hold no weight of its file (never pruned)."""
        return tuple(self.reference.meta.get("nir_structural", ()))

    def connection_sparsity(self, net: Network) -> float:
        """Fraction of the dense network's weights that are zero in `net`; for an imported network (own
        sparsity s0), of the file's weights: 1 - (1 - s0) x (weight synapses of `net` / of the network read),
        the structural projections left out."""
        if self.own_sparsity is None:
            return connection_sparsity(net, self.reference)

        def weights(n: Network) -> int:
            return sum(pr.nnz for pr in n.projections if pr.name not in self.structural)
        total = weights(self.reference)
        return 1.0 - (1.0 - self.own_sparsity) * (weights(net) / total if total else 0.0)

    def available(self, n: int) -> int:
        """How many of n wanted simulation inputs exist (a test set ends)."""
        return n if self.max_inputs is None else min(n, self.max_inputs)

    def raw_inputs(self, n: int) -> np.ndarray:
        """The first n inputs of the sequence (before any per-network encoding)."""
        n = self.available(n)
        if len(self._inputs) < n:
            self._inputs = self._make_inputs(n)
        return self._inputs[:n]

    def inputs_for(self, qnet: Network, n: int | None = None) -> np.ndarray:
        """The integer inputs of the first n simulated samples (default: the workload's
        `simulation.samples`) for deploy network `qnet`."""
        return self.raw_inputs(self.wl.simulation.samples if n is None else n)

    def inputs_needed(self, level: Level) -> int:
        """How many inputs every chip simulates at `level`: `simulation.samples`, doubled while the 95 %
        interval of the synaptic events per input (the float deploy model's: the same for every chip,
        process and resumed run, so chips compare on the same inputs) is wider than ±target_ci, up to
        max_samples (or the inputs there are). Energy and latency vary with that work, diluted by the
        fixed costs; each record reports its own interval and whether it met the target."""
        key = (level.sparsity, level.method)
        if key not in self._needed:
            sim = self.wl.simulation
            n = self.available(sim.samples)
            while True:
                width = relative_half_width(mean_ci(synaptic_events(level.network, self.inputs_for(level.network,
                                                                                                     n))))
                more = self.available(min(2 * n, sim.max_samples))
                if sim.mode == "streaming":
                    more -= more % sim.stream_length
                if width <= sim.target_ci or more <= n:
                    break
                n = more
            self._needed[key] = n
        return self._needed[key]

    def prepare(self, levels: list[float]) -> None:
        """Compute and cache what later `level` calls (in this or another process) would train; here
        nothing, levels are cheap."""

    def float_accuracy(self, net: Network) -> float | None:
        return None

    def accuracy(self, qnet: Network) -> tuple[int, int] | None:
        """(correct, test inputs) of an integer deploy network on the whole test set, run the way the
        workload's simulation mode runs inputs (None without labels)."""
        return None


class LabelledSource(Source):
    """A network scored on a labelled test set (`snn.datasets.Split`), whose meta names its encoder,
    timesteps and readout (`snn.deploy.network_encoder`). The test samples, encoded for each deploy
    network, are the simulated inputs; accuracy counts every test sample: the float model with
    zero-delay timing, the integer deploy model as the chip runs it (hardware timing, the simulation
    mode's streams), the class being the readout population's argmax over its T-step window (spike
    count for a spiking readout, summed potential for a non-spiking one)."""

    def __init__(self, wl: Workload, dense: Network, test, reference: Network | None = None):
        super().__init__(wl, dense, lambda n: test.x[:n], max_inputs=len(test), reference=reference)
        self.test = test

    def inputs_for(self, qnet: Network, n: int | None = None) -> np.ndarray:
        """The first n test images, encoded for deploy network `qnet` (its input scale)."""
        from neurosim.snn.deploy import deploy_inputs

        return deploy_inputs(qnet, self.raw_inputs(self.wl.simulation.samples if n is None else n))

    def float_accuracy(self, net: Network) -> float | None:
        from neurosim.snn.deploy import predict_deploy

        return float((predict_deploy(net, self.test.x, timing="zero") == self.test.y).mean())

    def accuracy(self, qnet: Network) -> tuple[int, int] | None:
        from neurosim.snn.deploy import predict_deploy

        sim = self.wl.simulation
        stream = sim.stream_length if sim.mode == "streaming" else 1
        return (int((predict_deploy(qnet, self.test.x, timing="hardware", stream=stream) == self.test.y).sum()),
                len(self.test.y))


class TrainedSource(LabelledSource):
    """A network trained on a dataset; accuracy from the deploy model on the whole test set.
    Levels pruned by a training-time method are cached (`ir.store` files: arrays and JSON with a
    checksum, never pickle) next to the training checkpoints, keyed by everything they depend on, so a
    second run does not retrain."""

    def __init__(self, wl: Workload, progress: bool = True):
        from neurosim.snn import train_workload

        self.progress = progress
        self.trained = train_workload(wl, progress=progress, evaluate=False)  # accuracy per level, below
        dense, self.budget = self.trained.to_network(), workload_budget(wl)
        super().__init__(wl, dense if self.budget is None else fit_network(dense, self.budget),
                         self.trained.dataset.test, reference=dense)

    def level(self, sparsity: float) -> Level:
        """The workload's pruning method at `sparsity`: magnitude pruning of the trained dense network,
        or a training-time method of neurosim.prune (cached by the trainer's checkpoints)."""
        method = self.wl.pruning.method
        if method == "magnitude":
            if self.wl.pruning.cost_aware:
                raise UserError(f"workload {self.wl.name}: pruning.cost_aware works with the training-time methods "
                                f"(gmp, criticality, random_regrowth, gradient_regrowth, oneshot), not magnitude")
            return super().level(sparsity)
        cached = _load_level(self._level_path(sparsity))
        if cached is not None:
            return cached
        from neurosim.prune.workflow import prune_workload

        pruned, rec = prune_workload(self.wl, sparsity, method, progress=self.progress, cost=self._cost())
        net = pruned.to_network()
        if self.budget is not None:   # neurons the budgets left without a synapse out: not on the chip
            rec["neurons_removed"] = net.n_neurons
            net = fitted(net)
            rec["neurons_removed"] -= net.n_neurons
        info = {k: v for k, v in rec.items() if k not in ("level", "method")}
        info.setdefault("connection_sparsity", connection_sparsity(net, self.reference))
        level = Level(sparsity, method, net, info)
        _save_level(self._level_path(sparsity), level)
        return level

    def _cost(self):
        """The per-synapse costs on the `pruning.cost_aware` chip (None without one), built once: the
        trained dense network mapped there, activities from 64 training images."""
        chip = self.wl.pruning.cost_aware
        if chip is None:
            return None
        if not hasattr(self, "_synapse_cost"):
            from neurosim.config import load_hardware
            from neurosim.sweep.chipcost import synapse_cost

            hw = load_hardware(chip)[0]
            qnet = quantize(self.reference, hw.core.weight_bits, hw.core.state_bits)
            from neurosim.snn.deploy import deploy_inputs

            x = deploy_inputs(qnet, self.trained.dataset.train.x[:64])
            self._synapse_cost = synapse_cost(self.reference, hw, x)
        return self._synapse_cost

    def prepare(self, levels: list[float]) -> None:
        """Train and cache the levels of a training-time pruning method, so that worker processes that
        call `level` afterwards load them instead of training the same network side by side."""
        if self.wl.pruning.method != "magnitude":
            for s in levels:
                self.level(s)

    def _level_path(self, sparsity: float) -> Path:
        """Cache file of a pruned level: keyed by the model and pruning sections, T, seed, level."""
        from neurosim.snn.checkpoint import cache_dir, config_key

        blob = json.dumps([config_key(self.wl.network.model, self.wl.timesteps, self.wl.seed),
                           dataclasses.asdict(self.wl.pruning), repr(self.budget) + " fitted", sparsity,
                           neurosim.__version__],
                          default=str)
        digest = hashlib.sha256(blob.encode()).hexdigest()[:20]
        return cache_dir().parent / "levels" / f"{safe_stem(self.wl.name)}-{digest}.npz"


def _synthetic_path(wl: Workload) -> Path:
    """Cache file of a workload's calibrated synthetic network: keyed by everything that builds it."""
    blob = json.dumps([dataclasses.asdict(wl.network.synthetic), wl.timesteps, wl.seed, wl.name,
                       neurosim.__version__], default=str)
    return cache_root() / "synthetic" / f"{safe_stem(wl.name)}-{hashlib.sha256(blob.encode()).hexdigest()[:20]}.npz"


def _load_cached(path: Path, what: str) -> Network | None:
    """A cached network, or None: missing, or corrupt (then set aside with a one-line message)."""
    try:
        return load_network(path)[0]
    except FileNotFoundError:
        return None
    except (CorruptFile, KeyError, TypeError, ValueError) as e:
        set_aside(path, f"cached {what} {path} is unusable ({e})")
        return None


def _load_level(path: Path) -> Level | None:
    """A cached pruned level, or None: missing, or corrupt (then set aside as `*.corrupt` with a
    one-line message, and recomputed)."""
    try:
        net, info = load_network(path)
        return Level(float(info["sparsity"]), str(info["method"]), net, dict(info["info"]))
    except FileNotFoundError:
        return None
    except (CorruptFile, KeyError, TypeError, ValueError) as e:
        set_aside(path, f"cached pruned level {path} is unusable ({e})")
        return None


def _save_level(path: Path, level: Level) -> None:
    save_network(path, level.network, {"sparsity": level.sparsity, "method": level.method, "info": level.info})


def make_source(wl: Workload, wl_path: Path, progress: bool = True) -> Source:
    """The source the workload's `network` section names (config validation guarantees exactly one)."""
    spec = wl.network
    if spec.synthetic is not None:
        s = spec.synthetic

        def spikes(n: int) -> np.ndarray:   # the calibration inputs are the first s.samples of these
            return bernoulli_inputs(n, wl.timesteps, s.sizes[0], s.input_rate, wl.seed).astype(np.int32)
        path = _synthetic_path(wl)
        net = _load_cached(path, "synthetic network")
        if net is None:
            neuron = Neuron(decay=s.decay, threshold=s.threshold, reset=s.reset, fire_at_equal=s.fire_at_equal)
            net = calibrated_feedforward(s.sizes, spikes(s.samples).astype(bool), s.target_rate, neuron,
                                         s.weight_mean, s.weight_std, seed=wl.seed + 1, name=wl.name)
            save_network(path, net)
        return _fitted(wl, net, lambda dense, ref: Source(wl, dense, spikes, reference=ref))
    if spec.model is not None:
        return TrainedSource(wl, progress=progress)
    from neurosim.ir.nir_io import network_from_nir_spec, network_sparsity

    net = network_from_nir_spec(spec.nir, wl_path, **spec.nir_options())
    if len(net.inputs) != 1:
        raise UserError(f"{spec.nir}: the graph has {len(net.inputs)} input nodes; neurosim simulates networks with "
                        f"exactly one input")
    (inp,) = net.inputs
    data = spec.nir_data(wl_path)
    if data is None:
        source = _fitted(wl, net, lambda dense, ref: Source(
            wl, dense, lambda n: bernoulli_inputs(n, wl.timesteps, inp.size, wl.simulation.input_rate,
                                                  wl.seed).astype(np.int32), reference=ref))
    else:
        net, test = with_dataset(net, data, wl, display_path(wl_path))
        source = _fitted(wl, net, lambda dense, ref: LabelledSource(wl, dense, test, reference=ref))
    source.own_sparsity = network_sparsity(net)
    return source


def with_dataset(net: Network, data: NirData, wl: Workload, where: str):
    """(`net` with the meta that scores it on `data`: timesteps, encoder and its seed, input levels and
    the readout population, the test split). Raises UserError naming the workload file and key when
    the dataset does not fit the network's input or output."""
    from neurosim.snn.datasets import load_dataset

    ds = load_dataset(data)
    (inp,) = net.inputs
    n_in = int(np.prod(ds.in_shape))
    if inp.size != n_in:
        raise UserError(f"{where}: network.dataset: {ds.name} samples hold {n_in} values (shape {ds.in_shape}), but "
                        f"the network's input {inp.name!r} takes {inp.size}; name a dataset whose samples match the "
                        f"network's input, or export the network for {n_in} inputs")
    outputs = sorted(set((net.meta.get("nir_outputs") or {}).values()))
    if len(outputs) != 1:
        raise UserError(f"{where}: network.nir: the graph has {len(outputs)} output nodes ({outputs}); scoring it "
                        f"on network.dataset needs exactly one, whose neurons are the classes")
    readout = net.pop(outputs[0])
    if readout.size < ds.n_classes:
        raise UserError(f"{where}: network.dataset: {ds.name} has {ds.n_classes} classes, but the network's output "
                        f"{readout.name!r} has {readout.size} neurons; name a dataset with at most {readout.size} "
                        f"classes, or export the network with one output neuron per class")
    levels = (data.input_levels or ds.levels) if data.encoder == "direct" else 1
    meta = dict(net.meta)
    meta.update(timesteps=wl.timesteps, encoder=data.encoder, encoder_seed=wl.seed, readout=readout.name,
                dataset=ds.name)
    meta.pop("input_levels", None)
    if levels != 1:
        meta["input_levels"] = {inp.name: int(levels)}
    return dataclasses.replace(net, meta=meta), ds.test


def _fitted(wl: Workload, net: Network, make) -> Source:
    """`make(dense, reference)`: a source of `net`, kept within the budgets of the workload's
    `pruning.fit_to` chips (if any; the reference is then `net` itself)."""
    budget = workload_budget(wl)
    if budget is None:
        return make(net, None)
    return make(fit_network(net, budget), net)

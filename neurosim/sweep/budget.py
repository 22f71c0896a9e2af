"""What a workload will cost this machine, estimated from its description before anything is built:
neurons, synapses, steps, peak memory and compute time. A run whose estimate exceeds the machine's
memory (or a week of compute) is refused in one line instead of dying in a MemoryError or running
for days; `--ignore-limits` overrides.

The figures are rough on purpose (within a few × of measured runs): they separate "fine" from
"impossible here", they are no performance model. The per-unit constants are measured on the
2-core development machine (docs/architecture.md, "Limits").
"""

from __future__ import annotations

import math
import os
import zipfile
from dataclasses import dataclass
from pathlib import Path

from neurosim.config import Workload
from neurosim.errors import UserError
from neurosim.files import npz_headers
from neurosim.progress import NORMAL, VERBOSE, say

# measured: mapper + plan peak ≈ 101 B per synapse (1.25 M neurons, 100 M synapses: 9.4 GiB;
# benchmarks/scale_memory.py, docs/mapping.md §8)
MAPPED_BYTES_PER_SYNAPSE = 110
MAPPED_SECONDS_PER_SYNAPSE = 1.0e-6        # mapper 58 s + plan 22 s for 100 M synapses (2 loaded cores)
SIM_EVENTS_PER_SECOND = 5e8                # the simulator with accounting on, one thread
TRAIN_MACS_PER_SECOND = 4e10               # numpy float32 dense layers, forward + backward (mnist_mlp: 6.1 s/15 ep.)
TRAIN_CONV_MACS_PER_SECOND = 3e9           # convolutions through im2col (mnist_cnn: 51 s for 10 epochs)
PROCESS_BYTES = 300 * 2**20                # Python, numpy, numba and matplotlib loaded
ASSUMED_ACTIVITY = 0.2                     # fraction of synapses carrying a spike per step
MAX_SECONDS = 7 * 24 * 3600                # beyond a week of compute, a description is a mistake
DATASET_SHAPES = {"mnist5k": ((1, 28, 28), 4000, 1000), "digits": ((1, 8, 8), 1438, 359)}


@dataclass(frozen=True)
class Estimate:
    """Size and cost of a run (or of one stage of it)."""

    what: str
    neurons: int
    synapses: int
    steps: int        # simulated time steps per point (timesteps × samples; training: per batch)
    points: int       # (level, chip) points simulated
    bytes: int        # peak memory
    seconds: float    # compute time

    def describe(self) -> str:
        points = f" x {self.points} points" if self.points else ""
        return (f"{self.what}: {self.neurons:,} neurons, {self.synapses:,} synapses, {self.steps:,} steps{points}; "
                f"about {_gib(self.bytes)} of memory and {_duration(self.seconds)}")


def _gib(n: float) -> str:
    return f"{n / 2**30:.1f} GiB" if n >= 2**28 else f"{n / 2**20:.0f} MiB"


def _duration(s: float) -> str:
    if s < 120:
        return f"{s:.0f} s"
    if s < 7200:
        return f"{s / 60:.0f} min"
    return f"{s / 3600:.0f} h" if s < 3 * 86400 else f"{s / 86400:.0f} days"


def machine_memory() -> int | None:
    """Physical memory of this machine in bytes (None where the OS does not say)."""
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (AttributeError, ValueError, OSError):
        return None


def _conv_out(n: int, k: int, stride: int, pad: int) -> int:
    return (n + 2 * pad - k) // stride + 1


def model_layers(layers, in_shape: tuple[int, ...]) -> tuple[int, int, int, int, int]:
    """(neurons, synapses, weights, im2col elements, synapses of convolutions) of a `model.layers`
    list on inputs of `in_shape`,
    by the same shape rules as `neurosim.snn` (shapes only: nothing is allocated). A layer that
    leaves an empty map counts as 0 (the model builder reports it)."""
    shape = tuple(in_shape)
    neurons = synapses = weights = cols = conv = 0
    for ls in layers:
        n_in = math.prod(shape)
        if ls.type == "linear":
            shape = (ls.out,)
            synapses += n_in * ls.out
            weights += n_in * ls.out
        elif ls.type == "conv" and len(shape) == 3:
            c, h, w = shape
            s = ls.stride or 1
            shape = (ls.out, max(_conv_out(h, ls.kernel, s, ls.padding), 0),
                     max(_conv_out(w, ls.kernel, s, ls.padding), 0))
            per_out = c * ls.kernel ** 2
            synapses += math.prod(shape) * per_out
            conv += math.prod(shape) * per_out
            weights += ls.out * per_out
            cols += math.prod(shape[1:]) * per_out
        elif ls.type == "avgpool" and len(shape) == 3:
            shape = (shape[0], shape[1] // ls.kernel, shape[2] // ls.kernel)
            synapses += n_in
        elif ls.type == "flatten":
            shape = (n_in,)
        if ls.type in ("lif", "readout"):
            neurons += math.prod(shape)
    return neurons, synapses, weights, cols, conv


def _npz_shape(path: Path) -> tuple[tuple[int, ...], int, int]:
    """(sample shape, train samples, test samples) of a dataset npz, from its array headers only."""
    try:
        shapes = {k: shape for k, (shape, _) in npz_headers(path).items()}
    except (OSError, ValueError, zipfile.BadZipFile, EOFError):
        return (0,), 0, 0   # unreadable: loading the dataset reports it with its own message
    x = shapes.get("x") or (0,)
    if len(x) == 3:
        x = (x[0], 1, *x[1:])
    n_test = shapes["x_test"][0] if shapes.get("x_test") else 0
    return tuple(x[1:]), x[0], n_test


def dataset_shape(model, wl_path: Path | None) -> tuple[tuple[int, ...], int, int]:
    """(sample shape, train samples, test samples) of a `model` section's dataset, without loading it."""
    if model.dataset in DATASET_SHAPES:
        return DATASET_SHAPES[model.dataset]
    from neurosim.config.workload import resolve_relative

    p = Path(model.path)
    p = p if p.exists() or wl_path is None else resolve_relative(model.path, wl_path)
    shape, n, n_test = _npz_shape(p)
    if n_test:
        return shape, n, n_test
    return shape, round(n * (1 - model.test_fraction)), round(n * model.test_fraction)


def estimate_training(wl: Workload, wl_path: Path | None = None, levels: int | None = None) -> Estimate:
    """Training a `model` workload (and pruning `levels` levels with a training-time method)."""
    m = wl.network.model
    shape, n_train, n_test = dataset_shape(m, wl_path)
    neurons, synapses, weights, cols, conv = model_layers(m.layers, shape)
    epochs = m.epochs
    n_levels = len(wl.pruning.levels) if levels is None else levels
    if wl.pruning.method != "magnitude":
        epochs += n_levels * (wl.pruning.prune_epochs + wl.pruning.finetune_epochs)
    T = wl.timesteps
    batch = min(m.batch_size, max(n_train, 1))
    activations = batch * T * (neurons * 6 + cols + math.prod(shape)) * 4
    memory = PROCESS_BYTES + weights * 16 + activations + (n_train + n_test) * math.prod(shape) * 4 * 2
    per_sample = 3 * T * ((synapses - conv) / TRAIN_MACS_PER_SECOND + conv / TRAIN_CONV_MACS_PER_SECOND)
    seconds = per_sample * (n_train * epochs + n_test * (1 + n_levels))
    return Estimate(f"training {wl.name}", neurons, synapses, T * batch, 0, int(memory), seconds)


def estimate_workload(wl: Workload, wl_path: Path | None = None, n_chips: int = 1,
                      levels: int | None = None) -> Estimate:
    """A whole run: build (or train) the network, then map and simulate every level on every chip."""
    spec = wl.network
    n_levels = len(wl.pruning.levels) if levels is None else levels
    points = n_levels * n_chips
    steps = wl.timesteps * wl.simulation.samples
    train = None
    if spec.synthetic is not None:
        sizes = spec.synthetic.sizes
        neurons = sum(sizes[1:])
        synapses = sum(a * b for a, b in zip(sizes, sizes[1:], strict=False))
        # built dense in float32 (raw, mask, scaled), calibrated on every sample
        build = synapses * 12 + spec.synthetic.samples * wl.timesteps * sum(sizes)
        build_s = synapses * 40 * spec.synthetic.samples * wl.timesteps * ASSUMED_ACTIVITY / SIM_EVENTS_PER_SECOND
    elif spec.model is not None:
        train = estimate_training(wl, wl_path, n_levels)
        neurons, synapses = train.neurons, train.synapses
        build, build_s = train.bytes - PROCESS_BYTES, train.seconds
    else:  # NIR: the file's size bounds its weights (4 bytes each at least)
        nir = spec.nir_file(wl_path)
        size = nir.stat().st_size if nir is not None and nir.is_file() else 0
        neurons, synapses = 0, size // 4
        build, build_s = size * 4, 0.0
    mapped = synapses * MAPPED_BYTES_PER_SYNAPSE
    sim_s = points * (synapses * MAPPED_SECONDS_PER_SYNAPSE
                      + synapses * ASSUMED_ACTIVITY * steps / SIM_EVENTS_PER_SECOND)
    return Estimate(f"workload {wl.name}", neurons, synapses, steps, points,
                    PROCESS_BYTES + int(max(build, mapped)), build_s + sim_s)


def check_budget(est: Estimate, memory: int | None = None) -> None:
    """Refuse `est` in one line if it needs more memory than the machine has or more than a week;
    say what it will cost (always with -v; without, when it is large: over 5 minutes or 4 GiB)."""
    memory = machine_memory() if memory is None else memory
    fix = "shrink the network, the samples, timesteps or epochs, or pass --ignore-limits to run anyway"
    if memory is not None and est.bytes > memory:
        raise UserError(f"{est.describe()}: more memory than this machine has ({_gib(memory)}); {fix}")
    if est.seconds > MAX_SECONDS:
        raise UserError(f"{est.describe()}: more than a week of compute; {fix}")
    big = est.seconds > 300 or est.bytes > 4 * 2**30
    say(f"[neurosim] estimate: {est.describe()}", NORMAL if big else VERBOSE)

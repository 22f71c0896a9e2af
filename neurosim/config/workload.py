"""The workload description (workloads/*.yaml): which network, which pruning levels, how to
simulate it. Later stages add sections here (datasets and training, pruning methods)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from neurosim.config.schema import spec


@dataclass(frozen=True, kw_only=True)
class Synthetic:
    """A random feed-forward LIF network with per-layer gains calibrated to a target activity
    (the standard speed workload ff784 of DESIGN §8 is one)."""

    sizes: tuple[int, ...] = spec("layer sizes, input first", min_len=2)
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
class NetworkSpec:
    """Where the network comes from: exactly one of the keys below."""

    synthetic: Synthetic | None = spec("random calibrated feed-forward network", default=None)

    def check(self):
        given = [k for k in self.__dataclass_fields__ if getattr(self, k) is not None]
        if len(given) != 1:
            return ("", given or None, "exactly one of " + ", ".join(self.__dataclass_fields__))
        return None


@dataclass(frozen=True, kw_only=True)
class Pruning:
    """Pruning levels to evaluate; sparsity = fraction of weights removed."""

    method: Literal["magnitude"] = spec("pruning method", default="magnitude")
    levels: tuple[float, ...] = spec("target sparsities in [0, 1)", default=[0.0, 0.5, 0.9], min_len=1)

    def check(self):
        for i, s in enumerate(self.levels):
            if not 0.0 <= s < 1.0:
                return (f"levels[{i}]", s, "a sparsity in [0, 1)")
        return None


@dataclass(frozen=True, kw_only=True)
class Simulation:
    """How many samples go through the cycle-approximate simulator per pruning level."""

    samples: int = spec("samples simulated on the chip model per level", default=4, min=1)


@dataclass(frozen=True, kw_only=True)
class Workload:
    """One workload file."""

    name: str = spec("short name used in results")
    description: str = spec("what the workload is", default="")
    seed: int = spec("seed for every random choice (data, weights, pruning)", default=0, min=0)
    timesteps: int = spec("time steps T per inference (input frames)", min=1)
    network: NetworkSpec = spec("the network")
    pruning: Pruning = spec("pruning levels", default=Pruning())
    simulation: Simulation = spec("simulation settings", default=Simulation())
    hardware: tuple[str, ...] = spec("chips used when the command line names none (preset names or paths)",
                                     default=["loihi"], min_len=1)

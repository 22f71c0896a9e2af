"""ODIN: the two measured operating points of Frenkel 2019 (sec. IV-A), rebuilt as event streams into
the one core (256 inputs x 256 neurons, every synapse present). The preset's figures are the terms of
the paper's power model (Eq. 2), characterised apart in its Fig. 8b: leakage, clock power per MHz and
the incremental energy per synaptic op; the two operating points are separate measurements."""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from neurosim.config import load_hardware
from neurosim.energy import energy_breakdown
from neurosim.ir import Network, Neuron, Population, Projection
from neurosim.mapper import compile_network
from neurosim.sim import simulate
from neurosim.validation import Result
from neurosim.validation.published import ODIN_ACCEL, ODIN_BIO


def odin_power_w(point: str, events_per_step: float, steps: int, seed: int = 0) -> float:
    """Average power of ODIN at operating point `point` fed Bernoulli input events (each of the 256
    inputs with probability events_per_step / 256 per step); the neurons never fire (their threshold
    is the top of the 8-bit state), so the work is the 256 synaptic ops of every input event."""
    hw = load_hardware("odin")[0]
    hw = replace(hw, operating=replace(hw.operating, point=point))
    n = 256
    net = Network([Population("in", n), Population("neurons", n, Neuron(decay=1.0, threshold=127.0))],
                  [Projection.from_dense("in", "neurons", np.ones((n, n), np.int32))], name="odin",
                  integer=True, state_bits=hw.core.state_bits)
    chip = compile_network(net, hw, "dense", objective="cores")
    x = (np.random.default_rng(seed).random((1, steps, n)) < events_per_step / n).astype(np.int32)
    res = simulate(chip, x)
    t = float(res.latency_s()[0])
    return sum(energy_breakdown(res.mean_counts(), t, hw, chip.n_cores).values()) / t


def results(fast: bool = False) -> list[Result]:
    note = ("input events back to back: the core processes synaptic ops at f/2; power = Frenkel Eq. 2 terms "
            "(leakage 27.3 uW, 1.78 uW/MHz, 8.43 pJ per SOP) priced on the simulated counts and time")
    return [
        Result("odin_accelerated", "odin", "power at 75 MHz, SOPs at the maximum rate", ODIN_ACCEL,
               odin_power_w("accelerated", 256.0, 4), "validation", 0.15, note),
        Result("odin_biological", "odin", "power at 1.3 MHz, 256 inputs at 10 Hz in 1 ms steps", ODIN_BIO,
               odin_power_w("biological", 2.56, 500 if fast else 2000), "validation", 0.15,
               "Bernoulli input events, 10 Hz per input (2.56 per 1 ms step), each 256 synaptic ops; a step "
               "lasts at least 1 ms and longer when its events need more than 1.3 k cycles"),
    ]

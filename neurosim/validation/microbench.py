"""Davies 2018 Table 2 as micro-benchmarks on the `loihi_davies2018` preset: each per-op figure is
measured back from tiny networks run through the mapper, simulator and pricing (an energy per counted
action; a time as the difference in step cycles between two runs that differ by one action). The
figures are the preset's own, so these are exact by construction: they check that the model
implements them, not the model's truth."""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from neurosim.config import load_hardware
from neurosim.energy import energy_breakdown
from neurosim.ir import Network, Neuron, Population, Projection
from neurosim.mapper import compile_network
from neurosim.sim import simulate
from neurosim.sim.engine import plan_for
from neurosim.validation import Result
from neurosim.validation.published import Figure

SOURCE = "Davies 2018 Table 2 (pre-silicon, 0.75 V)"


def _fig(value: float, unit: str, what: str) -> Figure:
    return Figure(value, unit, f"{SOURCE}: {what}", "M")


def _chip():
    hw = load_hardware("loihi_davies2018")[0]
    return replace(hw, core=replace(hw.core, share_cores_between_layers=False))


def _net(sizes: list[int], synapses: dict[str, np.ndarray], bias: dict[str, int] | None = None) -> Network:
    """in -> p1 -> p2 ...: `synapses[name]` the dense weights into population `name`; never firing
    unless biased over the threshold."""
    names = ["in"] + [f"p{i}" for i in range(1, len(sizes))]
    pops = [Population("in", sizes[0])]
    for nm, n in zip(names[1:], sizes[1:], strict=True):
        b = None if bias is None or nm not in bias else np.full(n, bias[nm], np.int64)
        pops.append(Population(nm, n, Neuron(decay=1.0, threshold=100.0), bias=b))
    projs = [Projection.from_dense(a, b, synapses[b]) for a, b in zip(names, names[1:], strict=False)]
    return Network(pops, projs, name="micro", integer=True, state_bits=24)


def _run(net: Network, x: np.ndarray, hw, placement=None):
    chip = compile_network(net, hw, "sparse", objective="cores", placement="serpentine" if placement is None
                           else np.asarray(placement))
    res = simulate(chip, x)
    return chip, res, energy_breakdown(res.mean_counts(), 0.0, hw, chip.n_cores)


def results(fast: bool = False) -> list[Result]:
    hw = _chip()
    out = []

    def add(key, what, fig, value):
        out.append(Result(f"davies_{key}", hw.name, what, fig, value, "micro-benchmark", None,
                          "measured back from a tiny network through mapper, simulator and pricing"))

    # synaptic op: one input event reaches 1 or 2 synapses of one neuron; energy per op, time per extra op
    one = _net([2, 1], {"p1": np.array([[1], [1]], np.int32)})
    _, r1, b1 = _run(one, np.array([[[1, 0]]], np.int32), hw)
    _, r2, _ = _run(one, np.array([[[1, 1]]], np.int32), hw)
    add("synaptic_op_energy", "energy per synaptic spike op", _fig(23.6e-12, "J", "synaptic spike op (min)"),
        b1["synaptic_ops"] / r1.mean_counts()["synaptic_ops"])
    add("synaptic_op_time", "time per synaptic spike op", _fig(3.5e-9, "s", "synaptic spike op (max)"),
        float(r2.step_cycles[0, 0] - r1.step_cycles[0, 0]) / hw.clock.frequency_hz.value)
    # neuron updates: n vs n + 1 neurons with a bias (active) or without input (inactive)
    for kind, count, bias, e, t in (("active", "active", 1, 81e-12, 8.4e-9),
                                    ("inactive", "idle", 0, 52e-12, 5.3e-9)):
        runs = []
        for n in (3, 4):
            net = _net([1, n], {"p1": np.zeros((1, n), np.int32)}, {"p1": bias})
            runs.append(_run(net, np.zeros((1, 1, 1), np.int32), hw))
        (_, ra, ba), (_, rb, _) = runs
        add(f"neuron_update_{kind}_energy", f"energy per neuron update ({kind})",
            _fig(e, "J", f"neuron update, {kind}"),
            ba[f"neuron_updates_{count}"] / ra.mean_counts()[f"neuron_updates_{count}"])
        add(f"neuron_update_{kind}_time", f"time per neuron update ({kind})", _fig(t, "s", f"neuron update, {kind}"),
            float(rb.step_cycles[0, 0] - ra.step_cycles[0, 0]) / hw.clock.frequency_hz.value)
    # spikes between cores: neuron a (always firing) -> neuron b on another core at 0, 1 or 2 tile hops
    fire = _net([1, 1, 1], {"p1": np.zeros((1, 1), np.int32), "p2": np.ones((1, 1), np.int32)}, {"p1": 200})
    x = np.zeros((1, 3, 1), np.int32)
    runs = {d: _run(fire, x, hw, [[0, 0], d]) for d in ((0, 0), (1, 0), (2, 0), (0, 1), (0, 2))}
    f = hw.clock.frequency_hz.value
    _, r0, b0 = runs[(0, 0)]
    add("within_tile_energy", "energy of a spike within a tile", _fig(1.7e-12, "J", "within-tile spike energy"),
        b0["packets"] / r0.mean_counts()["packets"])
    ser = -(-hw.noc.packet_bits // hw.noc.link_width_bits)
    add("within_tile_latency", "latency of a spike within a tile (emission + link)",
        _fig(2.1e-9, "s", "within-tile spike latency"), (hw.timing.spike_emit_cycles.value + ser) / f)
    for axis, near, far, e, t in (("x", (1, 0), (2, 0), 3.0e-12, 4.1e-9), ("y", (0, 1), (0, 2), 4.0e-12, 6.5e-9)):
        _, rn, bn = runs[near]
        _, rf, _ = runs[far]
        ew = "E-W" if axis == "x" else "N-S"
        add(f"hop_{axis}_energy", f"energy per tile hop {ew}", _fig(e, "J", f"tile hop {ew}"),
            bn[f"hops_{axis}"] / rn.mean_counts()[f"hops_{axis}"])
        add(f"hop_{axis}_latency", f"latency per tile hop {ew}", _fig(t, "s", f"tile hop {ew}"),
            float(rf.step_cycles[0, 2] - rn.step_cycles[0, 2]) / f)
    # barrier: a chip whose cores sit on 1 tile and one on all 32
    for tiles, t in ((1, 113e-9), (32, 465e-9)):
        net = _net([1] + [1] * tiles, {f"p{i}": np.ones((1, 1), np.int32) for i in range(1, tiles + 1)})
        xy = [[i % hw.mesh.cols, i // hw.mesh.cols] for i in range(tiles)]
        chip = compile_network(net, hw, "sparse", objective="cores", placement=np.array(xy))
        add(f"barrier_{tiles}_tiles", f"mesh-wide barrier, {tiles} tile{'s' if tiles > 1 else ''}",
            _fig(t, "s", f"barrier sync time ({tiles} tile{'s' if tiles > 1 else ''})"),
            plan_for(chip).barrier_cycles / f)
    return out

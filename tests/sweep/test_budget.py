"""The size and time estimate before a run: hand-counted sizes, and the refusal above the machine."""

import pytest

from neurosim.config import parse_mapping
from neurosim.config.workload import Layer, Workload
from neurosim.errors import UserError
from neurosim.sweep.budget import (
    MAPPED_BYTES_PER_SYNAPSE,
    PROCESS_BYTES,
    Estimate,
    check_budget,
    estimate_training,
    estimate_workload,
    model_layers,
)


def _wl(network: dict, **kw) -> Workload:
    return parse_mapping(Workload, {"name": "b", "timesteps": 10, "network": network, **kw})


def test_synthetic_sizes_are_counted_by_hand():
    wl = _wl({"synthetic": {"sizes": [100, 200, 10], "input_rate": 0.1, "target_rate": 0.1}},
             pruning={"levels": [0.0, 0.5]}, simulation={"samples": 3})
    e = estimate_workload(wl, None, n_chips=2)
    assert (e.neurons, e.synapses, e.steps, e.points) == (210, 100 * 200 + 200 * 10, 30, 4)
    assert e.bytes == PROCESS_BYTES + 22_000 * MAPPED_BYTES_PER_SYNAPSE


def test_conv_layers_are_counted_by_hand():
    layers = [parse_mapping(Layer, d) for d in (
        {"type": "conv", "out": 4, "kernel": 3, "padding": 1}, {"type": "lif"},          # 4x8x8 neurons
        {"type": "avgpool", "kernel": 2},                                                  # 4x4x4
        {"type": "flatten"}, {"type": "linear", "out": 10}, {"type": "readout"})]
    neurons, synapses, weights, cols, conv = model_layers(layers, (1, 8, 8))
    assert neurons == 4 * 8 * 8 + 10
    assert conv == 4 * 8 * 8 * 9 and cols == 8 * 8 * 9
    assert synapses == conv + 4 * 8 * 8 + 64 * 10 and weights == 4 * 9 + 640


def test_training_time_grows_with_epochs_and_levels():
    model = {"dataset": "digits", "epochs": 2, "layers": [{"type": "flatten"}, {"type": "linear", "out": 10},
                                                          {"type": "readout"}]}
    a = estimate_training(_wl({"model": model}))
    b = estimate_training(_wl({"model": {**model, "epochs": 4}}))
    c = estimate_training(_wl({"model": model}, pruning={"method": "gmp", "levels": [0.0, 0.5]}))
    assert a.synapses == 640 and b.seconds > a.seconds and c.seconds > a.seconds


def test_refusal_names_the_size_and_the_override(capsys):
    e = Estimate("workload x", 10, 10**9, 100, 1, 300 * 2**30, 10.0)
    with pytest.raises(UserError, match=r"more memory than this machine has \(16\.0 GiB\).*--ignore-limits"):
        check_budget(e, memory=16 * 2**30)
    with pytest.raises(UserError, match="more than a week"):
        check_budget(Estimate("w", 1, 1, 1, 1, 1, 8 * 86400.0), memory=16 * 2**30)
    check_budget(Estimate("w", 1, 1, 1, 1, 5 * 2**30, 1.0), memory=16 * 2**30)   # fits: says what it costs
    assert "estimate: w: " in capsys.readouterr().err

"""The workload `model` section and the shipped trained-network workloads."""

import pytest

from neurosim.config import load_workload
from neurosim.errors import ConfigError

from .helpers import model_spec


@pytest.mark.parametrize("name", ["mnist_mlp", "mnist_cnn", "digits_mlp"])
def test_shipped_workloads_parse(name):
    wl, _, _ = load_workload(name)
    m = wl.network.model
    assert wl.network.synthetic is None and m.layers[-1].type == "readout"
    assert wl.timesteps == 4 and m.encoder == "direct" and 0.0 in wl.pruning.levels


def test_model_errors():
    with pytest.raises(ConfigError, match="readout"):
        model_spec([{"type": "flatten"}, {"type": "linear", "out": 3}])
    with pytest.raises(ConfigError, match="out"):
        model_spec([{"type": "linear"}, {"type": "readout"}])
    with pytest.raises(ConfigError, match="path"):
        model_spec([{"type": "linear", "out": 2}, {"type": "readout"}], dataset="npz")
    with pytest.raises(ConfigError, match="stride"):
        model_spec([{"type": "avgpool", "kernel": 2, "stride": 1}, {"type": "readout"}])

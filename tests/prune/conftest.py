"""Tiny workloads (a 90-image synthetic .npz) shared by the driver and experiment tests."""

import numpy as np
import pytest

from neurosim.config import load_workload

MLP = """
name: tiny_mlp
timesteps: 3
network:
  model:
    dataset: npz
    path: {path}
    layers:
      - {{type: flatten}}
      - {{type: linear, out: 12}}
      - {{type: batchnorm}}
      - {{type: lif}}
      - {{type: linear, out: 10}}
      - {{type: batchnorm}}
      - {{type: lif}}
      - {{type: linear, out: 3}}
      - {{type: readout}}
    epochs: 2
    batch_size: 16
    lr: 0.01
pruning:
  method: criticality
  levels: [0.0, 0.8]
  prune_epochs: 2
  finetune_epochs: 1
  interval: 2
  growth_rate: 0.2
hardware: [loihi]
"""

CNN_LAYERS = """
      - {type: conv, out: 4, kernel: 3, padding: 1}
      - {type: batchnorm}
      - {type: lif}
      - {type: avgpool, kernel: 2}
      - {type: conv, out: 5, kernel: 3, padding: 1}
      - {type: batchnorm}
      - {type: lif}
      - {type: flatten}
      - {type: linear, out: 3}
      - {type: readout}
"""


@pytest.fixture(scope="session")
def data_path(tmp_path_factory):
    rng = np.random.default_rng(0)
    y = np.repeat(np.arange(3), 30)
    x = rng.random((90, 6, 6)) * 0.3
    for c in range(3):
        x[y == c, 2 * c:2 * c + 2, :] += 0.7       # class = which band of rows is bright
    p = tmp_path_factory.mktemp("data") / "tiny.npz"
    np.savez(p, x=x.astype(np.float32), y=y)
    return p


@pytest.fixture(scope="session")
def mlp_workload(data_path, tmp_path_factory):
    p = tmp_path_factory.mktemp("wl") / "tiny_mlp.yaml"
    p.write_text(MLP.format(path=data_path))
    return load_workload(p)[0]


@pytest.fixture(scope="session")
def cnn_workload(data_path, tmp_path_factory):
    text = MLP.format(path=data_path).replace("tiny_mlp", "tiny_cnn")
    start, end = text.index("    layers:\n") + len("    layers:\n"), text.index("    epochs:")
    p = tmp_path_factory.mktemp("wl") / "tiny_cnn.yaml"
    p.write_text(text[:start] + CNN_LAYERS.lstrip("\n") + text[end:])
    return load_workload(p)[0]



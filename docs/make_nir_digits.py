"""Write workloads/examples/digits_snntorch.nir, the NIR file behind workloads/nir_digits.yaml.

A spiking MLP as a user brings one: trained with snnTorch on scikit-learn's 8x8 digits and exported
with snnTorch's own `export_to_nir`. Not run by the tests or CI; it needs a virtual environment of
its own (CPU torch, no neurosim install), run from the repository root:

    python3 -m venv /tmp/fwvenv
    /tmp/fwvenv/bin/pip install torch==2.13.0 snntorch==1.0.0 nirtorch==2.6 nir scikit-learn
    /tmp/fwvenv/bin/python docs/make_nir_digits.py

Network: 64 inputs -> Linear 64x128 -> Leaky(beta 0.9) -> Linear 128x10 -> Leaky(beta 0.9), snnTorch's
default Leaky reset (subtract, delayed one step: read with `nir_reset: subtract_delayed`), threshold 1.
Input: direct encoding, the pixel values / 16 every one of T = 8 steps; the class is the output
neuron with the most spikes. Training: Adam, cross-entropy of the spike counts, 40 epochs on the
training split that neurosim's `digits` dataset uses (the same seeded stratified split, so its test
images were never trained on). Then 50 % of each layer's weights with the smallest |w| are removed
and the rest fine-tuned under that mask for 15 epochs: the file ships with half its weights zero
(its own connection sparsity, `network_sparsity` in the records). Seeded: running it again gives
the same weights on the same machine and library versions.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "workloads" / "examples" / "digits_snntorch.nir"
T, HIDDEN, BETA, SPARSITY = 8, 128, 0.9, 0.5


def digits_split():
    """neurosim's `digits` dataset (train and test splits), loaded from its module file alone so that
    this environment needs no neurosim dependencies."""
    import sys

    sys.path.insert(0, str(ROOT))
    spec = importlib.util.spec_from_file_location("_ns_datasets", ROOT / "neurosim" / "snn" / "datasets.py")
    mod = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = mod
    spec.loader.exec_module(mod)
    return mod.load_digits()


def main() -> None:
    import nir
    import snntorch as snn
    import torch
    from snntorch import utils
    from snntorch.export_nir import export_to_nir
    from torch import nn

    torch.manual_seed(0)
    ds = digits_split()
    xtr = torch.tensor(ds.train.x.reshape(len(ds.train), -1))
    ytr = torch.tensor(ds.train.y)
    xte = torch.tensor(ds.test.x.reshape(len(ds.test), -1))
    yte = torch.tensor(ds.test.y)

    def leaky(n: int):
        # snnTorch 1.0's exporter needs one beta and threshold per neuron (a scalar fails nir's type check)
        return snn.Leaky(beta=torch.full((n,), BETA), threshold=torch.ones(n), init_hidden=True)

    net = nn.Sequential(nn.Linear(64, HIDDEN), leaky(HIDDEN), nn.Linear(HIDDEN, 10), leaky(10))
    linears = [m for m in net if isinstance(m, nn.Linear)]

    def counts(x: torch.Tensor) -> torch.Tensor:
        utils.reset(net)
        return torch.stack([net(x) for _ in range(T)]).sum(0)   # direct encoding: x every step

    def accuracy(x, y) -> float:
        with torch.no_grad():
            return float((counts(x).argmax(1) == y).float().mean())

    def train(epochs: int, masks=None, lr: float = 5e-3) -> None:
        opt = torch.optim.Adam(net.parameters(), lr=lr)
        for epoch in range(epochs):
            perm = torch.randperm(len(xtr))
            for i in range(0, len(perm), 64):
                b = perm[i:i + 64]
                loss = nn.functional.cross_entropy(counts(xtr[b]), ytr[b])
                opt.zero_grad()
                loss.backward()
                opt.step()
                if masks is not None:
                    with torch.no_grad():
                        for m, k in zip(linears, masks, strict=True):
                            m.weight.mul_(k)
            print(f"epoch {epoch + 1}/{epochs}: train {accuracy(xtr, ytr):.4f} test {accuracy(xte, yte):.4f}")

    train(40)
    print(f"dense: test accuracy {accuracy(xte, yte):.4f}")
    with torch.no_grad():
        masks = []
        for m in linears:
            w = m.weight.abs().flatten()
            k = int(SPARSITY * w.numel())
            cut = w.kthvalue(k).values
            masks.append((m.weight.abs() > cut).float())
            m.weight.mul_(masks[-1])
    print(f"pruned to {SPARSITY}: test accuracy {accuracy(xte, yte):.4f}")
    train(15, masks, lr=1e-3)
    zeros = sum(int((m.weight == 0).sum()) for m in linears)
    total = sum(m.weight.numel() for m in linears)
    print(f"fine-tuned: test accuracy {accuracy(xte, yte):.4f}, zero weights {zeros}/{total}")
    with torch.no_grad():
        utils.reset(net)
        graph = export_to_nir(net, xtr[:1], ignore_dims=[0])
    OUT.parent.mkdir(parents=True, exist_ok=True)
    nir.write(OUT, graph)
    print(f"wrote {OUT} ({OUT.stat().st_size} bytes)")


if __name__ == "__main__":
    np.set_printoptions(precision=4)
    main()

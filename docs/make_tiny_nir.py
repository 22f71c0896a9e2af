"""Write workloads/examples/tiny.nir, the NIR file behind workloads/nir_example.yaml.

    .venv/bin/python docs/make_tiny_nir.py

A small convolutional SNN written the way snnTorch exports one (dt = 1e-4, LIF τ = dt/(1−β),
r = τ/dt, v_leak = 0, strict threshold, reset to 0), built directly with the `nir` package and
without neurosim's metadata, so that reading it exercises the importer as a foreign file would:
Input (1, 8, 8) → Conv2d 4×3×3 (padding 1) → LIF → SumPool2d 2×2 → Flatten → Affine 64→10 → LIF → Output.
Weights are seeded: running the script again gives the same graph.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

OUT = Path(__file__).resolve().parents[1] / "workloads" / "examples" / "tiny.nir"


def tiny_graph(seed: int = 7):
    import nir

    rng = np.random.default_rng(seed)
    dt, beta1, beta2 = 1e-4, 0.9, 0.8
    conv_w = rng.normal(0.3, 0.5, size=(4, 1, 3, 3)).round(3)
    fc_w = rng.normal(0.05, 0.3, size=(10, 64)).round(3)
    fc_b = rng.normal(0.0, 0.05, size=10).round(3)

    def lif(shape, beta, theta):
        tau = dt / (1 - beta)
        return nir.LIF(tau=np.full(shape, tau), r=np.full(shape, tau / dt), v_leak=np.zeros(shape),
                       v_threshold=np.full(shape, theta), v_reset=np.zeros(shape))

    nodes = {
        "input": nir.Input(input_type={"input": np.array([1, 8, 8])}),
        "conv": nir.Conv2d(input_shape=(8, 8), weight=conv_w, stride=1, padding=1, dilation=1, groups=1,
                           bias=np.zeros(4)),
        "lif1": lif((4, 8, 8), beta1, 1.0),
        "pool": nir.SumPool2d(kernel_size=np.array([2, 2]), stride=np.array([2, 2]), padding=np.array([0, 0])),
        "flat": nir.Flatten(input_type={"input": np.array([4, 4, 4])}, start_dim=0, end_dim=-1),
        "fc": nir.Affine(weight=fc_w, bias=fc_b),
        "lif2": lif((10,), beta2, 1.0),
        "output": nir.Output(output_type={"output": np.array([10])}),
    }
    edges = [("input", "conv"), ("conv", "lif1"), ("lif1", "pool"), ("pool", "flat"), ("flat", "fc"),
             ("fc", "lif2"), ("lif2", "output")]
    return nir.NIRGraph(nodes=nodes, edges=edges)


def main() -> None:
    import nir

    OUT.parent.mkdir(parents=True, exist_ok=True)
    nir.write(OUT, tiny_graph())
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()

"""The table of docs/nir.md, "Checked against the frameworks": per fixture of tests/ir/nir_fixtures/,
the share of output and hidden spike slots neurosim's float model reproduces, how often the integer
deploy model (Loihi preset's bit widths, hardware timing) predicts the framework's class, and whether
the chip simulator equals the integer deploy model spike for spike.

    python benchmarks/nir_fixture_table.py
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from neurosim.config import load_hardware
from neurosim.ir import quantize, run
from neurosim.ir.nir_io import graded_sources, read_nir
from neurosim.mapper import compile_network
from neurosim.sim import simulate

HERE = Path(__file__).resolve().parents[1] / "tests" / "ir" / "nir_fixtures"


def main() -> None:
    hw = load_hardware("loihi")[0]
    print("| fixture | framework | kind | τ | reset | float: output slots | float: hidden slots | deploy prediction "
          "agreement | chip = deploy model |")
    print("|---|---|---|---|---|---|---|---|---|")
    for f in sorted(HERE.glob("*.npz")):
        d = np.load(f)
        info = json.loads(str(d["info"]))
        net = read_nir(f.with_suffix(".nir"), convention=info["framework"], **info["read"])
        x = d["inputs"]
        res = run(net, x.astype(np.float64), "zero")
        (out,) = set(net.meta["nir_outputs"].values())
        hidden = [k for k in d.files if k.startswith("spikes:")]
        o = (res.spikes[out] == d["outputs"].astype(bool)).mean()
        h = np.mean(np.concatenate([(res.spikes[k[7:]] == d[k].astype(bool)).ravel() for k in hidden]))
        if graded_sources(net):
            agree, chip = "–", "not runnable (Affine bias into a CubaLIF current)"
        else:
            q = quantize(net, hw.core.weight_bits, hw.core.state_bits)
            ref = run(q, x.astype(np.int64), "hardware")
            sim = simulate(compile_network(q, hw), x.astype(np.int64), record_raster=True)
            off = q.offsets
            same = all(np.array_equal(sim.raster[:, :, off[i]:off[i + 1]], ref.spikes[p.name])
                       for i, p in enumerate(q.populations) if not p.is_input)
            pred = ref.window(out, x.shape[1]).sum(1).argmax(1)
            agree = f"{100 * (pred == d['outputs'].sum(1).argmax(1)).mean():.1f} %"
            chip = "yes" if same else "NO"
        print(f"| {f.stem} | {info['framework']} {info['version']} | {info['kind']} | "
              f"{'per-neuron' if info['per_neuron'] else 'shared'} | {info.get('reset', 'zero')} | "
              f"{100 * o:.1f} % | {100 * h:.1f} % | {agree} | {chip} |")


if __name__ == "__main__":
    main()

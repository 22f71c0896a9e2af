"""NIR files exported by snnTorch 1.0, Norse 1.1 and Sinabs 3.1.3 themselves (benchmarks/nir_frameworks.py
made them, with the frameworks' own spikes on fixed inputs): neurosim's float model reproduces every
output and hidden spike slot, the integer deploy model predicts what the framework predicts, and the
chip simulator equals the integer deploy model."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from neurosim.config import load_hardware
from neurosim.ir import quantize, run
from neurosim.mapper import compile_network
from neurosim.sim import simulate

pytest.importorskip("nir")
from neurosim.errors import UserError  # noqa: E402
from neurosim.ir.nir_io import graded_sources, network_from_nir_spec, read_nir  # noqa: E402

HERE = Path(__file__).parent / "nir_fixtures"
FIXTURES = sorted(p.stem for p in HERE.glob("*.npz"))


def load(name: str):
    """(network as the framework ran it, fixture arrays, info)."""
    d = np.load(HERE / f"{name}.npz")
    info = json.loads(str(d["info"]))
    net = read_nir(HERE / f"{name}.nir", convention=info["framework"], **info["read"])
    return net, d, info


def float_reproduction(net, d) -> dict[str, float]:
    """Share of spike slots (sample, step, neuron) equal to the framework's, per recorded layer."""
    res = run(net, d["inputs"].astype(np.float64), "zero")
    (out,) = set(net.meta["nir_outputs"].values())
    got = {"output": res.spikes[out]} | {k.split(":", 1)[1]: res.spikes[k.split(":", 1)[1]]
                                          for k in d.files if k.startswith("spikes:")}
    want = {"output": d["outputs"]} | {k.split(":", 1)[1]: d[k] for k in d.files if k.startswith("spikes:")}
    return {k: float((got[k] == want[k].astype(bool)).mean()) for k in want}


def test_there_are_fixtures_of_every_framework():
    assert {n.split("_")[0] for n in FIXTURES} == {"snntorch", "norse", "sinabs"}
    assert len(FIXTURES) >= 12
    for n in FIXTURES:
        assert (HERE / f"{n}.nir").stat().st_size < 100_000


@pytest.mark.parametrize("name", FIXTURES)
def test_float_model_reproduces_every_spike(name):
    net, d, info = load(name)
    share = float_reproduction(net, d)
    assert share == {k: 1.0 for k in share}, share
    assert d["outputs"].any() and all(d[k].any() for k in d.files if k.startswith("spikes:"))


def predictions(spikes: np.ndarray) -> np.ndarray:
    """Class per sample: the output neuron with the most spikes (first on ties)."""
    return spikes.sum(axis=1).argmax(axis=1)


@pytest.mark.parametrize("name", FIXTURES)
def test_chip_equals_integer_deploy_model(name):
    """The Loihi preset's integer model of the network, simulated event by event, spikes exactly as
    the integer deploy model (hardware timing); its predictions mostly agree with the framework's."""
    net, d, _ = load(name)
    hw = load_hardware("loihi")[0]
    q = quantize(net, hw.core.weight_bits, hw.core.state_bits)
    if graded_sources(net):   # a CubaLIF whose current gets the Affine bias: a chip adds biases to v only
        with pytest.raises(UserError) as api:
            compile_network(q, hw)
        with pytest.raises(UserError) as cli:   # the workload reader's (CLI) refusal: the same words
            network_from_nir_spec(HERE / f"{name}.nir", convention=load(name)[2]["framework"])
        assert api.value.args[0].split(": ", 1)[1] == cli.value.args[0].split(": ", 1)[1]
        assert "graded values" in str(api.value)
        return
    x = d["inputs"].astype(np.int64)
    ref = run(q, x, "hardware")
    res = simulate(compile_network(q, hw), x, record_raster=True)
    off = q.offsets
    for i, p in enumerate(q.populations):
        if not p.is_input:
            np.testing.assert_array_equal(res.raster[:, :, off[i]:off[i + 1]], ref.spikes[p.name], err_msg=p.name)
    (out,) = set(net.meta["nir_outputs"].values())
    agree = (predictions(ref.window(out, x.shape[1])) == predictions(d["outputs"])).mean()
    assert agree >= 0.75, agree


def test_simulate_refuses_inputs_it_would_round():
    net, d, _ = load("sinabs_mlp_if_subtract")
    hw = load_hardware("loihi")[0]
    chip = compile_network(quantize(net, hw.core.weight_bits, hw.core.state_bits), hw)
    x = d["inputs"][:2].astype(np.float64)
    assert simulate(chip, x).counts["spikes"].tolist() == simulate(chip, x.astype(np.int64)).counts["spikes"].tolist()
    x[0, 0, 0] = 0.4
    with pytest.raises(UserError, match="non-integer values"):
        simulate(chip, x)


def test_neuron_configs_per_core_are_a_mapper_budget():
    """Per-neuron time constants give a population many neuron models; a chip whose cores hold few
    of them spreads the layer over more cores, every core within the budget, shown in the fit report."""
    from dataclasses import replace

    from neurosim.mapper.report import fit_report

    net, d, _ = load("snntorch_mlp_lif_perneuron_zero")
    hw = load_hardware("loihi")[0]
    q = quantize(net, hw.core.weight_bits, hw.core.state_bits)
    wide = compile_network(q, hw)
    assert max(u.neuron_configs for u in wide.usage) > 4
    tight = replace(hw, core=replace(hw.core, max_neuron_configs=4))
    chip = compile_network(q, tight)
    assert len(chip.cores) > len(wide.cores) and all(u.neuron_configs <= 4 for u in chip.usage)
    assert "neuron configs" in fit_report(chip)
    x = d["inputs"].astype(np.int64)
    ref = run(q, x, "hardware")
    res = simulate(chip, x, record_raster=True)
    off = q.offsets
    for i, p in enumerate(q.populations):
        if not p.is_input:
            np.testing.assert_array_equal(res.raster[:, :, off[i]:off[i + 1]], ref.spikes[p.name])

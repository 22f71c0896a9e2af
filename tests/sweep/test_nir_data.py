"""NIR networks scored on a dataset: accuracy per level against hand computations, the file's own
connection sparsity, pruning levels counted over it, and the workload keys' errors."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import yaml

from neurosim.config import load_workload
from neurosim.config.schema import parse_mapping
from neurosim.config.workload import Workload
from neurosim.errors import ConfigError, UserError
from neurosim.ir import quantize, run

nir = pytest.importorskip("nir")
pytest.importorskip("sklearn")

from neurosim.cli import main  # noqa: E402
from neurosim.ir.nir_io import network_sparsity, read_nir  # noqa: E402
from neurosim.snn.datasets import load_digits  # noqa: E402
from neurosim.sweep.sources import make_source  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
DT = 1e-4


def lif(n: int, beta: float, theta: float = 1.0):
    """snnTorch's export of Leaky(beta): tau = dt/(1 - beta), r = tau/dt."""
    tau = DT / (1 - beta)
    return nir.LIF(tau=np.full(n, tau), r=np.full(n, tau / DT), v_leak=np.zeros(n), v_threshold=np.full(n, theta),
                   v_reset=np.zeros(n))


def mlp_graph(weights: list[np.ndarray], beta: float = 0.8):
    """Input -> (Linear -> LIF)* -> Output, as snnTorch exports an MLP."""
    nodes = {"input": nir.Input(input_type={"input": np.array([weights[0].shape[1]])})}
    edges, prev = [], "input"
    for i, w in enumerate(weights):
        nodes[f"fc{i}"], nodes[f"lif{i}"] = nir.Linear(weight=w), lif(w.shape[0], beta)
        edges += [(prev, f"fc{i}"), (f"fc{i}", f"lif{i}")]
        prev = f"lif{i}"
    nodes["output"] = nir.Output(output_type={"output": np.array([weights[-1].shape[0]])})
    return nir.NIRGraph(nodes=nodes, edges=edges + [(prev, "output")], type_check=False)


def template_weights(scale: float = 0.6) -> np.ndarray:
    """A 64 -> 10 classifier of the digits: each class's mean training image, centred."""
    ds = load_digits()
    x = ds.train.x.reshape(len(ds.train), -1)
    means = np.stack([x[ds.train.y == c].mean(0) for c in range(10)])
    return scale * (means - means.mean(0))


def workload(tmp_path: Path, nir_file: str, **network) -> Path:
    doc = {"name": "nd", "seed": 0, "timesteps": 4, "network": {"nir": nir_file, **network},
           "pruning": {"levels": [0.0]}, "simulation": {"samples": 4, "max_samples": 4}, "hardware": ["loihi"]}
    p = tmp_path / "wl.yaml"
    p.write_text(yaml.safe_dump(doc))
    return p


def test_accuracy_is_the_float_and_integer_run_on_the_encoded_test_set(tmp_path):
    nir.write(tmp_path / "m.nir", mlp_graph([template_weights()]))
    wl, path, _ = load_workload(str(workload(tmp_path, "m.nir", dataset="digits")))
    src = make_source(wl, path, progress=False)
    level = src.level(0.0)

    # by hand: digits test split, pixel/16 (16 levels, exact) every one of T = 4 steps; the class is
    # the output neuron with the most spikes
    test = load_digits().test
    x = test.x.reshape(len(test), -1)
    net = read_nir(tmp_path / "m.nir")
    inputs = np.repeat((np.rint(x * 16) / 16)[:, None], 4, axis=1)
    want = (run(net, inputs).spikes["lif0"].sum(1).argmax(1) == test.y).mean()
    assert 0.5 < want < 1.0   # a real classifier, not a trivial one
    assert level.info["accuracy_float"] == want

    net.meta["input_levels"] = {"input": 16}   # the integer model takes the pixel levels 0..16
    q = quantize(net, 8, 24)
    ints = np.repeat(np.rint(x * 16).astype(np.int64)[:, None], 4, axis=1)
    correct = int((run(q, ints, "hardware").window("lif0", 4).sum(1).argmax(1) == test.y).sum())
    assert src.deploy_accuracy(level, 8, 24) == (correct, len(test))
    # the simulated inputs are the first test images, encoded for the deploy network
    assert np.array_equal(src.inputs_for(src.deploy(level, 8, 24), 3), ints[:3])


def test_rate_encoding_and_input_levels_reach_the_encoder(tmp_path):
    nir.write(tmp_path / "m.nir", mlp_graph([template_weights()]))
    wl, path, _ = load_workload(str(workload(tmp_path, "m.nir", dataset="digits", encoder="rate")))
    src = make_source(wl, path, progress=False)
    x = src.inputs_for(src.dense, 5)
    assert x.shape == (5, 4, 64) and set(np.unique(x)) <= {0, 1}
    assert src.dense.meta["encoder"] == "rate" and "input_levels" not in src.dense.meta
    wl, path, _ = load_workload(str(workload(tmp_path, "m.nir", dataset="digits", input_levels=255)))
    assert make_source(wl, path, progress=False).dense.meta["input_levels"] == {"input": 255}


def test_network_sparsity_counts_the_files_zero_weights():
    rng = np.random.default_rng(3)
    w1, w2 = rng.normal(size=(32, 64)), rng.normal(size=(10, 32))
    w1[rng.random(w1.shape) < 0.7] = 0.0
    w2[:, :5] = 0.0
    k = rng.normal(size=(2, 1, 3, 3))
    k[0, 0, 1] = 0.0
    zeros = int((w1 == 0).sum() + (w2 == 0).sum())
    assert network_sparsity(read_nir(mlp_graph([w1, w2]))) == 1 - (w1.size + w2.size - zeros) / (w1.size + w2.size)

    conv = nir.NIRGraph(nodes={
        "input": nir.Input(input_type={"input": np.array([1, 4, 4])}),
        "conv": nir.Conv2d(input_shape=(4, 4), weight=k, stride=1, padding=1, dilation=1, groups=1, bias=np.zeros(2)),
        "lif": lif(32, 0.9), "output": nir.Output(output_type={"output": np.array([2, 4, 4])})},
        edges=[("input", "conv"), ("conv", "lif"), ("lif", "output")], type_check=False)
    assert network_sparsity(read_nir(conv)) == pytest.approx(3 / 18)


def test_levels_count_the_files_own_zeros_and_keep_the_reset_synapses(tmp_path):
    rng = np.random.default_rng(5)
    w1, w2 = rng.normal(size=(20, 64)), rng.normal(size=(10, 20))
    for w in (w1, w2):   # exactly 60 % zeros in each layer
        w.ravel()[rng.permutation(w.size)[:int(0.6 * w.size)]] = 0.0
    nnz = [int(np.count_nonzero(w1)), int(np.count_nonzero(w2))]
    nir.write(tmp_path / "m.nir", mlp_graph([w1, w2]))
    wl, path, _ = load_workload(str(workload(tmp_path, "m.nir", nir_convention="snntorch",
                                             nir_reset="subtract_delayed")))
    src = make_source(wl, path, progress=False)
    assert src.own_sparsity == pytest.approx(0.6)

    def kept(level) -> dict[str, int]:
        return {pr.name: pr.nnz for pr in level.network.projections}

    below = src.level(0.3)   # at or below the file's own sparsity: the file as it is
    assert below.network is src.dense and below.info["connection_sparsity"] == pytest.approx(0.6)
    assert below.info["network_sparsity"] == pytest.approx(0.6)
    # 0.8 in total: half of the remaining weights go, in each layer; the delayed-reset self-synapses stay
    got = kept(src.level(0.8))
    weights = {k: v for k, v in got.items() if not k.endswith(".reset")}
    assert sorted(weights.values()) == sorted(int(np.floor(0.5 * n + 1e-9)) for n in nnz)
    assert {k: v for k, v in got.items() if k.endswith(".reset")} == {"lif0.reset": 20, "lif1.reset": 10}
    assert src.level(0.8).info["connection_sparsity"] == pytest.approx(
        1 - sum(weights.values()) / (w1.size + w2.size))


@pytest.mark.parametrize("network, message", [
    ({"nir": "m.nir", "dataset": "cifar10"}, "network.dataset: got 'cifar10'; expected one of 'mnist5k', 'digits'"),
    ({"nir": "m.nir", "encoder": "rate"}, "network.encoder: got 'rate'; expected nothing: it applies only with "
                                          "network.dataset (add dataset: digits, mnist5k or npz)"),
    ({"nir": "m.nir", "dataset": "digits", "encoder": "poisson"}, "network.encoder: got 'poisson'; expected one of "
                                                                  "'direct', 'rate'"),
    ({"nir": "m.nir", "dataset": "npz"}, "network.dataset_path: got None; expected the path of a .npz file"),
    ({"nir": "m.nir", "dataset": "digits", "dataset_path": "d.npz"}, "network.dataset_path: got 'd.npz'; expected "
                                                                     "nothing: dataset digits is built in"),
    ({"nir": "m.nir", "dataset": "digits", "encoder": "rate", "input_levels": 16},
     "network.input_levels: got 16; expected nothing: rate encoding sends spikes"),
    ({"nir": "m.nir", "dataset": "digits", "input_levels": 0}, "network.input_levels: got 0; expected an integer"),
    ({"synthetic": {"sizes": [4, 2], "input_rate": 0.1, "target_rate": 0.1}, "dataset": "digits"},
     "network.dataset: got 'digits'; expected nothing: it applies only with network.nir"),
])
def test_bad_dataset_keys_name_the_key_and_the_fix(network, message):
    with pytest.raises(ConfigError, match="^w.yaml: ") as e:
        parse_mapping(Workload, {"name": "w", "timesteps": 4, "network": network}, "w.yaml")
    assert message in str(e.value)


def test_only_magnitude_pruning_applies_to_an_imported_network():
    doc = {"name": "w", "timesteps": 4, "network": {"nir": "m.nir"}, "pruning": {"method": "gmp"}}
    with pytest.raises(ConfigError, match=r"pruning\.method: got 'gmp'; expected magnitude: an imported NIR network "
                                          r"is pruned by weight magnitude without fine-tuning"):
        parse_mapping(Workload, doc, "w.yaml")


def test_a_dataset_that_does_not_fit_the_network_is_one_line_exit_2(tmp_path, capsys):
    nir.write(tmp_path / "m.nir", mlp_graph([np.ones((10, 20))]))
    wl = workload(tmp_path, "m.nir", dataset="digits")
    assert main(["run", str(wl), "-q", "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "wl.yaml: network.dataset: digits samples hold 64 values" in err[0] \
        and "takes 20" in err[0], err
    with pytest.raises(UserError, match="has 10 classes, but the network's output 'lif0' has 4 neurons"):
        nir.write(tmp_path / "m.nir", mlp_graph([np.ones((4, 64))]))
        wl2, path, _ = load_workload(str(wl))
        make_source(wl2, path, progress=False)


def test_shipped_snntorch_digits_example_end_to_end(tmp_path, monkeypatch, capsys):
    """workloads/nir_digits.yaml: the snnTorch file is half zeros, scores what snnTorch measured
    (351 of 359 test images, docs/make_nir_digits.py's output) in the float model, and runs on Loihi
    with accuracy, network sparsity and connection sparsity in every record; the chip's readout spikes
    are the integer deploy model's."""
    from neurosim.config import load_hardware
    from neurosim.mapper import compile_network
    from neurosim.report.fields import RECORD
    from neurosim.sim import simulate

    wl, path, _ = load_workload("nir_digits")
    assert wl.network.dataset == "digits" and wl.hardware == ("loihi",) and len(wl.pruning.levels) >= 4
    assert (path.parent / wl.network.nir).stat().st_size < 200_000
    src = make_source(wl, path, progress=False)
    assert src.own_sparsity == 0.5
    level = src.level(0.0)
    assert level.info["accuracy_float"] == pytest.approx(351 / 359)

    hw = load_hardware("loihi")[0]
    q = src.deploy(level, hw.core.weight_bits, hw.core.state_bits)
    x = src.inputs_for(q, 8)
    res = simulate(compile_network(q, hw, inputs=x), x, record_raster=True)
    ref = run(q, x, timing="hardware")
    off = q.offsets
    i = [p.name for p in q.populations].index("3")   # the output layer (snnTorch names nodes by index)
    np.testing.assert_array_equal(res.raster[:, :, off[i]:off[i + 1]], ref.spikes["3"])

    small = yaml.safe_load(path.read_text())
    small.update(pruning={"levels": [0.0, 0.8]}, simulation={"samples": 4, "max_samples": 4})
    small["network"]["nir"] = str(path.parent / wl.network.nir)
    (tmp_path / "w.yaml").write_text(yaml.safe_dump(small))
    monkeypatch.setenv("NEUROSIM_CACHE", str(tmp_path / "cache"))
    assert main(["run", str(tmp_path / "w.yaml"), "--out", str(tmp_path / "o")]) == 0
    data = json.loads((tmp_path / "o" / "results.json").read_text())
    recs = data["records"]
    assert [r["sparsity"] for r in recs] == [0.0, 0.8]
    assert recs[0]["connection_sparsity"] == 0.5 and recs[1]["connection_sparsity"] == pytest.approx(0.8, abs=1e-3)
    assert {r["network_sparsity"] for r in recs} == {0.5}
    assert recs[0]["accuracy_float"] == pytest.approx(351 / 359) and recs[0]["accuracy_test_inputs"] == 359
    assert recs[0]["accuracy"] > recs[1]["accuracy"] and all(len(r["accuracy_ci95"]) == 2 for r in recs)
    assert set().union(*recs) <= {k for k, _, _ in RECORD}
    assert any(k.startswith("digits: ") for k in data["provenance"]["data_sha256"])

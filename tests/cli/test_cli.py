"""The `neurosim` command end to end on a tiny workload, and its handling of user mistakes."""

import json
import subprocess
import sys

import pytest
import yaml

from neurosim.cli import main

TINY = {"name": "tiny", "seed": 3, "timesteps": 12,
        "network": {"synthetic": {"sizes": [40, 30, 20, 5], "input_rate": 0.3, "target_rate": 0.2, "samples": 3}},
        "pruning": {"levels": [0.0, 0.5, 0.9]}, "simulation": {"samples": 2}, "hardware": ["generic_mesh"]}


@pytest.fixture
def tiny(tmp_path):
    p = tmp_path / "tiny.yaml"
    p.write_text(yaml.safe_dump(TINY))
    return p


def test_run_end_to_end(tiny, tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["run", str(tiny), "--hw", "generic_mesh", "--hw", "loihi", "--out", str(out)]) == 0
    data = json.loads((out / "results.json").read_text())
    recs = data["records"]
    assert len(recs) == 6 and {r["hardware"] for r in recs} == {"generic_mesh", "loihi"}
    prov = data["provenance"]
    assert prov["seed"] == 3 and len(prov["config_sha256"]) == 3 and "loihi" in prov["ert"]
    for r in recs:
        for key in ["hardware", "sparsity", "method", "synaptic_ops_per_inference", "energy_per_inference_j",
                    "energy_breakdown_j", "latency_per_inference_s", "throughput_inferences_per_s", "cores_used",
                    "synapse_memory_bits", "packets_per_inference", "hops_per_inference", "accuracy"]:
            assert key in r
        assert r["accuracy"] is None
        assert sum(r["energy_breakdown_j"].values()) == pytest.approx(r["energy_per_inference_j"])
        assert r["throughput_inferences_per_s"] == pytest.approx(1 / r["latency_per_inference_s"])
    for chip in ("generic_mesh", "loihi"):
        ops = [r["synaptic_ops_per_inference"] for r in recs if r["hardware"] == chip]
        assert ops[0] > ops[1] > ops[2]
    assert (out / "results.csv").read_text().count("\n") == 7
    assert (out / "energy_vs_sparsity.png").stat().st_size > 1000 and (out / "energy_vs_sparsity.svg").exists()
    assert (out / "latency_breakdown.png").stat().st_size > 1000
    table = capsys.readouterr().out
    assert "energy/inf (uJ)" in table and "generic_mesh" in table


def test_validate_reports_key_path_and_exits_2(tmp_path, capsys):
    from neurosim.config import load_hardware

    d = yaml.safe_load(load_hardware("loihi")[1].read_text())
    d["core"]["weight_bits"] = "eight"
    bad = tmp_path / "chip.yaml"
    bad.write_text(yaml.safe_dump(d))
    assert main(["validate", str(bad)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "core.weight_bits: got 'eight'" in err[0] and str(bad) in err[0]


def test_unknown_preset_and_no_fit_exit_2(tiny, tmp_path, capsys):
    assert main(["run", str(tiny), "--hw", "loihi9", "--out", str(tmp_path / "o")]) == 2
    assert "no such preset" in capsys.readouterr().err
    big = dict(TINY, network={"synthetic": {"sizes": [300, 600, 5], "input_rate": 0.3, "target_rate": 0.2}},
               pruning={"levels": [0.0]})
    p = tmp_path / "big.yaml"
    p.write_text(yaml.safe_dump(big))
    out = tmp_path / "nofit"
    assert main(["run", str(p), "--hw", "truenorth", "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "neurosim: error: layer lif1" in err and "max_fan_in_axons" in err
    recs = json.loads((out / "results.json").read_text())["records"]   # the records say why, whole
    assert [r["fits"] for r in recs] == [False] and "max_fan_in_axons" in recs[0]["fit_error"]


def test_console_script_prints_no_traceback(tmp_path):
    bad = tmp_path / "w.yaml"
    bad.write_text("name: w\ntimesteps: 3\nnetwork: {synthetic: {sizes: [2, 2], input_rate: 2, target_rate: 0.1}}\n")
    p = subprocess.run([sys.executable, "-m", "neurosim.cli", "validate", str(bad)], capture_output=True, text=True)
    assert p.returncode == 2 and "Traceback" not in p.stderr
    assert "network.synthetic.input_rate: got 2; expected a number in [0.0, 1.0]" in p.stderr


def test_dse_grid_end_to_end(tiny, tmp_path, capsys):
    out = tmp_path / "dse"
    assert main(["dse", str(tiny), "--hw", "generic_mesh", "--vary", "timing.synaptic_lanes=1,8",
                 "--out", str(out)]) == 0
    recs = json.loads((out / "results.json").read_text())["records"]
    assert len(recs) == 6
    by = {(r["sparsity"], r["hardware"]): r for r in recs}
    for s in (0.0, 0.5, 0.9):
        one, eight = by[(s, "generic_mesh[synaptic_lanes=1]")], by[(s, "generic_mesh[synaptic_lanes=8]")]
        assert one["synaptic_ops_per_inference"] == eight["synaptic_ops_per_inference"]
        assert eight["latency_per_inference_s"] <= one["latency_per_inference_s"]
    assert (out / "pareto_energy_latency.png").exists() and (out / "report.md").exists()


def test_dse_sweeps_operating_points(tiny, tmp_path, capsys):
    """`--vary operating.point=…` prices the same activity at each point: synaptic-op energy scales by
    (V / V_ref)², and the slower clock of the low-voltage point lengthens the busy time."""
    out = tmp_path / "dse"
    assert main(["dse", str(tiny), "--hw", "generic_mesh", "--vary", "operating.point=nominal,low_voltage",
                 "--out", str(out)]) == 0
    recs = json.loads((out / "results.json").read_text())["records"]
    by = {(r["sparsity"], r["hardware"]): r for r in recs}
    for s in (0.0, 0.5, 0.9):
        nom, low = by[(s, "generic_mesh[point=nominal]")], by[(s, "generic_mesh[point=low_voltage]")]
        assert nom["operating_point"]["name"] == "nominal" and low["operating_point"]["voltage_v"] == 0.6
        assert low["synaptic_ops_per_inference"] == nom["synaptic_ops_per_inference"]
        assert low["energy_breakdown_j"]["synaptic_ops"] == pytest.approx(
            nom["energy_breakdown_j"]["synaptic_ops"] * (0.6 / 0.9) ** 2)
        assert low["latency_per_inference_s"] > nom["latency_per_inference_s"]


@pytest.mark.parametrize("parallel", [["--workers", "2"], ["--scheduler", "local", "--workers", "2"]],
                         ids=["processes", "dask"])
def test_dse_in_parallel_gives_the_serial_records(tiny, tmp_path, capsys, parallel):
    """Two worker processes, or a local Dask cluster, produce the same records as one process."""
    grid = ["--hw", "generic_mesh", "--vary", "timing.synaptic_lanes=1,8"]
    assert main(["dse", str(tiny), *grid, "--out", str(tmp_path / "one")]) == 0
    assert main(["dse", str(tiny), *grid, *parallel, "--out", str(tmp_path / "two")]) == 0
    keys = ("sparsity", "hardware", "energy_per_inference_j", "latency_per_inference_s", "cores_used")
    one, two = ([{k: r[k] for k in keys} for r in json.loads((tmp_path / d / "results.json").read_text())["records"]]
                for d in ("one", "two"))
    assert one == two and len(one) == 6


def test_dse_scheduler_errors_are_one_line(tiny, tmp_path, capsys, monkeypatch):
    grid = ["dse", str(tiny), "--hw", "generic_mesh", "--vary", "timing.synaptic_lanes=1,8"]
    assert main([*grid, "--scheduler", "tcp://127.0.0.1:9", "--out", str(tmp_path / "a")]) == 2
    err = capsys.readouterr().err
    assert "--scheduler tcp://127.0.0.1:9: cannot reach a Dask scheduler" in err and "Traceback" not in err
    assert not (tmp_path / "a").exists()
    monkeypatch.setitem(sys.modules, "dask.distributed", None)   # the extra is not installed
    assert main([*grid, "--scheduler", "local", "--out", str(tmp_path / "b")]) == 2
    assert "pip install 'neurosim-hw[distributed]'" in capsys.readouterr().err


def test_experiment_pruning_writes_table(tmp_path, monkeypatch, capsys):
    from neurosim.config import load_workload

    monkeypatch.setenv("NEUROSIM_CACHE", str(tmp_path / "cache"))
    d = yaml.safe_load(load_workload("digits_mlp")[1].read_text())
    d["network"]["model"].update(epochs=1)
    d["network"]["model"]["layers"][1]["out"] = 24
    wl = tmp_path / "d.yaml"
    wl.write_text(yaml.safe_dump(d))
    out = tmp_path / "exp"
    argv = ["experiment", "pruning", str(wl), "--methods", "gmp", "criticality:grad", "--levels", "0", "0.8",
            "--seeds", "1", "--prune-epochs", "1", "--finetune-epochs", "1", "--interval", "5", "--out", str(out)]
    assert main(argv) == 0
    lines = (out / "records.jsonl").read_text().splitlines()
    assert len(lines) == 3  # the dense level is shared; each method at 0.8
    recs = [json.loads(x) for x in lines]
    assert {r["method"] for r in recs if r["level"] == 0.8} == {"gmp", "criticality"}
    for r in recs:
        assert 0.0 <= r["accuracy_float"] <= 1.0 and r["pruning_epochs"] == 2
    assert "criticality" in capsys.readouterr().out and (out / "table.md").exists()


@pytest.mark.parametrize("argv, message", [
    (["map", "ff784", "--hw", "loihi", "--sparsity", "1.5"],
     "argument --sparsity: expected a sparsity in [0, 1), got 1.5"),
    (["dse", "ff784", "--vary", "core.max_neurons=[1"], "is not a YAML scalar"),
    (["plot", "."], ".: not a regular file"),
    (["experiment", "pruning", "digits_mlp", "--methods", "foo", "--out", "x"], "unknown method 'foo'"),
    (["experiment", "pruning", "digits_mlp", "--interval", "0", "--out", "x"],
     "argument --interval: expected an integer in [1, 2^31], got 0"),
])
def test_user_mistakes_are_one_line_exit_2(argv, message, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert main(argv) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and message in err[0], err
    assert not (tmp_path / "x").exists()


def test_dse_varies_a_documented_key_absent_from_the_base_file(tiny, tmp_path, capsys):
    """generic_mesh.yaml has no host.per_step_s: the variant adds it (a {value, source} figure)."""
    out = tmp_path / "dse"
    assert main(["dse", str(tiny), "--hw", "generic_mesh", "--vary", "host.per_step_s=0,1e-5", "--out", str(out)]) == 0
    by = {(r["sparsity"], r["hardware"]): r for r in json.loads((out / "results.json").read_text())["records"]}
    for s in (0.0, 0.5, 0.9):
        slow, fast = by[(s, "generic_mesh[per_step_s=1e-5]")], by[(s, "generic_mesh[per_step_s=0]")]
        # 10 µs of serial host work before every simulated step of an inference (single mode)
        assert slow["latency_per_inference_s"] - fast["latency_per_inference_s"] == pytest.approx(
            1e-5 * slow["steps_simulated"], rel=1e-6)
    bad = ["dse", str(tiny), "--hw", "generic_mesh", "--vary", "host.nosuch=1", "--out", str(tmp_path / "x")]
    assert main(bad) == 2
    assert "host.nosuch: no such chip key" in capsys.readouterr().err


def test_validate_takes_preset_names_and_warns_about_units_and_edited_figures(tmp_path, capsys):
    from neurosim.config import load_hardware

    d = yaml.safe_load(load_hardware("loihi")[1].read_text())
    d["name"] = "mine"
    d["energy"]["synaptic_op_pj"]["value"] *= 1e6          # entered in aJ by mistake
    d["energy"]["hop_x_pj"]["value"] = 9.0                  # still cites Davies 2018 Table 2
    f = tmp_path / "mine.yaml"
    f.write_text(yaml.safe_dump(d))
    assert main(["validate", "loihi", "mnist_mlp", str(f)]) == 0
    out, err = capsys.readouterr()
    assert "loihi: valid hardware" in out and "mnist_mlp: valid workload" in out
    warnings = err.strip().splitlines()
    assert len(warnings) == 3   # the unit slip, and two figures edited under their old sources
    assert "energy.synaptic_op_pj = 3.36e+07 pJ is 1e+06 × the presets' largest (33.6 pJ)" in warnings[0]
    assert any("energy.hop_x_pj = 9 cites" in w and "whose value is 3 (preset loihi)" in w for w in warnings)


def test_fit_makes_a_network_run_on_every_chip_of_the_run(tmp_path, capsys):
    """300 inputs do not fit TrueNorth's 256 axons per core; --fit prunes every level to the budgets of all
    the run's chips, so the same network runs on each (and its sparsity says what the budgets removed)."""
    big = dict(TINY, network={"synthetic": {"sizes": [300, 600, 5], "input_rate": 0.3, "target_rate": 0.2}},
               pruning={"levels": [0.0, 0.5]})
    p = tmp_path / "big.yaml"
    p.write_text(yaml.safe_dump(big))
    out = tmp_path / "fit"
    assert main(["run", str(p), "--hw", "truenorth", "--hw", "generic_mesh", "--fit", "--out", str(out)]) == 0
    recs = json.loads((out / "results.json").read_text())["records"]
    assert all(r["fits"] for r in recs) and len(recs) == 4
    dense = [r for r in recs if r["sparsity"] == 0.0]
    # 256 of 300 inputs into the hidden layer, 256 of 600 hidden neurons into the output
    kept = 256 * 256 + 256 * 5
    assert dense[0]["connection_sparsity"] == pytest.approx(1 - kept / (300 * 600 + 600 * 5), abs=0.02)
    assert {r["hardware"] for r in dense} == {"truenorth", "generic_mesh"}


def test_experiment_structure_compares_equal_parameter_counts(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("NEUROSIM_CACHE", str(tmp_path / "cache"))
    wl = {"name": "st", "seed": 0, "timesteps": 3,
          "network": {"model": {"dataset": "digits", "input_levels": 16, "epochs": 1, "layers": [
              {"type": "flatten"}, {"type": "linear", "out": 32}, {"type": "batchnorm"}, {"type": "lif"},
              {"type": "linear", "out": 10}, {"type": "readout"}]}},
          "pruning": {"prune_epochs": 1, "finetune_epochs": 1, "interval": 5},
          "simulation": {"samples": 2, "max_samples": 2}, "hardware": ["generic_mesh"]}
    (tmp_path / "w.yaml").write_text(yaml.safe_dump(wl))
    out = tmp_path / "st"
    assert main(["experiment", "structure", str(tmp_path / "w.yaml"), "--levels", "0.5", "--out", str(out)]) == 0
    recs = json.loads((out / "results.json").read_text())["records"]
    channels = [r for r in recs if r["structure"] == "channels"]
    weights = [r for r in recs if r["structure"] == "weights"]
    assert len(channels) == len(weights) == 1
    # k of 32 hidden channels leave (64 + 10) x k of (64 + 10) x 32 weights; weights pruned to match
    kept = channels[0]["channels_kept"]
    assert 14 <= kept <= 16 and channels[0]["connection_sparsity"] == pytest.approx(1 - kept / 32)
    assert weights[0]["connection_sparsity"] == pytest.approx(channels[0]["connection_sparsity"], abs=0.01)
    assert "| generic_mesh | 0.50 | channels |" in (out / "comparison.md").read_text()

"""A network too big for one chip goes to the smallest system of that chip instead of failing."""

from pathlib import Path

import pytest
import yaml

from neurosim.config import load_hardware, parse_mapping
from neurosim.config.presets import resolve
from neurosim.config.workload import Workload
from neurosim.report.index import result_cells
from neurosim.sweep import grow
from neurosim.sweep.grow import systems_of
from neurosim.sweep.pipeline import Chip, run_workload

# 5000 spiking neurons: more than generic_mesh's 16 cores x 256, fewer than two chips'
BIG = {"name": "big", "seed": 1, "timesteps": 4,
       "network": {"synthetic": {"sizes": [30, 5000], "input_rate": 0.3, "target_rate": 0.1, "samples": 2}},
       "pruning": {"levels": [0.0]}, "simulation": {"samples": 2, "max_samples": 2}}


def _pair(tmp_path: Path, chips_x: int) -> Path:
    d = {"name": f"mesh_x{chips_x}", "chip": "generic_mesh", "chips_x": chips_x, "chips_y": 1,
         "link": {"energy_pj": {"value": 100.0, "source": "test"}, "latency_s": {"value": 1e-7, "source": "test"},
                  "bits_per_s": {"value": 1e9, "source": "test"}},
         "barrier_s": {"value": 2e-6, "source": "test"}}
    p = tmp_path / f"mesh_x{chips_x}.yaml"
    p.write_text(yaml.safe_dump(d))
    return p


def test_the_shipped_systems_of_a_chip_preset_smallest_first(tmp_path):
    assert systems_of("loihi", resolve("loihi")) == ["loihi_nahuku32", "pohoiki_springs"]
    assert systems_of("truenorth", resolve("truenorth")) == []
    mine = tmp_path / "loihi.yaml"          # a user's own chip file, even named like a preset, does not grow
    mine.write_text(resolve("loihi").read_text())
    assert systems_of("loihi", mine) == []


def test_a_level_too_big_for_one_chip_runs_on_the_smallest_system_that_takes_it(tmp_path, monkeypatch):
    wl = parse_mapping(Workload, BIG)
    chip = Chip(*load_hardware("generic_mesh"))
    monkeypatch.setattr(grow, "systems_of", lambda name, path: [])
    _, (alone,) = run_workload(wl, Path("big.yaml"), "x", [chip], progress=False, check_limits=False)
    assert alone["fits"] is False and alone["system"] is None

    # a system of one such chip is still too small: the error says what was tried
    one = [str(_pair(tmp_path, 1))]
    monkeypatch.setattr(grow, "systems_of", lambda name, path: one)
    _, (none,) = run_workload(wl, Path("big.yaml"), "z", [chip], progress=False, check_limits=False)
    assert none["fits"] is False and f"nor on the systems of generic_mesh: {one[0]}" in none["fit_error"]

    # the two-chip one takes it
    names = [str(_pair(tmp_path, 1)), str(_pair(tmp_path, 2))]
    monkeypatch.setattr(grow, "systems_of", lambda name, path: names if name == "generic_mesh" else [])
    _, (rec,) = run_workload(wl, Path("big.yaml"), "y", [chip], progress=False, check_limits=False)
    assert rec["fits"] is True and rec["hardware"] == "generic_mesh" and rec["system"] == "mesh_x2"
    assert rec["chips_used"] == 2 and rec["chips_available"] == 2
    assert result_cells(rec)[0] == "generic_mesh → mesh_x2"      # the tables say where it ran
    assert rec["cores_used"] >= 5000 / 256
    assert rec["chip_crossings_per_inference"] > 0
    assert rec["inter_chip_energy_j"] == rec["energy_breakdown_j"]["chip_crossings"] > 0
    # the links' 100 ns latency and 32-cycle hold cost time; the barrier is the system's either way
    links = rec["inter_chip_time_per_inference_s"]
    assert 0 < links < rec["latency_per_inference_s"] - rec["barrier_time_per_inference_s"]
    lo, hi = rec["inter_chip_time_per_inference_ci95_s"]
    assert lo <= links <= hi
    # the system's 2 us barrier on every one of the T + L - 1 = 4 + 1 - 1 steps of an inference (one LIF layer)
    assert rec["barrier_time_per_inference_s"] == pytest.approx(4 * 2e-6, rel=1e-9)


def test_map_shows_the_fit_on_the_system_a_big_network_goes_to(tmp_path, monkeypatch, capsys):
    from neurosim import cli

    wl = tmp_path / "big.yaml"
    wl.write_text(yaml.safe_dump({**BIG, "hardware": ["generic_mesh"]}))
    assert cli.main(["map", str(wl), "--sparsity", "0.5"]) == 2           # no system of generic_mesh ships
    assert "runs out of cores" in capsys.readouterr().err
    pair = str(_pair(tmp_path, 2))
    monkeypatch.setattr(grow, "systems_of", lambda name, path: [pair])
    assert cli.main(["map", str(wl), "--sparsity", "0.5"]) == 0
    out = capsys.readouterr().out
    assert "does not fit one generic_mesh: mapped onto mesh_x2" in out
    assert "per chip (2 of 2 chips of generic_mesh in use" in out

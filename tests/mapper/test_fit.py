"""The fit report of `neurosim map` and its message when a network does not fit (DESIGN §5, §9)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

import neurosim
from neurosim.cli import main

WL = {"name": "fitwl", "seed": 5, "timesteps": 6,
      "network": {"synthetic": {"sizes": [30, 200, 10], "input_rate": 0.3, "target_rate": 0.2, "samples": 2}},
      "pruning": {"levels": [0.0]}, "simulation": {"samples": 2}, "hardware": ["loihi"]}
PRESETS = Path(neurosim.__file__).resolve().parent.parent / "hwconfigs"


def write_chip(tmp_path, **core) -> Path:
    data = yaml.safe_load((PRESETS / "loihi.yaml").read_text())
    mesh = core.pop("mesh", None)
    data["core"].update(core)
    data["power"]["power_gating"] = True    # the default mapping objective is then the fewest cores
    if mesh:
        data["mesh"].update(mesh)
    p = tmp_path / "chip.yaml"
    p.write_text(yaml.safe_dump(data))
    return p


@pytest.fixture
def wl(tmp_path):
    p = tmp_path / "wl.yaml"
    p.write_text(yaml.safe_dump(WL))
    return p


def test_map_prints_every_budget_per_core_and_totals(wl, tmp_path, capsys):
    hw = write_chip(tmp_path, max_neurons=64)
    assert main(["map", str(wl), "--hw", str(hw), "--format", "sparse"]) == 0
    out = capsys.readouterr().out
    assert "4 of 128 cores used" in out      # 210 neurons in cores of 64
    for title in ("neurons", "synapse bits", "fan-in axons", "fan-out axons", "routing entries"):
        assert title in out
    assert "lif1[0:18]" in out and "lif1[146:200],lif2[0:10]" in out   # cut from the end
    assert "64/64 (100%)" in out
    assert "totals" in out and "serpentine baseline" in out and "profiled" in out


def check_one_line(capsys, *needles):
    err = capsys.readouterr().err
    assert "Traceback" not in err
    lines = [x for x in err.strip().splitlines() if not x.startswith("[neurosim]")]
    assert len(lines) == 1, err
    for n in needles:
        assert n in lines[0], lines[0]
    return lines[0]


def test_too_few_cores(wl, tmp_path, capsys):
    hw = write_chip(tmp_path, max_neurons=64, mesh={"cols": 1, "rows": 1, "cores_per_router": 2})
    assert main(["map", str(wl), "--hw", str(hw), "--format", "sparse"]) == 2
    check_one_line(capsys, "layer lif1", "needs 4 cores", "has 2", "short by 2", "more cores")


def test_single_neuron_over_synapse_memory(wl, tmp_path, capsys):
    # one lif1 neuron has 30 input rows; dense rows of 64+8 bits -> 2 words each = 3840 bits > 2048 (lif2
    # is over too, but the error names the earliest layer)
    hw = write_chip(tmp_path, synapse_memory_bits=2048)
    assert main(["map", str(wl), "--hw", str(hw), "--format", "dense"]) == 2
    line = check_one_line(capsys, "layer lif1", "synapse memory", "3840 bits", "short by 1792", "format")
    assert "core.synapse_memory_bits" in line


def test_single_neuron_over_fan_in(wl, tmp_path, capsys):
    hw = write_chip(tmp_path, max_fan_in_axons=20)
    assert main(["map", str(wl), "--hw", str(hw), "--format", "dense"]) == 2
    check_one_line(capsys, "layer lif1", "30 input axons", "max_fan_in_axons is 20", "short by 10", "prune")

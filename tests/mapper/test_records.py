"""The mapper's keys in `neurosim run` records (issue 4 item 6) against the compiled chip and the
simulator's counts."""

from __future__ import annotations

import json

import pytest
import yaml

from neurosim.cli import main

WL = {"name": "recwl", "seed": 7, "timesteps": 10,
      "network": {"synthetic": {"sizes": [60, 90, 40, 8], "input_rate": 0.3, "target_rate": 0.2, "samples": 2}},
      "pruning": {"levels": [0.0, 0.6]}, "simulation": {"samples": 2}, "hardware": ["generic_mesh"]}


def test_run_records_carry_memory_routing_and_placement(tmp_path):
    p = tmp_path / "wl.yaml"
    p.write_text(yaml.safe_dump(WL))
    out = tmp_path / "out"
    assert main(["run", str(p), "--hw", "generic_mesh", "--format", "sparse", "--out", str(out)]) == 0
    recs = json.loads((out / "results.json").read_text())["records"]
    assert len(recs) == 2
    for r in recs:
        assert r["synapse_memory_bits_by_format"] == {"sparse": r["synapse_memory_bits"]}
        assert r["neuron_memory_bits"] == (90 + 40 + 8) * 32          # generic_mesh: 32 bits per neuron
        assert r["routing_entries"] > 0 and r["routing_memory_bits"] == r["routing_entries"] * 24
        assert r["placement_traffic"] == "profiled"
        assert r["placement_cost_hops"] <= r["baseline_placement_cost_hops"]
        # unicast: expected packet-hops from the profile = hops the simulator counts on the same inputs
        assert r["placement_cost_hops"] == pytest.approx(r["hops_per_inference"])
    assert recs[1]["synapse_memory_bits"] < recs[0]["synapse_memory_bits"]

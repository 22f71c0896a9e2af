"""The per-level pipeline: records per (level, chip), energy breakdown sums, resumable points."""

from pathlib import Path

import pytest

from neurosim.config import load_hardware, parse_mapping
from neurosim.config.workload import Workload
from neurosim.sweep import pipeline
from neurosim.sweep.pipeline import Chip, run_workload

WL = {"name": "tiny", "seed": 5, "timesteps": 10,
      "network": {"synthetic": {"sizes": [30, 25, 6], "input_rate": 0.3, "target_rate": 0.2, "samples": 3}},
      "pruning": {"levels": [0.0, 0.6]}, "simulation": {"samples": 3, "max_samples": 3}}


@pytest.fixture(scope="module")
def chips():
    return [Chip(*load_hardware("generic_mesh")), Chip(*load_hardware("loihi"))]


def test_records_and_resume(chips, tmp_path, monkeypatch):
    wl = parse_mapping(Workload, WL)
    prov, recs = run_workload(wl, Path("tiny.yaml"), "abc", chips, points_dir=tmp_path, progress=False)
    assert [(r["sparsity"], r["hardware"]) for r in recs] == [(0.0, "generic_mesh"), (0.0, "loihi"),
                                                              (0.6, "generic_mesh"), (0.6, "loihi")]
    for r in recs:
        assert sum(r["energy_breakdown_j"].values()) == pytest.approx(r["energy_per_inference_j"], rel=1e-12)
        assert r["samples_simulated"] == 3 and r["steps_simulated"] == 10 + 1
        assert 0.0 <= r["activation_sparsity"] <= 1.0
        assert r["energy_per_synaptic_op_j"] == pytest.approx(r["energy_per_inference_j"] /
                                                              r["synaptic_ops_per_inference"])
    assert recs[2]["connection_sparsity"] == pytest.approx(0.6, abs=0.01)
    assert len(list(tmp_path.glob("*.json"))) == 4

    def boom(*a, **k):
        raise AssertionError("a finished point was recomputed")

    monkeypatch.setattr(pipeline, "evaluate", boom)
    _, again = run_workload(wl, Path("tiny.yaml"), "abc", chips, points_dir=tmp_path, progress=False)
    assert again == recs
    # a changed workload file (hash) is a different point
    with pytest.raises(AssertionError, match="recomputed"):
        run_workload(wl, Path("tiny.yaml"), "abd", chips, points_dir=tmp_path, progress=False)


def test_inputs_double_until_the_work_per_input_is_known_and_chips_share_them(chips):
    """samples 2 → 4 → 8 → ... while the 95 % interval of the float model's synaptic events per input is
    wider than target_ci; every chip at a level simulates those same inputs."""
    from neurosim.ir.deploy import synaptic_events
    from neurosim.report.stats import mean_ci, relative_half_width
    from neurosim.sweep.sources import make_source

    wl = parse_mapping(Workload, dict(WL, pruning={"levels": [0.0]},
                                      simulation={"samples": 2, "max_samples": 64, "target_ci": 0.05}))
    source = make_source(wl, Path("t.yaml"), progress=False)
    level = source.level(0.0)
    n = source.inputs_needed(level)
    width = lambda k: relative_half_width(mean_ci(synaptic_events(level.network, source.inputs_for(  # noqa: E731
        level.network, k))))
    assert n in (2, 4, 8, 16, 32, 64)
    assert width(n) <= 0.05 or n == 64
    assert n == 2 or width(n // 2) > 0.05        # the smallest doubling that is narrow enough
    _, recs = run_workload(wl, Path("t.yaml"), "x", chips, progress=False)
    assert {r["inputs_simulated"] for r in recs} == {n}
    for r in recs:   # the reported width is the wider of energy's and latency's, relative to the mean
        pairs = (("energy_per_inference_j", "energy_per_inference_ci95_j"),
                 ("latency_per_inference_s", "latency_per_inference_ci95_s"))
        rel = [relative_half_width((r[m], *r[ci])) for m, ci in pairs]
        assert r["ci_half_width"] == pytest.approx(max(rel)) and r["ci_target_met"] == (max(rel) <= 0.05)


def test_static_energy_follows_power_gating_and_states(chips):
    """Idle floor (uncore + leakage of powered cores) and armed power, each × latency; with gating only
    used cores leak. Energy above idle = all-in − idle floor."""
    wl = parse_mapping(Workload, dict(WL, pruning={"levels": [0.0]}))
    gated = chips[0]  # generic_mesh gates unused cores: static power counts used cores only
    assert gated.hw.power.power_gating
    _, (rec,) = run_workload(wl, Path("t.yaml"), "x", [gated], progress=False)
    p = gated.hw.power
    idle = p.chip_idle_w.value + p.core_static_w.value * rec["cores_used"] + p.gated_core_w.value * (
        16 - rec["cores_used"])
    assert rec["idle_power_w"] == pytest.approx(idle)
    assert rec["energy_breakdown_j"]["static"] == pytest.approx(idle * rec["latency_per_inference_s"])
    assert rec["energy_breakdown_j"]["armed"] == pytest.approx(p.armed_w.value * rec["latency_per_inference_s"])
    assert rec["energy_above_idle_per_inference_j"] == pytest.approx(
        rec["energy_per_inference_j"] - rec["energy_breakdown_j"]["static"])
    from dataclasses import replace

    loihi = Chip(*load_hardware("loihi"))
    ungated = replace(loihi, hw=replace(loihi.hw, power=replace(loihi.hw.power, power_gating=False)))
    _, (rec2,) = run_workload(wl, Path("t.yaml"), "x", [ungated], progress=False)   # all 128 cores leak
    q = ungated.hw.power
    assert rec2["energy_breakdown_j"]["static"] == pytest.approx(
        (q.chip_idle_w.value + q.core_static_w.value * 128) * rec2["latency_per_inference_s"])


def test_a_resumed_sweep_maps_the_earlier_levels_again_for_the_prior(chips, tmp_path, monkeypatch):
    """Level 0 comes from disk; level 0.6 is computed with level 0's compiled chip as its prior, as in
    an uninterrupted run (cores never increase along the sweep, resumed or not)."""
    wl = parse_mapping(Workload, WL)
    _, fresh = run_workload(wl, Path("t.yaml"), "s", chips[:1], progress=False)
    run_workload(parse_mapping(Workload, dict(WL, pruning={"levels": [0.0]})), Path("t.yaml"), "s", chips[:1],
                 points_dir=tmp_path, progress=False)
    priors = []
    real = pipeline.compile_network

    def spy(net, hw, fmt, **kw):
        priors.append(kw.get("prior"))
        return real(net, hw, fmt, **kw)

    monkeypatch.setattr(pipeline, "compile_network", spy)
    _, resumed = run_workload(wl, Path("t.yaml"), "s", chips[:1], points_dir=tmp_path, progress=False)
    assert priors[0] is None and priors[1] is not None        # level 0 mapped again, then passed on
    keys = ("cores_used", "energy_per_inference_j", "synapse_memory_bits")
    assert [{k: r[k] for k in keys} for r in resumed] == [{k: r[k] for k in keys} for r in fresh]


def test_a_damaged_point_is_set_aside_and_recomputed(chips, tmp_path, capsys):
    """A truncated, edited or foreign points/ entry is never fatal and never trusted."""
    import json

    wl = parse_mapping(Workload, dict(WL, pruning={"levels": [0.0]}))
    _, recs = run_workload(wl, Path("t.yaml"), "d", chips[:1], points_dir=tmp_path, progress=False)
    (point,) = tmp_path.glob("*.json")
    data = json.loads(point.read_text())
    edited = {**data, "record": {**data["record"], "cores_used": data["record"]["cores_used"] + 1}}
    for damage in (point.read_text()[:40], "[]", json.dumps(edited)):
        point.write_text(damage)
        _, again = run_workload(wl, Path("t.yaml"), "d", chips[:1], points_dir=tmp_path, progress=False)
        assert [_untimed(r) for r in again] == [_untimed(r) for r in recs]
        assert "unusable" in capsys.readouterr().err
        assert point.with_name(point.name + ".corrupt").exists()
    assert _untimed(json.loads(point.read_text())["record"]) == _untimed(recs[0])


def _untimed(rec: dict) -> dict:
    return {k: v for k, v in rec.items() if not k.endswith("_seconds")}

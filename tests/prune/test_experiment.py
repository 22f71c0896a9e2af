import json

import pytest

from neurosim.errors import ConfigError
from neurosim.prune.experiment import markdown, paired, parse_method, summarize, write_outputs


def rec(label, level, seed, acc, sp, sec=2.0):
    return {"label": label, "method": label, "level": level, "seed": seed, "accuracy_float": acc,
            "connection_sparsity": sp, "pruning_epochs": 20, "pruning_seconds": sec}


RECORDS = [rec("gmp", 0.9, 0, 0.95, 0.9), rec("gmp", 0.9, 1, 0.96, 0.9), rec("gmp", 0.9, 2, 0.97, 0.9),
           rec("criticality-grad", 0.9, 0, 0.96, 0.901, 4.0), rec("criticality-grad", 0.9, 1, 0.96, 0.903, 6.0),
           rec("dense", 0.0, 0, 0.98, 0.0)]


def test_parse_method():
    assert parse_method("criticality:prim") == ("criticality", "prim", None)
    assert parse_method("criticality:grad:exact") == ("criticality", "grad", "exact")
    assert parse_method("gmp") == ("gmp", None, None)
    with pytest.raises(ConfigError):
        parse_method("criticality:grad:some")
    with pytest.raises(ConfigError):
        parse_method("nope")
    with pytest.raises(ConfigError):
        parse_method("criticality:bell")


def test_summary_mean_and_sample_std():
    rows = {(r["method"], r["level"]): r for r in summarize(RECORDS)}
    g = rows[("gmp", 0.9)]
    assert g["seeds"] == 3 and g["accuracy_pct"] == pytest.approx(96.0) and g["accuracy_sd"] == pytest.approx(1.0)
    c = rows[("criticality-grad", 0.9)]
    assert c["sparsity_pct"] == pytest.approx(90.2) and c["seconds"] == 5.0
    assert c["seconds_sd"] == pytest.approx(2 ** 0.5)
    assert rows[("dense", 0.0)]["accuracy_sd"] == 0.0
    assert "| gmp | 0.90 | 3 | 90.00 ± 0.00 | 96.00 ± 1.00 | 20 |" in markdown(summarize(RECORDS))


def test_paired_differences_use_common_seeds_only():
    (p,) = paired(RECORDS, "criticality-grad", "gmp")
    # seed 0: +1.0 point, seed 1: 0.0
    assert (p["pairs"], p["wins"], p["ties"], p["losses"]) == (2, 1, 1, 0)
    assert p["diff_pct"] == pytest.approx(0.5)


def test_write_outputs(tmp_path):
    (tmp_path / "records.jsonl").write_text("\n".join(json.dumps(r) for r in RECORDS))
    text = write_outputs(RECORDS, tmp_path, "t")
    assert "criticality-grad − gmp" in text
    for name in ("table.md", "table.csv", "paired.csv", "accuracy_vs_sparsity.png", "accuracy_vs_sparsity.svg"):
        assert (tmp_path / name).stat().st_size > 0


def test_interrupted_append_is_dropped_and_a_corrupt_file_refused(tmp_path):
    from neurosim.prune.experiment import _load

    path = tmp_path / "records.jsonl"
    good = [json.dumps(r) for r in RECORDS[:2]]
    path.write_text(good[0] + "\n" + good[1] + "\n" + good[1][:20])   # cut off mid-record
    assert _load(path) == RECORDS[:2]
    assert path.read_text() == good[0] + "\n" + good[1] + "\n"        # the next append starts a fresh line
    path.write_text(good[0] + "\n{oops\n" + good[1] + "\n")
    with pytest.raises(ConfigError, match="line 2 is not a JSON record"):
        _load(path)


def test_run_experiment_writes_as_it_goes_and_resumes(mlp_workload, tmp_path):
    from neurosim.prune.experiment import run_experiment

    logs = []
    recs = run_experiment(mlp_workload, ["gmp", "criticality:prim:exact"], [0.0, 0.8], [0], tmp_path, logs.append)
    assert sorted(r["label"] for r in recs) == ["criticality-prim-exact", "dense", "gmp"]
    assert len((tmp_path / "records.jsonl").read_text().splitlines()) == 3 and len(logs) == 3
    again = run_experiment(mlp_workload, ["gmp", "criticality:prim:exact"], [0.0, 0.8], [0], tmp_path, logs.append)
    assert len(again) == 3 and len(logs) == 3            # nothing re-run
    crit = next(r for r in recs if r["label"] == "criticality-prim-exact")
    assert crit["criticality"] == "prim" and crit["criticality_ties"] == "exact"
    assert "criticality-prim-exact − gmp" in write_outputs(recs, tmp_path, "t")

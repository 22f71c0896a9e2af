"""docs/records.md documents every field a run writes, and is current."""

import json
from pathlib import Path

import yaml

from neurosim.cli import main
from neurosim.report.fields import PROVENANCE, RECORD, markdown

ROOT = Path(__file__).resolve().parents[2]


def test_records_doc_is_current():
    assert (ROOT / "docs" / "records.md").read_text() == markdown(), \
        "regenerate: python -m neurosim.report.fields > docs/records.md"


def test_every_field_a_run_writes_is_documented(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("NEUROSIM_CACHE", str(tmp_path / "cache"))
    wl = {"name": "f", "seed": 1, "timesteps": 6,
          "network": {"synthetic": {"sizes": [20, 12, 4], "input_rate": 0.3, "target_rate": 0.2}},
          "pruning": {"levels": [0.0, 0.5]}, "simulation": {"samples": 2, "max_samples": 2}}
    big = {**wl, "name": "g", "network": {"synthetic": {"sizes": [300, 600, 5], "input_rate": 0.3,
                                                        "target_rate": 0.2}}}
    for d, chip in ((wl, "loihi"), (big, "truenorth")):      # a level that fits, and one that does not
        (tmp_path / "w.yaml").write_text(yaml.safe_dump(d))
        main(["run", str(tmp_path / "w.yaml"), "--hw", chip, "--out", str(tmp_path / d["name"])])
        data = json.loads((tmp_path / d["name"] / "results.json").read_text())
        documented = {k for k, _, _ in RECORD}
        for r in data["records"]:
            assert set(r) <= documented, sorted(set(r) - documented)
        assert set(data["provenance"]) <= {k for k, _ in PROVENANCE}
    assert {r["fits"] for r in json.loads((tmp_path / "g" / "results.json").read_text())["records"]} == {False}

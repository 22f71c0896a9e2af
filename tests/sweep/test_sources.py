"""Trained workloads through the sweep: accuracy from the deploy model, pruned levels cached."""

import pytest
import yaml

from neurosim.config import load_workload, parse_mapping
from neurosim.config.workload import Workload
from neurosim.sweep import sources


@pytest.fixture
def digits(tmp_path, monkeypatch):
    monkeypatch.setenv("NEUROSIM_CACHE", str(tmp_path / "cache"))
    d = yaml.safe_load(load_workload("digits_mlp")[1].read_text())
    d["network"]["model"]["epochs"] = 2
    d["network"]["model"]["layers"][1]["out"] = 32
    d["pruning"] = {"method": "gmp", "levels": [0.0, 0.8], "prune_epochs": 1, "finetune_epochs": 1,
                    "interval": 5}
    d["simulation"] = {"samples": 2}
    return parse_mapping(Workload, d, "digits_small.yaml")


def test_trained_levels_are_cached_and_accuracy_is_the_deploy_models(digits, monkeypatch):
    src = sources.make_source(digits, None, progress=False)
    lvl = src.level(0.8)
    assert lvl.method == "gmp" and 0.75 < lvl.info["connection_sparsity"] < 0.85
    assert lvl.info["pruning_epochs"] == 2
    import neurosim.prune.workflow as wf

    monkeypatch.setattr(wf, "prune_workload", lambda *a, **k: pytest.fail("a cached level was pruned again"))
    again = sources.make_source(digits, None, progress=False).level(0.8)
    assert again.network.n_synapses == lvl.network.n_synapses and again.info == lvl.info
    from neurosim.ir import quantize
    from neurosim.snn import predict_deploy

    q = quantize(lvl.network, 8, 24)
    test = src.trained.dataset.test
    assert src.accuracy(q) == (int((predict_deploy(q, test.x) == test.y).sum()), len(test.y))
    assert src.inputs_for(q).shape == (2, 4, 64)


def test_deploy_network_and_accuracy_are_computed_once_per_level_and_bit_widths(digits, monkeypatch):
    src = sources.make_source(digits, None, progress=False)
    src.prepare([0.0, 0.8])                              # trains and caches the levels
    import neurosim.prune.workflow as wf

    monkeypatch.setattr(wf, "prune_workload", lambda *a, **k: pytest.fail("a prepared level was pruned again"))
    lvl = sources.make_source(digits, None, progress=False).level(0.8)
    calls = []
    real = src.accuracy
    monkeypatch.setattr(src, "accuracy", lambda q: calls.append(q) or real(q))
    q = src.deploy(lvl, 8, 24)
    assert src.deploy(lvl, 8, 24) is q and src.deploy(lvl, 6, 24) is not q
    acc = src.deploy_accuracy(lvl, 8, 24)
    assert src.deploy_accuracy(lvl, 8, 24) == acc and calls == [q]
    from neurosim.snn import predict_deploy

    test = src.trained.dataset.test
    assert acc == (int((predict_deploy(q, test.x) == test.y).sum()), len(test.y))
    dense = src.level(0.0)
    src.deploy(dense, 8, 24)                              # a new level: the old level's entries are dropped
    assert {k[0] for k in src._deployed} == {0.0}


class _Bomb:
    """Unpickling this writes a marker file: proof that a planted pickle ran code."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (open, (str(self.marker), "w"))


def test_a_workload_name_cannot_steer_cache_paths_or_load_a_pickle(digits, tmp_path):
    """The code-execution path: a crafted `name` wrote caches anywhere and unpickled planted files."""
    import dataclasses
    import pickle

    from neurosim.errors import ConfigError

    d = dataclasses.asdict(digits)
    for bad in ("../../evil", "/tmp/x", "a/b", ".hidden", "x" * 200, "a b"):
        with pytest.raises(ConfigError, match=r"bad\.yaml: name: got .*; expected a name"):
            parse_mapping(Workload, {**_plain(d), "name": bad}, "bad.yaml")
    # a Workload built in code skips the parser: the path is made safe all the same
    evil = dataclasses.replace(digits, name="../../evil")
    src = sources.make_source(evil, None, progress=False)
    path = src._level_path(0.8)
    cache = tmp_path / "cache"
    assert path.resolve().is_relative_to(cache.resolve()) and "/" not in path.name
    # a pickle planted where a cached level is looked for is never unpickled: set aside, recomputed
    marker = tmp_path / "ran"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(pickle.dumps(_Bomb(marker)))
    path.with_suffix(".pkl").write_bytes(pickle.dumps(_Bomb(marker)))  # where older versions looked
    lvl = src.level(0.8)
    assert not marker.exists()
    assert lvl.method == "gmp" and path.with_name(path.name + ".corrupt").exists()
    again = sources.make_source(evil, None, progress=False).level(0.8)   # the recomputed cache is good
    assert again.network.n_synapses == lvl.network.n_synapses


def _plain(d):
    """asdict output → the YAML-like mapping the parser takes (tuples become lists, None keys dropped)."""
    if isinstance(d, dict):
        return {k: _plain(v) for k, v in d.items() if v is not None}
    if isinstance(d, list | tuple):
        return [_plain(v) for v in d]
    return d

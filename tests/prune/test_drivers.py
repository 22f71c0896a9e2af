"""The training-time drivers on a tiny synthetic dataset (seconds, not minutes)."""

import dataclasses
import math

import numpy as np
import pytest

from neurosim.errors import ConfigError
from neurosim.prune.channels import BNL1, channel_groups, criticality_pass, remove_channels, weight_count
from neurosim.prune.criticality import crit_grad
from neurosim.prune.gradual import GradualPruner, maskable_layers
from neurosim.prune.schedule import GMPSchedule
from neurosim.prune.workflow import METHODS, prune_workload
from neurosim.snn.datasets import load_dataset
from neurosim.snn.encoders import make_encoder
from neurosim.snn.model import build
from neurosim.snn.train import Trainer


def _setup(wl, seed=0):
    spec = wl.network.model
    ds = load_dataset(spec)
    return spec, ds, make_encoder(spec, wl.timesteps, seed), build(spec, ds.in_shape, wl.timesteps, seed)


def test_maskable_layers(mlp_workload, cnn_workload):
    *_, mlp = _setup(mlp_workload)
    assert [(m.param, m.out_axis, m.lif) for m in maskable_layers(mlp)] == [
        ("fc1.weight", 1, "lif1"), ("fc2.weight", 1, "lif2"), ("fc3.weight", 1, None)]
    *_, cnn = _setup(cnn_workload)
    assert [(m.param, m.out_axis, m.lif) for m in maskable_layers(cnn)] == [
        ("conv1.weight", 0, "lif1"), ("conv2.weight", 0, "lif2"), ("fc1.weight", 1, None)]


@pytest.mark.parametrize("rule", ["none", "criticality", "criticality-exact", "random", "gradient"])
def test_gradual_pruner_reaches_the_schedule(mlp_workload, rule):
    spec, ds, enc, model = _setup(mlp_workload)
    ipe = math.ceil(len(ds.train) / spec.batch_size)
    sched = GMPSchedule(final_sparsity=0.8, prune_epochs=2, iters_per_epoch=ipe, interval=2)
    ties = "exact" if rule.endswith("exact") else "all"
    rule = rule.removesuffix("-exact")
    pruner = GradualPruner(model, sched, rule, r=0.3, seed=1, ties=ties)
    Trainer(model, spec, ds, enc, progress=False, epochs=3, callbacks=[pruner]).fit()
    assert [e["event"] for e in pruner.log] == list(range(1, sched.events + 1))
    masks = pruner.mask_dict()
    total = sum(m.size for m in masks.values())
    kept = sum(int(m.sum()) for m in masks.values())
    n_keep = math.floor(total * 0.2 + 1e-9)
    assert n_keep <= kept <= n_keep + (12 if rule == "criticality" and ties == "all" else 0)   # ties: one fan-in
    for name, m in masks.items():    # fine-tuning kept the weights inside the final masks
        assert np.all(model.param(name).value[~m] == 0)
    if rule == "none":
        assert all(e["regrown"] == 0 for e in pruner.log)
    else:
        assert sum(e["regrown"] for e in pruner.log) > 0


def test_gradual_pruner_uses_the_batch_criticality(mlp_workload):
    """Right after an event, every regrown weight's channel is at least as critical (in that batch) as the
    channel of every weight left pruned, over both hidden layers (one global ranking)."""
    spec, ds, enc, model = _setup(mlp_workload)
    sched = GMPSchedule(final_sparsity=0.6, prune_epochs=1, iters_per_epoch=4, interval=4)   # one event
    pruner = GradualPruner(model, sched, "criticality", r=0.2)
    seen = {}

    def before(trainer, step, rec):
        if step + 1 == 4:
            seen["crit"] = {n: crit_grad(rec.potentials[n], 1.0) for n in ("lif1", "lif2")}

    def after(trainer, step, rec):
        if step + 1 == 4:
            seen["w"] = {n: model.param(n).value.copy() for n in ("fc1.weight", "fc2.weight")}
            seen["m"] = pruner.mask_dict()

    Trainer(model, spec, ds, enc, progress=False, epochs=1, callbacks=[before, pruner, after]).fit()
    regrown_scores, pruned_scores = [], []
    for w, lif in (("fc1.weight", "lif1"), ("fc2.weight", "lif2")):
        c = np.broadcast_to(seen["crit"][lif], seen["w"][w].shape)   # linear weights are (in, out)
        m = seen["m"][w]
        regrown_scores.append(c[m & (seen["w"][w] == 0)])
        pruned_scores.append(c[~m])
    regrown, pruned = np.concatenate(regrown_scores), np.concatenate(pruned_scores)
    assert regrown.size >= pruner.log[0]["growth"] > 0
    assert regrown.min() >= pruned.max()


def test_bn_l1_shrinks_towards_zero(mlp_workload):
    *_, model = _setup(mlp_workload)
    cb = BNL1(model, 0.3)
    bn = model.layers[channel_groups(model)[0].bn]
    bn.gamma.value[:3] = [1.0, -0.2, 0.1]

    class T:
        lr = 0.01

    class R:
        lr = 0.005     # half the peak: shrink 0.15

    cb(T(), 0, R())
    np.testing.assert_allclose(bn.gamma.value[:3], [0.85, -0.05, 0.0], atol=1e-7)


def test_bn_l1_gradient_mode_adds_the_subgradient_before_the_optimiser_step(mlp_workload):
    """The seed code's updateBN: s·sign(γ) is added to γ's gradient (sign 0 adds nothing); the trainer
    calls before_step after the backward pass (gradients present) and before each step's callbacks."""
    *_, model = _setup(mlp_workload)
    bn = model.layers[channel_groups(model)[0].bn]
    bn.gamma.value[:3] = [1.0, -0.2, 0.0]
    model.zero_grad()
    bn.gamma.grad[:] = 0.5
    BNL1(model, 0.3, "gradient").before_step(None, 0, 0.01)
    np.testing.assert_allclose(bn.gamma.grad[:3], [0.8, 0.2, 0.5])
    with pytest.raises(ValueError):
        BNL1(model, 0.3, "decay")

    seen = []

    class Spy:
        def before_step(self, trainer, step, lr):
            seen.append(("before", step, float(np.abs(bn.gamma.grad).sum()) > 0))

        def __call__(self, trainer, step, record):
            seen.append(("after", step))

    spec, ds, enc, _ = _setup(mlp_workload)
    Trainer(model, dataclasses.replace(spec, epochs=1), ds, enc, callbacks=[Spy()], progress=False).fit()
    assert seen[:4] == [("before", 0, True), ("after", 0), ("before", 1, True), ("after", 1)]


def test_remove_channels_preserves_the_function(cnn_workload, mlp_workload):
    for wl in (cnn_workload, mlp_workload):
        spec, ds, enc, model = _setup(wl)
        Trainer(model, spec, ds, enc, progress=False, epochs=1).fit()
        groups = channel_groups(model)
        rng = np.random.default_rng(3)
        keep = []
        for g in groups:
            bn = model.layers[g.bn]
            m = rng.random(bn.gamma.value.size) < 0.6
            m[0] = True
            bn.gamma.value[~m] = 0.0    # a channel with gamma = beta = 0 outputs 0 and never fires
            bn.beta.value[~m] = 0.0
            keep.append(m)
        x, _ = enc.float_batch(ds.test.x[:8])
        before = model.forward(x, train=False)
        small = remove_channels(model, keep)
        np.testing.assert_allclose(small.forward(x, train=False), before, rtol=1e-5, atol=1e-6)
        assert [small.layers[g.bn].gamma.value.size for g in groups] == [int(m.sum()) for m in keep]
        assert weight_count(small) < weight_count(model)


def test_criticality_pass_is_the_mean_of_batch_scores(mlp_workload):
    spec, ds, enc, model = _setup(mlp_workload)
    x = ds.train.x[:40]
    got = criticality_pass(model, enc, x, batch_size=16)
    manual = []
    for i in (0, 16, 32):
        inp, _ = enc.float_batch(x[i:i + 16])
        model.forward(inp, train=False)
        manual.append([crit_grad(model.potentials()[n], 1.0) for n in ("lif1", "lif2")])
    for layer in range(2):
        np.testing.assert_allclose(got[layer], np.mean([m[layer] for m in manual], axis=0))


@pytest.mark.parametrize("method", [m for m in METHODS if m != "magnitude"])
def test_prune_workload_every_method(mlp_workload, method):
    tm, rec = prune_workload(mlp_workload, 0.8 if not method.startswith("slimming") else 0.5, method, seed=0)
    for key in ("method", "pruning_epochs", "pruning_seconds", "connection_sparsity", "accuracy_float"):
        assert key in rec
    assert rec["method"] == method and rec["pruning_epochs"] == 3
    assert 0.0 <= rec["accuracy_float"] <= 1.0
    if method.startswith("slimming"):
        assert rec["channels_kept"] == rec["channels_total"] - int(rec["channels_total"] * 0.5) - 1
        assert rec["connection_sparsity"] > 0.3
    else:
        assert rec["connection_sparsity"] == pytest.approx(0.8, abs=0.03)
    net = tm.to_network()
    assert net.n_synapses > 0


def test_prune_workload_magnitude_and_level_zero(mlp_workload, tmp_path, monkeypatch):
    monkeypatch.setenv("NEUROSIM_CACHE", str(tmp_path))
    _, rec = prune_workload(mlp_workload, 0.5, "magnitude", seed=0)
    assert rec["connection_sparsity"] == pytest.approx(0.5, abs=0.01) and rec["pruning_epochs"] == 2
    _, rec0 = prune_workload(mlp_workload, 0.0, None, seed=0)
    assert rec0["method"] == "criticality" and rec0["connection_sparsity"] == 0.0
    with pytest.raises(ConfigError):
        prune_workload(mlp_workload, 0.5, "bogus")

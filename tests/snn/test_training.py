"""Trainer: learning on easy data, the pruning hooks (callbacks, masks, fine-tuning), optimisers,
encoders, and the checkpoint cache of train_workload."""

import numpy as np
import pytest

from neurosim.snn import train_workload
from neurosim.snn.datasets import Dataset, Split
from neurosim.snn.encoders import Encoder
from neurosim.snn.layers import Param
from neurosim.snn.model import build
from neurosim.snn.optim import SGD, Adam, cosine_lr
from neurosim.snn.train import Trainer, accuracy, fine_tune, shift_images

from .helpers import model_spec


def _blobs(n=200, seed=0):
    """Two classes of 4x4 images: bright top half or bright bottom half, with noise."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    x = rng.uniform(0, 0.3, (n, 1, 4, 4)).astype(np.float32)
    for i in range(n):
        x[i, 0, :2] += 0.6 if y[i] == 0 else 0
        x[i, 0, 2:] += 0.6 if y[i] == 1 else 0
    return Split(x, y)


MLP = [{"type": "flatten"}, {"type": "linear", "out": 16}, {"type": "batchnorm"}, {"type": "lif"},
       {"type": "linear", "out": 2}, {"type": "readout"}]


def _setup(**kw):
    ds = Dataset("blobs", _blobs(200, 0), _blobs(100, 1), 2, 255)
    spec = model_spec(MLP, **{"epochs": 3, "batch_size": 20, "lr": 0.01, **kw})
    return spec, ds, Encoder(spec.encoder, 3, 255), build(spec, (1, 4, 4), 3, seed=0)


@pytest.mark.parametrize("opt", ["adam", "sgd"])
def test_trainer_learns_easy_data(opt):
    spec, ds, enc, m = _setup(optimizer=opt, lr=0.01 if opt == "adam" else 0.05)
    hist = Trainer(m, spec, ds, enc, seed=0, progress=False, eval_every=1).fit()
    assert len(hist) == 3 and hist[-1]["loss"] < hist[0]["loss"]
    assert accuracy(m, enc, ds.test) >= 0.95


def test_callbacks_see_potentials_and_masks_hold():
    spec, ds, enc, m = _setup()
    seen = []

    def cb(trainer, step, rec):
        seen.append((step, rec.potentials["lif1"].shape, rec.batch_size, rec.lr))

    mask = np.random.default_rng(0).random((16, 16)) < 0.5
    before = m.param("fc1.weight").value.copy()
    tr = Trainer(m, spec, ds, enc, seed=0, progress=False, callbacks=[cb], masks={"fc1.weight": mask})
    tr.fit()
    assert [s for s, *_ in seen] == list(range(30))
    assert seen[0][1] == (3, 20, 16) and seen[0][2] == 20
    assert seen[-1][3] < seen[0][3]  # cosine schedule
    w = m.param("fc1.weight").value
    assert np.all(w[~mask] == 0) and not np.allclose(w[mask], before[mask])
    # fine-tuning under a fixed mask keeps pruned weights at zero
    mask2 = np.ones((16, 2), bool)
    mask2[:8] = False
    fine_tune(m, spec, ds, enc, {"fc2.weight": mask2}, epochs=1, progress=False)
    assert np.all(m.param("fc2.weight").value[:8] == 0)
    with pytest.raises(ValueError, match="shape"):
        tr.set_masks({"fc1.weight": np.ones(3, bool)})


def test_rate_encoding_trains():
    spec, ds, enc, m = _setup(encoder="rate", epochs=4)
    Trainer(m, spec, ds, enc, seed=0, progress=False).fit()
    assert accuracy(m, enc, ds.test) >= 0.8


def test_shift_images_moves_content():
    x = np.zeros((1, 1, 5, 5), np.float32)
    x[0, 0, 2, 2] = 1
    out = shift_images(np.repeat(x, 50, 0), 1, np.random.default_rng(0))
    pos = {tuple(np.argwhere(o[0])[0]) for o in out}
    assert pos <= {(r, c) for r in (1, 2, 3) for c in (1, 2, 3)} and len(pos) > 3
    assert out.sum() == 50


def test_encoders():
    x = np.array([[0.5, 0.2, 1.0]], np.float32)
    d = Encoder("direct", 3, 10)
    np.testing.assert_array_equal(d.deploy(x), [[[5, 2, 10]] * 3])
    f, timed = d.float_batch(x)
    assert not timed and np.allclose(f, [[0.5, 0.2, 1.0]])
    r = Encoder("rate", 50, seed=3)
    sp = r.deploy(np.full((2, 100), 0.3, np.float32))
    assert sp.shape == (2, 50, 100) and set(np.unique(sp)) <= {0, 1} and abs(sp.mean() - 0.3) < 0.03
    fr, timed = r.float_batch(np.full((2, 100), 0.3, np.float32))
    assert timed and np.array_equal(fr.swapaxes(0, 1), sp)  # same seeded draws for float and deploy
    assert r.deploy_levels == 1 and d.deploy_levels == 10


def test_optimisers_by_hand():
    p = Param("w", np.array([1.0, -2.0]))
    p.grad = np.array([0.5, 0.5])
    Adam([p], lr=0.1).step()  # first Adam step moves every weight by lr·sign(g)
    np.testing.assert_allclose(p.value, [0.9, -2.1], rtol=1e-6)
    q = Param("w", np.array([1.0]))
    q.grad = np.array([1.0])
    opt = SGD([q], lr=0.1, momentum=0.5, weight_decay=0.1)
    opt.step()  # g = 1 + 0.1 -> 1 - 0.11
    opt.step()  # g = 1 + 0.089, buf = 0.55 + 1.089
    np.testing.assert_allclose(q.value, [0.89 - 0.1 * (0.55 + 1.089)])
    b = Param("b", np.array([1.0]), decay=False)
    b.grad = np.array([0.0])
    SGD([b], lr=0.1, weight_decay=1.0).step()
    assert b.value[0] == 1.0
    assert cosine_lr(1.0, 0, 10) == 1.0 and cosine_lr(1.0, 10, 10) == 0.0
    assert cosine_lr(1.0, 5, 10) == pytest.approx(0.5)


def test_train_workload_caches(tmp_path, monkeypatch):
    monkeypatch.setenv("NEUROSIM_CACHE", str(tmp_path))
    wl = tmp_path / "w.yaml"
    wl.write_text("""name: tiny_digits
timesteps: 2
network:
  model:
    dataset: digits
    input_levels: 16
    layers: [{type: flatten}, {type: linear, out: 32}, {type: batchnorm}, {type: lif},
             {type: linear, out: 10}, {type: readout}]
    epochs: 2
    lr: 0.005
hardware: [loihi]
""")
    a = train_workload(wl, progress=False)
    assert not a.metrics["cached"] and list(tmp_path.glob("snn/tiny_digits-*.npz"))
    assert a.metrics["test_accuracy"] > 0.7 and a.metrics["epochs"] == 2
    assert abs(a.metrics["test_accuracy_deploy"] - a.metrics["test_accuracy"]) < 0.05
    b = train_workload(wl, progress=False)
    assert b.metrics["cached"] and b.metrics["test_accuracy"] == a.metrics["test_accuracy"]
    assert b.metrics["train_seconds"] == a.metrics["train_seconds"]
    c = train_workload(wl, progress=False, seed=5)
    assert not c.metrics["cached"]
    net = a.to_network()
    assert [p.name for p in net.populations] == ["input", "lif1", "readout"]
    # a damaged checkpoint is set aside and retrained, never fatal; a good one with foreign arrays too
    (ck,) = [p for p in tmp_path.glob("snn/tiny_digits-*.npz") if p.stat().st_mtime == max(
        q.stat().st_mtime for q in tmp_path.glob("snn/tiny_digits-*.npz"))]
    raw = bytearray(ck.read_bytes())
    raw[len(raw) // 2] ^= 0xFF
    ck.write_bytes(bytes(raw))
    d = train_workload(wl, progress=False, seed=5)
    assert not d.metrics["cached"] and ck.with_name(ck.name + ".corrupt").exists()
    from neurosim.snn import checkpoint

    state, info = checkpoint.load(ck)
    checkpoint.save(ck, {k: v[..., :1] for k, v in state.items()}, info)  # intact file, wrong shapes
    e = train_workload(wl, progress=False, seed=5)
    assert not e.metrics["cached"] and e.metrics["test_accuracy"] == d.metrics["test_accuracy"]


def test_cache_key_follows_npz_content(tmp_path):
    from neurosim.snn.checkpoint import config_key

    f = tmp_path / "d.npz"
    np.savez(f, x=np.zeros((4, 2)), y=np.arange(4))
    spec = model_spec([{"type": "linear", "out": 2}, {"type": "readout"}], dataset="npz", path=str(f))
    k1 = config_key(spec, 4, 0)
    assert config_key(spec, 4, 0) == k1 and config_key(spec, 4, 1) != k1 and config_key(spec, 3, 0) != k1
    np.savez(f, x=np.ones((4, 2)), y=np.arange(4))
    assert config_key(spec, 4, 0) != k1


def test_train_workload_on_npz_relative_to_workload(tmp_path, monkeypatch):
    monkeypatch.setenv("NEUROSIM_CACHE", str(tmp_path / "cache"))
    monkeypatch.chdir(tmp_path.parent)
    d = tmp_path / "data"
    d.mkdir()
    s = _blobs(120, 0)
    np.savez(d / "blobs.npz", x=(s.x[:, 0] * 255).astype(np.uint8), y=s.y)
    wl = tmp_path / "w.yaml"
    wl.write_text("""name: blobs
timesteps: 3
network:
  model:
    dataset: npz
    path: data/blobs.npz
    layers: [{type: flatten}, {type: linear, out: 8}, {type: lif}, {type: linear, out: 2}, {type: readout}]
    epochs: 3
    batch_size: 16
    lr: 0.01
hardware: [loihi]
""")
    tm = train_workload(wl, progress=False)
    assert tm.dataset.in_shape == (1, 4, 4) and tm.metrics["n_test"] == 24
    assert tm.metrics["test_accuracy"] >= 0.9

"""NIR import/export: each node against a hand-written discrete update, framework conventions,
errors, and the neurosim → NIR → neurosim round trip (hypothesis, both timings)."""

from __future__ import annotations

import sys

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from neurosim.errors import ConfigError, MissingExtraError, UserError
from neurosim.ir import ConvGeometry, Network, Neuron, Population, Projection, quantize, run
from neurosim.ir.nir_io import graded_sources, network_from_nir_spec, read_nir, to_nir_graph, write_nir

nir = pytest.importorskip("nir")


def graph(nodes, edges, **kw):
    return nir.NIRGraph(nodes=nodes, edges=edges, type_check=False, **kw)


def lif_ref(currents, beta, theta, reset="zero", fae=False):
    """Hand-written LIF over currents (B, T, n): v ← βv + I, spike, reset."""
    v = np.zeros(currents.shape[::2])
    out = np.zeros(currents.shape, bool)
    for t in range(currents.shape[1]):
        v = beta * v + currents[:, t]
        s = v >= theta if fae else v > theta
        v = np.where(s, 0.0, v) if reset == "zero" else v - s * theta
        out[:, t] = s
    return out


def spikes_in(rng, b, t, n, p=0.5):
    return (rng.random((b, t, n)) < p).astype(float)


# ------------------------------------------------------------------------------------------------
# node mappings against hand computations
# ------------------------------------------------------------------------------------------------
def test_snntorch_style_lif_matches_hand_update():
    """snnTorch exports Leaky(β) as LIF(τ = dt/(1−β), r = τ/dt, v_leak = 0) with dt = 1e-4."""
    rng = np.random.default_rng(1)
    dt, beta, theta = 1e-4, 0.85, 0.7
    w = rng.normal(size=(6, 4))
    b = rng.normal(size=6) * 0.1
    tau = dt / (1 - beta)
    g = graph({"input": nir.Input(input_type={"input": np.array([4])}),
               "fc": nir.Affine(weight=w, bias=b),
               "lif": nir.LIF(tau=np.full(6, tau), r=np.full(6, tau / dt), v_leak=np.zeros(6),
                              v_threshold=np.full(6, theta)),
               "output": nir.Output(output_type={"output": np.array([6])})},
              [("input", "fc"), ("fc", "lif"), ("lif", "output")])
    net = read_nir(g, convention="snntorch")
    lif = net.pop("lif")
    assert lif.neuron.decay == pytest.approx(beta, abs=1e-12)
    assert lif.neuron.threshold == theta and not lif.neuron.fire_at_equal and lif.neuron.reset == "zero"
    np.testing.assert_allclose(lif.bias, b)
    x = spikes_in(rng, 3, 20, 4)
    ref = lif_ref(x @ w.T + b, lif.neuron.decay, theta)
    assert np.array_equal(run(net, x).spikes["lif"], ref)
    assert net.meta["nir_outputs"] == {"output": "lif"}
    assert net.projections[0].kind == "dense" and net.projections[0].name == "fc"


def test_euler_reading_of_tau_r_vleak_with_other_dt():
    """β = 1 − dt/τ, input gain r·dt/τ and drive (dt/τ)·v_leak, here with dt = 1e-3, r = 1."""
    dt, tau, r, vl = 1e-3, 0.01, 1.0, 0.4
    w = np.array([[2.0, -1.0], [0.5, 3.0]])
    g = graph({"in": nir.Input(input_type={"input": np.array([2])}), "w": nir.Linear(weight=w),
               "n": nir.LIF(tau=np.full(2, tau), r=np.full(2, r), v_leak=np.full(2, vl),
                            v_threshold=np.full(2, 0.05))}, [("in", "w"), ("w", "n")])
    net = read_nir(g, dt=dt)
    p = net.pop("n")
    a = dt / tau
    assert p.neuron.decay == pytest.approx(1 - a)
    np.testing.assert_allclose(net.projections[0].to_dense(2, 2), (w * r * a).T)
    np.testing.assert_allclose(p.bias, a * vl)
    x = spikes_in(np.random.default_rng(2), 2, 30, 2)
    ref = lif_ref(x @ (w * r * a).T + a * vl, 1 - a, 0.05)
    assert np.array_equal(run(net, x).spikes["n"], ref)


def test_if_li_and_i_nodes():
    w = np.array([[1.0, 0.5, -0.25]])
    g = graph({"in": nir.Input(input_type={"input": np.array([3])}), "a": nir.Linear(weight=w),
               "if": nir.IF(r=np.array([2.0]), v_threshold=np.array([1.5])),
               "b": nir.Linear(weight=np.array([[1.0], [-2.0]])),
               "li": nir.LI(tau=np.full(2, 5e-4), r=np.full(2, 5.0), v_leak=np.zeros(2)),
               "c": nir.Linear(weight=np.array([[1.0]])), "i": nir.I(r=np.array([0.5]))},
              [("in", "a"), ("a", "if"), ("if", "b"), ("b", "li"), ("if", "c"), ("c", "i")])
    net = read_nir(g)
    assert net.pop("if").neuron.decay == 1.0 and net.pop("if").neuron.spiking
    assert net.pop("li").neuron.decay == pytest.approx(0.8) and not net.pop("li").neuron.spiking
    assert net.pop("i").neuron.decay == 1.0 and not net.pop("i").neuron.spiking
    x = spikes_in(np.random.default_rng(3), 2, 15, 3)
    res = run(net, x)
    s = lif_ref(2.0 * (x @ w.T), 1.0, 1.5)
    assert np.array_equal(res.spikes["if"], s)
    v = np.zeros((2, 2))
    for t in range(15):
        v = 0.8 * v + s[:, t] @ np.array([[1.0, -2.0]])  # gain r·dt/τ = 5·0.2 = 1
        np.testing.assert_allclose(res.potentials["li"][:, t], v)
    np.testing.assert_allclose(res.potentials["i"][:, -1, 0], 0.5 * s.sum(axis=1)[:, 0])


def test_cubalif_is_current_then_membrane_like_snntorch_synaptic():
    """snnTorch Synaptic(α, β): syn ← α·syn + x; mem ← β·mem + syn; exported with
    τ_syn = dt/(1−α), w_in = τ_syn/dt, r = τ_mem/dt."""
    rng = np.random.default_rng(4)
    dt, alpha, beta, theta = 1e-4, 0.6, 0.9, 1.0
    w = rng.normal(size=(5, 3))
    ts, tm = dt / (1 - alpha), dt / (1 - beta)
    g = graph({"in": nir.Input(input_type={"input": np.array([3])}), "fc": nir.Linear(weight=w),
               "cuba": nir.CubaLIF(tau_syn=np.full(5, ts), tau_mem=np.full(5, tm), r=np.full(5, tm / dt),
                                   v_leak=np.zeros(5), v_threshold=np.full(5, theta), w_in=np.full(5, ts / dt))},
              [("in", "fc"), ("fc", "cuba")])
    net = read_nir(g, convention="snntorch")
    # one current-based compartment (Loihi's): u ← α·u + I, v ← β·v + u
    assert [p.name for p in net.populations] == ["in", "cuba"]
    n = net.pop("cuba").neuron
    assert n.current_decay == pytest.approx(alpha) and n.decay == pytest.approx(beta)
    x = spikes_in(rng, 2, 25, 3)
    syn = np.zeros((2, 5))
    mem = np.zeros((2, 5))
    ref = np.zeros((2, 25, 5), bool)
    for t in range(25):
        syn = alpha * syn + x[:, t] @ w.T
        mem = beta * mem + syn
        s = mem > theta
        mem = np.where(s, 0.0, mem)
        ref[:, t] = s
    for timing in ("zero", "hardware"):
        res = run(net, x, timing)
        assert np.array_equal(res.window("cuba", 25), ref)


def test_snntorch_native_delayed_subtract_reset():
    """snnTorch's default Leaky: reset = (mem_prev > θ); mem = β·mem_prev + I − reset·θ; spk = mem > θ.
    NIR files do not record it; reset='subtract_delayed' reproduces it."""
    rng = np.random.default_rng(12)
    dt, beta, theta = 1e-4, 0.8, 0.6
    w = rng.normal(0.3, 0.6, size=(4, 3))
    tau = dt / (1 - beta)
    g = graph({"in": nir.Input(input_type={"input": np.array([3])}), "fc": nir.Linear(weight=w),
               "lif": nir.LIF(tau=np.full(4, tau), r=np.full(4, tau / dt), v_leak=np.zeros(4),
                              v_threshold=np.full(4, theta))}, [("in", "fc"), ("fc", "lif")])
    net = read_nir(g, convention="snntorch", reset="subtract_delayed")
    x = spikes_in(rng, 3, 40, 3)
    mem = np.zeros((3, 4))
    ref = np.zeros((3, 40, 4), bool)
    for t in range(40):
        reset = mem > theta
        mem = beta * mem + x[:, t] @ w.T - reset * theta
        ref[:, t] = mem > theta
    assert ref.any()
    for timing in ("zero", "hardware"):
        assert np.array_equal(run(net, x, timing).window("lif", 40), ref)
    assert not np.array_equal(run(read_nir(g, reset="subtract"), x).spikes["lif"], ref)


def test_cubalif_with_instant_current_collapses_to_lif():
    dt = 1e-4
    g = graph({"in": nir.Input(input_type={"input": np.array([2])}), "fc": nir.Linear(weight=np.eye(2)),
               "c": nir.CubaLIF(tau_syn=np.full(2, dt), tau_mem=np.full(2, 2 * dt), r=np.full(2, 2.0),
                                v_leak=np.zeros(2), v_threshold=np.ones(2), w_in=np.full(2, 3.0))},
              [("in", "fc"), ("fc", "c")])
    net = read_nir(g)
    assert [p.name for p in net.populations] == ["in", "c"]
    np.testing.assert_allclose(net.projections[0].weight, [3.0, 3.0])  # w_in·1 · r·dt/τ_mem = 3·1


def conv_ref(x, w, stride, pad):
    """Direct 2-D cross-correlation of x (C, H, W) with w (Co, Ci, kh, kw)."""
    x = np.pad(x, ((0, 0), (pad[0], pad[0]), (pad[1], pad[1])))
    co, ci, kh, kw = w.shape
    ho = (x.shape[1] - kh) // stride[0] + 1
    wo = (x.shape[2] - kw) // stride[1] + 1
    out = np.zeros((co, ho, wo))
    for o in range(co):
        for i in range(ho):
            for j in range(wo):
                patch = x[:, i * stride[0]:i * stride[0] + kh, j * stride[1]:j * stride[1] + kw]
                out[o, i, j] = np.sum(patch * w[o])
    return out


def operator(net, pre, post):
    (pr,) = [p for p in net.projections if p.pre == pre and p.post == post]
    return pr, pr.to_dense(net.pop(pre).size, net.pop(post).size, dtype=np.float64)


def test_plain_conv_becomes_conv_projection_with_geometry():
    rng = np.random.default_rng(5)
    w = rng.normal(size=(3, 2, 3, 3))
    w[0, 1, 1, 1] = 0.0
    cb = np.array([0.1, -0.2, 0.3])
    g = graph({"in": nir.Input(input_type={"input": np.array([2, 6, 5])}),
               "conv": nir.Conv2d(input_shape=(6, 5), weight=w, stride=(2, 1), padding=(1, 1), dilation=1,
                                  groups=1, bias=cb),
               "lif": nir.IF(r=np.ones((3, 3, 5)), v_threshold=np.ones((3, 3, 5)))},
              [("in", "conv"), ("conv", "lif")])
    net = read_nir(g)
    pr, m = operator(net, "in", "lif")
    assert pr.kind == "conv" and pr.conv.in_shape == (2, 6, 5) and pr.conv.out_shape == (3, 3, 5)
    assert pr.conv.stride == (2, 1) and pr.conv.padding == (1, 1) and np.array_equal(pr.kernel, w)
    x = rng.normal(size=(2, 6, 5))
    np.testing.assert_allclose(x.ravel() @ m, conv_ref(x, w, (2, 1), (1, 1)).ravel())
    np.testing.assert_allclose(net.pop("lif").bias, np.repeat(cb, 15))
    assert net.pop("lif").shape == (3, 3, 5)


def test_conv_pool_flatten_affine_chain_composes_to_sparse():
    rng = np.random.default_rng(6)
    w = rng.normal(size=(2, 1, 3, 3))
    fc = rng.normal(size=(4, 2 * 2 * 2))
    fb = rng.normal(size=4)
    nodes = {"in": nir.Input(input_type={"input": np.array([1, 6, 6])}),
             "conv": nir.Conv2d(input_shape=(6, 6), weight=w, stride=1, padding="same", dilation=1, groups=1,
                                bias=np.zeros(2)),
             "if1": nir.IF(r=np.ones((2, 6, 6)), v_threshold=np.ones((2, 6, 6))),
             "pool": nir.SumPool2d(kernel_size=np.array([3, 3]), stride=np.array([3, 3]), padding=np.array([0, 0])),
             "flat": nir.Flatten(input_type=None, start_dim=0, end_dim=-1),
             "fc": nir.Affine(weight=fc, bias=fb),
             "if2": nir.IF(r=np.ones(4), v_threshold=np.ones(4)),
             "avg": nir.AvgPool2d(kernel_size=np.array([2, 2]), stride=np.array([2, 2]), padding=np.array([0, 0])),
             "li": nir.LI(tau=np.full((2, 3, 3), 2e-4), r=np.full((2, 3, 3), 2.0), v_leak=np.zeros((2, 3, 3)))}
    edges = [("in", "conv"), ("conv", "if1"), ("if1", "pool"), ("pool", "flat"), ("flat", "fc"), ("fc", "if2"),
             ("if1", "avg"), ("avg", "li")]
    net = read_nir(graph(nodes, edges))
    pr, m = operator(net, "in", "if1")
    assert pr.kind == "conv" and pr.conv.padding == (1, 1)
    x = rng.normal(size=(1, 6, 6))
    np.testing.assert_allclose(x.ravel() @ m, conv_ref(x, w, (1, 1), (1, 1)).ravel())
    pr, m = operator(net, "if1", "if2")
    assert pr.kind == "sparse"
    s = rng.normal(size=(2, 6, 6))
    pooled = s.reshape(2, 2, 3, 2, 3).sum(axis=(2, 4))
    np.testing.assert_allclose(s.ravel() @ m, fc @ pooled.ravel())
    np.testing.assert_allclose(net.pop("if2").bias, fb)
    _, m = operator(net, "if1", "li")
    avg = s.reshape(2, 3, 2, 3, 2).mean(axis=(2, 4))
    np.testing.assert_allclose(s.ravel() @ m, avg.ravel())  # gain r·dt/τ = 2·0.5 = 1


def test_grouped_dilated_conv_is_sparse_and_exact():
    rng = np.random.default_rng(7)
    w = rng.normal(size=(4, 1, 2, 2))
    g = graph({"in": nir.Input(input_type={"input": np.array([2, 5, 5])}),
               "conv": nir.Conv2d(input_shape=(5, 5), weight=w, stride=1, padding=0, dilation=2, groups=2,
                                  bias=np.zeros(4)),
               "n": nir.IF(r=np.ones((4, 3, 3)), v_threshold=np.ones((4, 3, 3)))}, [("in", "conv"), ("conv", "n")])
    net = read_nir(g)
    pr, m = operator(net, "in", "n")
    assert pr.kind == "sparse"
    x = rng.normal(size=(2, 5, 5))
    ref = np.zeros((4, 3, 3))
    for o in range(4):
        xi = x[o // 2]
        for i in range(3):
            for j in range(3):
                ref[o, i, j] = sum(w[o, 0, a, b] * xi[i + 2 * a, j + 2 * b] for a in range(2) for b in range(2))
    np.testing.assert_allclose(x.ravel() @ m, ref.ravel())


def test_recurrent_edge_acts_one_step_later():
    rng = np.random.default_rng(8)
    w_in = rng.normal(size=(3, 2))
    w_rec = rng.normal(size=(3, 3))
    dt, beta = 1e-4, 0.9
    tau = dt / (1 - beta)
    g = graph({"in": nir.Input(input_type={"input": np.array([2])}), "fc": nir.Linear(weight=w_in),
               "lif": nir.LIF(tau=np.full(3, tau), r=np.full(3, tau / dt), v_leak=np.zeros(3),
                              v_threshold=np.full(3, 0.5)),
               "rec": nir.Linear(weight=w_rec)},
              [("in", "fc"), ("fc", "lif"), ("lif", "rec"), ("rec", "lif")])
    net = read_nir(g)
    assert [net.is_recurrent(p) for p in net.projections] == [False, True]
    x = spikes_in(rng, 2, 20, 2)
    b = net.pop("lif").neuron.decay
    v = np.zeros((2, 3))
    s = np.zeros((2, 3))
    ref = np.zeros((2, 20, 3), bool)
    for t in range(20):
        v = b * v + x[:, t] @ w_in.T + s @ w_rec.T
        s = (v > 0.5).astype(float)
        v = np.where(s > 0, 0.0, v)
        ref[:, t] = s > 0
    assert np.array_equal(run(net, x).spikes["lif"], ref)


def test_nested_subgraph_like_snntorch_rsynaptic_is_inlined():
    n = 3
    sub = nir.NIRGraph(nodes={"input": nir.Input(input_type={"input": np.array([n])}),
                              "lif": nir.LIF(tau=np.full(n, 1e-3), r=np.full(n, 10.0), v_leak=np.zeros(n),
                                             v_threshold=np.ones(n)),
                              "w_rec": nir.Linear(weight=np.eye(n) * 0.5),
                              "output": nir.Output(output_type={"output": np.array([n])})},
                       edges=[("input", "lif"), ("lif", "w_rec"), ("w_rec", "lif"), ("lif", "output")],
                       type_check=False)
    g = graph({"in": nir.Input(input_type={"input": np.array([2])}), "fc": nir.Linear(weight=np.ones((n, 2))),
               "rnn": sub, "out": nir.Output(output_type={"output": np.array([n])})},
              [("in", "fc"), ("fc", "rnn"), ("rnn", "out")])
    net = read_nir(g)
    assert [p.name for p in net.populations] == ["in", "rnn.lif"]
    assert {(p.pre, p.post) for p in net.projections} == {("in", "rnn.lif"), ("rnn.lif", "rnn.lif")}
    assert net.meta["nir_outputs"] == {"out": "rnn.lif"}


def test_affine_into_output_is_a_linear_readout():
    w = np.array([[1.0, -1.0]])
    g = graph({"in": nir.Input(input_type={"input": np.array([2])}), "fc1": nir.Linear(weight=np.eye(2)),
               "if": nir.IF(r=np.ones(2), v_threshold=np.full(2, 0.5)), "fc2": nir.Affine(weight=w, bias=np.ones(1)),
               "out": nir.Output(output_type={"output": np.array([1])})},
              [("in", "fc1"), ("fc1", "if"), ("if", "fc2"), ("fc2", "out")])
    net = read_nir(g)
    out = net.pop("out")
    assert out.neuron.decay == 0.0 and not out.neuron.spiking
    x = spikes_in(np.random.default_rng(9), 2, 10, 2)
    np.testing.assert_allclose(run(net, x).potentials["out"][..., 0], x[..., 0] - x[..., 1] + 1.0)


def test_sinabs_convention_exp_decay_fire_at_equal_subtract():
    tau, theta = 4.0, 1.0
    g = graph({"in": nir.Input(input_type={"input": np.array([1])}), "fc": nir.Affine(weight=np.ones((1, 1)),
                                                                                      bias=np.zeros(1)),
               "lif": nir.LIF(tau=np.array([tau]), r=np.ones(1), v_leak=np.zeros(1), v_threshold=np.array([theta]))},
              [("in", "fc"), ("fc", "lif")])
    net = read_nir(g, convention="sinabs_unnormalised")   # Sinabs norm_input=False: the input unscaled
    n = net.pop("lif").neuron
    assert n.decay == pytest.approx(np.exp(-1 / tau)) and n.fire_at_equal and n.reset == "subtract"
    x = np.ones((1, 3, 1))  # v = 1 at step 0: fires at equality only with ≥
    assert run(net, x).spikes["lif"][0, 0, 0]
    assert not run(read_nir(g, convention="sinabs_unnormalised", fire_at_equal=False), x).spikes["lif"][0, 0, 0]
    # Sinabs' default norm_input=True, the exact solution over a step: v ← e^(−1/τ)·v + (1 − e^(−1/τ))·x
    a = np.exp(-1 / tau)
    x = np.full((1, 8, 1), 2.0)
    v, ref = 0.0, []
    for _ in range(8):
        v = a * v + (1 - a) * 2.0
        ref.append(v >= theta)
        v -= theta * ref[-1]
    assert np.array_equal(run(read_nir(g, convention="sinabs"), x).spikes["lif"][0, :, 0], ref) and any(ref)


def test_per_neuron_time_constants_are_read_exactly():
    """Each neuron keeps its own β = 1 − dt/τ_i (a population of configs), in zero and hardware timing."""
    dt, tau = 1e-4, np.array([2e-4, 5e-4, 5e-4, 1e-3])
    g = graph({"in": nir.Input(input_type={"input": np.array([4])}), "fc": nir.Linear(weight=np.eye(4) * 0.6),
               "lif": nir.LIF(tau=tau, r=tau / dt, v_leak=np.zeros(4), v_threshold=np.ones(4))},
              [("in", "fc"), ("fc", "lif")])
    net = read_nir(g)
    p = net.pop("lif")
    assert len(p.configs) == 3 and np.allclose(p.param("decay"), 1 - dt / tau)
    x = (np.random.default_rng(0).random((3, 20, 4)) < 0.7).astype(float)
    assert np.array_equal(run(net, x).spikes["lif"], lif_ref(0.6 * x, 1 - dt / tau, 1.0))


def test_per_neuron_thresholds_are_normalised():
    theta = np.array([0.5, 2.0])
    g = graph({"in": nir.Input(input_type={"input": np.array([2])}), "fc": nir.Linear(weight=np.eye(2)),
               "if": nir.IF(r=np.ones(2), v_threshold=theta)}, [("in", "fc"), ("fc", "if")])
    net = read_nir(g)
    x = np.ones((1, 6, 2))
    assert np.array_equal(run(net, x).spikes["if"], lif_ref(x, 1.0, theta))


# ------------------------------------------------------------------------------------------------
# errors
# ------------------------------------------------------------------------------------------------
def test_unsupported_node_names_id_and_type():
    g = graph({"in": nir.Input(input_type={"input": np.array([2])}), "thr": nir.Threshold(threshold=np.ones(2))},
              [("in", "thr")])
    with pytest.raises(UserError, match=r"'thr'.*Threshold.*supported.*Affine"):
        read_nir(g)


def test_inexact_cases_raise_user_errors():
    def lif(**kw):
        base = dict(tau=np.full(2, 1e-3), r=np.ones(2), v_leak=np.zeros(2), v_threshold=np.ones(2))
        base.update(kw)
        return graph({"in": nir.Input(input_type={"input": np.array([2])}), "fc": nir.Linear(weight=np.eye(2)),
                      "lif": nir.LIF(**base)}, [("in", "fc"), ("fc", "lif")])
    with pytest.raises(UserError, match="v_reset"):
        read_nir(lif(v_reset=np.full(2, -0.5)))
    with pytest.raises(UserError, match="smaller dt"):
        read_nir(lif(), dt=0.01)
    with pytest.raises(UserError, match="convention"):
        read_nir(lif(), convention="brian")


def test_corrupt_and_missing_files_raise_config_error(tmp_path):
    bad = tmp_path / "bad.nir"
    bad.write_bytes(b"this is not hdf5")
    with pytest.raises(ConfigError, match="bad.nir"):
        read_nir(bad)
    with pytest.raises(ConfigError, match="file not found"):
        read_nir(tmp_path / "none.nir")


def test_missing_package_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "nir", None)
    with pytest.raises(MissingExtraError, match=r"pip install 'neurosim-hw\[nir\]'"):
        read_nir("x.nir")


# ------------------------------------------------------------------------------------------------
# export and round trip
# ------------------------------------------------------------------------------------------------
def test_export_writes_standard_nodes_readable_without_metadata(tmp_path):
    """Another tool sees plain LIF/IF/Affine nodes: stripping neurosim's metadata and reading with
    the NIR convention gives the same spikes for a strict-threshold, zero-reset network."""
    rng = np.random.default_rng(10)
    net = Network([Population("in", 3), Population("a", 4, Neuron(decay=0.75, threshold=0.6), bias=rng.normal(size=4)),
                   Population("b", 2, Neuron(decay=1.0, threshold=1.0))],
                  [Projection.from_dense("in", "a", rng.normal(size=(3, 4))),
                   Projection.from_dense("a", "b", rng.normal(size=(4, 2)))])
    g = to_nir_graph(net)
    kinds = {k: type(v).__name__ for k, v in g.nodes.items()}
    assert kinds == {"in": "Input", "a": "LIF", "b": "IF", "in->a": "Affine", "a->b": "Linear", "output": "Output"}
    for n in g.nodes.values():
        n.metadata = {}
    g.metadata = {}
    back = read_nir(g)
    x = spikes_in(rng, 4, 30, 3)
    for k in ("a", "b"):
        assert np.array_equal(run(net, x).spikes[k], run(back, x).spikes[k])
    path = tmp_path / "net.nir"
    write_nir(net, path)
    assert nir.read(path).nodes["a"].tau[0] == pytest.approx(1e-4 / 0.25)


def test_conv_projection_exports_as_conv2d(tmp_path):
    rng = np.random.default_rng(11)
    w = rng.normal(size=(2, 1, 3, 3))
    g = graph({"in": nir.Input(input_type={"input": np.array([1, 5, 5])}),
               "conv": nir.Conv2d(input_shape=(5, 5), weight=w, stride=1, padding=1, dilation=1, groups=1,
                                  bias=np.array([0.5, -0.5])),
               "if": nir.IF(r=np.ones((2, 5, 5)), v_threshold=np.ones((2, 5, 5)))}, [("in", "conv"), ("conv", "if")])
    net = read_nir(g)
    write_nir(net, tmp_path / "c.nir")
    g2 = nir.read(tmp_path / "c.nir", type_check=False)
    assert type(g2.nodes["conv"]).__name__ == "Conv2d"
    back = read_nir(tmp_path / "c.nir")
    pr = back.projections[0]
    assert pr.kind == "conv" and pr.conv == net.projections[0].conv
    x = spikes_in(rng, 2, 8, 25)
    assert np.array_equal(run(net, x).spikes["if"], run(back, x).spikes["if"])


def conv_projection(pre, post, geom, kernel):
    """Projection of a plain conv, synapses listed by explicit loops (zero taps absent)."""
    (c_in, h, w), (c_out, ho, wo) = geom.in_shape, geom.out_shape
    rows, cols, vals = [], [], []
    for o in range(c_out):
        for y in range(ho):
            for x in range(wo):
                for c in range(c_in):
                    for ky in range(geom.kernel[0]):
                        for kx in range(geom.kernel[1]):
                            iy = y * geom.stride[0] - geom.padding[0] + ky
                            ix = x * geom.stride[1] - geom.padding[1] + kx
                            if 0 <= iy < h and 0 <= ix < w and kernel[o, c, ky, kx] != 0:
                                rows.append((c * h + iy) * w + ix)
                                cols.append((o * ho + y) * wo + x)
                                vals.append(kernel[o, c, ky, kx])
    return Projection(pre, post, np.array(rows), np.array(cols), np.array(vals), kind="conv", conv=geom, kernel=kernel)


@st.composite
def networks(draw):
    """Random small networks: 1-2 inputs, 1-4 neuron populations (last possibly a readout), random
    feed-forward, recurrent and self projections (some empty, some duplicated), optionally a conv
    (sometimes pruned) from the first input."""
    rng = np.random.default_rng(draw(st.integers(0, 2**31)))
    n_in = draw(st.integers(1, 2))
    n_hidden = draw(st.integers(1, 4))
    pops = [Population(f"in{i}", draw(st.integers(1, 4))) for i in range(n_in)]
    geom = None
    if draw(st.booleans()):
        c, h, w = draw(st.integers(1, 2)), draw(st.integers(3, 5)), draw(st.integers(3, 5))
        k, stride, pad = draw(st.integers(1, 3)), draw(st.integers(1, 2)), draw(st.integers(0, 1))
        ho, wo = (h + 2 * pad - k) // stride + 1, (w + 2 * pad - k) // stride + 1
        geom = ConvGeometry((c, h, w), (draw(st.integers(1, 2)), ho, wo), (k, k), (stride, stride), (pad, pad))
        pops[0] = Population("in0", c * h * w, shape=geom.in_shape)
    for i in range(n_hidden):
        spiking = draw(st.booleans()) if i == n_hidden - 1 else True
        decay = draw(st.sampled_from([1.0, 0.0, 0.5, float(rng.uniform(0.05, 0.99))]))
        neuron = Neuron(decay=decay, threshold=float(rng.uniform(0.2, 1.5)), reset=draw(st.sampled_from(["zero",
                        "subtract"])), fire_at_equal=draw(st.booleans()), spiking=spiking)
        size = int(np.prod(geom.out_shape)) if (i == 0 and geom) else draw(st.integers(1, 5))
        bias = np.round(rng.normal(size=size), 2) if draw(st.booleans()) else None
        pops.append(Population(f"h{i}", size, neuron, bias=bias, shape=geom.out_shape if (i == 0 and geom) else None))
    projs = []
    names = [p.name for p in pops]
    if geom:
        kernel = np.round(rng.normal(0.3, 1.0, size=(geom.out_shape[0], geom.in_shape[0], *geom.kernel)), 1)
        pr = conv_projection("in0", names[n_in], geom, kernel)
        if draw(st.booleans()):
            pr = pr.with_weights(pr.weight, keep=rng.random(pr.nnz) < 0.7)  # pruned: no longer a plain conv
        projs.append(pr)
    for j in range(n_in, len(pops)):
        srcs = {draw(st.integers(0, j - 1))}
        srcs |= set(draw(st.lists(st.integers(n_in, len(pops) - 1), max_size=2)))  # any later/self: recurrent
        for i in sorted(srcs):
            for _ in range(draw(st.sampled_from([1, 1, 1, 2]))):  # sometimes two projections for one pair
                density = draw(st.sampled_from([0.0, 0.5, 1.0]))
                mask = rng.random((pops[i].size, pops[j].size)) < density
                w = np.round(rng.normal(size=(pops[i].size, pops[j].size)), 1) * mask
                projs.append(Projection.from_dense(names[i], names[j], w,
                                                   kind=draw(st.sampled_from(["dense", "sparse"]))))
    return Network(pops, projs, name="random")


@settings(max_examples=80, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(net=networks(), seed=st.integers(0, 1000), integer=st.booleans())
def test_round_trip_gives_identical_spikes(tmp_path, net, seed, integer):
    if integer:
        net = quantize(net, weight_bits=6, state_bits=10)
    path = tmp_path / "rt.nir"
    write_nir(net, path)
    nir.read(path)  # NIR's own reader with its shape checks accepts the file
    back = read_nir(path)
    assert [(p.name, p.shape) for p in back.populations] == [(p.name, p.shape) for p in net.populations]
    assert back.integer == net.integer and back.state_bits == net.state_bits
    assert [(p.pre, p.post, p.kind, p.nnz, p.conv) for p in back.projections] == \
        [(p.pre, p.post, p.kind, p.nnz, p.conv) for p in net.projections]
    for p, q in zip(net.projections, back.projections, strict=True):
        assert np.array_equal(p.weight, q.weight) and p.weight.dtype == q.weight.dtype
        assert (p.kernel is None) == (q.kernel is None) and (p.kernel is None or np.array_equal(p.kernel, q.kernel))
    rng = np.random.default_rng(seed)
    x = {p.name: (rng.random((2, 12, p.size)) < 0.5).astype(float) for p in net.inputs}
    for timing in ("zero", "hardware"):
        a, b = run(net, x, timing), run(back, x, timing)
        assert a.steps == b.steps
        for k in a.spikes:
            assert np.array_equal(a.spikes[k], b.spikes[k]), (timing, k)
        for k in a.potentials:
            assert np.array_equal(a.potentials[k], b.potentials[k]), (timing, k)


def test_network_from_nir_spec_resolves_relative_to_workload(tmp_path):
    net = Network([Population("in", 2), Population("o", 1, Neuron())],
                  [Projection.from_dense("in", "o", np.ones((2, 1)))])
    (tmp_path / "models").mkdir()
    write_nir(net, tmp_path / "models" / "m.nir")
    got = network_from_nir_spec("models/m.nir", tmp_path / "wl.yaml")
    assert [p.name for p in got.populations] == ["in", "o"]


def test_example_workload_names_the_shipped_nir_file():
    from neurosim.config import load_workload

    wl, path, _ = load_workload("nir_example")
    assert wl.network.nir == "examples/tiny.nir" and wl.pruning.levels == (0.0, 0.5)
    net = network_from_nir_spec(wl.network.nir, path)
    assert [(p.name, p.size) for p in net.populations] == [("input", 64), ("lif1", 256), ("lif2", 10)]
    assert [p.kind for p in net.projections] == ["conv", "sparse"]
    x = (np.random.default_rng(0).random((2, wl.timesteps, 64)) < 0.2).astype(float)
    assert run(net, x).spikes["lif2"].any()


def test_workload_nir_keys_reach_the_reader(tmp_path):
    """network.nir_convention / nir_dt / nir_reset of a workload file are the reader's options: the
    source built from the workload has the same network as read_nir called with them."""
    import shutil
    from pathlib import Path

    from neurosim.config import load_workload
    from neurosim.sweep.sources import make_source

    _, example, _ = load_workload("nir_example")
    shutil.copy(Path(example).parent / "examples" / "tiny.nir", tmp_path / "tiny.nir")
    (tmp_path / "wl.yaml").write_text(
        "name: w\ntimesteps: 4\nnetwork:\n  nir: tiny.nir\n  nir_convention: norse\n  nir_dt: 0.0005\n"
        "  nir_reset: subtract\npruning: {method: magnitude, levels: [0.0]}\nhardware: [loihi]\n")
    wl, wl_path, _ = load_workload(str(tmp_path / "wl.yaml"))
    got = make_source(wl, wl_path, progress=False).dense
    want = read_nir(tmp_path / "tiny.nir", convention="norse", dt=0.0005, reset="subtract")
    default = read_nir(tmp_path / "tiny.nir")
    assert got.pop("lif1").neuron == want.pop("lif1").neuron != default.pop("lif1").neuron


def test_bias_without_incoming_projection_round_trips(tmp_path):
    """A population driven only by its bias is written as an all-zero Affine from the input."""
    net = Network([Population("in", 2), Population("tonic", 2, Neuron(decay=1.0, threshold=1.0),
                                                    bias=np.array([0.3, 0.55])),
                   Population("a", 1, Neuron(decay=0.5))],
                  [Projection.from_dense("in", "a", np.array([[0.4], [0.4]])),
                   Projection.from_dense("tonic", "a", np.array([[1.0], [1.0]]))])
    write_nir(net, tmp_path / "b.nir")
    back = read_nir(tmp_path / "b.nir")
    assert [(p.pre, p.post) for p in back.projections] == [("in", "a"), ("tonic", "a")]
    np.testing.assert_array_equal(back.pop("tonic").bias, [0.3, 0.55])
    x = spikes_in(np.random.default_rng(13), 2, 12, 2)
    for timing in ("zero", "hardware"):
        a, b = run(net, x, timing), run(back, x, timing)
        assert all(np.array_equal(a.spikes[k], b.spikes[k]) for k in a.spikes)


def test_scale_and_identity_nodes():
    g = graph({"in": nir.Input(input_type={"input": np.array([3])}), "s": nir.Scale(scale=np.array([1.0, 2.0, 0.0])),
               "id": nir.ir.graph.Identity(input_type={"input": np.array([3])}),
               "if": nir.IF(r=np.ones(3), v_threshold=np.full(3, 1.5))}, [("in", "s"), ("s", "id"), ("id", "if")])
    net = read_nir(g)
    (pr,) = net.projections
    assert pr.kind == "sparse" and pr.nnz == 2
    np.testing.assert_array_equal(pr.to_dense(3, 3), np.diag([1.0, 2.0, 0.0]))


def _random_chain(seed):
    """A random NIR chain Input → (Affine|Linear → LIF|IF|CubaLIF)+ → (Affine → LI)?, some neuron
    nodes with a recurrent Linear; returned with a reference simulator of NIR's Euler semantics."""
    rng = np.random.default_rng(seed)
    dt = 1e-4
    sizes = [int(rng.integers(1, 5)) for _ in range(int(rng.integers(2, 5)))]
    readout = bool(rng.integers(2))
    nodes = {"in": nir.Input(input_type={"input": np.array([sizes[0]])})}
    edges, layers, prev = [], [], "in"
    for li, n in enumerate(sizes[1:]):
        kind = "LI" if (readout and li == len(sizes) - 2) else ["LIF", "IF", "CubaLIF"][int(rng.integers(3))]
        w = rng.normal(0.4, 0.8, size=(n, sizes[li]))
        b = rng.normal(0, 0.2, size=n) if rng.integers(2) else None
        nodes[f"w{li}"] = nir.Affine(weight=w, bias=b) if b is not None else nir.Linear(weight=w)
        p = dict(tau=np.full(n, dt * rng.uniform(1.5, 20)), r=np.full(n, rng.uniform(0.5, 20)),
                 v_leak=np.full(n, rng.uniform(-0.2, 0.5) if rng.integers(2) else 0.0),
                 v_threshold=rng.uniform(0.3, 1.5, size=n))
        if kind == "LIF":
            node = nir.LIF(**p)
        elif kind == "IF":
            node = nir.IF(r=p["r"] / 10, v_threshold=p["v_threshold"])
        elif kind == "LI":
            node = nir.LI(tau=p["tau"], r=p["r"], v_leak=p["v_leak"])
        else:
            node = nir.CubaLIF(tau_syn=np.full(n, dt * rng.uniform(1.5, 10)), tau_mem=p["tau"], r=p["r"],
                               v_leak=p["v_leak"], v_threshold=p["v_threshold"], w_in=np.full(n, rng.uniform(1, 5)))
        nodes[f"n{li}"] = node
        edges += [(prev, f"w{li}"), (f"w{li}", f"n{li}")]
        rec = rng.normal(0, 0.5, size=(n, n)) if (kind != "LI" and rng.integers(2)) else None
        if rec is not None:
            nodes[f"r{li}"] = nir.Linear(weight=rec)
            edges += [(f"n{li}", f"r{li}"), (f"r{li}", f"n{li}")]
        layers.append((kind, node, w, b, rec))
        prev = f"n{li}"

    def simulate(x):
        B, T, _ = x.shape
        state = [dict(v=np.zeros((B, w.shape[0])), i=np.zeros((B, w.shape[0])), s=np.zeros((B, w.shape[0])))
                 for _, _, w, _, _ in layers]
        outs = [np.zeros((B, T, w.shape[0])) for _, _, w, _, _ in layers]
        for t in range(T):
            a = x[:, t]
            for k, (kind, node, w, b, rec) in enumerate(layers):
                st_ = state[k]
                cur = a @ w.T + (0 if b is None else b) + (0 if rec is None else st_["s"] @ rec.T)
                v = st_["v"]
                if kind == "IF":
                    v = v + node.r * cur
                elif kind in ("LIF", "LI"):
                    v = v + dt / node.tau * (node.v_leak - v + node.r * cur)
                else:
                    st_["i"] = st_["i"] + dt / node.tau_syn * (-st_["i"] + node.w_in * cur)
                    v = v + dt / node.tau_mem * (node.v_leak - v + node.r * st_["i"])
                if kind == "LI":
                    a = v
                else:
                    a = (v > node.v_threshold).astype(float)
                    v = np.where(a > 0, 0.0, v)
                st_["v"], st_["s"] = v, a
                outs[k][:, t] = a
        return outs

    return graph(nodes, edges), simulate, [f"n{i}" for i in range(len(layers))], [ly[0] for ly in layers]


@pytest.mark.parametrize("seed", range(25))
def test_random_nir_chains_match_a_direct_euler_simulation(seed):
    g, simulate, ids, kinds = _random_chain(seed)
    net = read_nir(g)
    x = spikes_in(np.random.default_rng(100 + seed), 3, 30, net.inputs[0].size)
    ref = simulate(x)
    res = run(net, x)
    for nid, kind, r in zip(ids, kinds, ref, strict=True):
        if kind == "LI":
            np.testing.assert_allclose(res.potentials[nid], r, rtol=1e-9, atol=1e-9)
        else:
            assert np.array_equal(res.spikes[nid], r > 0), nid


def test_tiny_example_file_is_what_its_script_generates():
    import importlib.util
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    spec = importlib.util.spec_from_file_location("make_tiny_nir", root / "docs" / "make_tiny_nir.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    a, b = read_nir(mod.tiny_graph()), read_nir(root / "workloads" / "examples" / "tiny.nir")
    assert [(p.name, p.size) for p in a.populations] == [(p.name, p.size) for p in b.populations]
    for p, q in zip(a.projections, b.projections, strict=True):
        assert np.array_equal(p.weight, q.weight) and np.array_equal(p.pre_idx, q.pre_idx)
    with pytest.raises(UserError, match="single LIF"):
        read_nir(nir.LIF(tau=np.ones(1), r=np.ones(1), v_leak=np.zeros(1), v_threshold=np.ones(1)))


def test_workload_entry_refuses_graded_sources_it_cannot_run_exactly(tmp_path):
    """A CubaLIF is one compartment the chip runs; only a constant input into its current (a bias,
    which chips add to the membrane) needs the graded two-stage form, which the chip refuses."""
    dt = 1e-4
    cuba = nir.CubaLIF(tau_syn=np.full(2, 2 * dt), tau_mem=np.full(2, 2 * dt), r=np.full(2, 2.0),
                       v_leak=np.zeros(2), v_threshold=np.ones(2), w_in=np.full(2, 2.0))
    g = graph({"in": nir.Input(input_type={"input": np.array([2])}), "fc": nir.Linear(weight=np.eye(2)), "c": cuba},
              [("in", "fc"), ("fc", "c")])
    nir.write(tmp_path / "c.nir", g)
    net = network_from_nir_spec("c.nir", tmp_path / "w.yaml")
    assert graded_sources(net) == [] and net.pop("c").neuron.current_decay == pytest.approx(0.5)
    g = graph({"in": nir.Input(input_type={"input": np.array([2])}),
               "fc": nir.Affine(weight=np.eye(2), bias=np.array([0.1, 0.0])), "c": cuba},
              [("in", "fc"), ("fc", "c")])
    nir.write(tmp_path / "b.nir", g)
    with pytest.raises(UserError, match=r"c\.syn.*graded"):
        network_from_nir_spec("b.nir", tmp_path / "w.yaml")
    net = network_from_nir_spec("b.nir", tmp_path / "w.yaml", allow_graded=True)
    assert graded_sources(net) == ["c.syn"]


def test_convention_from_the_producer_the_graph_names():
    """Without an explicit convention, a graph whose metadata names its producer is read that way."""
    g = graph({"in": nir.Input(input_type={"input": np.array([1])}), "fc": nir.Linear(weight=np.ones((1, 1))),
               "if": nir.IF(r=np.ones(1), v_threshold=np.ones(1))}, [("in", "fc"), ("fc", "if")],
              metadata={"producer": "Sinabs 3.1.3"})
    assert read_nir(g).pop("if").neuron.fire_at_equal          # sinabs: v >= θ
    assert not read_nir(g, convention="nir").pop("if").neuron.fire_at_equal
    g.metadata = {}
    assert not read_nir(g).pop("if").neuron.fire_at_equal

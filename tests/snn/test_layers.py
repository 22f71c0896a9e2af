"""Forward semantics by hand and gradients of every layer against central finite differences."""

import numpy as np
import pytest

from neurosim.snn.layers import LIF, AvgPool2d, BatchNorm, Conv2d, Flatten, Linear, Readout, Step
from neurosim.snn.surrogate import ATan, FastSigmoid

from .helpers import check_fd

T = 3


def _fd_check(layer, x, st, params=(), eps=1e-6, tol=1e-6):
    """Compare backward() with finite differences of L = sum(r * layer(x)) for input and params."""
    rng = np.random.default_rng(1)
    y = layer.forward(x, st)
    r = rng.normal(size=y.shape)
    for p in layer.params():
        p.zero_grad()
    dx = layer.backward(r.copy())

    def loss():
        return float((layer.forward(x, Step(st.T, st.timed, True)) * r).sum())

    targets = [(x, dx)] if dx is not None else []
    targets += [(p.value, p.grad) for p in params]
    for arr, grad in targets:
        check_fd(loss, arr, grad, rng, 12, eps, tol, tol)


def _f64(layer):
    for p in layer.params():
        p.value = p.value.astype(np.float64)
    return layer


def test_linear_forward_and_grad():
    rng = np.random.default_rng(0)
    lin = _f64(Linear("fc", 5, 3, rng))
    lin.need_input_grad = True
    x = rng.normal(size=(4, 5))
    st = Step(T, False, True)
    np.testing.assert_allclose(lin.forward(x, st), x @ lin.weight.value + lin.bias.value)
    _fd_check(lin, x, st, lin.params())


@pytest.mark.parametrize("stride,pad", [(1, 0), (1, 1), (2, 1), (2, 0)])
def test_conv_matches_direct_sum_and_grad(stride, pad):
    rng = np.random.default_rng(0)
    conv = _f64(Conv2d("c", 2, 3, 3, rng, stride=stride, padding=pad))
    x = rng.normal(size=(2, 2, 6, 5))
    y = conv.forward(x, Step(T, False, True))
    K, b = conv.weight.value, conv.bias.value
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    ref = np.zeros_like(y)
    for n in range(2):
        for o in range(3):
            for i in range(y.shape[2]):
                for j in range(y.shape[3]):
                    patch = xp[n, :, i * stride:i * stride + 3, j * stride:j * stride + 3]
                    ref[n, o, i, j] = (patch * K[o]).sum() + b[o]
    np.testing.assert_allclose(y, ref, atol=1e-12)
    assert y.shape[1:] == conv.out_shape((2, 6, 5))
    _fd_check(conv, x, Step(T, False, True), conv.params())


def test_avgpool_flatten():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(2, 3, 5, 4))  # odd height: the last row is dropped
    pool = AvgPool2d("p", 2)
    y = pool.forward(x, Step(T, False, True))
    assert y.shape == (2, 3, 2, 2)
    assert y[1, 2, 1, 0] == pytest.approx(x[1, 2, 2:4, 0:2].mean())
    _fd_check(pool, x, Step(T, False, True))
    fl = Flatten("f")
    np.testing.assert_array_equal(fl.forward(x, Step(T, False, True)), x.reshape(2, -1))
    _fd_check(fl, x, Step(T, False, True))


@pytest.mark.parametrize("shape", [(8, 3), (6, 2, 3, 3)])
def test_batchnorm_train_grad_and_eval_affine(shape):
    rng = np.random.default_rng(0)
    bn = _f64(BatchNorm("bn", shape[1]))
    bn.gamma.value = rng.normal(size=shape[1])
    bn.beta.value = rng.normal(size=shape[1])
    x = rng.normal(size=shape) * 2 + 1
    _fd_check(bn, x, Step(T, False, True), bn.params(), tol=1e-5)
    bn.running_mean = rng.normal(size=shape[1]).astype(np.float32)
    bn.running_var = rng.uniform(0.5, 2, size=shape[1]).astype(np.float32)
    a, c = bn.affine()
    bshape = (1, -1) + (1,) * (len(shape) - 2)
    np.testing.assert_allclose(bn.forward(x, Step(T, False, False)), x * a.reshape(bshape) + c.reshape(bshape),
                               rtol=1e-6)


def test_lif_forward_by_hand():
    # beta 0.5, theta 1, strict >: inputs 0.6 every step -> v 0.6, 0.9, 1.05 (spike), then reset
    for reset, after in (("zero", 0.6), ("subtract", 0.6 + 0.5 * 0.05)):
        lif = LIF("l", 0.5, 1.0, reset)
        s = lif.forward(np.full((1, 1), 0.6), Step(4, False, False)).reshape(4)
        np.testing.assert_array_equal(s, [0, 0, 1, 0])
        np.testing.assert_allclose(lif.potentials.reshape(4), [0.6, 0.9, 1.05, after])
    # equality: strict > does not fire at v == theta, >= does
    x = np.array([[1.0]])
    assert LIF("l", 0.5, 1.0).forward(x, Step(1, False, False))[0, 0] == 0
    assert LIF("l", 0.5, 1.0, fire_at_equal=True).forward(x, Step(1, False, False))[0, 0] == 1


@pytest.mark.parametrize("reset", ["zero", "subtract"])
@pytest.mark.parametrize("timed", [False, True])
@pytest.mark.parametrize("surrogate", [ATan(2.0), FastSigmoid(5.0)])
def test_lif_bptt_exact_gradient_with_smooth_forward(reset, timed, surrogate):
    """With the smooth forward and the reset path kept, BPTT is the exact gradient."""
    rng = np.random.default_rng(0)
    lif = LIF("l", 0.7, 0.8, reset, surrogate=surrogate, detach_reset=False, smooth=True)
    x = rng.normal(size=((T * 4) if timed else 4, 3)) + 0.5
    _fd_check(lif, x, Step(T, timed, True), tol=1e-6)


@pytest.mark.parametrize("reset", ["zero", "subtract"])
@pytest.mark.parametrize("timed", [False, True])
def test_lif_numba_kernel_matches_numpy(reset, timed):
    rng = np.random.default_rng(3)
    x = rng.normal(size=((T * 5) if timed else 5, 2, 3, 3)).astype(np.float32) + 0.6
    g = rng.normal(size=(T * 5, 2, 3, 3)).astype(np.float32)
    fast, slow = LIF("a", 0.6, 1.0, reset), LIF("b", 0.6, 1.0, reset)
    slow.numba = False
    sf, ss = fast.forward(x, Step(T, timed, True)), slow.forward(x, Step(T, timed, True))
    np.testing.assert_array_equal(sf, ss)
    np.testing.assert_allclose(fast.potentials, slow.potentials, rtol=1e-6)
    np.testing.assert_allclose(fast.backward(g), slow.backward(g), rtol=1e-5, atol=1e-6)


def test_detached_reset_gradient_by_hand():
    # one neuron, T=2, zero reset, detached: dI_1 = ds_1 g'(v_1), dI_0 = ds_0 g'(v_0) + beta (1-s_0) dI_1
    lif = LIF("l", 0.5, 1.0, "zero")
    x = np.array([[0.8], [0.9]])  # timed, B=1
    s = lif.forward(x, Step(2, True, True)).ravel()
    v = lif.potentials.ravel()
    np.testing.assert_allclose(v, [0.8, 0.4 + 0.9])
    np.testing.assert_array_equal(s, [0, 1])
    sg = ATan(2.0).grad(v - 1.0)
    d = lif.backward(np.array([[1.0], [1.0]])).ravel()
    np.testing.assert_allclose(d, [sg[0] + 0.5 * sg[1], sg[1]])


@pytest.mark.parametrize("timed", [False, True])
def test_readout_grad(timed):
    rng = np.random.default_rng(0)
    ro = Readout("r", 0.6)
    x = rng.normal(size=((T * 4) if timed else 4, 3))
    y = ro.forward(x, Step(T, timed, True)).reshape(T, 4, 3)
    xi = x.reshape(T, 4, 3) if timed else np.broadcast_to(x, (T, 4, 3))
    np.testing.assert_allclose(y[1], 0.6 * xi[0] + xi[1])
    _fd_check(ro, x, Step(T, timed, True))


def test_surrogate_atan_formula():
    g = ATan(2.0)
    assert g.grad(np.array(0.0)) == pytest.approx(1.0)
    assert g.grad(np.array(0.5)) == pytest.approx(1.0 / (1 + (np.pi / 2) ** 2))
    x, e = 0.3, 1e-6
    assert (g.smooth(x + e) - g.smooth(x - e)) / (2 * e) == pytest.approx(g.grad(x), rel=1e-6)

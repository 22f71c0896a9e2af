"""The host as a node of its own: serial I/O time per step, overlap, set-up between inferences, and
streaming (inputs back to back without reset) — each against hand-computed values."""

from __future__ import annotations

import numpy as np
import pytest

from neurosim.ir import Network, Neuron, Population, Projection, run
from neurosim.mapper import compile_network
from neurosim.sim import simulate

from .chips import chip


def _relay():
    """in(2) → out(1), weight 5, threshold 3: every input event makes the output spike next step."""
    return Network([Population("in", 2), Population("out", 1, Neuron(decay=1.0, threshold=3.0))],
                   [Projection("in", "out", [0, 1], [0, 0], np.array([5, 5], np.int32))], integer=True,
                   state_bits=16)


def test_host_serial_time_is_added_to_each_step_and_setup_to_each_inference():
    host = {"input_message_s": 1e-6, "output_message_s": 2e-6, "per_step_s": 0.5e-6, "per_inference_s": 3e-6}
    hw = chip(max_neurons=4, host=host)
    comp = compile_network(_relay(), hw)
    x = np.array([[[1, 1], [0, 1], [0, 0]]], np.int32)       # 2 events at t0, 1 at t1
    res = simulate(comp, x)
    assert res.steps == 3                                      # one layer: T steps, spikes in the same step
    spikes_per_step = [1, 1, 0]                                # the output fires at t0 and t1 (v = 10, 5 > 3)
    chip_s = res.step_cycles[0] / 1e9
    expect = chip_s + np.array([2, 1, 0]) * 1e-6 + np.array(spikes_per_step) * 2e-6 + 0.5e-6
    np.testing.assert_allclose(res.step_s[0], expect)
    assert res.latency_s()[0] == pytest.approx(expect.sum() + 3e-6)
    assert res.counts["input_messages"][0] == 3 and res.counts["output_messages"][0] == 2
    assert res.counts["inferences"][0] == 1 and res.counts["steps"][0] == 3


def test_link_bandwidth_bounds_the_message_time():
    hw = chip(max_neurons=4, host={"input_message_s": 1e-9, "link_bits_per_s": 32e6, "message_bits": 32})
    res = simulate(compile_network(_relay(), hw), np.array([[[1, 1]]], np.int32))
    # 32 bits at 32 Mbit/s: 1 µs per message, not 1 ns: two inputs in, the output spike out
    assert res.step_s[0, 0] == pytest.approx(res.step_cycles[0, 0] / 1e9 + 3e-6)


def test_overlapping_host_paces_its_messages_inside_the_step():
    """With overlap the host's m-th message leaves at m × message time: 3 events 100 cycles apart
    make the last delivery arrive after cycle 200, and the host's time is not added again."""
    base = chip(max_neurons=4, host={"input_message_s": 100e-9, "overlap": True})
    fast = chip(max_neurons=4)
    net = Network([Population("in", 3), Population("out", 3, Neuron(decay=1.0, threshold=100.0))],
                  [Projection("in", "out", [0, 1, 2], [0, 1, 2], np.array([1, 1, 1], np.int32))], integer=True,
                  state_bits=16)
    x = np.array([[[1, 1, 1]]], np.int32)
    slow = simulate(compile_network(net, base), x)
    quick = simulate(compile_network(net, fast), x)
    # one core at the host's router; a delivery arrives ser = 32/16 = 2 cycles after release and costs
    # header 2 + 2 words + 1 op = 5; then 3 active updates × 2 and the barrier 10.
    # fast: released 0, 2, 4 → arrive 2, 4, 6 → served until 7, 12, 17 → 17 + 6 + 10 = 33
    # paced: released 0, 100, 200 → arrive 2, 102, 202 → served until 7, 107, 207 → 207 + 6 + 10 = 223
    assert quick.step_cycles[0, 0] == 33 and slow.step_cycles[0, 0] == 223
    # the step lasts max(chip, host) = max(223 ns, 3 messages × 100 ns), not their sum
    assert slow.step_s[0, 0] == pytest.approx(300e-9)


def test_streaming_runs_inputs_back_to_back_without_reset():
    """Two inputs in one stream: the state carries over (the deploy model on the concatenated input),
    no set-up cost, per-inference figures are per input."""
    net = Network([Population("in", 2), Population("h", 3, Neuron(decay=0.5, threshold=6.0)),
                   Population("out", 2, Neuron(decay=0.75, spiking=False))],
                  [Projection.from_dense("in", "h", np.array([[4, 2, 0], [1, 3, 5]], np.int32)),
                   Projection.from_dense("h", "out", np.array([[2, 0], [0, 3], [1, 1]], np.int32))],
                  integer=True, state_bits=16)
    hw = chip(max_neurons=2, host={"per_inference_s": 1e-3})
    comp = compile_network(net, hw)
    rng = np.random.default_rng(0)
    x = (rng.random((4, 5, 2)) < 0.6).astype(np.int32)
    res = simulate(comp, x, mode="streaming", stream_length=2, record_raster=True)
    assert res.samples == 2 and res.inputs_per_sample == 2 and res.timesteps == 10
    ref = run(net, x.reshape(2, 10, 2), timing="hardware")
    np.testing.assert_array_equal(res.raster[:, :, 2:5], ref.spikes["h"])
    np.testing.assert_array_equal(res.potentials, ref.potentials["out"])
    assert np.all(res.counts["inferences"] == 0)
    assert np.all(res.latency_s() == (res.step_s.sum(axis=1) + res.overhead_s) / 2)
    assert np.all(res.overhead_s == 0.0)                    # no set-up between inputs of a stream
    single = simulate(comp, x)
    assert np.all(single.overhead_s == pytest.approx(1e-3))
    with pytest.raises(ValueError, match="streams of 3"):
        simulate(comp, x, mode="streaming", stream_length=3)

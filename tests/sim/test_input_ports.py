"""Input ports of a system: one host port for every chip, or one per chip (`input_ports: per_chip`), where
each chip generates its own input: an input spike is one message per chip it reaches, sent by that chip's
port in parallel with the others, and never crosses a chip boundary."""

from dataclasses import replace

import numpy as np
import pytest
import yaml

from neurosim.config import load_hardware
from neurosim.errors import ConfigError
from neurosim.ir import Network, Neuron, Population, Projection
from neurosim.mapper import compile_network
from neurosim.mapper.report import per_chip_lines
from neurosim.sim import simulate
from neurosim.sim.plan import SRC_CROSSINGS, build_plan


def _system(tmp_path, chips_x=2, chips_y=1, chip="generic_mesh", **over):
    """generic_mesh chips (4 x 4 routers each, host port at router (0, 0)) in a chips_x x chips_y grid."""
    d = {"name": "grid", "chip": chip, "chips_x": chips_x, "chips_y": chips_y,
         "link": {"energy_pj": {"value": 100.0, "source": "test"}, "latency_s": {"value": 1e-6, "source": "test"},
                  "bits_per_s": {"value": 32e6, "source": "test"}},
         "barrier_s": {"value": 5e-6, "source": "test"}, **over}
    p = tmp_path / "grid.yaml"
    p.write_text(yaml.safe_dump(d))
    return load_hardware(p)[0]


def test_every_chip_has_its_port_at_the_hosts_router_of_its_own_mesh(tmp_path):
    hw = _system(tmp_path, 2, 2, input_ports="per_chip")
    assert hw.input_ports_xy().tolist() == [[0, 0], [4, 0], [0, 4], [4, 4]]
    assert hw.input_port_of(np.array([[1, 1], [5, 2], [3, 7], [7, 7]])).tolist() == [0, 1, 2, 3]
    one = _system(tmp_path, 2, 2)
    assert one.input_ports_xy().tolist() == [[0, 0]] and one.input_port_of(np.array([[7, 7]])).tolist() == [0]


def test_per_chip_ports_need_unicast(tmp_path):
    chip = yaml.safe_load(open(load_hardware("generic_mesh")[1]))
    chip["noc"]["multicast"] = "tree"
    (tmp_path / "treechip.yaml").write_text(yaml.safe_dump(chip))
    with pytest.raises(ConfigError, match="input_ports: per_chip needs a unicast chip"):
        _system(tmp_path, chip=str(tmp_path / "treechip.yaml"), input_ports="per_chip")


def _fan_out():
    """One input neuron to a neuron of population a and one of b (each on a core of its own)."""
    pops = [Population("in", 1), Population("a", 1, neuron=Neuron(decay=0, threshold=1)),
            Population("b", 1, neuron=Neuron(decay=0, threshold=1))]
    projs = [Projection.from_dense("in", "a", np.array([[4]])), Projection.from_dense("in", "b", np.array([[4]]))]
    return Network(pops, projs, integer=True, state_bits=16)


def _run(hw):
    hw = replace(hw, core=replace(hw.core, share_cores_between_layers=False))
    chip = compile_network(_fan_out(), hw, "sparse", placement=np.array([[1, 0], [5, 0]]), objective="cores")
    x = np.zeros((1, 2, 1), np.int32)
    x[0, 0, 0] = 1
    return chip, simulate(chip, x)


def test_an_input_spike_to_two_chips_is_two_local_messages(tmp_path):
    one_chip, one = _run(_system(tmp_path))
    per_chip, per = _run(_system(tmp_path, input_ports="per_chip"))
    c1, c2 = one.counts, per.counts
    # one port at (0, 0): to a at (1, 0) one hop, to b at (5, 0) five hops, one of them across the boundary
    assert (c1["packets"][0], c1["hops_x"][0], c1["chip_crossings"][0], c1["input_messages"][0]) == (2, 6, 1, 1)
    # a port per chip, at (0, 0) and (4, 0): one hop each, no crossing, one message from each port
    assert (c2["packets"][0], c2["hops_x"][0], c2["chip_crossings"][0], c2["input_messages"][0]) == (2, 2, 0, 2)
    assert c1["spikes"][0] == c2["spikes"][0] == 2
    plan = build_plan(per_chip)
    assert plan.n_nodes == 2 + 2 and plan.core_port.tolist() == [0, 1]
    assert "each chip generates its own input" in per_chip_lines(per_chip)[0]
    assert "input from one host port" in per_chip_lines(one_chip)[0]
    # step 0: the one port sends b's packet second (ser after a's) over 4 hops and the 200-cycle link;
    # each chip's port sends its packet at 0 over one hop. The difference is ser + 3 hops + 200 cycles.
    hw = per_chip.hardware
    ser = plan.serial_cycles
    assert one.step_cycles[0, 0] - per.step_cycles[0, 0] == pytest.approx(ser + 3 * hw.noc.hop_x_cycles.value + 200)
    assert one.step_cycles[0, 1] == per.step_cycles[0, 1]     # no input in step 1


def test_ports_work_in_parallel_on_the_hosts_time(tmp_path):
    """The host's serial time per step counts the busiest port's messages, not all of them."""
    hw = _system(tmp_path, input_ports="per_chip")
    hw = replace(hw, host=replace(hw.host, input_message_s=replace(hw.host.input_message_s, value=1e-3)))
    _, per = _run(hw)
    hw1 = _system(tmp_path)
    hw1 = replace(hw1, host=replace(hw1.host, input_message_s=replace(hw1.host.input_message_s, value=1e-3)))
    _, one = _run(hw1)
    # one message on each of two ports, or one on the one port: 1 ms of host time in step 0 either way
    chip_s = per.step_cycles[0, 0] / per.clock_hz
    assert per.step_s[0, 0] == pytest.approx(chip_s + 1e-3)
    assert one.step_s[0, 0] == pytest.approx(one.step_cycles[0, 0] / one.clock_hz + 1e-3)
    assert per.counts["input_messages"][0] == 2 and one.counts["input_messages"][0] == 1


def test_every_input_packet_is_delivered_once_whichever_port_sends_it(tmp_path):
    """Two chips' worth of targets for several input neurons and steps: every spike is delivered once,
    whatever the ports, and the same spikes result; the per-chip run never crosses a boundary."""
    rng = np.random.default_rng(3)
    pops = [Population("in", 6), Population("h", 80, neuron=Neuron(decay=0.5, threshold=3)),
            Population("o", 8, neuron=Neuron(decay=0.5, threshold=3))]
    w = rng.integers(-2, 5, size=(6, 80))   # 22 cores: more than one chip holds
    projs = [Projection.from_dense("in", "h", w), Projection.from_dense("h", "o", rng.integers(-1, 3, size=(80, 8)))]
    net = Network(pops, projs, integer=True, state_bits=16)
    x = (rng.random((2, 6, 6)) < 0.5).astype(np.int32)
    out = {}
    for ports in ("one", "per_chip"):
        hw = _system(tmp_path, input_ports=ports)
        hw = replace(hw, core=replace(hw.core, max_neurons=4))
        chip = compile_network(net, hw, "sparse", objective="cores")
        out[ports] = simulate(chip, x, record_raster=True)
        input_crossings = build_plan(chip).src_stats[:6, SRC_CROSSINGS]   # the input neurons come first
        assert (input_crossings == 0).all() == (ports == "per_chip")
    a, b = out["one"], out["per_chip"]
    assert np.array_equal(a.raster, b.raster)
    assert np.array_equal(a.counts["deliveries"], b.counts["deliveries"])
    assert (a.counts["chip_crossings"] > b.counts["chip_crossings"]).all()
    assert (a.counts["input_messages"] < b.counts["input_messages"]).all()


def test_on_one_chip_a_port_per_chip_is_the_hosts_port(tmp_path):
    """A network on chip 0 only: its port is the host's router, so both runs are the same in every figure."""
    rng = np.random.default_rng(4)
    pops = [Population("in", 5), Population("h", 12, neuron=Neuron(decay=0.5, threshold=3))]
    net = Network(pops, [Projection.from_dense("in", "h", rng.integers(-2, 5, size=(5, 12)))], integer=True,
                  state_bits=16)
    x = (rng.random((2, 5, 5)) < 0.6).astype(np.int32)
    runs = []
    for ports in ("one", "per_chip"):
        hw = _system(tmp_path, input_ports=ports)
        runs.append(simulate(compile_network(net, replace(hw, core=replace(hw.core, max_neurons=4)), "sparse",
                                             objective="cores"), x))
    a, b = runs
    assert np.array_equal(a.step_cycles, b.step_cycles) and np.array_equal(a.step_s, b.step_s)
    assert all(np.array_equal(a.counts[k], b.counts[k]) for k in a.counts)


def test_a_ports_mth_message_leaves_m_message_times_in(tmp_path):
    """With the host's I/O overlapping the step, each port paces its own messages: two input events to
    both chips are two messages of each port, the second leaving one message time (200 cycles) in
    rather than one `ser` in (its packet is the port's second)."""
    pops = [Population("in", 2), Population("a", 1, neuron=Neuron(decay=0, threshold=100)),
            Population("b", 1, neuron=Neuron(decay=0, threshold=100))]
    projs = [Projection.from_dense("in", q, np.array([[1], [1]])) for q in ("a", "b")]
    net = Network(pops, projs, integer=True, state_bits=16)
    x = np.zeros((1, 1, 2), np.int32)
    x[0, 0, :] = 1
    step0 = {}
    for t_msg in (0.0, 1e-6):
        hw = _system(tmp_path, input_ports="per_chip")
        hw = replace(hw, host=replace(hw.host, overlap=True, input_message_s=replace(hw.host.input_message_s,
                                                                                     value=t_msg)),
                     core=replace(hw.core, share_cores_between_layers=False))
        chip = compile_network(net, hw, "sparse", placement=np.array([[1, 0], [5, 0]]), objective="cores")
        res = simulate(chip, x)
        assert res.counts["input_messages"][0] == 4 and res.counts["chip_crossings"][0] == 0
        step0[t_msg] = res.step_cycles[0, 0]
    # a core's second delivery arrives one message time (200 cycles) after its first instead of one ser,
    # so it no longer waits for the first's service: the step ends 200 - max(service, ser) cycles later
    plan = build_plan(chip)
    service = float(plan.grp_service[0])
    assert set(plan.grp_service.tolist()) == {service}
    assert step0[1e-6] - step0[0.0] == pytest.approx(1e-6 * 2e8 - max(service, plan.serial_cycles))

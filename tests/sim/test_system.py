"""Systems of chips: a system file joins its chips' meshes; packets that cross a chip boundary take the
inter-chip link (its latency, serialisation and energy); power and barrier count the system."""

from dataclasses import replace

import numpy as np
import pytest
import yaml

from neurosim.config import load_hardware
from neurosim.energy import armed_power_w, energy_breakdown, idle_power_w
from neurosim.ir import Network, Neuron, Population, Projection
from neurosim.mapper import compile_network
from neurosim.sim import simulate
from neurosim.sim.plan import E, N, W, build_plan, chip_crossings, mesh_link, with_on_chip_links


def _system(tmp_path, **over):
    """Two generic_mesh chips (4 x 4 routers each) side by side."""
    d = {"name": "pair", "chip": "generic_mesh", "chips_x": 2, "chips_y": 1,
         "link": {"energy_pj": {"value": 100.0, "source": "test"}, "latency_s": {"value": 1e-6, "source": "test"},
                  "bits_per_s": {"value": 32e6, "source": "test"}},
         "barrier_s": {"value": 5e-6, "source": "test"}, "board_static_w": {"value": 0.5, "source": "test"}, **over}
    p = tmp_path / "pair.yaml"
    p.write_text(yaml.safe_dump(d))
    return load_hardware(p)


def test_a_system_file_joins_the_chips_meshes(tmp_path):
    hw, _, digest = _system(tmp_path)
    chip = load_hardware("generic_mesh")[0]
    assert (hw.mesh.cols, hw.mesh.rows, hw.n_chips) == (8, 4, 2) and hw.mesh.n_cores == 2 * chip.mesh.n_cores
    cross = chip_crossings(hw)
    assert cross[mesh_link(3, 0, E, 8)] and cross[mesh_link(4, 2, W, 8)]       # the x = 3 | 4 boundary
    assert not cross[mesh_link(2, 0, E, 8)] and not cross[mesh_link(3, 0, N, 8)]
    assert cross.sum() == 2 * 4                                                 # E and W, on 4 rows
    # power: both chips' floors and armed power, plus the board
    p = chip.power
    assert armed_power_w(hw) == pytest.approx(2 * p.armed_w.value)
    # one used core (gated chip): 2 chip floors + 1 powered core + 31 gated cores + 0.5 W of board
    assert idle_power_w(hw, 1) == pytest.approx(2 * p.chip_idle_w.value + p.core_static_w.value
                                                + 31 * p.gated_core_w.value + 0.5)


def _two_neurons():
    pops = [Population("in", 1), Population("a", 1, neuron=Neuron(decay=0, threshold=1)),
            Population("b", 1, neuron=Neuron(decay=0, threshold=1))]
    projs = [Projection.from_dense("in", "a", np.array([[4]])), Projection.from_dense("a", "b", np.array([[4]]))]
    return Network(pops, projs, integer=True, state_bits=16)


def test_a_packet_across_the_boundary_pays_the_link(tmp_path):
    hw, _, _ = _system(tmp_path)
    hw = replace(hw, power=replace(hw.power, power_gating=True),
                 core=replace(hw.core, share_cores_between_layers=False))   # a and b on cores of their own
    net = _two_neurons()
    x = np.zeros((1, 3, 1), np.int32)
    x[0, 0, 0] = 1
    near = compile_network(net, hw, "sparse", placement=np.array([[0, 0], [1, 0]]), objective="cores")
    far = compile_network(net, hw, "sparse", placement=np.array([[3, 0], [4, 0]]), objective="cores")
    rn, rf = simulate(near, x), simulate(far, x)
    assert rn.counts["chip_crossings"][0] == 0 and rf.counts["chip_crossings"][0] == 1
    assert rn.counts["spikes"][0] == rf.counts["spikes"][0] == 2
    # a -> b: one hop; across the boundary the hop's 2-cycle latency becomes the link's 1 us (200 cycles
    # at 200 MHz), and the step ends with the system's 5 us barrier (1000 cycles) instead of the chip's
    # 100: the step with that packet is 198 + 900 cycles longer
    extra = rf.step_cycles[0].max() - rn.step_cycles[0].max()
    assert extra == pytest.approx((200 - hw.noc.hop_x_cycles.value) + (1000 - hw.noc.barrier_at(2)), rel=1e-9)
    # the link holds each packet 32 bits / 32 Mbit/s = 1 us (200 cycles; a router link: 32 / 16 bits)
    plan = build_plan(far)
    crossing = chip_crossings(hw)[plan.el_channel.astype(np.int64) % (4 * 8 * 4)] & (plan.el_channel < 4 * 8 * 4)
    assert set(plan.el_serial[crossing]) == {200.0} and set(plan.el_serial[~crossing]) == {2.0}
    b = energy_breakdown({k: float(v[0]) for k, v in rf.counts.items()}, 1e-6, hw, far.n_cores)
    assert b["chip_crossings"] == pytest.approx(100e-12)
    # the barrier of a step on two chips is the system's (5 us), on one chip the chip's
    assert build_plan(far).barrier_cycles == pytest.approx(5e-6 * 2e8)
    assert build_plan(near).barrier_cycles == pytest.approx(hw.noc.barrier_at(2))


def test_the_time_the_links_cost_is_the_latency_minus_a_run_with_on_chip_links(tmp_path):
    hw, _, _ = _system(tmp_path)
    hw = replace(hw, core=replace(hw.core, share_cores_between_layers=False))
    net = _two_neurons()
    x = np.zeros((1, 3, 1), np.int32)
    x[0, 0, 0] = 1
    far = compile_network(net, hw, "sparse", placement=np.array([[3, 0], [4, 0]]), objective="cores")
    plan = build_plan(far)
    fast = with_on_chip_links(plan, hw)
    # only the crossing element changes: the link's 200-cycle latency and serialisation become a hop's
    changed = fast.el_latency != plan.el_latency
    assert changed.sum() == 1 and fast.el_latency[changed] == [hw.noc.hop_x_cycles.value]
    assert fast.el_serial[changed] == [plan.serial_cycles] and plan.el_serial[changed] == [200.0]
    assert plan.el_latency[changed] == [200.0]                    # the plan itself is left as it was
    rs, rf = simulate(far, x, plan=plan), simulate(far, x, plan=fast)
    # one packet crosses: its step is 200 - hop cycles shorter, at 200 MHz; the barrier stays the system's
    saved = (200 - hw.noc.hop_x_cycles.value) / 2e8
    assert rs.latency_s()[0] - rf.latency_s()[0] == pytest.approx(saved, rel=1e-9)
    assert rs.counts["chip_crossings"][0] == rf.counts["chip_crossings"][0] == 1
    near = compile_network(net, hw, "sparse", placement=np.array([[0, 0], [1, 0]]), objective="cores")
    plain = build_plan(near)
    assert with_on_chip_links(plain, hw) is plain                  # no packet crosses: nothing to change
    # the record's figure: mean and interval over samples; one chip in use costs no second run
    from neurosim.sweep.pipeline import inter_chip_time_s
    assert inter_chip_time_s(far, x, rs.latency_s()) == pytest.approx((saved, saved, saved), rel=1e-9)
    assert inter_chip_time_s(near, x, simulate(near, x).latency_s()) == (0.0, 0.0, 0.0)


def test_a_system_of_a_system_is_refused(tmp_path):
    _system(tmp_path)
    d = yaml.safe_load((tmp_path / "pair.yaml").read_text())
    d.update(name="quad", chip=str(tmp_path / "pair.yaml"))
    (tmp_path / "quad.yaml").write_text(yaml.safe_dump(d))
    from neurosim.errors import ConfigError

    with pytest.raises(ConfigError, match="is itself a system"):
        load_hardware(tmp_path / "quad.yaml")

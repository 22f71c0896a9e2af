"""Design-space grids: variants from key-path overrides, validated like chip files; Pareto fronts."""

import pytest

from neurosim.errors import ConfigError
from neurosim.report.plots import pareto_front
from neurosim.sweep.grid import parse_vary, variants


def test_parse_vary_reads_yaml_scalars():
    assert parse_vary(["core.max_neurons=128,256", "noc.multicast=unicast,tree", "energy.power_gating=true"]) == {
        "core.max_neurons": [128, 256], "noc.multicast": ["unicast", "tree"], "energy.power_gating": [True]}
    with pytest.raises(ConfigError, match="expected KEY.PATH=V1,V2"):
        parse_vary(["core.max_neurons"])


def test_variants_are_the_grid_with_sources_kept():
    chips = variants("generic_mesh", parse_vary(["core.max_neurons=128,512", "energy.synaptic_op_pj=0.1,0.2"]))
    assert len(chips) == 4 and len({c.sha256 for c in chips}) == 4
    names = [c.hw.name for c in chips]
    assert names[0] == "generic_mesh[max_neurons=128,synaptic_op_pj=0.1]"
    assert [(c.hw.core.max_neurons, c.hw.energy.synaptic_op_pj.value) for c in chips] == [
        (128, 0.1), (128, 0.2), (512, 0.1), (512, 0.2)]
    assert chips[1].hw.energy.synaptic_op_pj.source.startswith("design-space variant of: assumed")


def test_bad_variant_names_key_and_value():
    with pytest.raises(ConfigError, match=r"core\.max_neuron: no such chip key"):
        variants("generic_mesh", {"core.max_neuron": [1]})
    with pytest.raises(ConfigError, match=r"core\.max_neurons: got 0; expected an integer >= 1"):
        variants("generic_mesh", {"core.max_neurons": [0]})


def test_pareto_front_by_hand():
    pts = [(1, 5), (2, 2), (3, 1), (3, 3), (2, 2), (4, 4)]
    # (3,3) and (4,4) are dominated by (2,2); the two equal (2,2) points do not dominate each other
    assert pareto_front(pts) == [0, 1, 2, 4]


def test_pareto_front_in_three_objectives_and_within_the_noise():
    """Area is a third objective: a bigger chip that is not faster or cheaper leaves the front; and a
    point better only inside the intervals does not push another off the front."""
    pts = [(1.0, 5.0, 10.0), (2.0, 2.0, 10.0), (2.0, 2.0, 30.0), (1.5, 6.0, 5.0)]
    # (2, 2, 30) is dominated by (2, 2, 10); (1.5, 6, 5) survives on area alone
    assert pareto_front(pts) == [0, 1, 3]
    near = [(1.00, 1.00, 1.0), (1.02, 1.02, 1.0)]
    assert pareto_front(near) == [0]                                   # without intervals: dominated
    lows = [(0.95, 0.95, 1.0), (0.97, 0.97, 1.0)]
    highs = [(1.05, 1.05, 1.0), (1.07, 1.07, 1.0)]
    assert pareto_front(near, lows, highs) == [0, 1]                   # inside the noise: both stay


def test_a_system_varies_its_own_keys():
    """dse on a system file: link, barrier and board figures vary; the chips stay the preset's."""
    import pytest

    from neurosim.config import load_hardware
    from neurosim.errors import ConfigError
    from neurosim.sweep.grid import variants

    base = load_hardware("loihi_nahuku32")[0]
    got = variants("loihi_nahuku32", {"link.energy_pj": [100.0, 300.0], "chips_x": [4]})
    assert [c.hw.system.spec.link.energy_pj.value for c in got] == [100.0, 300.0]
    for c in got:
        assert c.hw.n_chips == 16 and c.hw.mesh.cols == 4 * base.system.chip_cols
        assert c.hw.core == base.core and c.hw.energy == base.energy
        assert "design-space variant of" in c.hw.system.spec.link.energy_pj.source
    assert got[0].sha256 != got[1].sha256
    with pytest.raises(ConfigError, match="core.max_neurons: no such system key"):
        variants("loihi_nahuku32", {"core.max_neurons": [512]})

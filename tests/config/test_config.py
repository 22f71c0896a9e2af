"""Chip and workload files: presets load, and every kind of mistake gives one message naming the
file, the key path, the bad value and what is allowed."""

import copy

import pytest
import yaml

from neurosim.config import Hardware, Workload, load_hardware, load_workload, parse_mapping, preset_names
from neurosim.errors import ConfigError


@pytest.fixture(scope="module")
def loihi_dict():
    hw, path, _ = load_hardware("loihi")
    return yaml.safe_load(path.read_text())


def test_presets_load_with_sourced_figures():
    assert {"loihi", "loihi_davies2018", "truenorth", "odin", "generic_mesh"} <= set(preset_names())
    hw = load_hardware("loihi")[0]
    assert hw.mesh.n_cores == 128 and hw.core.max_neurons == 1024
    assert hw.core.synapse_memory_bits == 128 * 1024 * 8
    assert hw.energy.op_pj("dense") == 35.5 and "SANA-FE" in hw.energy.synaptic_op_pj_by_format.dense.source
    davies = load_hardware("loihi_davies2018")[0]
    assert davies.energy.op_pj("dense") == 23.6 and "Davies 2018 Table 2" in davies.energy.synaptic_op_pj.source
    tn = load_hardware("truenorth")[0]
    assert tn.mesh.n_cores == 4096 and tn.energy.hop_x_pj.value == 2.3
    assert tn.core.stored_weight_bits == 1 and tn.core.weight_bits == 9
    for name in preset_names():
        hw = load_hardware(name)[0]
        quantities = [*hw.ert_sources().values(), hw.power.core_static_w.source, hw.power.armed_w.source]
        assert all(src.strip() for src in quantities)
        assert hw.area is not None, f"{name}: every preset reports its area"


def test_index_bits_is_log2_of_neurons_per_core():
    assert load_hardware("loihi")[0].core.index_bits == 10
    assert load_hardware("truenorth")[0].core.index_bits == 8


def _err(data, match):
    with pytest.raises(ConfigError, match=match) as e:
        parse_mapping(Hardware, data, "chip.yaml")
    assert "\n" not in str(e.value)
    return str(e.value)


def test_unknown_key_names_the_path(loihi_dict):
    d = copy.deepcopy(loihi_dict)
    d["core"]["synapse_memroy_bits"] = 5
    msg = _err(d, r"core\.synapse_memroy_bits: unknown key")
    assert msg.startswith("chip.yaml: ") and "synapse_memory_bits" in msg  # lists the allowed keys


def test_wrong_type_names_value_and_allowed(loihi_dict):
    d = copy.deepcopy(loihi_dict)
    d["core"]["synapse_memory_bits"] = "lots"
    _err(d, r"core\.synapse_memory_bits: got 'lots'; expected an integer >= 1")


def test_bool_is_not_an_integer_and_range_checked(loihi_dict):
    d = copy.deepcopy(loihi_dict)
    d["core"]["max_neurons"] = True
    _err(d, r"core\.max_neurons: got True")
    d["core"]["max_neurons"] = 0
    _err(d, r"core\.max_neurons: got 0; expected an integer >= 1")


def test_energy_needs_a_source(loihi_dict):
    d = copy.deepcopy(loihi_dict)
    d["energy"]["hop_x_pj"] = 3.0
    _err(d, r"energy\.hop_x_pj: got 3\.0; expected a mapping \{value, source\}")
    d["energy"]["hop_x_pj"] = {"value": 3.0}
    _err(d, r"energy\.hop_x_pj\.source: missing required key")


def test_literal_choices_and_cross_checks(loihi_dict):
    d = copy.deepcopy(loihi_dict)
    d["noc"]["multicast"] = "broadcast"
    _err(d, r"noc\.multicast: got 'broadcast'; expected one of 'unicast', 'tree'")
    d = copy.deepcopy(loihi_dict)
    d["host"]["router"] = [9, 0]
    _err(d, r"host\.router: got \[9, 0\]; expected a router inside the 8x4 mesh")


def test_file_errors(tmp_path):
    with pytest.raises(ConfigError, match="nope.yaml: no such file"):
        load_hardware(tmp_path / "nope.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("core: [unclosed\n")
    with pytest.raises(ConfigError, match=r"bad\.yaml: not valid YAML at line"):
        load_hardware(bad)
    bad.write_text("- 1\n- 2\n")
    with pytest.raises(ConfigError, match="must hold a YAML mapping"):
        load_hardware(bad)
    bad.write_bytes(b"\xff\xfe\x00")
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_hardware(bad)


def test_unknown_preset_lists_presets():
    with pytest.raises(ConfigError, match=r"loihi3: no such file and no such preset; presets: .*loihi"):
        load_hardware("loihi3")


def test_workload_levels_and_one_network_source():
    wl = load_workload("ff784")[0]
    assert wl.pruning.levels == (0.0, 0.5, 0.9, 0.99) and wl.network.synthetic.sizes == (784, 1024, 1024, 10)
    base = {"name": "w", "timesteps": 5, "network": {"synthetic": {"sizes": [4, 3], "input_rate": 0.1,
                                                                    "target_rate": 0.1}}}
    assert parse_mapping(Workload, base).pruning.levels == (0.0, 0.5, 0.9)
    bad = copy.deepcopy(base)
    bad["pruning"] = {"levels": [0.0, 1.0]}
    with pytest.raises(ConfigError, match=r"pruning\.levels\[1\]: got 1\.0; expected a sparsity in \[0, 1\)"):
        parse_mapping(Workload, bad)
    bad = copy.deepcopy(base)
    bad["network"] = {}
    with pytest.raises(ConfigError, match=r"network: got None; expected exactly one of"):
        parse_mapping(Workload, bad)


def test_nir_options_apply_only_to_a_nir_network():
    wl = parse_mapping(Workload, {"name": "w", "timesteps": 5, "network": {
        "nir": "m.nir", "nir_convention": "snntorch", "nir_reset": "subtract_delayed"}})
    assert wl.network.nir_options() == {"convention": "snntorch", "dt": None, "reset": "subtract_delayed",
                                        "fire_at_equal": None}
    synthetic = {"sizes": [4, 3], "input_rate": 0.1, "target_rate": 0.1}
    with pytest.raises(ConfigError, match=r"network\.nir_convention: got 'norse'; expected nothing: it applies only "
                                          r"with network\.nir"):
        parse_mapping(Workload, {"name": "w", "timesteps": 5,
                                 "network": {"synthetic": synthetic, "nir_convention": "norse"}})
    with pytest.raises(ConfigError, match=r"network\.nir_dt: got 0\.0; expected a time step > 0"):
        parse_mapping(Workload, {"name": "w", "timesteps": 5, "network": {"nir": "m.nir", "nir_dt": 0.0}})
    with pytest.raises(ConfigError, match=r"network\.nir_convention"):
        parse_mapping(Workload, {"name": "w", "timesteps": 5, "network": {"nir": "m.nir", "nir_convention": "lava"}})


def test_numbers_written_without_dot_are_numbers(loihi_dict):
    d = copy.deepcopy(loihi_dict)
    d["clock"]["frequency_hz"]["value"] = "2e9"  # what PyYAML makes of `2e9`
    assert parse_mapping(Hardware, d).clock.frequency_hz.value == 2e9


def test_yaml_reference_doc_is_current():
    from pathlib import Path

    from neurosim.config.reference import render

    doc = Path(__file__).resolve().parents[2] / "docs" / "config_reference.md"
    assert doc.read_text() == render(), "regenerate: python -m neurosim.config.reference > docs/config_reference.md"


def test_a_relative_npz_path_is_found_next_to_the_workload_file(tmp_path, monkeypatch):
    """Every command and API (load_workload, as_workload, prune_workload, ...) reads the same file."""
    from neurosim.config import as_workload, load_workload

    (tmp_path / "w" / "data").mkdir(parents=True)
    (tmp_path / "w" / "data" / "d.npz").write_bytes(b"")
    (tmp_path / "w" / "wl.yaml").write_text(
        "name: w\ntimesteps: 2\nnetwork:\n  model:\n    dataset: npz\n    path: data/d.npz\n"
        "    layers: [{type: linear, out: 2}, {type: readout}]\n")
    monkeypatch.chdir(tmp_path)
    want = str(tmp_path / "w" / "data" / "d.npz")
    assert load_workload("w/wl.yaml")[0].network.model.path == want
    assert as_workload("w/wl.yaml").network.model.path == want
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "d.npz").write_bytes(b"")     # found from the current directory: kept as given
    assert load_workload("w/wl.yaml")[0].network.model.path == "data/d.npz"

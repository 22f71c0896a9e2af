"""Generated bad inputs for every file type and command: mutated chip and workload YAML, hostile
YAML, corrupt datasets, NIR files and result files, damaged caches and bad arguments.

Each `Case` knows its files, its command line and whether it must fail: a value that is never valid
(NaN, ±inf, a number where a word is expected, an unknown key, a negative energy, ...) must end in
exit 2; anything else may also succeed, and then its outputs must be sane (`test_fuzz`). The corpus
is drawn from a seeded generator: the same seed gives the same cases.
"""

from __future__ import annotations

import copy
import io
import json
import random
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import yaml

ROOT = Path(__file__).resolve().parents[2]
CHIPS = sorted((ROOT / "hwconfigs").glob("*.yaml"))
WORKLOADS = sorted((ROOT / "workloads").glob("*.yaml"))
TINY_NIR = ROOT / "workloads" / "examples" / "tiny.nir"

TINY = {"name": "tiny", "seed": 3, "timesteps": 8,
        "network": {"synthetic": {"sizes": [24, 16, 4], "input_rate": 0.3, "target_rate": 0.2, "samples": 2}},
        "pruning": {"levels": [0.0, 0.5]}, "simulation": {"samples": 2}, "hardware": ["generic_mesh"]}
NIR_WL = {"name": "nirwl", "seed": 0, "timesteps": 6, "network": {"nir": "net.nir"},
          "pruning": {"levels": [0.0]}, "simulation": {"samples": 2}, "hardware": ["generic_mesh"]}
NPZ_WL = {"name": "npzwl", "seed": 0, "timesteps": 2,
          "network": {"model": {"dataset": "npz", "path": "data.npz", "epochs": 1, "batch_size": 16,
                                "layers": [{"type": "flatten"}, {"type": "linear", "out": 12}, {"type": "lif"},
                                           {"type": "linear", "out": 3}, {"type": "readout"}]}},
          "pruning": {"levels": [0.0]}, "simulation": {"samples": 2}, "hardware": ["generic_mesh"]}


@dataclass
class Case:
    name: str
    argv: list[str]
    files: dict[str, bytes] = field(default_factory=dict)
    must_fail: bool = False
    seconds: float = 60.0
    setup: Callable[[Path], None] | None = None   # runs in the case folder before the command


def dump(d) -> bytes:
    return yaml.safe_dump(d, sort_keys=False, allow_unicode=True).encode()


# --- YAML mutations --------------------------------------------------------------------------------
def leaves(d, path=()):
    """Every (path, value) of a nested YAML structure, inner nodes included."""
    out = [(path, d)] if path else []
    if isinstance(d, dict):
        for k, v in d.items():
            out += leaves(v, path + (k,))
    elif isinstance(d, list):
        for i, v in enumerate(d):
            out += leaves(v, path + (i,))
    return out


def _set(d, path, value):
    node = d
    for k in path[:-1]:
        node = node[k]
    node[path[-1]] = value


def _delete(d, path):
    node = d
    for k in path[:-1]:
        node = node[k]
    del node[path[-1]]


def _is_number(v) -> bool:
    """A number, or a string the parser reads as one (PyYAML reads 5.44e9, without a dot or sign in the
    exponent, as a string)."""
    if isinstance(v, str):
        try:
            float(v)
            return True
        except ValueError:
            return False
    return isinstance(v, int | float) and not isinstance(v, bool)


def _is_text(v) -> bool:
    return isinstance(v, str) and not _is_number(v)


def mutate(d: dict, rng: random.Random) -> tuple[dict, str, bool]:
    """One random mutation of `d`: (mutated copy, description, must fail)."""
    d = copy.deepcopy(d)
    path, orig = rng.choice(leaves(d))
    where = ".".join(map(str, path))
    kind = rng.choice(["nan", "inf", "-inf", "word", "list", "dict", "negative", "zero", "huge", "delete",
                       "unknown", "null", "bool", "long", "empty", "tiny"])
    in_quantity = path[-1] == "value" and len(path) > 1
    must = False
    if kind in ("nan", "inf", "-inf"):
        _set(d, path, {"nan": float("nan"), "inf": float("inf"), "-inf": float("-inf")}[kind])
        must = True                       # never a valid figure, whatever the key
    elif kind == "word":
        _set(d, path, "twelve")
        must = _is_number(orig) or isinstance(orig, bool)
    elif kind == "list":
        _set(d, path, [1, "x", None])
        must = not isinstance(orig, list)
    elif kind == "dict":
        _set(d, path, {"zzz": 1})
        must = True                       # no mapping accepts the key zzz
    elif kind == "negative":
        _set(d, path, -abs(float(orig)) - 1 if _is_number(orig) else -1)
        must = in_quantity or _is_text(orig) or isinstance(orig, bool | dict | list)
    elif kind == "zero":
        _set(d, path, 0)
        must = _is_text(orig) or isinstance(orig, bool | dict | list)
    elif kind == "huge":
        _set(d, path, 2**64)
        must = _is_text(orig) or isinstance(orig, bool | dict | list)   # 1.8e19 is a valid float
    elif kind == "delete":
        if isinstance(path[-1], int):
            _set(d, path, None)
        else:
            _delete(d, path)
    elif kind == "unknown":
        parent = d
        for k in path[:-1]:
            parent = parent[k]
        if isinstance(parent, dict):
            parent["zz_unknown_key"] = 1
            must = True
        else:
            _set(d, path, "x")
    elif kind == "null":
        _set(d, path, None)
    elif kind == "bool":
        _set(d, path, True)
        must = _is_number(orig) or isinstance(orig, dict | list)
    elif kind == "long":
        _set(d, path, "a" * 20000)
        must = _is_number(orig) or isinstance(orig, bool | dict | list)
    elif kind == "empty":
        _set(d, path, "")
        must = True                       # no key accepts an empty string
    elif kind == "tiny":
        _set(d, path, 1e-300 if _is_number(orig) else "1e-300")
        must = isinstance(orig, bool | dict | list)
    return d, f"{kind} at {where}", must


def hostile_yaml(rng: random.Random) -> list[tuple[str, bytes, bool]]:
    """Whole files that are no valid config: (name, bytes, must fail)."""
    bomb = 'a: &a ["x","x","x","x","x","x","x","x","x"]\n'
    prev = "a"
    for n in "bcdefghi":
        bomb += f"{n}: &{n} [" + ",".join(["*" + prev] * 9) + "]\n"
        prev = n
    out = [
        ("deep nesting", ("name: x\ntimesteps: " + "[" * 2000 + "]" * 2000 + "\n").encode(), True),
        ("deep mapping", ("a:\n" + "".join(" " * (i + 1) + f"k{i}:\n" for i in range(200))).encode(), True),
        ("alias bomb", bomb.encode(), True),
        ("alias bomb in name", ("name: &n " + "x" * 100 + "\n" + bomb).encode(), True),
        ("empty file", b"", True),
        ("only a comment", b"# nothing\n", True),
        ("a list", b"- 1\n- 2\n", True),
        ("a scalar", b"42\n", True),
        ("binary", bytes(rng.randrange(256) for _ in range(3000)), True),
        ("latin-1", "name: caf\xe9\ntimesteps: 3\n".encode("latin-1"), True),
        ("tab indentation", b"name: x\n\ttimesteps: 3\n", True),
        ("unclosed bracket", b"name: x\ntimesteps: [3\n", True),
        ("huge file", b"name: x\n" + b"#" * (2 << 20) + b"\n", True),
        ("long integer", ("name: x\ntimesteps: " + "9" * 5000 + "\n").encode(), True),
        ("long float", ("name: x\ntimesteps: 3\nseed: 1" + "0" * 400 + ".5\n").encode(), True),
        ("python tag", b"name: !!python/object/apply:os.system ['echo pwned']\ntimesteps: 3\n", True),
        ("duplicate anchors", b"a: &x 1\nb: &x 2\nname: *x\n", True),
        ("null bytes", b"name: x\x00\ntimesteps: 3\n", True),
        ("many keys", ("".join(f"k{i}: {i}\n" for i in range(50000))).encode(), True),
        ("wide list", ("name: x\ntimesteps: 3\npruning: {levels: [" + ",".join(["0.1"] * 200000) + "]}\n").encode(),
         True),
    ]
    return out


# --- binary file mutations -------------------------------------------------------------------------
def npz_bytes(**arrays) -> bytes:
    buf = io.BytesIO()
    np.savez(buf, **arrays)
    return buf.getvalue()


def good_dataset(rng: np.random.Generator) -> dict:
    return {"x": rng.integers(0, 256, (60, 4, 4)).astype(np.uint8), "y": np.arange(60) % 3}


def bad_datasets(rng: np.random.Generator) -> list[tuple[str, bytes, bool]]:
    g = good_dataset(rng)
    x, y = g["x"], g["y"]
    xf = x.astype(np.float32)
    nan = xf.copy()
    nan[0, 0, 0] = np.nan
    inf = xf.copy()
    inf[1, 1, 1] = np.inf
    good = npz_bytes(**g)
    huge_header = _npz_with_header("x", (10**7, 10**6), npz_bytes(y=y))
    return [
        ("NaN pixel", npz_bytes(x=nan, y=y), True),
        ("inf pixel", npz_bytes(x=inf, y=y), True),
        ("negative pixels", npz_bytes(x=xf - 300, y=y), True),
        ("float labels", npz_bytes(x=x, y=y.astype(float)), True),
        ("negative label", npz_bytes(x=x, y=np.r_[-1, y[1:]]), True),
        ("labels 2-D", npz_bytes(x=x, y=y[:, None]), True),
        ("labels too few", npz_bytes(x=x, y=y[:-5]), True),
        ("labels beyond the readout", npz_bytes(x=x, y=y + 7), True),
        ("labels enormous", npz_bytes(x=x, y=y * 10**12), True),
        ("x 1-D", npz_bytes(x=x.ravel(), y=y), True),
        ("x 5-D", npz_bytes(x=x[:, None, None], y=y), True),
        ("x of strings", npz_bytes(x=np.array(["a"] * 60), y=y), True),
        ("x of objects (pickle)", _pickled_npz(), True),
        ("x bool", npz_bytes(x=x > 100, y=y), True),
        ("no y", npz_bytes(x=x), True),
        ("no x", npz_bytes(y=y), True),
        ("no samples", npz_bytes(x=x[:0], y=y[:0]), True),
        ("one sample", npz_bytes(x=x[:1], y=y[:1]), True),
        ("empty features", npz_bytes(x=np.zeros((60, 0)), y=y), True),
        ("x_test other shape", npz_bytes(x=x, y=y, x_test=x[:, :2], y_test=y), True),
        ("truncated zip", good[: len(good) // 2], True),
        ("random bytes", bytes(rng.integers(0, 256, 5000, dtype=np.uint8)), True),
        ("empty file", b"", True),
        ("header claims 80 TB", huge_header, True),
        ("valid (control)", good, False),
        ("valid with x_test", npz_bytes(x=x, y=y, x_test=x[:20], y_test=y[:20]), False),
    ]


def _pickled_npz() -> bytes:
    buf = io.BytesIO()
    np.savez(buf, x=np.array([{"a": 1}] * 60, dtype=object), y=np.arange(60) % 3)
    return buf.getvalue()


def _npz_with_header(name: str, shape: tuple, base: bytes) -> bytes:
    """`base` npz plus an array whose header claims `shape` float64 but holds a few bytes."""
    hdr = io.BytesIO()
    np.lib.format.write_array_header_1_0(hdr, {"descr": "<f8", "fortran_order": False, "shape": shape})
    buf = io.BytesIO(base)
    with zipfile.ZipFile(buf, "a") as z:
        z.writestr(f"{name}.npy", hdr.getvalue() + b"\0" * 64)
    return buf.getvalue()


def bad_nir_files(rng: np.random.Generator, tmp: Path) -> list[tuple[str, bytes, bool]]:
    """Mutations of the shipped tiny NIR graph (HDF5), made with h5py on copies in `tmp`."""
    import h5py

    good = TINY_NIR.read_bytes()
    cases: list[tuple[str, bytes, bool]] = [
        ("truncated", good[: len(good) // 3], True),
        ("empty", b"", True),
        ("not HDF5", b"NIR" + bytes(rng.integers(0, 256, 4000, dtype=np.uint8)), True),
        ("valid (control)", good, False),
    ]
    for i in range(6):   # flipped bytes: may still read, then must give sane numbers
        b = bytearray(good)
        for _ in range(8):
            b[int(rng.integers(0, len(b)))] ^= 0xFF
        cases.append((f"flipped bytes {i}", bytes(b), False))

    def edit(name: str, fn, must: bool = True):
        p = tmp / f"nir_{len(cases)}.nir"
        p.write_bytes(good)
        with h5py.File(p, "a") as f:
            fn(f)
        cases.append((name, p.read_bytes(), must))

    nodes = "node/nodes"

    def put(key, value):
        def fn(f):
            shape = f[key].shape
            del f[key]
            f[key] = np.full(shape, value) if shape else value
        return fn

    edit("NaN weights", put(f"{nodes}/fc/weight", np.nan))
    edit("inf bias", put(f"{nodes}/conv/bias", np.inf))
    edit("NaN threshold", put(f"{nodes}/lif2/v_threshold", np.nan))
    edit("zero tau", put(f"{nodes}/lif1/tau", 0.0))
    edit("negative tau", put(f"{nodes}/lif1/tau", -1.0))
    edit("huge weights", put(f"{nodes}/fc/weight", 1e300))
    edit("zero threshold", put(f"{nodes}/lif2/v_threshold", 0.0), must=False)
    edit("unknown node type", put(f"{nodes}/pool/type", b"Delay"))
    edit("no such node in an edge", lambda f: _edges(f, [[b"input", b"nowhere"]]))
    edit("no edges", lambda f: _edges(f, []))
    edit("a cycle", lambda f: _edges(f, [[b"input", b"conv"], [b"conv", b"lif1"], [b"lif1", b"conv"],
                                         [b"lif1", b"output"]]))
    edit("node without parameters", lambda f: f.__delitem__(f"{nodes}/fc/weight"))
    edit("weight of the wrong shape", lambda f: (f.__delitem__(f"{nodes}/fc/weight"),
                                                 f.create_dataset(f"{nodes}/fc/weight", data=np.ones((3, 5)))))
    edit("input of negative shape", put(f"{nodes}/input/shape", -4))
    edit("input of huge shape", lambda f: (f.__delitem__(f"{nodes}/input/shape"),
                                           f.create_dataset(f"{nodes}/input/shape", data=[1, 10**9, 10**9])))
    edit("external link", lambda f: f.__setitem__("node/extra", h5py.ExternalLink("/etc/passwd", "/x")))
    edit("string weights", lambda f: (f.__delitem__(f"{nodes}/fc/weight"),
                                      f.create_dataset(f"{nodes}/fc/weight", data=np.array([b"w"] * 4))))
    return cases


def _edges(f, edges):
    del f["node/edges"]
    f.create_dataset("node/edges", data=np.array(edges, dtype=object).reshape(-1, 2),
                     dtype=__import__("h5py").string_dtype())


def bad_results(good: dict, rng: random.Random) -> list[tuple[str, bytes, bool]]:
    """Mutations of a valid results.json for `neurosim plot`."""
    def js(d) -> bytes:
        return json.dumps(d).encode()

    rec = good["records"][0]
    out = [("not JSON", b"{records: ", True), ("empty", b"", True), ("a list", b"[]", True),
           ("NaN literal", js(good).replace(b'"energy_per_inference_j": ', b'"energy_per_inference_j": NaN, "x": '),
            True),
           ("records not a list", js({**good, "records": {"a": 1}}), True),
           ("no records", js({**good, "records": []}), True),
           ("no provenance", js({"records": good["records"]}), True),
           ("record a string", js({**good, "records": ["r"]}), True),
           ("deep JSON", b"[" * 100000 + b"]" * 100000, True),
           ("valid (control)", js(good), False)]
    optional = ("core_load", "energy_per_inference_ci95_j", "latency_per_inference_ci95_s", "accuracy")
    for key in ["hardware", "sparsity", "energy_per_inference_j", "latency_per_inference_s", "cores_used",
                "energy_breakdown_j", "core_load", "energy_per_inference_ci95_j", "accuracy", "fits",
                "synapse_memory_bits", "synaptic_ops_per_inference"]:
        for bad in (None, "x", -5, [1], {"a": "b"}, "__BIG__"):
            raw = json.dumps({**good, "records": [{**rec, key: bad}]}).replace('"__BIG__"', "1e999")
            valid = (key == "hardware" and bad == "x") or (bad is None and key in optional)
            out.append((f"{key} = {bad}", raw.encode(), not valid))
    load = copy.deepcopy(rec.get("core_load") or {})
    if load:
        for k, bad in (("router_xy", [[10**9, 0]]), ("mesh_cols", 0), ("mesh_rows", 10**9), ("busy_cycles", [])):
            out.append((f"core_load.{k} = {str(bad)[:12]}",
                        js({**good, "records": [{**rec, "core_load": {**load, k: bad}}]}), True))
    return out


# --- the corpus -------------------------------------------------------------------------------------
def corpus(seed: int, tmp: Path, results_json: dict) -> list[Case]:
    """Every generated case (≥ 500) for `seed`; `tmp` is scratch space for building binary files;
    `results_json` a valid results.json document (for `plot`)."""
    rng = random.Random(seed)
    nrng = np.random.default_rng(seed)
    cases: list[Case] = []
    chip_docs = {p.stem: yaml.safe_load(p.read_text()) for p in CHIPS}
    wl_docs = {p.stem: yaml.safe_load(p.read_text()) for p in WORKLOADS}
    wl_docs["tiny"] = TINY
    wl_docs["nirwl"] = NIR_WL
    wl_docs["npzwl"] = NPZ_WL

    # 1. `validate` on mutated chips and workloads (the parser is the first line of defence)
    for i in range(300):
        name, doc = rng.choice(sorted(chip_docs.items()) if i % 2 else sorted(wl_docs.items()))
        bad, what, must = mutate(doc, rng)
        cases.append(Case(f"validate {name}: {what}", ["validate", "f.yaml"], {"f.yaml": dump(bad)}, must, 20))
    for name, raw, must in hostile_yaml(rng):
        cases.append(Case(f"validate hostile: {name}", ["validate", "f.yaml"], {"f.yaml": raw}, must, 20))
        cases.append(Case(f"run hostile workload: {name}", ["run", "f.yaml", "--out", "o"], {"f.yaml": raw}, must, 20))
        cases.append(Case(f"run hostile chip: {name}", ["run", "w.yaml", "--hw", "f.yaml", "--out", "o"],
                          {"w.yaml": dump(TINY), "f.yaml": raw}, must, 20))

    # 2. `run` end to end with a mutated chip, and with a mutated tiny workload
    for _ in range(45):
        name, doc = rng.choice(sorted(chip_docs.items()))
        bad, what, must = mutate(doc, rng)
        cases.append(Case(f"run on {name}: {what}", ["run", "w.yaml", "--hw", "c.yaml", "--out", "o"],
                          {"w.yaml": dump(TINY), "c.yaml": dump(bad)}, must))
    for _ in range(45):
        bad, what, must = mutate(TINY, rng)
        cases.append(Case(f"run tiny: {what}", ["run", "w.yaml", "--out", "o"], {"w.yaml": dump(bad)}, must))

    # 3. datasets (train), NIR files (run), results files (plot)
    for name, raw, must in bad_datasets(nrng):
        cases.append(Case(f"train npz: {name}", ["train", "w.yaml", "--out", "o"],
                          {"w.yaml": dump(NPZ_WL), "data.npz": raw}, must))
    for name, raw, must in bad_nir_files(nrng, tmp):
        cases.append(Case(f"run nir: {name}", ["run", "w.yaml", "--out", "o"],
                          {"w.yaml": dump(NIR_WL), "net.nir": raw}, must))
    for name, raw, must in bad_results(results_json, rng):
        cases.append(Case(f"plot: {name}", ["plot", "r.json", "--out", "p"], {"r.json": raw}, must, 30))

    # 4. command lines
    w = {"w.yaml": dump(TINY)}
    argvs = [
        (["run", "w.yaml", "--out", "afile"], {**w, "afile": b"x"}, True),
        (["run", "w.yaml", "--out", "afile/sub"], {**w, "afile": b"x"}, True),
        (["run", "w.yaml", "--hw", "nosuchchip", "--out", "o"], w, True),
        (["run", "w.yaml", "--hw", ".", "--out", "o"], w, True),
        (["run", "w.yaml", "--hw", "/dev/zero", "--out", "o"], w, True),
        (["run", "/dev/zero", "--out", "o"], {}, True),
        (["run", "nosuch.yaml", "--out", "o"], {}, True),
        (["run", "w.yaml", "--format", "bogus", "--out", "o"], w, True),
        (["run", "w.yaml", "--objective", "fastest", "--out", "o"], w, True),
        (["run", "w.yaml", "--out", "o", "--unknown-flag"], w, True),
        (["run"], {}, True),
        (["frobnicate"], {}, True),
        ([], {}, True),
        (["dse", "w.yaml", "--workers", "0", "--out", "o"], w, True),
        (["dse", "w.yaml", "--workers", "-3", "--out", "o"], w, True),
        (["dse", "w.yaml", "--workers", "many", "--out", "o"], w, True),
        (["dse", "w.yaml", "--vary", "nokey", "--out", "o"], w, True),
        (["dse", "w.yaml", "--vary", "core.max_neurons=", "--out", "o"], w, True),
        (["dse", "w.yaml", "--vary", "core.nosuch=1,2", "--out", "o"], w, True),
        (["dse", "w.yaml", "--vary", "core.max_neurons=-5,0", "--out", "o"], w, True),
        (["dse", "w.yaml", "--vary", "core.max_neurons=.nan", "--out", "o"], w, True),
        (["dse", "w.yaml", "--vary", "energy.synaptic_op_pj=-1", "--out", "o"], w, True),
        (["dse", "w.yaml", "--vary", "clock.frequency_hz=0", "--out", "o"], w, True),
        (["dse", "w.yaml", "--vary", "operating.point=nosuch", "--out", "o"], w, True),
        (["dse", "w.yaml", "--scheduler", "tcp://127.0.0.1:1", "--out", "o"], w, True),
        (["train", "w.yaml", "--seed", "-1"], w, True),
        (["train", "w.yaml", "--seed", "1e3"], w, True),
        (["train", "w.yaml"], w, True),   # a synthetic workload has nothing to train
        (["experiment", "pruning", "w.yaml", "--levels", "1.5", "--out", "o"], w, True),
        (["experiment", "pruning", "w.yaml", "--levels", "nan", "--out", "o"], w, True),
        (["experiment", "pruning", "w.yaml", "--seeds", "0", "--out", "o"], w, True),
        (["experiment", "pruning", "w.yaml", "--methods", "magic", "--out", "o"], w, True),
        (["map", "w.yaml", "--sparsity", "nan"], w, True),
        (["map", "w.yaml", "--sparsity", "-0.1"], w, True),
        (["map", "w.yaml", "--sparsity", "1"], w, True),
        (["plot", "nosuch.json", "--out", "p"], {}, True),
        (["plot", "/dev/zero", "--out", "p"], {}, True),
        (["validate"], {}, True),
        (["validation", "--chip", "nosuch"], {}, True),
        (["validation", "--fit", "loihi"], {}, True),
        (["run", "w.yaml", "--out", "o"], w, False),
        (["map", "w.yaml", "--sparsity", "0.5"], w, False),
        (["presets"], {}, False),
        (["--version"], {}, False),
    ]
    for argv, files, must in argvs:
        cases.append(Case("argv: " + " ".join(argv), argv, files, must, 30))

    # 5. damaged caches and points: a clean run, then damage, then the same run must succeed again
    for what in ("points truncated", "points garbage", "points bad checksum", "points NaN", "points emptied",
                 "points directory", "lock file garbage"):
        cases.append(Case(f"cache: {what}", ["run", "w.yaml", "--out", "o"], dict(w), False,
                          setup=_damage(what)))
    return cases


def _damage(what: str) -> Callable[[Path], None]:
    """A setup that runs the tiny workload once into o/, then damages what it left."""
    def setup(folder: Path) -> None:
        from neurosim.cli import main

        assert main(["run", "w.yaml", "--out", "o"]) == 0
        points = sorted((folder / "o" / "points").glob("*.json"))
        p = points[0]
        if what == "points truncated":
            p.write_bytes(p.read_bytes()[:40])
        elif what == "points garbage":
            p.write_bytes(b"\xff\xfe" * 100)
        elif what == "points bad checksum":
            d = json.loads(p.read_text())
            d["record"]["energy_per_inference_j"] *= 2
            p.write_text(json.dumps(d))
        elif what == "points NaN":
            p.write_text(p.read_text().replace('"sha256"', '"x": NaN, "sha256"'))
        elif what == "points emptied":
            p.write_bytes(b"")
        elif what == "points directory":
            p.unlink()
            p.mkdir()
        elif what == "lock file garbage":
            (folder / "o" / ".neurosim.lock").write_bytes(b"\xff" * 100)
    return setup

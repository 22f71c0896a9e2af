"""Runs that are killed, resumed, or run side by side into one folder: no lost or mixed results.

The command runs in subprocesses, as a user runs it: SIGKILL at seeded random moments, then the
same command again until it finishes; two runs started together into one `--out`.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from neurosim.cli import main

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")

WORKLOAD = {"name": "resume", "seed": 5, "timesteps": 10,
            "network": {"synthetic": {"sizes": [48, 32, 24, 6], "input_rate": 0.3, "target_rate": 0.2,
                                      "samples": 3}},
            "pruning": {"levels": [0.0, 0.3, 0.5, 0.7, 0.8, 0.9]}, "simulation": {"samples": 3},
            "hardware": ["generic_mesh", "loihi"]}


def _records(out: Path) -> list[dict]:
    """The records without the fields that measure wall time."""
    data = json.loads((out / "results.json").read_text())
    return [{k: v for k, v in r.items() if "seconds" not in k} for r in data["records"]]


def _command(wl: Path, out: Path) -> list[str]:
    return [sys.executable, "-m", "neurosim.cli", "run", str(wl), "--out", str(out)]


@pytest.fixture
def setup(tmp_path, monkeypatch):
    monkeypatch.setenv("NEUROSIM_CACHE", str(tmp_path / "cache"))
    wl = tmp_path / "w.yaml"
    wl.write_text(yaml.safe_dump(WORKLOAD))
    ref = tmp_path / "ref"
    assert main(["run", str(wl), "--out", str(ref)]) == 0
    return tmp_path, wl, _records(ref)


def test_killed_runs_resume_to_identical_records(setup):
    tmp_path, wl, reference = setup
    out = tmp_path / "killed"
    rng = random.Random(11)
    kills = 0
    for _ in range(6):
        p = subprocess.Popen(_command(wl, out), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                             env=os.environ.copy())
        time.sleep(rng.uniform(0.5, 3.0))
        if p.poll() is None:
            p.send_signal(signal.SIGKILL)
            kills += 1
        p.wait()
    done = subprocess.run(_command(wl, out), capture_output=True, text=True, env=os.environ.copy())
    assert done.returncode == 0, done.stderr[-500:]
    assert kills >= 1
    assert _records(out) == reference
    assert not list(out.glob(".*.tmp")) and not list(out.glob("points/.*.tmp"))   # no temporaries left


def test_two_runs_into_one_folder_never_lose_results(setup):
    tmp_path, wl, reference = setup
    out = tmp_path / "shared"
    procs = [subprocess.Popen(_command(wl, out), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                              env=os.environ.copy()) for _ in range(2)]
    results = [(p.wait(), p.stderr.read()) for p in procs]
    codes = sorted(code for code, _ in results)
    assert codes in ([0, 0], [0, 2]), results
    for code, err in results:
        if code == 2:
            errors = [ln for ln in err.splitlines() if "error:" in ln]
            assert len(errors) == 1 and "another neurosim run" in errors[0]
    assert _records(out) == reference


def test_a_failing_run_leaves_an_existing_folder_alone(setup, capsys):
    tmp_path, wl, reference = setup
    out = tmp_path / "kept"
    assert main(["run", str(wl), "--out", str(out)]) == 0
    assert main(["run", str(wl), "--hw", "nosuchchip", "--out", str(out)]) == 2
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump({**WORKLOAD, "timesteps": -1}))
    assert main(["run", str(bad), "--out", str(out)]) == 2
    assert _records(out) == reference and (out / "report.md").exists()


def test_a_held_lock_refuses_the_second_run(setup, capsys):
    from neurosim.files import output_folder

    tmp_path, wl, _ = setup
    out = tmp_path / "locked"
    holder = subprocess.Popen([sys.executable, "-c", "import sys, time; from pathlib import Path; "
                               "from neurosim.files import output_folder\n"
                               f"with output_folder(Path({str(out)!r})):\n"
                               "    print('held', flush=True); time.sleep(60)"],
                              stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        assert main(["run", str(wl), "--out", str(out)]) == 2
        err = capsys.readouterr().err
        assert f"pid {holder.pid}" in err and "another neurosim run" in err
    finally:
        holder.kill()
        holder.wait()
    with output_folder(out) as fresh:     # released when its holder dies: no stale lock
        assert fresh is False


def test_training_does_not_depend_on_the_blas_thread_count(tmp_path):
    """Training pins BLAS (snn.train.blas_threads): the weights are the same whatever the machine's
    BLAS thread setting (report.records.blas_info records both)."""
    script = ("import dataclasses, hashlib, numpy as np\n"
              "from neurosim.config import load_workload\nfrom neurosim.snn import train_workload\n"
              "wl = load_workload('digits_mlp')[0]\n"
              "m = dataclasses.replace(wl.network.model, epochs=2)\n"
              "wl = dataclasses.replace(wl, network=dataclasses.replace(wl.network, model=m))\n"
              "sd = train_workload(wl, progress=False, evaluate=False, use_cache=False).model.state_dict()\n"
              "print(hashlib.sha256(b''.join(np.ascontiguousarray(sd[k]).tobytes() for k in sorted(sd))).hexdigest())")
    digests = set()
    for threads in ("1", "2", "4"):
        env = {**os.environ, "OPENBLAS_NUM_THREADS": threads, "OMP_NUM_THREADS": threads,
               "NEUROSIM_CACHE": str(tmp_path / threads)}
        p = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env)
        assert p.returncode == 0, p.stderr[-500:]
        digests.add(p.stdout.strip())
    assert len(digests) == 1

"""The fuzz suite: every generated bad input (`corpus`) through the `neurosim` command, in process.

Each case must end in a valid run (exit 0, sane outputs) or in one line `neurosim: error: ...` with
exit 2 — never a traceback, never a hang (each case has a time bound), never a success on an input
that is invalid by construction (a "wrong success"), never NaN or a negative energy in the results.
The counts are printed at the end of the pytest run (conftest.py). `NEUROSIM_FUZZ_SEED` picks
another corpus (default 0: CI runs the same cases every time; any seed must pass).
"""

from __future__ import annotations

import contextlib
import io
import json
import math
import os
import signal
import time
import traceback
from collections import Counter
from pathlib import Path

import pytest

from neurosim.cli import main

from .corpus import TINY, Case, corpus, dump

SUMMARY: dict = {}


class Hang(Exception):
    pass


def _alarm(signum, frame):
    raise Hang()


def _sane_number(key: str, v) -> str | None:
    if isinstance(v, float) and not math.isfinite(v):
        return f"{key} = {v}"
    low = key.lower()
    if isinstance(v, int | float) and not isinstance(v, bool) and v < 0 and (
            "energy" in low or "power" in low or "latency" in low or low.endswith("_j") or "seconds" in low):
        return f"{key} = {v} < 0"
    return None


def insane_outputs(folder: Path) -> str | None:
    """What is wrong with the outputs of a successful run (None if nothing): results.json must be
    strict JSON whose every number is finite, with no negative energy, power or time."""
    for res in folder.rglob("results.json"):
        try:
            data = json.loads(res.read_text(), parse_constant=lambda c: (_ for _ in ()).throw(ValueError(c)))
        except ValueError as e:
            return f"{res.name}: not strict JSON ({e})"
        stack = [("", data)]
        while stack:
            key, v = stack.pop()
            if isinstance(v, dict):
                stack.extend((f"{key}.{k}" if key else str(k), x) for k, x in v.items())
            elif isinstance(v, list):
                stack.extend((key, x) for x in v)
            else:
                bad = _sane_number(key, v)
                if bad:
                    return f"{res.name}: {bad}"
        for r in data.get("records", []):
            if r.get("fits") and not r["latency_per_inference_s"] > 0:
                return f"{res.name}: latency {r['latency_per_inference_s']}"
    return None


def run_case(case: Case, folder: Path) -> tuple[str, str]:
    """(outcome, detail): outcome is ok, clean_error, traceback, hang, wrong_success or bad_exit."""
    folder.mkdir(parents=True)
    for name, raw in case.files.items():
        (folder / name).write_bytes(raw)
    cwd = os.getcwd()
    os.chdir(folder)
    err, out = io.StringIO(), io.StringIO()
    old = signal.signal(signal.SIGALRM, _alarm)
    signal.setitimer(signal.ITIMER_REAL, case.seconds)
    try:
        if case.setup is not None:
            with contextlib.redirect_stderr(io.StringIO()), contextlib.redirect_stdout(io.StringIO()):
                case.setup(folder)
        with contextlib.redirect_stderr(err), contextlib.redirect_stdout(out):
            code = main(case.argv)
    except Hang:
        return "hang", f"over {case.seconds} s"
    except BaseException as e:  # noqa: BLE001 - anything escaping main() is a traceback for the user
        return "traceback", "".join(traceback.format_exception_only(type(e), e)).strip()[:300]
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)
        os.chdir(cwd)
    lines = [ln for ln in err.getvalue().splitlines() if ln.strip()]
    errors = [ln for ln in lines if "error:" in ln]
    if "Traceback" in err.getvalue():
        return "traceback", err.getvalue()[-300:]
    if code == 2:
        if len(errors) != 1 or not errors[0].startswith("neurosim"):
            return "bad_exit", f"exit 2 with {len(errors)} error lines: {errors[:2]}"
        if len(errors[0]) > 1000:
            return "bad_exit", f"an error line of {len(errors[0])} characters"
        return "clean_error", errors[0]
    if code != 0:
        return "bad_exit", f"exit {code}: {lines[-1:] if lines else ''}"
    if case.must_fail:
        return "wrong_success", "exit 0 on an input that is invalid by construction"
    problem = insane_outputs(folder)
    if problem:
        return "wrong_success", problem
    return "ok", ""


@pytest.fixture(scope="module")
def results_json(tmp_path_factory) -> dict:
    """A valid results.json (and numba's kernels compiled, outside every case's time bound)."""
    d = tmp_path_factory.mktemp("good")
    (d / "w.yaml").write_bytes(dump(TINY))
    with contextlib.redirect_stderr(io.StringIO()), contextlib.redirect_stdout(io.StringIO()):
        assert main(["run", str(d / "w.yaml"), "--out", str(d / "o")]) == 0
    return json.loads((d / "o" / "results.json").read_text())


def test_every_bad_input_ends_cleanly(tmp_path, monkeypatch, results_json):
    monkeypatch.setenv("NEUROSIM_CACHE", str(tmp_path / "cache"))
    seed = int(os.environ.get("NEUROSIM_FUZZ_SEED", "0"))
    cases = corpus(seed, tmp_path, results_json)
    assert len(cases) >= 500
    outcomes: Counter = Counter()
    failures = []
    t0 = time.perf_counter()
    for i, case in enumerate(cases):
        outcome, detail = run_case(case, tmp_path / f"case{i}")
        outcomes[outcome] += 1
        if outcome not in ("ok", "clean_error"):
            failures.append(f"[{outcome}] {case.name} (neurosim {' '.join(case.argv)}): {detail}")
    SUMMARY.update(seed=seed, cases=len(cases), seconds=time.perf_counter() - t0, **outcomes)
    assert not failures, f"{len(failures)} of {len(cases)} cases failed:\n" + "\n".join(failures)

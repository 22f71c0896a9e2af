"""Progress output: lines with an ETA off a terminal, nothing when quiet, details only when verbose."""

import io

import pytest

from neurosim import progress


@pytest.fixture(autouse=True)
def normal():
    progress.set_verbosity(progress.NORMAL)
    yield
    progress.set_verbosity(progress.NORMAL)


def test_lines_count_and_estimate_what_is_left(capsys, monkeypatch):
    times = iter([0.0, 10.0, 20.0, 40.0])
    monkeypatch.setattr(progress.time, "perf_counter", lambda: next(times))
    with progress.bar(4, "job:", unit="point") as b:       # stderr is no terminal here: lines
        b.update(1, "first")                                 # 10 s for 1 of 4: 30 s left
        b.update(2)                                          # 20 s for 3 of 4: about 7 s left
    err = capsys.readouterr().err.splitlines()
    assert err == ["[neurosim] job: 1/4: first (0:10, about 0:30 left)", "[neurosim] job: 3/4 (0:20, about 0:07 left)"]


def test_quiet_and_verbose(capsys):
    progress.set_verbosity(progress.QUIET)
    with progress.bar(2, "job:") as b:
        b.update(2)
    progress.say("hello")
    assert capsys.readouterr().err == ""
    progress.set_verbosity(progress.NORMAL)
    progress.say("detail", progress.VERBOSE)
    progress.say("normal")
    assert capsys.readouterr().err == "normal\n"


def test_a_terminal_gets_a_tqdm_bar(monkeypatch):
    pytest.importorskip("tqdm")
    tty = io.StringIO()
    tty.isatty = lambda: True
    monkeypatch.setattr(progress.sys, "stderr", tty)
    with progress.bar(3, "job:", unit="point") as b:
        assert isinstance(b, progress._Tqdm)
        progress.say("a line above the bar")
        b.update(3, "done")
    out = tty.getvalue()
    assert "a line above the bar" in out and "3/3" in out and "done" in out

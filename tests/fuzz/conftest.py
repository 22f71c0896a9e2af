"""Print the fuzz suite's counts at the end of the pytest run (they are the suite's report)."""

from __future__ import annotations


def pytest_terminal_summary(terminalreporter) -> None:
    from .test_fuzz import SUMMARY

    if SUMMARY:
        s = SUMMARY
        terminalreporter.write_line(
            f"fuzz (seed {s['seed']}): {s['cases']} cases in {s['seconds']:.0f} s: {s.get('ok', 0)} valid runs, "
            f"{s.get('clean_error', 0)} clean errors (one line, exit 2), tracebacks {s.get('traceback', 0)}, "
            f"hangs {s.get('hang', 0)}, wrong successes {s.get('wrong_success', 0)}, "
            f"other exits {s.get('bad_exit', 0)}")

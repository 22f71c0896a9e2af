"""What a long run shows while it works, on stderr: a progress bar with an ETA on a terminal (tqdm,
from the `progress` extra), else one line per step with the ETA; `-q` shows only errors, `-v` adds
detail. Everything goes through `say` and `bar`, so the verbosity is set in one place.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager

QUIET, NORMAL, VERBOSE = 0, 1, 2
_state = {"level": NORMAL, "bar": None}


def set_verbosity(level: int) -> None:
    _state["level"] = level


def verbosity() -> int:
    return _state["level"]


def say(msg: str, level: int = NORMAL) -> None:
    """One line on stderr at verbosity `level` or above (printed above an active bar, not into it)."""
    if _state["level"] < level:
        return
    active = _state["bar"]
    if active is not None and hasattr(active, "write"):
        active.write(msg, file=sys.stderr)
    else:
        print(msg, file=sys.stderr, flush=True)


def _eta(seconds: float) -> str:
    s = int(round(seconds))
    return f"{s // 3600}:{s // 60 % 60:02d}:{s % 60:02d}" if s >= 3600 else f"{s // 60}:{s % 60:02d}"


class _Lines:
    """The bar where no terminal (or no tqdm) is: a line per update with the count and the ETA."""

    def __init__(self, total: int, desc: str):
        self.total, self.desc, self.n, self.t0 = total, desc, 0, time.perf_counter()

    def update(self, n: int = 1, note: str = "") -> None:
        self.n += n
        spent = time.perf_counter() - self.t0
        eta = f", about {_eta(spent / self.n * (self.total - self.n))} left" if 0 < self.n < self.total else ""
        say(f"[neurosim] {self.desc} {self.n}/{self.total}{': ' + note if note else ''} ({_eta(spent)}{eta})")

    def close(self) -> None:
        pass


class _Tqdm:
    def __init__(self, total: int, desc: str, unit: str):
        from tqdm import tqdm

        self._bar = tqdm(total=total, desc=f"[neurosim] {desc}", unit=unit, file=sys.stderr, dynamic_ncols=True,
                         leave=True)
        self.write = self._bar.write

    def update(self, n: int = 1, note: str = "") -> None:
        if note:
            self._bar.set_postfix_str(note, refresh=False)
        self._bar.update(n)

    def close(self) -> None:
        self._bar.close()


class _Silent:
    def update(self, n: int = 1, note: str = "") -> None:
        pass

    def close(self) -> None:
        pass


@contextmanager
def bar(total: int, desc: str, unit: str = "step", show: bool = True) -> Iterator:
    """A progress bar over `total` steps (`.update(n, note)`); silent when quiet or `show` is false, a
    tqdm bar on a terminal when tqdm is installed, else lines. Bars do not nest: an inner one is lines."""
    if not show or _state["level"] < NORMAL or total <= 0:
        b = _Silent()
    elif _state["bar"] is None and sys.stderr.isatty() and _has_tqdm():
        b = _Tqdm(total, desc, unit)
    else:
        b = _Lines(total, desc)
    outer = _state["bar"]
    if outer is None and isinstance(b, _Tqdm):
        _state["bar"] = b
    try:
        yield b
    finally:
        b.close()
        _state["bar"] = outer


def _has_tqdm() -> bool:
    try:
        import tqdm  # noqa: F401
    except ImportError:
        return False
    return True

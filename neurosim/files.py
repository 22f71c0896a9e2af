"""File handling shared by every stage: caches that turn out corrupt are set aside, never fatal."""

from __future__ import annotations

import hashlib
import re
import sys
from pathlib import Path

import numpy as np


def arrays_digest(header: str, arrays: dict[str, np.ndarray]) -> str:
    """SHA-256 over a text header and named arrays (names, dtypes, shapes and bytes): the checksum
    that cache files carry, so a damaged one is told from a good one."""
    h = hashlib.sha256(header.encode())
    for k in sorted(arrays):
        a = np.ascontiguousarray(arrays[k])
        h.update(f"{k}:{a.dtype.str}:{a.shape}".encode())
        h.update(a.tobytes())
    return h.hexdigest()


def safe_stem(name: str) -> str:
    """`name` made safe as part of a file name: only letters, digits and _ . - (no separators, no
    leading dot), at most 60 characters. Config names are validated already; this is the second lock."""
    return re.sub(r"[^A-Za-z0-9_.-]", "_", name)[:60].lstrip(".") or "unnamed"


def set_aside(path: Path, why: str) -> Path | None:
    """Rename an unusable cache file to `<name>.corrupt` (kept for inspection, replaced by the next
    one), say so in one line on stderr, and return the new path (None if it could not be moved; the
    caller recomputes either way)."""
    target = path.with_name(path.name + ".corrupt")
    try:
        path.replace(target)
    except OSError:
        target = None
    kept = f"; kept as {target.name}" if target else ""
    print(f"neurosim: warning: {why}; recomputing{kept}", file=sys.stderr, flush=True)
    return target

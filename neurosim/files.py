"""File handling shared by every stage: bounded reads of user files, atomic writes, one run per
output folder, and caches that turn out corrupt set aside, never fatal."""

from __future__ import annotations

import hashlib
import os
import re
import stat
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np

from neurosim.errors import ConfigError, UserError

LOCK_NAME = ".neurosim.lock"


def cache_root() -> Path:
    """Where neurosim caches what it computed (trained networks, pruned levels, synthetic networks,
    numba's compiled kernels): $NEUROSIM_CACHE, else $XDG_CACHE_HOME/neurosim, else ~/.cache/neurosim.
    Never inside the installed package, which may be read-only or replaced by the next install."""
    root = os.environ.get("NEUROSIM_CACHE")
    if root:
        return Path(root)
    xdg = os.environ.get("XDG_CACHE_HOME")
    return (Path(xdg) if xdg else Path.home() / ".cache") / "neurosim"


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


def display_path(path: str | Path) -> str:
    """A path as a user would write it in a command: a shipped preset as `hwconfigs/<name>.yaml` (or
    workloads/...), a file under the current folder relative to it, anything else absolute. Keeps
    machine-specific prefixes out of results (provenance)."""
    p = Path(path)
    package = Path(__file__).resolve().parent
    try:
        full = p.resolve()
    except OSError:
        return str(p)
    for root in (package, package.parent):
        for kind in ("hwconfigs", "workloads"):
            if full.parent == root / kind or (root / kind) in full.parents:
                return str(full.relative_to(root))
    try:
        return str(full.relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(full)


def file_sha256(path: Path) -> str:
    """SHA-256 of a file's bytes, read in blocks (datasets can be large)."""
    h = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _size(n: int) -> str:
    return f"{n / 2**30:.1f} GiB" if n >= 2**30 else f"{n / 2**20:.1f} MiB" if n >= 2**20 else f"{n} bytes"


def checked_file(path: str | Path, limit: int, what: str) -> Path:
    """`path` if it is a regular file of at most `limit` bytes; else one clear error. Special files
    (/dev/zero, a FIFO) would be read forever, and a file larger than any `what` is a wrong file."""
    p = Path(path)
    try:
        st = p.stat()
    except FileNotFoundError:
        raise ConfigError(f"{p}: file not found") from None
    except OSError as e:
        raise ConfigError(f"{p}: cannot read file ({e.strerror})") from None
    if not stat.S_ISREG(st.st_mode):
        raise ConfigError(f"{p}: not a regular file; give the path of a {what}")
    if st.st_size > limit:
        raise ConfigError(f"{p}: {_size(st.st_size)}, larger than any {what} neurosim reads ({_size(limit)}); "
                          f"check that this is the right file")
    return p


def read_limited(path: str | Path, limit: int, what: str) -> bytes:
    """The bytes of regular file `path` (see `checked_file`); a file that grows past `limit` while
    being read is refused too."""
    p = checked_file(path, limit, what)
    try:
        with p.open("rb") as f:
            data = f.read(limit + 1)
    except OSError as e:
        raise ConfigError(f"{p}: cannot read file ({e.strerror})") from None
    if len(data) > limit:
        raise ConfigError(f"{p}: larger than any {what} neurosim reads ({_size(limit)})")
    return data


def npz_headers(path: Path) -> dict[str, tuple[tuple[int, ...], np.dtype]]:
    """{array name: (shape, dtype)} of an .npz file, read from the array headers only (no data is
    decompressed, so a small file that would expand to terabytes is seen for what it is). Raises
    ValueError (or zipfile.BadZipFile, OSError) when the file is not an npz."""
    import zipfile

    out = {}
    fmt = np.lib.format
    with zipfile.ZipFile(path) as z:
        for name in z.namelist():
            if name.endswith(".npy"):
                with z.open(name) as f:
                    major, _ = fmt.read_magic(f)
                    read = fmt.read_array_header_1_0 if major == 1 else fmt.read_array_header_2_0
                    shape, _, dtype = read(f)
                out[name[:-4]] = (tuple(int(d) for d in shape), dtype)
    return out


def write_atomic(path: Path, data: str | bytes) -> None:
    """Write `path` through a temporary file of a unique name in the same folder, then rename it: a
    crash never leaves a half-written file, and two runs writing the same file never share a
    temporary."""
    raw = data.encode() if isinstance(data, str) else data
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(raw)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _lock(fd: int) -> bool:
    """Take an exclusive, non-blocking lock on open file `fd`; False if another process holds it.
    The operating system releases it when the process ends, however it ends (no stale locks)."""
    try:
        import fcntl
    except ImportError:  # Windows
        import msvcrt

        try:
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
            return True
        except OSError:
            return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return True
    except BlockingIOError:
        return False


@contextmanager
def output_folder(out: Path, option: str = "--out") -> Iterator[bool]:
    """Own output folder `out` for one run: create it, lock it (a second run into the same folder is
    refused in one line instead of mixing files with the first or deleting them), and yield whether
    this run created it. If the run fails with a user error in a folder it created, the folder is
    removed: everything in it is this run's (the lock kept other runs out)."""
    import shutil

    fresh = not out.exists()
    try:
        out.mkdir(parents=True, exist_ok=True)
    except FileExistsError:
        raise UserError(f"{option} {out}: is a file, not a folder; give a folder name") from None
    except NotADirectoryError:
        raise UserError(f"{option} {out}: a part of the path is a file, not a folder; give a folder name") from None
    except OSError as e:
        raise UserError(f"{option} {out}: cannot create the folder ({e.strerror}); give a writable folder") from None
    if not out.is_dir():
        raise UserError(f"{option} {out}: is a file, not a folder; give a folder name")
    try:
        fd = os.open(out / LOCK_NAME, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as e:
        raise UserError(f"{option} {out}: cannot write there ({e.strerror}); give a writable folder") from None
    try:
        if not _lock(fd):
            os.lseek(fd, 0, os.SEEK_SET)
            other = os.read(fd, 32).decode(errors="replace").strip() or "?"
            raise UserError(f"{option} {out}: another neurosim run (pid {other}) is writing there; wait for it to "
                            f"finish or give another {option}")
        os.ftruncate(fd, 0)
        os.lseek(fd, 0, os.SEEK_SET)
        os.write(fd, f"{os.getpid()}\n".encode())
        try:
            yield fresh
        except UserError:
            if fresh:
                shutil.rmtree(out, ignore_errors=True)
            raise
    finally:
        os.close(fd)


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

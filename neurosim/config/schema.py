"""A small typed-node base for YAML files: frozen dataclasses whose fields declare their docs,
units and allowed values, parsed with errors that carry the file and the key path.

Every top-level section of a chip or workload file maps to one dataclass (the TimeloopFE
pattern). The same field metadata generates `docs/config_reference.md`, so the reference of
YAML keys cannot drift from the parser.
"""

from __future__ import annotations

import bisect
import dataclasses
import hashlib
import math
import re
import types
import typing
from dataclasses import MISSING, dataclass
from pathlib import Path
from typing import Any, Literal

import yaml

from neurosim.errors import ConfigError

MAX_INT = 2**53
_NUMBER = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$")


# A name from a user file ends up in file names (caches, plots): a name, never a path.
NAME_PATTERN = r"[A-Za-z0-9][A-Za-z0-9_.+=,\[\]-]{0,119}"


def spec(doc: str, *, default: Any = MISSING, unit: str | None = None, min: float | None = None,
         max: float | None = None, min_len: int | None = None, pattern: str | None = None) -> Any:
    """Declare a config field: its documentation, unit, range, default and (strings) the pattern it must match."""
    meta = {"doc": doc, "unit": unit, "min": min, "max": max, "min_len": min_len, "pattern": pattern}
    if isinstance(default, list):
        default = tuple(default)  # config objects are frozen: lists become tuples
    return dataclasses.field(default=default, metadata=meta)


@dataclass(frozen=True, kw_only=True)
class Quantity:
    """A number that must say where it comes from: a paper and table, or `assumed: why`."""

    value: float = spec("the number, in the unit the key names (an energy, time or power: >= 0)", min=0.0)
    source: str = spec("paper and table it comes from, or 'assumed: <reason>'")


def zero(why: str = "not modelled (0)") -> Quantity:
    """The default of an optional figure: 0, saying so."""
    return Quantity(value=0.0, source=f"default: {why}")


@dataclass(frozen=True, kw_only=True)
class Curve:
    """A figure that depends on a count, given at points [count, value] (sorted by count, counts
    >= 1), read linearly in log2(count) between and beyond the points (e.g. a barrier that grows by a
    fixed time per doubling of the tiles it spans)."""

    points: tuple[tuple[float, ...], ...] = spec("[[count, value], ...] with increasing counts >= 1", min_len=1)
    source: str = spec("paper and table the points come from, or 'assumed: <reason>'")

    def check(self):
        xs = []
        for i, p in enumerate(self.points):
            if len(p) != 2 or p[0] < 1 or p[1] < 0:
                return (f"points[{i}]", list(p), "a pair [count >= 1, value >= 0]")
            xs.append(p[0])
        if any(b <= a for a, b in zip(xs, xs[1:], strict=False)):
            return ("points", [list(p) for p in self.points], "points with strictly increasing counts")
        return None

    def at_log2(self, count: float) -> float:
        """The value at `count`: piecewise linear in log2(count), extended along the end segments
        (never below 0)."""
        if len(self.points) == 1:
            return float(self.points[0][1])
        lx = [math.log2(p[0]) for p in self.points]
        ys = [float(p[1]) for p in self.points]
        x = math.log2(count)
        i = min(max(bisect.bisect_right(lx, x) - 1, 0), len(lx) - 2)   # the segment at x, or an end one
        y = ys[i] + (ys[i + 1] - ys[i]) * (x - lx[i]) / (lx[i + 1] - lx[i])
        return max(y, 0.0)


def _describe(tp: Any) -> str:
    origin = typing.get_origin(tp)
    if origin is Literal:
        return "one of " + ", ".join(repr(a) for a in typing.get_args(tp))
    if origin in (types.UnionType, typing.Union):
        return " or ".join(_describe(a) for a in typing.get_args(tp) if a is not type(None)) + " or null"
    if origin is tuple:
        return f"a list of {_describe(typing.get_args(tp)[0])}"
    if dataclasses.is_dataclass(tp):
        return "a mapping {" + ", ".join(f.name for f in dataclasses.fields(tp)) + "}"
    return {int: "an integer", float: "a number", bool: "true or false", str: "a string"}.get(tp, str(tp))


class _Ctx:
    def __init__(self, file: str):
        self.file = file

    def fail(self, path: str, value: Any, allowed: str) -> typing.NoReturn:
        try:
            shown = repr(value)
        except ValueError:  # an integer with more digits than Python will print
            shown = "<an integer of more than 4300 digits>"
        if len(shown) > 60:
            shown = shown[:57] + "..."
        raise ConfigError(f"{self.file}: {path}: got {shown}; expected {allowed}")


def _convert(tp: Any, value: Any, path: str, ctx: _Ctx, meta: dict) -> Any:
    origin = typing.get_origin(tp)
    if origin in (types.UnionType, typing.Union):
        args = [a for a in typing.get_args(tp) if a is not type(None)]
        if value is None:
            return None
        if len(args) == 1:
            return _convert(args[0], value, path, ctx, meta)
        for a in args:
            try:
                return _convert(a, value, path, ctx, meta)
            except ConfigError:
                continue
        ctx.fail(path, value, _describe(tp))
    if origin is Literal:
        if value not in typing.get_args(tp):
            ctx.fail(path, value, _describe(tp))
        return value
    if origin is tuple:
        if not isinstance(value, list):
            ctx.fail(path, value, _describe(tp))
        if meta.get("min_len") and len(value) < meta["min_len"]:
            ctx.fail(path, value, f"at least {meta['min_len']} entries")
        elem = typing.get_args(tp)[0]
        return tuple(_convert(elem, v, f"{path}[{i}]", ctx, meta) for i, v in enumerate(value))
    if dataclasses.is_dataclass(tp):
        if not isinstance(value, dict):
            ctx.fail(path, value, _describe(tp))
        return parse_node(tp, value, path, ctx)
    if tp is bool:
        if not isinstance(value, bool):
            ctx.fail(path, value, "true or false")
        return value
    if tp is int:
        if isinstance(value, bool) or not isinstance(value, int):
            ctx.fail(path, value, "an integer" + _range_text(meta))
        _check_range(value, path, ctx, meta, "an integer")
        if abs(value) > MAX_INT:  # every count and size is used as a 64-bit integer or a float
            ctx.fail(path, value, f"an integer of magnitude at most 2^53{_range_text(meta)}")
        return value
    if tp is float:
        if isinstance(value, str) and _NUMBER.match(value.strip()):
            value = float(value)  # PyYAML reads 1e9 (no dot) as a string
        if isinstance(value, bool) or not isinstance(value, int | float):
            ctx.fail(path, value, "a number" + _range_text(meta))
        try:
            x = float(value)
        except OverflowError:  # an integer too large for a float
            x = math.inf
        if not math.isfinite(x):  # NaN passes every comparison; inf and 1e400 are no figures either
            ctx.fail(path, value, "a finite number" + _range_text(meta))
        _check_range(x, path, ctx, meta, "a number", shown=value)
        return x
    if tp is str:
        if not isinstance(value, str) or not value.strip():
            ctx.fail(path, value, "a non-empty string")
        pat = meta.get("pattern")
        if pat and not re.fullmatch(pat, value):
            ctx.fail(path, value, "a name of letters, digits and _ . - (at most 120 characters, no / or spaces)")
        return value
    raise TypeError(f"unsupported config type {tp!r} at {path}")  # programming error, not user error


def _range_text(meta: dict) -> str:
    lo, hi = meta.get("min"), meta.get("max")
    if lo is not None and hi is not None:
        return f" in [{lo}, {hi}]"
    if lo is not None:
        return f" >= {lo}"
    if hi is not None:
        return f" <= {hi}"
    return ""


def _check_range(value: float, path: str, ctx: _Ctx, meta: dict, kind: str, shown: Any = None) -> None:
    lo, hi = meta.get("min"), meta.get("max")
    if (lo is not None and value < lo) or (hi is not None and value > hi):
        ctx.fail(path, value if shown is None else shown, kind + _range_text(meta))


def parse_node(cls: type, data: dict, path: str, ctx: _Ctx) -> Any:
    """Build dataclass `cls` from mapping `data`; unknown keys and missing required keys are errors."""
    fields = {f.name: f for f in dataclasses.fields(cls) if not f.metadata.get("internal")}
    hints = typing.get_type_hints(cls)
    prefix = f"{path}." if path else ""
    moved = getattr(cls, "MOVED", {})
    for key in data:
        if key in moved and key not in fields:
            raise ConfigError(f"{ctx.file}: {prefix}{key}: this key has moved; write it as {moved[key]} "
                              f"(docs/config_reference.md)")
        if key not in fields:
            known = ", ".join(fields)
            raise ConfigError(f"{ctx.file}: {prefix}{key}: unknown key; allowed keys here: {known}")
    kwargs = {}
    for name, f in fields.items():
        key_path = f"{prefix}{name}"
        if name in data:
            kwargs[name] = _convert(hints[name], data[name], key_path, ctx, dict(f.metadata))
        elif f.default is MISSING and f.default_factory is MISSING:
            raise ConfigError(f"{ctx.file}: {key_path}: missing required key ({f.metadata.get('doc', '')}); "
                              f"expected {_describe(hints[name])}")
    obj = cls(**kwargs)
    check = getattr(obj, "check", None)
    if check is not None:
        problem = check()
        if problem:
            key, value, allowed = problem
            ctx.fail(f"{prefix}{key}" if key else (path or "<top level>"), value, allowed)
    return obj


MAX_YAML_BYTES = 1 << 20      # a chip or workload file is a few kB
MAX_YAML_DEPTH = 32           # the deepest real file nests 5 levels
MAX_YAML_NODES = 100_000      # after expanding aliases: a 4 kB alias bomb expands to 10^9


class _BoundedLoader(yaml.SafeLoader):
    """PyYAML's safe loader (plain data only, never objects) that refuses nesting deeper than
    MAX_YAML_DEPTH while composing, before the recursion can overflow."""

    def compose_node(self, parent, index):
        self._depth = getattr(self, "_depth", 0) + 1
        try:
            if self._depth > MAX_YAML_DEPTH:
                raise _TooBig(f"nested deeper than {MAX_YAML_DEPTH} levels")
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


class _TooBig(Exception):
    pass


def _check_expanded(data: Any) -> None:
    """Refuse data whose expansion (aliases counted at every use, as every later step walks them)
    exceeds MAX_YAML_NODES nodes or MAX_YAML_DEPTH levels; stops as soon as it does."""
    stack, seen = [(data, 1)], 0
    while stack:
        node, depth = stack.pop()
        seen += 1
        if seen > MAX_YAML_NODES:
            raise _TooBig(f"more than {MAX_YAML_NODES} values once its aliases (*name) are expanded")
        if depth > MAX_YAML_DEPTH:
            raise _TooBig(f"nested deeper than {MAX_YAML_DEPTH} levels once its aliases (*name) are expanded")
        if isinstance(node, dict):
            stack.extend((v, depth + 1) for v in node.values())
            stack.extend((k, depth + 1) for k in node)
        elif isinstance(node, list):
            stack.extend((v, depth + 1) for v in node)


def read_yaml(path: str | Path) -> tuple[dict, str]:
    """Read a YAML mapping; return it with the SHA-256 of the file's bytes (for provenance). Bounded:
    a regular file of at most 1 MiB, nesting and alias expansion limited, integers of sane length."""
    from neurosim.files import read_limited

    p = Path(path)
    raw = read_limited(p, MAX_YAML_BYTES, "chip or workload YAML file")
    try:
        data = yaml.load(raw.decode("utf-8"), Loader=_BoundedLoader)  # noqa: S506 - a SafeLoader subclass
        _check_expanded(data)
    except (yaml.YAMLError, UnicodeDecodeError) as e:
        mark = getattr(e, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise ConfigError(f"{p}: not valid YAML{where}: {getattr(e, 'problem', e)}") from None
    except _TooBig as e:
        raise ConfigError(f"{p}: refused: the YAML is {e}; a chip or workload file is a small mapping") from None
    except ValueError as e:  # an integer literal longer than Python converts (4300 digits)
        raise ConfigError(f"{p}: not valid YAML: a value cannot be read ({str(e).split(';')[0]})") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{p}: the file must hold a YAML mapping of keys, got {type(data).__name__}")
    return data, hashlib.sha256(raw).hexdigest()


def load_node(cls: type, path: str | Path) -> tuple[Any, str]:
    """Parse file `path` into dataclass `cls`; returns (object, sha256 of the file)."""
    data, digest = read_yaml(path)
    return parse_node(cls, data, "", _Ctx(str(path))), digest


def parse_mapping(cls: type, data: dict, file: str = "<dict>") -> Any:
    """Parse an in-memory mapping (tests, programmatic use) with the same checks as a file."""
    return parse_node(cls, data, "", _Ctx(file))


def reference_markdown(cls: type, title: str, path: str = "") -> list[str]:
    """Markdown lines documenting every key of `cls` (recursively), from the field metadata."""
    lines: list[str] = []
    if not path:
        lines += [f"## {title}", "", "| key | type | unit | default | meaning |", "|---|---|---|---|---|"]
    hints = typing.get_type_hints(cls)
    for f in dataclasses.fields(cls):
        if f.metadata.get("internal"):
            continue
        tp = hints[f.name]
        key = f"{path}{f.name}"
        inner = tp
        if typing.get_origin(tp) in (types.UnionType, typing.Union):
            args = [a for a in typing.get_args(tp) if a is not type(None)]
            inner = args[0] if len(args) == 1 else tp
        if inner is Quantity:
            kind = "{value, source}"
        elif dataclasses.is_dataclass(inner):
            kind = "mapping"
        else:
            kind = _describe(tp)
        if isinstance(f.default, Quantity):
            default = f"`{f.default.value:g}`"
        elif f.default is not MISSING and dataclasses.is_dataclass(f.default):
            default = "see below"
        elif f.default is not MISSING:
            default = f"`{f.default!r}`"
        elif f.default_factory is not MISSING:
            default = f"`{f.default_factory()!r}`"
        else:
            default = "required"
        unit = f.metadata.get("unit") or ""
        lines.append(f"| `{key}` | {kind} | {unit} | {default} | {f.metadata.get('doc', '')} |")
        if dataclasses.is_dataclass(inner) and inner is not Quantity:
            lines += reference_markdown(inner, title, key + ".")
    return lines

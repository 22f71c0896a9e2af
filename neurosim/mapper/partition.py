"""Partitioning: split each population into consecutive chunks that fit one core, then pack chunks
of different layers into shared cores where the chip allows it.

Chunking is greedy-maximal (binary search on the chunk end). Every budget is monotone in the
chunk, so the greedy split is the fewest chunks per layer, and since pruning only removes
synapses, a sparser network never needs more chunks (DESIGN §5).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from neurosim.config.hardware import Hardware
from neurosim.errors import FitError
from neurosim.ir.network import Network, Projection
from neurosim.mapper.formats import FORMATS, memory_bits


@dataclass(frozen=True)
class Chunk:
    """Neurons [start, stop) of one population, with the budgets they use on a core."""

    population: str
    start: int
    stop: int
    synapse_bits: int
    fan_in: int

    @property
    def neurons(self) -> int:
        return self.stop - self.start


class _Incoming:
    """One projection's synapses ordered by target, for fast per-chunk cost evaluation."""

    def __init__(self, net: Network, pr: Projection, pre_key: int):
        order = np.argsort(pr.post_idx, kind="stable")
        self.pr = pr
        self.post = pr.post_idx[order]
        self.pre = pr.pre_idx[order].astype(np.int64)
        self.n_pre = net.pop(pr.pre).size
        self.pre_key = pre_key  # distinguishes source populations when counting axons
        self.hw_per_channel = None
        if pr.conv is not None and pr.kernel is not None:
            _, h, w = pr.conv.out_shape
            self.hw_per_channel = h * w
            self.kernel_nnz = np.count_nonzero(pr.kernel.reshape(pr.kernel.shape[0], -1), axis=1)

    def slice(self, a: int, b: int) -> np.ndarray:
        lo, hi = np.searchsorted(self.post, [a, b])
        return self.pre[lo:hi]

    def kernel_entries(self, a: int, b: int) -> int:
        c0, c1 = a // self.hw_per_channel, (b - 1) // self.hw_per_channel
        return int(self.kernel_nnz[c0:c1 + 1].sum())

    def rows(self, a: int, b: int, fmt: str) -> tuple[np.ndarray, np.ndarray]:
        """(source ids, nnz per row) of the rows this projection stores for targets [a, b)."""
        pre = self.slice(a, b)
        src, nnz = np.unique(pre, return_counts=True)
        if fmt == "dense" and self.pr.kind == "dense":
            full = np.zeros(self.n_pre, np.int64)
            full[src] = nnz
            return np.arange(self.n_pre), full
        return src, nnz


def supported_formats(pr: Projection, hw: Hardware) -> list[str]:
    fmts = [f for f in hw.core.synapse_formats if f != "conv_shared"]
    if "conv_shared" in hw.core.synapse_formats and hw.core.weight_sharing and pr.kernel is not None:
        fmts.append("conv_shared")
    return fmts


def chunk_cost(inc: list[_Incoming], formats: dict[str, str], a: int, b: int, hw: Hardware) -> tuple[int, int]:
    """(synapse bits, fan-in axons) of targets [a, b) of one population."""
    bits = 0
    sources = []
    for x in inc:
        fmt = formats[x.pr.name]
        src, nnz = x.rows(a, b, fmt)
        ke = x.kernel_entries(a, b) if fmt == "conv_shared" else 0
        bits += memory_bits(fmt, nnz, b - a, hw.core, ke)
        sources.append(src + (x.pre_key << 32))
    fan_in = int(np.unique(np.concatenate(sources)).size) if sources else 0
    return bits, fan_in


def choose_formats(net: Network, hw: Hardware, fmt: str) -> dict[str, str]:
    """Format per projection: the one asked for, or with `auto` the smallest over a reference split
    of each layer into full cores."""
    out = {}
    for i, pr in enumerate(net.projections):
        options = supported_formats(pr, hw)
        if fmt != "auto":
            if fmt not in FORMATS:
                raise FitError(f"unknown synapse format {fmt!r}; choose one of {', '.join(FORMATS)} or auto")
            if fmt not in options:
                raise FitError(f"projection {pr.name}: format {fmt!r} is not supported by chip {hw.name} "
                               f"(core.synapse_formats: {', '.join(options)})")
            out[pr.name] = fmt
            continue
        x = _Incoming(net, pr, i)
        n_post, step = net.pop(pr.post).size, hw.core.max_neurons
        best = min(options, key=lambda f: sum(
            memory_bits(f, x.rows(a, min(a + step, n_post), f)[1], min(a + step, n_post) - a, hw.core,
                        x.kernel_entries(a, min(a + step, n_post)) if f == "conv_shared" else 0)
            for a in range(0, n_post, step)))
        out[pr.name] = best
    return out


def chunk_population(net: Network, name: str, hw: Hardware, formats: dict[str, str]) -> list[Chunk]:
    """Greedy-maximal consecutive chunks of population `name` that each fit one core."""
    core = hw.core
    inc = [_Incoming(net, pr, net.index(pr.pre)) for pr in net.projections if pr.post == name]
    size = net.pop(name).size

    def fits(a: int, b: int) -> tuple[bool, int, int]:
        bits, fan_in = chunk_cost(inc, formats, a, b, hw)
        return bits <= core.synapse_memory_bits and fan_in <= core.max_fan_in_axons, bits, fan_in

    chunks, a = [], 0
    while a < size:
        hi = min(a + core.max_neurons, size)
        ok, bits, fan_in = fits(a, hi)
        if not ok:
            ok1, bits1, fan1 = fits(a, a + 1)
            if not ok1:
                _raise_single_neuron(name, a, bits1, fan1, hw, formats, inc)
            lo = a + 1  # fits(a, lo) holds, fits(a, hi) does not
            while hi - lo > 1:
                mid = (lo + hi) // 2
                if fits(a, mid)[0]:
                    lo = mid
                else:
                    hi = mid
            hi = lo
            _, bits, fan_in = fits(a, hi)
        chunks.append(Chunk(name, a, hi, bits, fan_in))
        a = hi
    return chunks


def _raise_single_neuron(name, idx, bits, fan_in, hw, formats, inc) -> None:
    core = hw.core
    fmts = ", ".join(sorted({formats[x.pr.name] for x in inc}))
    if fan_in > core.max_fan_in_axons:
        raise FitError(f"layer {name}: neuron {idx} alone needs {fan_in} input axons, core.max_fan_in_axons "
                       f"is {core.max_fan_in_axons} (short by {fan_in - core.max_fan_in_axons}); prune its "
                       f"fan-in below the limit, or use a chip with a larger fan-in")
    raise FitError(f"layer {name}: neuron {idx} alone needs {bits} bits of synapse memory in format {fmts}, "
                   f"core.synapse_memory_bits is {core.synapse_memory_bits} (short by "
                   f"{bits - core.synapse_memory_bits}); use a smaller format (--format sparse or auto), "
                   f"prune more, or a chip with more synapse memory")


def pack(chunks: list[Chunk], hw: Hardware) -> list[list[Chunk]]:
    """Assign chunks to cores in layer order; with core sharing, a chunk joins the current core when
    the summed budgets (neurons, synapse bits, fan-in as a sum of axons) still fit (next-fit)."""
    core = hw.core
    cores: list[list[Chunk]] = []
    for c in chunks:
        if cores and core.share_cores_between_layers:
            cur = cores[-1]
            if (sum(x.neurons for x in cur) + c.neurons <= core.max_neurons
                    and sum(x.synapse_bits for x in cur) + c.synapse_bits <= core.synapse_memory_bits
                    and sum(x.fan_in for x in cur) + c.fan_in <= core.max_fan_in_axons):
                cur.append(c)
                continue
        cores.append([c])
    return cores

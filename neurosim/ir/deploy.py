"""The deploy model: a vectorised numpy run of a `Network` over a batch of samples.

For an integer network this is what the chip computes (DESIGN §3, Loihi's compartment): the current
u ← decay_int(u, δ_u) + I wrapping at `state_bits`, the membrane v ← decay_int(v, δ_v) + u + bias
saturating at ±(2^(state_bits−1) − 1) and floored at v_min, then threshold, reset and refractory hold.
For a float network it is the same model in floats. Both timings are supported; the event-driven
simulator must be spike-for-spike identical to the integer model run with hardware timing.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from neurosim.ir.kernels import csr_project
from neurosim.ir.network import Network, Projection, Timing
from neurosim.ir.quantize import decay_int, leak_delta, wrap_int

_DENSE_LIMIT = 4_000_000  # pre x post entries below which a dense matmul is used


@dataclass
class DeployResult:
    """Outputs of a run: spikes of spiking populations and potentials of readouts, each shaped
    (batch, steps, size); `start[p]` is the first step of population p's window."""

    spikes: dict[str, np.ndarray]
    potentials: dict[str, np.ndarray]
    steps: int
    start: dict[str, int]

    def window(self, name: str, timesteps: int) -> np.ndarray:
        """The T steps of population `name` that correspond to the T input frames."""
        arr = self.spikes[name] if name in self.spikes else self.potentials[name]
        s = self.start[name]
        return arr[:, s:s + timesteps]


def _operator(pr: Projection, n_pre: int, n_post: int):
    """A function x (B, n_pre) float64 → (B, n_post) float64 applying the projection."""
    if n_pre * n_post <= _DENSE_LIMIT:
        m = pr.to_dense(n_pre, n_post, dtype=np.float64)
        return lambda x: x @ m
    indptr = np.zeros(n_pre + 1, np.int64)
    np.cumsum(np.bincount(pr.pre_idx, minlength=n_pre), out=indptr[1:])
    idx = pr.post_idx.astype(np.int64)
    w = pr.weight.astype(np.float64)

    def apply(x):
        out = np.zeros((x.shape[0], n_post))
        csr_project(np.ascontiguousarray(x), indptr, idx, w, out)
        return out
    return apply


def run(net: Network, inputs: np.ndarray | dict[str, np.ndarray], timing: Timing = "zero") -> DeployResult:
    """Run `net` on a batch. `inputs`: (B, T, n_in) for the single input population, or a dict
    name → array. Values are spikes (0/1) or graded integers for integer networks."""
    if not isinstance(inputs, dict):
        (inp,) = net.inputs
        inputs = {inp.name: inputs}
    any_in = next(iter(inputs.values()))
    B, T = any_in.shape[:2]
    steps = net.steps(T, timing)
    stage = net.stages()
    start = {p.name: (stage[p.name] if timing == "hardware" else 0) for p in net.populations}
    delays = net.delays(timing)
    dtype = np.int64 if net.integer else np.float64

    out: dict[str, np.ndarray] = {}
    for p in net.inputs:
        x = np.zeros((B, steps, p.size), dtype=np.float64)
        x[:, :T] = inputs[p.name]
        out[p.name] = x
    incoming = {p.name: [] for p in net.populations}
    for pr, d in zip(net.projections, delays, strict=True):
        op = _operator(pr, net.pop(pr.pre).size, net.pop(pr.post).size)
        incoming[pr.post].append((pr.pre, d, op))

    spikes: dict[str, np.ndarray] = {}
    potentials: dict[str, np.ndarray] = {}
    state: dict[str, list[np.ndarray]] = {}   # [v, u, refractory steps left]
    for p in net.populations:
        if p.is_input:
            continue
        arr = np.zeros((B, steps, p.size), dtype=np.float64)
        out[p.name] = arr
        if p.neuron.spiking:
            spikes[p.name] = arr
        else:
            potentials[p.name] = arr
        state[p.name] = [np.zeros((B, p.size), dtype=dtype), np.zeros((B, p.size), dtype=dtype),
                         np.zeros((B, p.size), dtype=np.int64)]

    smax = (1 << (net.state_bits - 1)) - 1 if net.integer and net.state_bits else None
    for t in range(steps):
        for p in net.populations:
            if p.is_input or t < start[p.name]:
                continue
            cur = np.zeros((B, p.size))
            for pre, d, op in incoming[p.name]:
                if t - d >= 0:
                    cur += op(out[pre][:, t - d])
            s = _update(p, state[p.name], cur, net.integer, net.state_bits if net.integer else None, smax)
            out[p.name][:, t] = s if p.neuron.spiking else state[p.name][0]
    for k in spikes:
        spikes[k] = spikes[k].astype(bool)
    return DeployResult(spikes=spikes, potentials=potentials, steps=steps, start=start)


def _update(p, st: list[np.ndarray], cur: np.ndarray, integer: bool, bits: int | None, smax: int | None):
    """One step of population `p` (see `Neuron`) on its state [v, u, refractory left], in place; returns
    the spikes (bool, (B, size)). Integer networks use Loihi's arithmetic (module docstring)."""
    n = p.neuron
    v, u, ref = st
    bias = 0 if p.bias is None else p.bias
    decay, cdecay, thr = p.param("decay"), p.param("current_decay"), p.param("threshold")
    if integer:
        i = np.rint(cur).astype(np.int64)
        u = i if not p.has_current else decay_int(u, leak_delta(cdecay)) + i
        if bits is not None:
            u = wrap_int(u, bits)
        x = decay_int(v, leak_delta(decay)) + u + bias
        if smax is not None:
            np.clip(x, -smax, smax, out=x)
    else:
        u = cur if not p.has_current else cdecay * u + cur
        x = decay * v + (u + bias)
    if n.v_min is not None:
        x = np.maximum(x, int(n.v_min) if integer else n.v_min)
    if n.refractory:
        free = ref == 0
        x = np.where(free, x, v)                    # held during the refractory period
    if n.spiking:
        s = (x >= thr) if n.fire_at_equal else (x > thr)
        if n.refractory:
            s &= free
            ref = np.where(s, n.refractory, np.maximum(ref - 1, 0))
        if n.reset == "zero":
            x = np.where(s, 0, x)
        else:
            x = x - s * (np.asarray(thr).astype(np.int64) if integer else thr)
    else:
        s = np.zeros(x.shape, np.bool_)
    st[0], st[1], st[2] = x, u, ref
    return s


def synaptic_events(net: Network, inputs: np.ndarray, timing: Timing = "zero") -> np.ndarray:
    """Synaptic events of each input of a batch (B,): every nonzero input value and every spike,
    times the synapses out of its neuron. The chip-independent measure of how much work an input
    makes, used to decide how many inputs a measurement needs."""
    res = run(net, inputs, timing)
    (inp,) = net.inputs
    active = {inp.name: np.asarray(inputs) != 0, **res.spikes}
    events = np.zeros(inputs.shape[0])
    for pr in net.projections:
        fan_out = np.bincount(pr.pre_idx, minlength=net.pop(pr.pre).size).astype(np.float64)
        events += active[pr.pre].sum(axis=1) @ fan_out
    return events

"""Make the NIR fixtures of tests/ir/nir_fixtures/ with snnTorch, Norse and Sinabs themselves.

For each framework: build small MLP and conv networks of each neuron kind it has (LIF, CubaLIF, IF;
zero and subtract resets; per-neuron and shared time constants), train them for a few seconds on a
synthetic task, prune them by weight magnitude (then fine-tune under the mask), export them with the
framework's own NIR exporter, run them in the framework on fixed spike inputs and save

    <name>.nir   the exported graph, as the framework wrote it
    <name>.npz   inputs (B, T, n_in), the framework's output spikes (B, T, n_out), every hidden spiking
                 layer's spikes as `spikes:<NIR node id>`, and `info` (JSON: framework, version, kind,
                 the read_nir options the framework's run needs).

Not run by CI, and the frameworks are not neurosim dependencies. Run it in a venv of its own:

    python3 -m venv /tmp/fwvenv
    /tmp/fwvenv/bin/pip install torch==2.13.0 torchvision==0.28.0 snntorch==1.0.0 norse==1.1.0 sinabs==3.1.3
    /tmp/fwvenv/bin/python benchmarks/nir_frameworks.py            # writes tests/ir/nir_fixtures/

(sinabs 3.1.3 pins nir<=1.0.4, so that venv has nir 1.0.4 and nirtorch 2.0.2.) The script is
deterministic: a second run writes the same spikes.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import nir
import numpy as np
import torch
from torch import nn

OUT = Path(__file__).resolve().parents[1] / "tests" / "ir" / "nir_fixtures"
B, T, CLASSES = 16, 24, 4


def task(n_in: int, shape=None, seed: int = 0, n: int = 64):
    """Synthetic classification: each class has its own Bernoulli rate pattern over the inputs."""
    g = torch.Generator().manual_seed(seed)
    rates = torch.rand(CLASSES, n_in, generator=g) ** 3 * 0.6
    y = torch.randint(0, CLASSES, (n,), generator=g)
    x = (torch.rand(n, T, n_in, generator=g) < rates[y][:, None, :]).float()
    if shape is not None:
        x = x.reshape(n, T, *shape)
    return x, y


def prune_(layers: list[nn.Module], sparsity: float) -> list[torch.Tensor]:
    """Zero the smallest-|w| fraction of each layer's weights; return the masks."""
    masks = []
    for m in layers:
        w = m.weight.data
        k = int(sparsity * w.numel())
        thr = w.abs().flatten().kthvalue(max(k, 1)).values if k else -1.0
        mask = (w.abs() > thr).float()
        w.mul_(mask)
        masks.append(mask)
    return masks


def fit(run, params, weights, x, y, steps=30, sparsity=0.0, lr=2e-2):
    """Adam on cross-entropy of output spike counts; then magnitude pruning and fine-tuning."""
    opt = torch.optim.Adam(params, lr=lr)

    def step(masks=None):
        out, _ = run(x)
        loss = nn.functional.cross_entropy(out.flatten(2).sum(1), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        if masks:
            for m, k in zip(weights, masks, strict=True):
                m.weight.data.mul_(k)
        return float(loss)

    for _ in range(steps):
        step()
    if sparsity:
        masks = prune_(weights, sparsity)
        for _ in range(steps // 2):
            step(masks)


def conv_input_shapes(graph, hw: tuple[int, int]) -> None:
    """Norse's and Sinabs' exporters leave `Conv2d.input_shape` None, which nir.write refuses ("One of
    data, shape or dtype must be specified"): give it the (height, width) these fixtures' convs see."""
    for node in graph.nodes.values():
        if isinstance(node, nir.Conv2d) and node.input_shape is None:
            node.input_shape = np.array(hw)


def fill_types(graph, shapes: dict) -> None:
    """Set the input/output types the exporter left None (node id -> (input shape, output shape))."""
    for k, (i, o) in shapes.items():
        graph.nodes[k].input_type = {"input": np.array(i)}
        graph.nodes[k].output_type = {"output": np.array(o)}


def save(name: str, graph, x: torch.Tensor, out: torch.Tensor, hidden: dict, info: dict) -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    for k in hidden:
        if k not in graph.nodes:
            raise SystemExit(f"{name}: hidden layer {k!r} is not a node of the exported graph {list(graph.nodes)}")
    nir.write(OUT / f"{name}.nir", graph)
    arrays = {"inputs": x.reshape(x.shape[0], x.shape[1], -1).numpy().astype(np.uint8),
              "outputs": out.reshape(out.shape[0], out.shape[1], -1).detach().numpy().astype(np.uint8)}
    for k, v in hidden.items():
        arrays[f"spikes:{k}"] = v.reshape(v.shape[0], v.shape[1], -1).detach().numpy().astype(np.uint8)
    info = dict(info, nir=nir.__version__ if hasattr(nir, "__version__") else "", torch=torch.__version__)
    np.savez_compressed(OUT / f"{name}.npz", info=np.array(json.dumps(info, sort_keys=True)), **arrays)
    rates = {k: float(v.float().mean()) for k, v in {"out": out, **hidden}.items()}
    print(f"{name}: " + ", ".join(f"{k} {r:.3f}" for k, r in rates.items()))


# ------------------------------------------------------------------------------------------------
# snnTorch
# ------------------------------------------------------------------------------------------------
def snntorch_cases():
    import snntorch as snn
    from snntorch import utils
    from snntorch.export_nir import export_to_nir

    ver = snn.__version__

    def build(kind: str, per_neuron: bool, reset: str, conv: bool):
        torch.manual_seed(1)
        delay = reset == "subtract"   # snnTorch's default subtract reset is delayed; zero reset: immediate

        def neuron(n):
            # snnTorch 1.0's exporter fails nir's type check for a scalar beta ("type mismatch: 0.output:
            # [[16]] -> 1.input: []"), so a shared beta is given as one value per neuron, not learned
            beta = torch.rand(n) * 0.5 + 0.4 if per_neuron else torch.full(n, 0.8)
            thr = torch.rand(n) * 0.5 + 0.75 if per_neuron else torch.ones(n)
            kw = dict(threshold=thr, init_hidden=True, reset_mechanism=reset, reset_delay=delay,
                      learn_beta=per_neuron, learn_threshold=per_neuron)
            if kind == "cubalif":
                alpha = torch.rand(n) * 0.5 + 0.3 if per_neuron else torch.full(n, 0.5)
                return snn.Synaptic(alpha=alpha, beta=beta, learn_alpha=per_neuron, **kw)
            return snn.Leaky(beta=beta, **kw)

        if conv:
            net = nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), neuron((4, 6, 6)),
                                nn.AvgPool2d(2), nn.Flatten(), nn.Linear(4 * 3 * 3, CLASSES), neuron((CLASSES,)))
            shape, n_in = (1, 6, 6), 36
        else:
            net = nn.Sequential(nn.Linear(20, 16), neuron((16,)), nn.Linear(16, CLASSES), neuron((CLASSES,)))
            shape, n_in = None, 20
        return net, shape, n_in

    def run_fn(net, spiking):
        def run(x):
            utils.reset(net)
            rec = {k: [] for k in spiking}
            hooks = [m.register_forward_hook(lambda mod, i, o, k=k: rec[k].append(o[0] if isinstance(o, tuple)
                                                                                    else o))
                     for k, m in net.named_modules() if k in spiking]
            outs = [net(x[:, t]) for t in range(x.shape[1])]
            for h in hooks:
                h.remove()
            out = torch.stack([o[0] if isinstance(o, tuple) else o for o in outs], 1)
            return out, {k: torch.stack(v, 1) for k, v in rec.items()}
        return run

    cases = [("snntorch_mlp_lif_perneuron_zero", "lif", True, "zero", False),
             ("snntorch_mlp_lif_shared_subtract", "lif", False, "subtract", False),
             ("snntorch_mlp_cubalif_perneuron_zero", "cubalif", True, "zero", False),
             ("snntorch_conv_lif_shared_subtract", "lif", False, "subtract", True)]
    for name, kind, per, reset, conv in cases:
        net, shape, n_in = build(kind, per, reset, conv)
        import snntorch as snn
        spiking = [k for k, m in net.named_modules() if isinstance(m, snn.Leaky | snn.Synaptic)]
        run = run_fn(net, spiking)
        x, y = task(n_in, shape)
        weights = [m for m in net if isinstance(m, nn.Linear | nn.Conv2d)]
        fit(run, list(net.parameters()), weights, x, y, sparsity=0.6)
        xe, _ = task(n_in, shape, seed=7, n=B)
        with torch.no_grad():
            out, hid = run(xe)
            utils.reset(net)
            graph = export_to_nir(net, xe[:1, 0], ignore_dims=[0])
        hidden = {k: v for k, v in hid.items() if k != spiking[-1]}
        save(name, graph, xe, out, hidden, {"framework": "snntorch", "version": ver, "kind": kind,
                                            "reset": reset, "per_neuron": per,
                                            "read": {"reset": "subtract_delayed" if reset == "subtract" else "zero"}})


# ------------------------------------------------------------------------------------------------
# Norse
# ------------------------------------------------------------------------------------------------
def norse_cases():
    import norse
    import norse.torch as nt

    ver = norse.__version__

    def cell(kind: str, n, per: bool):
        # nir checks that all parameters of a node have one shape: per-neuron τ needs per-neuron
        # v_th and v_leak of the same shape (else "All parameters must have the same shape")
        n = (n,) if isinstance(n, int) else n
        inv = (torch.rand(n) * 150 + 50) if per else torch.full(n, 100.0)
        th, leak = torch.full(n, 0.3), torch.zeros(n)
        if kind == "lif":
            return nt.LIFBoxCell(nt.LIFBoxParameters(tau_mem_inv=inv, v_th=th, v_leak=leak))
        if kind == "cubalif":
            syn = (torch.rand(n) * 200 + 100) if per else torch.full(n, 200.0)
            return nt.LIFCell(nt.LIFParameters(tau_syn_inv=syn, tau_mem_inv=inv, v_th=th, v_leak=leak))
        return nt.IAFCell(nt.IAFParameters(v_th=torch.full(n, 1.0), v_reset=torch.zeros(n)))

    cases = [("norse_mlp_lif_perneuron", "lif", True, False), ("norse_mlp_cubalif_shared", "cubalif", False, False),
             ("norse_mlp_cubalif_perneuron", "cubalif", True, False), ("norse_mlp_if", "if", False, False),
             ("norse_conv_lif_shared", "lif", False, True)]
    for name, kind, per, conv in cases:
        torch.manual_seed(2)
        if conv:
            # Norse 1.1's exporter has no Flatten (nn.Flatten becomes None and nir.write fails with
            # "'NoneType' object has no attribute 'to_dict'"): the readout is a conv to 1x1 instead
            layers = [nn.Conv2d(1, 4, 3, padding=1), cell(kind, (4, 6, 6), per), nn.Conv2d(4, CLASSES, 6),
                      cell(kind, (CLASSES, 1, 1), per)]
            shape, n_in = (1, 6, 6), 36
        else:
            layers = [nn.Linear(20, 16), cell(kind, 16, per), nn.Linear(16, CLASSES), cell(kind, CLASSES, per)]
            shape, n_in = None, 20
        net = nt.SequentialState(*layers)
        spiking = [str(i) for i, m in enumerate(layers) if isinstance(m, nt.LIFBoxCell | nt.LIFCell | nt.IAFCell)]
        for m in layers:   # a stronger start so that the tiny nets spike
            if isinstance(m, nn.Linear | nn.Conv2d):
                m.weight.data *= {"lif": 10.0, "cubalif": 3.0, "if": 1.0}[kind]

        def run(x, net=net, spiking=spiking):
            rec = {k: [] for k in spiking}
            hooks = [net.get_submodule(k).register_forward_hook(lambda mod, i, o, k=k: rec[k].append(o[0]))
                     for k in spiking]
            state, outs = None, []
            for t in range(x.shape[1]):
                o, state = net(x[:, t], state)
                outs.append(o)
            for h in hooks:
                h.remove()
            return torch.stack(outs, 1), {k: torch.stack(v, 1) for k, v in rec.items()}

        x, y = task(n_in, shape, seed=1)
        weights = [m for m in layers if isinstance(m, nn.Linear | nn.Conv2d)]
        fit(run, [p for m in weights for p in m.parameters()], weights, x, y, sparsity=0.6, lr=1e-2)
        xe, _ = task(n_in, shape, seed=8, n=B)
        with torch.no_grad():
            out, hid = run(xe)
            graph = nt.to_nir(net, xe[:1, 0])
            conv_input_shapes(graph, (6, 6))
        hidden = {k: v for k, v in hid.items() if k != spiking[-1]}
        save(name, graph, xe, out, hidden, {"framework": "norse", "version": ver, "kind": kind, "per_neuron": per,
                                            "read": {}})


# ------------------------------------------------------------------------------------------------
# Sinabs
# ------------------------------------------------------------------------------------------------
def sinabs_cases():
    import sinabs
    import sinabs.activation as sa
    import sinabs.layers as sl

    ver = sinabs.__version__

    def neuron(kind: str, n, per: bool, reset: str, squeeze: bool = False):
        rf = sa.MembraneSubtract() if reset == "subtract" else sa.MembraneReset()
        kw = dict(spike_fn=sa.SingleSpike, reset_fn=rf)
        n = (n,) if isinstance(n, int) else n
        if kind == "lif":   # nir wants tau and v_threshold of one shape
            tau = (torch.rand(n) * 8 + 2) if per else torch.full(n, 5.0)
            return sl.LIF(tau_mem=tau, spike_threshold=torch.full(n, 0.5), **kw)
        if squeeze:   # conv nets: batch and time flattened into one dimension
            return sl.IAFSqueeze(num_timesteps=T, spike_threshold=torch.tensor(1.0), **kw)
        return sl.IAF(spike_threshold=torch.tensor(1.0), **kw)

    cases = [("sinabs_mlp_lif_perneuron_subtract", "lif", True, "subtract", False),
             ("sinabs_mlp_lif_shared_zero", "lif", False, "zero", False),
             ("sinabs_mlp_if_subtract", "if", False, "subtract", False),
             ("sinabs_conv_if_zero", "if", False, "zero", True)]
    for name, kind, per, reset, conv in cases:
        torch.manual_seed(3)
        if conv:
            layers = [nn.Conv2d(1, 4, 3, padding=1), neuron(kind, (4, 6, 6), per, reset, True), sl.SumPool2d(2),
                      nn.Flatten(), nn.Linear(4 * 9, CLASSES), neuron(kind, CLASSES, per, reset, True)]
            shape, n_in = (1, 6, 6), 36
        else:
            layers = [nn.Linear(20, 16), neuron(kind, 16, per, reset), nn.Linear(16, CLASSES),
                      neuron(kind, CLASSES, per, reset)]
            shape, n_in = None, 20
        net = nn.Sequential(*layers)
        spiking = [str(i) for i, m in enumerate(layers) if isinstance(m, sl.LIF | sl.IAF)]
        for m in layers:
            if isinstance(m, nn.Linear | nn.Conv2d):
                m.weight.data *= 4.0

        def run(x, net=net, spiking=spiking, conv=conv):
            for m in net:
                if isinstance(m, sl.StatefulLayer):
                    m.reset_states()
            rec = {}
            hooks = [net.get_submodule(k).register_forward_hook(lambda mod, i, o, k=k: rec.__setitem__(k, o))
                     for k in spiking]
            if conv:   # (B·T, C, H, W) through the Squeeze layers
                out = net(x.flatten(0, 1)).reshape(x.shape[0], x.shape[1], -1)
            else:
                out = net(x)
            for h in hooks:
                h.remove()
            return out, {k: v.reshape(x.shape[0], x.shape[1], -1) for k, v in rec.items()}

        x, y = task(n_in, shape, seed=2)
        weights = [m for m in layers if isinstance(m, nn.Linear | nn.Conv2d)]
        fit(run, list(net.parameters()), weights, x, y, sparsity=0.6, lr=1e-2)
        xe, _ = task(n_in, shape, seed=9, n=B)
        with torch.no_grad():
            out, hid = run(xe)
            if conv:
                for m in net:
                    if isinstance(m, sl.StatefulLayer):
                        m.reset_states()
            graph = sinabs.to_nir(net, xe[:1] if not conv else xe[:1].flatten(0, 1))
            if conv:   # sinabs 3.1.3 leaves these types None, which nir 1.0.4's writer cannot store
                conv_input_shapes(graph, (6, 6))
                fill_types(graph, {"0": ((1, 6, 6), (4, 6, 6)), "2": ((4, 6, 6), (4, 3, 3)), "3": ((4, 3, 3), (36,))})
        hidden = {k: v for k, v in hid.items() if k != spiking[-1]}
        save(name, graph, xe, out, hidden, {"framework": "sinabs", "version": ver, "kind": kind, "per_neuron": per,
                                            "reset": reset, "read": {"reset": reset}})


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("frameworks", nargs="*", default=["snntorch", "norse", "sinabs"])
    args = ap.parse_args()
    torch.set_num_threads(1)
    for fw in args.frameworks:
        {"snntorch": snntorch_cases, "norse": norse_cases, "sinabs": sinabs_cases}[fw]()


if __name__ == "__main__":
    main()

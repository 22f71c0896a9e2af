"""Mapper: partition a deploy network into core-sized ranges, build the synapse rows and routing
tables, place the cores on the mesh, and report what every core uses (DESIGN §5)."""

from __future__ import annotations

import numpy as np

from neurosim.config.hardware import Hardware
from neurosim.errors import FitError
from neurosim.ir.network import Network
from neurosim.ir.runnable import require_spiking_sources
from neurosim.mapper.balance import OBJECTIVES, balanced_caps, core_work, resolve_objective, spread_budget
from neurosim.mapper.compiled import CompiledChip, CoreUsage, build_tables
from neurosim.mapper.order import DEFAULT_ORDER, ORDERS, population_orders
from neurosim.mapper.partition import Chunk, CostModel, Geometry, choose_formats, partition
from neurosim.mapper.placement import explicit_slots, serpentine_slots, slot_xy, traffic_aware, traffic_cost
from neurosim.mapper.profile import profile_rates

__all__ = ["OBJECTIVES", "ORDERS", "Chunk", "CompiledChip", "CoreUsage", "compile_network", "packet_traffic",
           "profile_rates"]

PLACERS = ("traffic", "serpentine")


def compile_network(net: Network, hw: Hardware, fmt: str = "auto", rates: np.ndarray | None = None,
                    placement: str | np.ndarray = "traffic", inputs: np.ndarray | dict | None = None,
                    order: str = DEFAULT_ORDER, prior: CompiledChip | None = None,
                    objective: str = "auto", caps: dict[str, int] | None = None) -> CompiledChip:
    """Map integer network `net` onto chip `hw`.

    `fmt`: a synapse format or `auto` (smallest per projection). Placement weighs every (source,
    core) packet by `rates` (expected spikes per global neuron per inference); without rates, by a
    profiling run of `net` on sample `inputs` (see `profile_rates`); without either, each source
    counts once. `placement`: `traffic` (traffic-aware), `serpentine` (the baseline) or an explicit
    (n_cores, 2) array of router coordinates (to reproduce a published mapping). `caps`: at most this
    many neurons of a population per core (a published partition; objective `cores`). `order`: how
    conv-shaped populations are walked when cut into cores (`neurosim.mapper.order`; `channel` is the
    network's channel-major order). `objective`: `cores` (fewest cores), `latency` (spread the busiest
    layers over more cores, `mapper.balance`) or `auto` (latency where unused cores leak anyway, i.e.
    without power gating). `prior` (objective `cores`): the compiled chip of a denser level of the same
    network; when its partition has fewer cores and still fits every budget here, it is kept — so along
    a sweep of increasing sparsity the cores needed never increase, whatever budget binds."""
    if not net.integer:
        raise ValueError("compile_network needs the integer deploy network (ir.quantize)")
    require_spiking_sources(net, f"network {net.name}")
    explicit = not isinstance(placement, str)
    if not explicit and placement not in PLACERS:
        raise FitError(f"unknown placement {placement!r}; choose one of {', '.join(PLACERS)}")
    if order not in ORDERS:
        raise FitError(f"unknown neuron order {order!r}; choose one of {', '.join(ORDERS)}")
    goal = resolve_objective(objective, hw)
    geo = Geometry(net)
    orders = population_orders(net, order, hw.core.max_neurons)
    formats = choose_formats(net, hw, fmt, geo, orders)
    def model():   # a fresh cost model per cut: its per-synapse tables are not kept while the tables are built
        return CostModel(net, hw, formats, geo, orders)
    delays = net.delays("hardware")
    cores, tables = _cut(model, net, hw, formats, delays, geo, caps)
    if goal == "cores" and prior is not None and len(prior.cores) < len(cores):
        # this level's formats on the prior's partition, else the prior's own: "auto" may pick a format
        # for the sparser level whose rows take more memory on the prior's cores than the prior's
        # format does (magnitude pruning keeps a subset of the denser level's synapses, which fit there)
        other = prior.formats != formats and prior.formats.keys() == formats.keys()
        tried = [formats, prior.formats] if other else [formats]
        for f in tried:
            reused = _reuse(prior, net, hw, f, delays, geo)
            if reused is not None:
                cores, tables, formats = prior.cores, reused, f
                break
    _check_core_count(net, hw, cores, fmt, geo, orders)
    cores_needed = len(cores)
    traffic_src = "uniform"
    if rates is None and inputs is not None:
        rates = profile_rates(net, inputs)
    if rates is not None:
        traffic_src = "profiled"
    if goal == "latency" and len(cores) < hw.mesh.n_cores:
        first = CompiledChip(hardware=hw, network=net, cores=cores, router_xy=np.zeros((len(cores), 2), np.int64),
                             formats=formats, **tables)
        steps = net.steps(_timesteps(inputs), "hardware")
        r = rates if rates is not None else _once(net)
        caps = balanced_caps(first, r, steps, hw.noc.barrier_at(hw.n_tiles))
        if caps:
            try:  # layers on cores of their own: a small piece sharing a busy layer's core is a hotspot
                spread, spread_tables = _cut(model, net, hw, formats, delays, geo, caps, share=False)
                if len(spread) <= spread_budget(hw, len(cores)):
                    cores, tables = spread, spread_tables
            except FitError:
                pass  # balancing is an optimisation: the fewest-cores cut stands
    chip = CompiledChip(hardware=hw, network=net, cores=cores, router_xy=np.zeros((len(cores), 2), np.int64),
                        formats=formats, objective=goal, cores_needed=cores_needed, **tables)
    traffic, src_xy = packet_traffic(chip, rates)
    xy = slot_xy(hw)
    base = serpentine_slots(len(cores), hw)
    chip.baseline_cost_hops = traffic_cost(xy[base], traffic, src_xy(xy[base]))
    if explicit:
        if np.shape(placement) != (len(cores), 2):
            raise FitError(f"explicit placement gives {np.shape(placement)} router coordinates for {len(cores)} cores")
        slots = explicit_slots(placement, hw)
    else:
        slots = traffic_aware(traffic, hw) if placement == "traffic" else base
    chip.core_slot, chip.router_xy = slots, xy[slots]
    chip.placement_cost_hops = traffic_cost(chip.router_xy, traffic, src_xy(chip.router_xy))
    chip.placement = "explicit" if explicit else ("traffic_aware" if placement == "traffic" else "serpentine")
    chip.traffic_source = traffic_src
    if rates is not None:
        chip.expected_work = core_work(chip, rates, net.steps(_timesteps(inputs), "hardware"))
    return chip


def _timesteps(inputs) -> int:
    """Frames per sample of profiling inputs (1 without them)."""
    if inputs is None:
        return 1
    x = next(iter(inputs.values())) if isinstance(inputs, dict) else inputs
    return int(np.shape(x)[1])


def _once(net: Network) -> np.ndarray:
    """Rates when nothing is profiled: every neuron spikes once."""
    return np.ones(int(net.offsets[-1]))


def _cut(model_of, net: Network, hw: Hardware, formats, delays, geo,
         caps: dict[str, int] | None = None, share: bool = True) -> tuple[list[list[Chunk]], dict]:
    """The partition (with per-population neuron caps; layers sharing cores where the chip allows and
    `share`) and its tables, re-cut until no core is over its output budgets (fan-out axons, routing
    entries). `model_of()` makes the cost model; it is dropped while the tables are built (both hold
    per-synapse arrays) and made again for a re-cut."""
    caps = dict(caps or {})
    share = share and hw.core.share_cores_between_layers
    model = model_of()
    cores = partition(model, caps, share=share)
    if model.output_bound and share:
        # where output budgets bind, a layer's tail sharing a core with the next layer's head adds a
        # destination core for every source of the layer before; keep layers apart if that is smaller
        apart = partition(model, caps, share=False)
        if len(apart) < len(cores):
            cores, share = apart, False
    model = None
    for rnd in range(64):
        tables = build_tables(net, hw, cores, formats, delays, geo)
        over = _over_output_budgets(hw, cores, tables["usage"])
        if not over:
            return cores, tables
        # only recurrent targets (earlier in the sequence) can land elsewhere than the cut assumed:
        # re-cut against the last cut, and after a few rounds also cap the offending layers' pieces
        if rnd >= 4:
            for pop, (used, limit, neurons, budget) in over.items():
                if neurons <= 1:
                    _raise_output(pop, used, limit, budget)
                cap = max(1, min(neurons - 1, neurons * limit // used))
                caps[pop] = min(caps.get(pop, cap), cap)
        model = model_of()
        cores = partition(model, caps, previous=cores, share=share)
        model = None
    pop, (used, limit, _, budget) = next(iter(over.items()))
    _raise_output(pop, used, limit, budget)


def packet_traffic(chip: CompiledChip, rates: np.ndarray | None = None):
    """Expected packets from each source node to each used core: a (n_cores + 1, n_cores) matrix whose
    last row is the host input port (one packet per spike per distinct (source, core) pair), and a
    function giving the source router coordinates for a placement."""
    n = chip.n_cores
    ptr = chip.src_row_ptr.astype(np.int64)
    src = np.repeat(np.arange(ptr.size - 1, dtype=np.uint32), np.diff(ptr))
    del ptr
    # rows are sorted by (source, core): a packet starts where either changes
    first = np.ones(src.size, np.bool_)
    np.not_equal(src[1:], src[:-1], out=first[1:])
    first[1:] |= chip.row_core[1:] != chip.row_core[:-1]
    p_src, p_core = src[first], chip.row_core[first]
    del src, first
    w = None if rates is None else np.asarray(rates, float)[p_src]
    node = chip.neuron_core[p_src].astype(np.int64)
    del p_src
    node[node < 0] = n
    node *= n
    node += p_core
    traffic = np.bincount(node, weights=w, minlength=(n + 1) * n)
    del node, w
    if traffic.dtype != np.float64:   # counts: to float64 in place, a block at a time (the matrix is cores²)
        as_float = traffic.view(np.float64)
        for a in range(0, traffic.size, 1 << 22):
            as_float[a:a + (1 << 22)] = traffic[a:a + (1 << 22)].astype(np.float64)
        traffic = as_float
    traffic = traffic.reshape(n + 1, n)
    port = np.array(chip.hardware.host.router, np.int64)
    return traffic, lambda xy: np.vstack([xy, port[None, :]])


def _check_core_count(net: Network, hw: Hardware, cores: list[list[Chunk]], fmt: str, geo: Geometry,
                      orders: dict) -> None:
    have = hw.mesh.n_cores
    if len(cores) <= have:
        return
    need: dict[str, int] = {}
    for cc in cores:
        for name in dict.fromkeys(c.population for c in cc):
            need[name] = need.get(name, 0) + 1
    first = cores[have][0].population  # the layer the chip runs out of cores in
    detail = ", ".join(f"{k}: {v}" for k, v in need.items())
    alt = []
    for f in ("auto", *hw.core.synapse_formats):
        if f == fmt:
            continue
        try:
            fm = choose_formats(net, hw, f, geo, orders)
        except FitError:
            continue
        try:
            n_alt = len(partition(CostModel(net, hw, fm, geo, orders)))
        except FitError:
            continue
        if n_alt <= have:
            alt.append(f"--format {f} needs {n_alt} cores")
    alt_txt = ("; " + ", ".join(alt)) if alt else ""
    m = hw.mesh
    raise FitError(f"layer {first}: chip {hw.name} runs out of cores: the network needs {len(cores)} cores "
                   f"({detail}), the chip has {have} (mesh {m.cols}x{m.rows} routers x {m.cores_per_router}), short "
                   f"by {len(cores) - have}{alt_txt}; to fit: more cores (mesh.cols x mesh.rows x "
                   f"mesh.cores_per_router >= {len(cores)}), another synapse format, or prune more")


def _reuse(prior: CompiledChip, net: Network, hw: Hardware, formats, delays, geo) -> dict | None:
    """Tables of `net` on `prior`'s partition when that partition fits every budget, else None."""
    same = [p.size for p in prior.network.populations] == [p.size for p in net.populations]
    if not same or prior.hardware != hw:
        return None
    tables = build_tables(net, hw, prior.cores, formats, delays, geo)
    c = hw.core
    if any(u.synapse_bits > c.synapse_memory_bits or u.fan_in_axons > c.max_fan_in_axons
           or u.neurons > c.max_neurons for u in tables["usage"]):
        return None
    return None if _over_output_budgets(hw, prior.cores, tables["usage"]) else tables


def _over_output_budgets(hw: Hardware, cores: list[list[Chunk]], usage: list[CoreUsage]) -> dict:
    """Population -> (used, limit, its neurons on that core, budget key) for the largest piece of every
    core over its fan-out axons or routing entries."""
    core = hw.core
    out: dict[str, tuple[int, int, int, str]] = {}
    for cc, u in zip(cores, usage, strict=True):
        for used, limit, key in ((u.fan_out_axons, core.max_fan_out_axons, "core.max_fan_out_axons"),
                                 (u.routing_entries, core.routing_table_entries, "core.routing_table_entries")):
            if used > limit:
                per_pop: dict[str, int] = {}  # a spatial piece is several chunks of one population
                for c in cc:
                    per_pop[c.population] = per_pop.get(c.population, 0) + c.neurons
                big = max(per_pop, key=per_pop.get)
                prev = out.get(big)
                if prev is None or used / limit > prev[0] / prev[1]:
                    out[big] = (used, limit, per_pop[big], key)
    return out


def _raise_output(pop: str, used: int, limit: int, budget: str) -> None:
    what = "output axons (one per destination core)" if "fan_out" in budget else "routing entries"
    raise FitError(f"layer {pop}: a single neuron's core needs {used} {what}, {budget} is {limit} (short by "
                   f"{used - limit}) and no smaller layer split helps; to fit: fewer, larger target cores (a chip "
                   f"with more neurons per core), tree multicast, or a chip with {budget} >= {used}")

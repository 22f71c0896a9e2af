"""The chip description (hwconfigs/*.yaml): mesh, clock, per-core budgets and timing, NoC, the host
interface, the energy reference table, power states, operating points and area. Every timing, energy,
power and area number is a `Quantity` carrying its source (docs/cost_model.md says how each is used).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Literal

import numpy as np

from neurosim.config.schema import NAME_PATTERN, Curve, Quantity, spec, zero
from neurosim.config.system import SystemLayout

SynapseFormat = Literal["dense", "sparse", "bitmap", "conv_shared"]
FORMATS = ("dense", "sparse", "bitmap", "conv_shared")


@dataclass(frozen=True, kw_only=True)
class Mesh:
    """2-D mesh of routers; each router serves `cores_per_router` cores (a Loihi tile has 4)."""

    cols: int = spec("routers along x", min=1)
    rows: int = spec("routers along y", min=1)
    cores_per_router: int = spec("cores attached to one router (tile)", default=1, min=1)
    source: str = spec("where the mesh shape comes from", default="assumed")

    @property
    def n_cores(self) -> int:
        return self.cols * self.rows * self.cores_per_router


@dataclass(frozen=True, kw_only=True)
class Clock:
    """Time base. Asynchronous chips give a nominal frequency whose cycle is the unit of the
    per-op latencies below (e.g. 1 GHz: latencies are in ns)."""

    MOVED = {"min_step_s": "operating.points[].min_step_s (the tick period is an operating setting)"}

    frequency_hz: Quantity = spec("cycles per second (nominal for asynchronous chips)", unit="Hz")
    asynchronous: bool = spec("the chip has no global clock; cycles are a time unit only", default=False)

    def check(self):
        if not self.frequency_hz.value > 0:
            return ("frequency_hz.value", self.frequency_hz.value, "a frequency > 0 Hz")
        return None


@dataclass(frozen=True, kw_only=True)
class Core:
    """Per-core budgets and number formats."""

    max_neurons: int = spec("neurons (compartments) per core", min=1)
    synapse_memory_bits: int = spec("synapse memory per core", unit="bit", min=1)
    synapse_word_bits: int = spec("width of one synapse-memory word", unit="bit", min=1)
    weight_bits: int = spec("signed weight precision", unit="bit", min=2, max=32)
    synapse_entry_bits: int | None = spec("bits one synapse's weight takes in memory when it differs from "
                                          "weight_bits (TrueNorth: a 1-bit crossbar cell selecting one of 4 "
                                          "per-neuron weights)", default=None, unit="bit", min=1)
    state_bits: int = spec("signed membrane-potential precision (saturating)", unit="bit", min=2, max=32)
    max_fan_in_axons: int = spec("distinct input axons (source neurons) one core accepts", min=1)
    max_fan_out_axons: int = spec("core-to-core output axons (routing edges) one core may send on", min=1)
    routing_table_entries: int = spec("routing-table entries per core (one per source group x dest core)",
                                      min=1)
    synapse_formats: tuple[SynapseFormat, ...] = spec("synapse-memory formats the core supports",
                                                      default=["sparse"], min_len=1)
    weight_sharing: bool = spec("conv kernels can be stored once and shared (conv_shared format)",
                                default=False)
    share_cores_between_layers: bool = spec("pieces of different layers may share one core", default=True)
    max_neuron_configs: int | None = spec("distinct neuron models (decays, threshold, reset, refractory: "
                                          "compartment profiles) one core holds; null: no limit", default=None,
                                          min=1)
    row_header_bits: int = spec("bits of the header of one synapse row (axon entry)", default=0, min=0)
    neuron_state_bits: int = spec("neuron-state memory per neuron (v, thresholds, config)",
                                  default=0, unit="bit", min=0)
    routing_entry_bits: int = spec("bits per routing-table entry", default=0, unit="bit", min=0)

    @property
    def stored_weight_bits(self) -> int:
        """Bits per stored weight in synapse memory."""
        return self.synapse_entry_bits if self.synapse_entry_bits is not None else self.weight_bits

    @property
    def index_bits(self) -> int:
        """Bits of a target index inside one core: ceil(log2 max_neurons)."""
        return max(1, math.ceil(math.log2(self.max_neurons)))


@dataclass(frozen=True, kw_only=True)
class PerFormat:
    """One figure per synapse format (any subset)."""

    dense: Quantity | None = spec("dense rows", default=None)
    sparse: Quantity | None = spec("sparse rows (index per synapse)", default=None)
    bitmap: Quantity | None = spec("bitmap rows", default=None)
    conv_shared: Quantity | None = spec("shared conv kernels", default=None)


def _by_format(table: PerFormat | None, fmt: str, default: Quantity) -> Quantity:
    q = None if table is None else getattr(table, fmt)
    return default if q is None else q


@dataclass(frozen=True, kw_only=True)
class Timing:
    """Per-core service times, in cycles of `clock`."""

    synaptic_op_cycles: Quantity = spec("cycles per synaptic op in one lane", unit="cycle")
    synaptic_lanes: int = spec("synaptic ops processed in parallel", default=1, min=1)
    word_read_cycles: Quantity = spec("cycles per synapse-memory word read", unit="cycle")
    row_header_cycles: Quantity = spec("cycles to read and decode one row header (per packet)",
                                       unit="cycle")
    neuron_update_active_cycles: Quantity = spec("cycles per update of a neuron with input or state",
                                                 unit="cycle")
    neuron_update_idle_cycles: Quantity = spec("cycles per update of a neuron at rest", unit="cycle")
    spike_emit_cycles: Quantity = spec("cycles to emit one spike (per spike, not per packet)",
                                       unit="cycle")
    synaptic_op_cycles_by_format: PerFormat | None = spec(
        "synaptic_op_cycles per synapse format where they differ (Loihi: dense, sparse and shared-kernel "
        "synapses cost differently); formats not named use synaptic_op_cycles", default=None, unit="cycle")
    packet_send_cycles: Quantity = spec("core work per packet it sends (axon-out message); also the least "
                                        "interval between two packets of one core", default=zero(),
                                        unit="cycle")

    def op_cycles(self, fmt: str) -> float:
        """Cycles per synaptic op of format `fmt`."""
        return _by_format(self.synaptic_op_cycles_by_format, fmt, self.synaptic_op_cycles).value


@dataclass(frozen=True, kw_only=True)
class Noc:
    """Network on chip: dimension-order routing between routers."""

    routing: Literal["xy"] = spec("routing algorithm (dimension order: x first, then y)", default="xy")
    hop_x_cycles: Quantity = spec("latency of one router hop along x", unit="cycle")
    hop_y_cycles: Quantity = spec("latency of one router hop along y", unit="cycle")
    packet_bits: int = spec("bits of one spike packet", min=1)
    link_width_bits: int = spec("bits a link carries per cycle; a packet occupies a link for "
                                "ceil(packet_bits / link_width_bits) cycles", min=1)
    multicast: Literal["unicast", "tree"] = spec("copies per destination core (unicast) or one packet "
                                                 "forking along the XY tree", default="unicast")
    barrier_cycles: Quantity | Curve = spec(
        "end-of-step barrier synchronisation: a constant {value, source}, or {points: [[tiles, cycles], ...], "
        "source} as a function of the tiles (routers) in use, linear in log2(tiles) between the points and "
        "beyond them", unit="cycle")

    MOVED = {"input_router": "host.router"}

    def barrier_at(self, tiles: int) -> float:
        """Barrier cycles when `tiles` routers hold used cores."""
        b = self.barrier_cycles
        return b.value if isinstance(b, Quantity) else b.at_log2(max(tiles, 1))


@dataclass(frozen=True, kw_only=True)
class Host:
    """The host (x86, FPGA or USB side) as a node of its own: where it attaches, what each message in
    and out costs in time on its side, its link, and per-step and per-inference work. The energy of
    these actions is in `energy` (input_message_pj, ...)."""

    router: tuple[int, ...] = spec("router (x, y) where the host link attaches: input spikes enter the mesh "
                                   "there and output spikes leave", default=[0, 0])
    input_message_s: Quantity = spec("host-side time per input message (one input spike or value)",
                                     default=zero(), unit="s")
    output_message_s: Quantity = spec("host-side time per output message (an output spike, or a readout "
                                      "value read at the end of an inference)", default=zero(), unit="s")
    message_bits: int = spec("bits of one host message on the link", default=32, min=1)
    link_bits_per_s: Quantity | None = spec("host link bandwidth; a message takes at least message_bits / "
                                            "link_bits_per_s (null: not limiting)", default=None, unit="bit/s")
    per_step_s: Quantity = spec("serial host or management work every step (housekeeping, I/O set-up)",
                                default=zero(), unit="s")
    per_inference_s: Quantity = spec("set-up between two inferences in single-input mode (state reset, "
                                     "result read-out); none in streaming mode", default=zero(), unit="s")
    overlap: bool = spec("host work overlaps the cores' step (step time = max of the two) instead of "
                         "preceding it (their sum)", default=False)

    def check(self):
        if len(self.router) != 2:
            return ("router", list(self.router), "two integers [x, y]")
        if self.link_bits_per_s is not None and not self.link_bits_per_s.value > 0:
            return ("link_bits_per_s.value", self.link_bits_per_s.value, "a bandwidth > 0 (or null: not limiting)")
        return None

    def message_s(self, per_message: Quantity) -> float:
        """Host time of one message: its own cost, at least the link's serialisation time."""
        link = 0.0 if self.link_bits_per_s is None else self.message_bits / self.link_bits_per_s.value
        return max(per_message.value, link)


@dataclass(frozen=True, kw_only=True)
class Energy:
    """Energy reference table (ERT): picojoules per action, plus static power."""

    synaptic_op_pj: Quantity = spec("one synaptic operation (weight accumulate)", unit="pJ")
    word_read_pj: Quantity = spec("one synapse-memory word read", unit="pJ")
    neuron_update_active_pj: Quantity = spec("update of a neuron with input or state", unit="pJ")
    neuron_update_idle_pj: Quantity = spec("update of a neuron at rest", unit="pJ")
    spike_generated_pj: Quantity = spec("one spike generated by a neuron", unit="pJ")
    packet_injected_pj: Quantity = spec("one packet injected into the NoC (or delivered in-tile)", unit="pJ")
    hop_x_pj: Quantity = spec("one packet crossing one router hop along x", unit="pJ")
    hop_y_pj: Quantity = spec("one packet crossing one router hop along y", unit="pJ")
    barrier_pj: Quantity = spec("one end-of-step barrier (whole chip)", unit="pJ")
    synaptic_op_pj_by_format: PerFormat | None = spec(
        "synaptic_op_pj per synapse format where they differ; formats not named use synaptic_op_pj",
        default=None, unit="pJ")
    core_step_pj: Quantity = spec("fixed work of one used core every step (tick, scan of its neuron array)",
                                  default=zero(), unit="pJ")
    input_message_pj: Quantity = spec("one input message from the host (chip side of the link)",
                                      default=zero(), unit="pJ")
    output_message_pj: Quantity = spec("one output message to the host (chip side of the link)",
                                       default=zero(), unit="pJ")
    step_pj: Quantity = spec("management work every step (embedded processors, host interface)",
                             default=zero(), unit="pJ")
    inference_pj: Quantity = spec("set-up between two inferences in single-input mode (state reset)",
                                  default=zero(), unit="pJ")

    MOVED = {"static_power_per_core_w": "power.core_static_w", "power_gating": "power.power_gating"}

    def op_pj(self, fmt: str) -> float:
        """pJ per synaptic op of format `fmt`."""
        return _by_format(self.synaptic_op_pj_by_format, fmt, self.synaptic_op_pj).value


@dataclass(frozen=True, kw_only=True)
class Power:
    """Static power by state, at the reference voltage. While an inference runs the chip draws
    chip_idle_w + core_static_w per powered core (+ gated_core_w per gated one) + armed_w; at idle
    (model loaded, nothing running) the same without armed_w. "Energy above idle" subtracts the idle
    part only, as published "dynamic" figures do."""

    chip_idle_w: Quantity = spec("the chip's floor apart from core leakage (I/O, PLLs, uncore) when powered",
                                 default=zero(), unit="W")
    core_static_w: Quantity = spec("leakage of one powered neuromorphic core", unit="W")
    armed_w: Quantity = spec("extra power while a model runs: clocks, management processors, barrier logic",
                             default=zero(), unit="W")
    power_gating: bool = spec("unused cores are power-gated (draw gated_core_w instead of core_static_w)",
                              default=False)
    gated_core_w: Quantity = spec("leakage of one power-gated core", default=zero(), unit="W")
    boundary: str = spec("what the figures include, e.g. 'chip supply rails' or 'board'", default="chip")


@dataclass(frozen=True, kw_only=True)
class OperatingPoint:
    """Supply voltage and clock/tick settings the chip is run at."""

    name: str = spec("name used in results and `dse --vary operating.point=...`", pattern=NAME_PATTERN)
    voltage_v: float = spec("supply voltage", unit="V", min=0.05, max=5.0)
    frequency_hz: float | None = spec("cycles per second at this point (synchronous: the clock; asynchronous: "
                                      "the nominal cycle rate the latencies scale with); null: clock's",
                                      default=None, unit="Hz", min=1e-3)
    min_step_s: float = spec("shortest step (tick period): TrueNorth's real time is 0.001, 5x faster than "
                             "real time 0.0002; 0 = unthrottled", default=0.0, unit="s", min=0.0)
    static_scale: float | None = spec("static power relative to the reference voltage from a published table "
                                      "(null: operating.leakage_per_volt's law)", default=None, min=0.0)
    source: str = spec("where this point's settings come from", default="assumed")


@dataclass(frozen=True, kw_only=True)
class Operating:
    """Operating points. Energies, powers and latencies are given at `reference_voltage_v`; at another
    voltage V dynamic energies scale by (V/V_ref)^dynamic_exponent (CV²), armed power by the same
    factor times the clock ratio, static power by the point's `static_scale` or by the leakage law
    with k = leakage_per_volt: `exponential` (V/V_ref)·exp(k·(V − V_ref)) (subthreshold leakage with
    DIBL), or `linear` 1 + k·(V − V_ref) (an empirical fit where measurements call for it)."""

    reference_voltage_v: float = spec("voltage of the energy table, powers and latencies", unit="V", min=0.05,
                                      max=5.0)
    point: str = spec("the operating point used (one of points[].name)")
    points: tuple[OperatingPoint, ...] = spec("the operating points", min_len=1)
    leakage_law: Literal["exponential", "linear"] = spec("how static power follows the voltage between points",
                                                         default="exponential")
    leakage_per_volt: Quantity = spec("k of the leakage law", default=zero(), unit="1/V")
    dynamic_exponent: float = spec("dynamic energy ∝ V^dynamic_exponent", default=2.0, min=0.0, max=4.0)

    def check(self):
        names = [p.name for p in self.points]
        if len(set(names)) != len(names):
            return ("points", names, "operating points with distinct names")
        if self.point not in names:
            return ("point", self.point, "one of " + ", ".join(names))
        return None

    @property
    def selected(self) -> OperatingPoint:
        return next(p for p in self.points if p.name == self.point)


@dataclass(frozen=True, kw_only=True)
class Area:
    """Silicon area from parts, calibrated on published die areas: SRAM per bit (synapse, neuron-state
    and routing memory, with periphery), logic per core, per router, and the rest of the die."""

    sram_um2_per_bit: Quantity = spec("SRAM area per bit including its periphery", unit="um^2")
    core_logic_um2: Quantity = spec("logic of one core (neuron and synapse datapath, control)", unit="um^2")
    router_um2: Quantity = spec("one router", default=zero(), unit="um^2")
    uncore_mm2: Quantity = spec("the rest of the die: I/O, management processors, clocking", default=zero(),
                                unit="mm^2")


@dataclass(frozen=True, kw_only=True)
class Hardware:
    """One chip description (one hwconfigs/*.yaml file)."""

    name: str = spec("short name used in results and plots (letters, digits, _ . -)", pattern=NAME_PATTERN)
    description: str = spec("what chip this is and how faithful the numbers are", default="")
    mesh: Mesh = spec("router mesh")
    clock: Clock = spec("time base")
    core: Core = spec("per-core budgets and formats")
    timing: Timing = spec("per-core service times")
    noc: Noc = spec("network on chip")
    host: Host = spec("the host interface", default=Host())
    energy: Energy = spec("energy reference table (pJ per action, at the reference voltage)")
    power: Power = spec("static power by state (at the reference voltage)")
    operating: Operating | None = spec("operating points (null: one point at the reference figures, unthrottled)",
                                       default=None)
    area: Area | None = spec("area model (null: area not reported)", default=None)
    system: SystemLayout | None = field(default=None, metadata={
        "internal": "set by load_hardware when the file describes a system of chips (config.system)"})

    MOVED = {"pipelined": "the workload's simulation.mode: streaming (inputs back to back)"}

    def check(self):
        x, y = self.host.router
        if not (0 <= x < self.mesh.cols and 0 <= y < self.mesh.rows):
            return ("host.router", [x, y], f"a router inside the {self.mesh.cols}x{self.mesh.rows} mesh")
        if "conv_shared" in self.core.synapse_formats and not self.core.weight_sharing:
            return ("core.synapse_formats", list(self.core.synapse_formats),
                    "conv_shared only when core.weight_sharing is true")
        return None

    def ert_sources(self) -> dict[str, str]:
        """Action → source of its energy figure (a quick check that every entry names one)."""
        e = self.energy
        return {k: getattr(e, k).source for k in e.__dataclass_fields__ if isinstance(getattr(e, k), Quantity)}

    @property
    def n_tiles(self) -> int:
        return self.mesh.cols * self.mesh.rows

    @property
    def n_chips(self) -> int:
        """Chips of the system this describes (1 for a chip)."""
        return 1 if self.system is None else self.system.spec.n_chips

    @property
    def per_chip_inputs(self) -> bool:
        """Every chip of the system generates its own input (`System.input_ports: per_chip`)."""
        return self.system is not None and self.system.spec.input_ports == "per_chip"

    def input_ports_xy(self) -> np.ndarray:
        """(ports, 2) routers where input spikes enter: the host's, or with per-chip inputs the same router
        on every chip (in chip order)."""
        port = np.array(self.host.router, np.int64)[None, :]
        if not self.per_chip_inputs:
            return port
        lay = self.system
        return lay.chip_origins() + port % np.array([lay.chip_cols, lay.chip_rows])

    def input_port_of(self, xy: np.ndarray) -> np.ndarray:
        """Index into `input_ports_xy` of the port that sends input to each router of xy ((..., 2))."""
        xy = np.asarray(xy, np.int64)
        if not self.per_chip_inputs:
            return np.zeros(xy.shape[:-1], np.int64)
        return np.asarray(self.system.chip_of(xy[..., 0], xy[..., 1]), np.int64)


@dataclass(frozen=True)
class OperatingState:
    """The figures of a chip at its selected operating point, derived once (see `Operating`):
    the clock that converts cycles to seconds, the shortest step, and the factors that scale the
    reference energies (dynamic), leakage (static) and armed power."""

    name: str
    voltage_v: float | None      # None: the chip declares no operating points
    clock_hz: float
    min_step_s: float
    dynamic_scale: float
    static_scale: float
    armed_scale: float


def operating_state(hw: Hardware) -> OperatingState:
    """`hw` at its selected operating point (the reference figures when it declares none)."""
    f0 = hw.clock.frequency_hz.value
    op = hw.operating
    if op is None:
        return OperatingState("reference", None, f0, 0.0, 1.0, 1.0, 1.0)
    p = op.selected
    v, v0 = p.voltage_v, op.reference_voltage_v
    f = p.frequency_hz if p.frequency_hz is not None else f0
    dyn = (v / v0) ** op.dynamic_exponent
    k = op.leakage_per_volt.value
    law = (v / v0) * math.exp(k * (v - v0)) if op.leakage_law == "exponential" else max(0.0, 1 + k * (v - v0))
    static = p.static_scale if p.static_scale is not None else law
    armed = dyn * (f / f0 if not hw.clock.asynchronous else 1.0)
    return OperatingState(p.name, v, f, p.min_step_s, dyn, static, armed)

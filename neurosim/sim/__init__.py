"""The event-driven, cycle-approximate simulator of a compiled chip (DESIGN §6)."""

from neurosim.sim.engine import ACTIONS, SimResult, encode_events, simulate

__all__ = ["ACTIONS", "SimResult", "encode_events", "simulate"]

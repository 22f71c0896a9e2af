"""The event-driven, cycle-approximate simulator of a compiled chip (DESIGN §6)."""

from neurosim.sim.engine import ACTIONS, InputEvents, SimResult, encode_events, simulate

__all__ = ["ACTIONS", "InputEvents", "SimResult", "encode_events", "simulate"]

"""Seeded, vectorised simulator of a clinic back office's exports (see simulator/README.md)."""

from .generate import SimulationConfig, simulate

__all__ = ["SimulationConfig", "simulate"]

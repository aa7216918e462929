"""Scenario files (docs/scenarios.md): loading with file:line errors, and running them."""

from harness.scenarios.loader import load_scenario
from harness.scenarios.model import Scenario

__all__ = ["Scenario", "load_scenario"]

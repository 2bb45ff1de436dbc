"""Scenario files: load, validate, resolve defaults, apply overrides."""

from sim.scenario.loader import (
    LoadedScenario,
    ScenarioSource,
    from_resolved,
    load_scenario,
    read_scenario,
    resolved_yaml,
)
from sim.scenario.references import TerritoryTable, TraceTable, read_trace_csv, territory_table
from sim.scenario.schema import Scenario

__all__ = ["LoadedScenario", "Scenario", "ScenarioSource", "from_resolved", "read_scenario", "TerritoryTable",
           "TraceTable", "load_scenario", "read_trace_csv", "resolved_yaml", "territory_table"]

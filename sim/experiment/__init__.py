"""Replications, KPIs and confidence intervals (sweeps build on this)."""

from sim.experiment.kpis import PHASE_KPIS, kpi_names, replication_kpis
from sim.experiment.runner import Failure, iter_replications
from sim.experiment.stats import mean_ci

__all__ = ["PHASE_KPIS", "kpi_names", "Failure", "iter_replications", "mean_ci", "replication_kpis"]

"""Reads the records the persona KPIs compute on, through the service's ports, and calls :mod:`monitor.kpis`.

Snapshots are read whole (every batch of the model): the KPIs use those before the end of the period,
and an empty period's message names where the model's batches are.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from monitor.errors import MonitorError
from monitor.kpis import ModelKpis, Period, ProductionModel
from monitor.kpis import business_kpis as compute_business
from monitor.kpis import engineer_kpis as compute_engineer
from monitor.spec import ModelSpec

__all__ = ["production_model", "business_kpis", "engineer_kpis", "RUNS_HISTORY_DAYS"]

RUNS_HISTORY_DAYS = 90
"""Pipeline runs are read from this many days before the previous period (for the usual duration ranges)."""


def _production(service: Any, spec: ModelSpec) -> tuple[ProductionModel | None, str | None]:
    """The production version and its training date, or None and why the registry could not say."""
    try:
        info = service.mlflow.production_version(spec.registered_model)
    except MonitorError as exc:
        return None, f"The model registry could not be read: {exc}"
    if info is None:
        return None, None
    trained_at = (service.profile_doc(spec.name, info.version) or {}).get("trained_at")
    if not trained_at and info.run_id:
        try:
            trained_at = service.mlflow.run(info.run_id).get("start")
        except MonitorError:
            trained_at = None
    return ProductionModel(str(info.version), trained_at or info.created or None, info.run_id), None


def production_model(service: Any, spec: ModelSpec) -> ProductionModel | None:
    """The production version of a model and its training date (profile doc, else training run, else registration)."""
    return _production(service, spec)[0]


def business_kpis(service: Any, model: str, period: Period, now: dt.datetime | None = None) -> ModelKpis:
    """:func:`monitor.kpis.business_kpis` of one model, on every batch of the model and its production version."""
    spec = service.spec.model(model)
    production, problem = _production(service, spec)
    return compute_business(spec, service.snapshots(model), period, production=production, now=now,
                            registry_problem=problem)


def engineer_kpis(service: Any, model: str, period: Period, now: dt.datetime | None = None) -> ModelKpis:
    """:func:`monitor.kpis.engineer_kpis` of one model (its pipelines' runs from 90 days before the previous period)."""
    spec = service.spec.model(model)
    runs = service.pipeline_runs(period.previous.start - dt.timedelta(days=RUNS_HISTORY_DAYS), period.end,
                                 list(spec.pipelines)) if spec.pipelines else []
    return compute_engineer(spec, service.snapshots(model), runs, period, now=now)

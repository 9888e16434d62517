"""Persona KPIs: five numbers per model for business users, five for data engineers.

Every KPI is a pure function of typed snapshots (:class:`monitor.snapshots.types.Snapshot`), pipeline
runs (:class:`monitor.records.PipelineRun`), the model's onboarding spec and the production version
(:class:`ProductionModel`); :mod:`monitor.collect.kpis` reads those through the service. Each
:class:`Kpi` carries the batch ids and pipeline run ids it was computed from, its definition
(``help``), the same figure for the period before, of equal length, and the typed figure it was read
from (:mod:`monitor.figures`). The definitions are written out in ``docs/kpis.md``.

- :mod:`monitor.kpis.values`: :class:`Period`, :class:`Kpi`, :class:`ModelKpis`, :class:`ProductionModel`;
- :mod:`monitor.kpis.health`: the health score and performance KPIs, both from one period performance figure;
- :mod:`monitor.kpis.business`: :func:`business_kpis`;
- :mod:`monitor.kpis.engineer`: :func:`engineer_kpis`, :func:`usual_ranges`;
- :mod:`monitor.kpis.definitions`: the definition and levels of every KPI;
- :mod:`monitor.kpis.attention`: what needs attention on a model, each failing part with one next step;
- :mod:`monitor.kpis.words`: plain-language sentences of the figures.
"""

from monitor.figures import HealthScore
from monitor.kpis.attention import Attention, attention
from monitor.kpis.business import business_kpis
from monitor.kpis.definitions import HELP, HELP_ENGINEER
from monitor.kpis.engineer import engineer_kpis, run_minutes, usual_ranges
from monitor.kpis.health import period_figure
from monitor.kpis.values import (
    LIGHTS,
    STATUS_COLORS,
    STATUS_TINTS,
    STATUS_WORDS,
    Kpi,
    ModelKpis,
    Period,
    ProductionModel,
    span_message,
    unavailable,
)
from monitor.kpis.words import shift_plain, utc_text

__all__ = ["Period", "Kpi", "ModelKpis", "ProductionModel", "HealthScore", "business_kpis", "engineer_kpis",
           "period_figure", "usual_ranges", "run_minutes", "unavailable", "span_message", "STATUS_WORDS", "LIGHTS",
           "STATUS_COLORS", "STATUS_TINTS", "HELP", "HELP_ENGINEER", "Attention", "attention", "shift_plain", "utc_text"]

"""The persona KPIs as tables and as a stakeholder page: the portfolio, the CSV export, the runs table, the HTML summary.

Every cell is read from the :class:`monitor.kpis.Kpi` results (and the typed figure each carries), so
the tables and the exports show exactly what the cards show. No Streamlit here: the pages render them.
"""

from __future__ import annotations

import datetime as dt
import html
from collections.abc import Iterable, Sequence

import pandas as pd

from monitor.figures import PeriodPerformance
from monitor.kpis import LIGHTS, STATUS_WORDS, Kpi, ModelKpis, run_minutes
from monitor.records import PipelineRun

__all__ = ["portfolio_frame", "kpi_frame", "runs_frame", "health_parts_frame", "business_summary_html"]

PORTFOLIO_COLUMNS = ["", "Model", "Status", "Health score", "Main metric", "Predictions", "Trained", "Why"]


def _reason(kpi: Kpi) -> str:
    health = kpi.figure if kpi.key == "health" else None
    if health is not None and health.worst:
        return f"{health.worst}: {health.parts[health.worst].reason}"
    return f"{kpi.label.lower()}: {kpi.note.split('. ')[0].rstrip('.')}"


def main_metric_cell(report: ModelKpis) -> str:
    """The main metric of the period as one cell, e.g. ``MAE 6.69 (2% worse)``: the performance card's figure."""
    kpi = report.get("performance")
    figure = kpi.figure if kpi is not None else None
    return figure.short if isinstance(figure, PeriodPerformance) and kpi.value is not None else \
        (kpi.display if kpi is not None else "—")


def _trained(report: ModelKpis) -> str:
    kpi = report.get("training_age")
    if kpi is None:
        return "—"
    return f"{kpi.display} ago" if kpi.value is not None else kpi.display


def portfolio_frame(reports: Sequence[ModelKpis]) -> pd.DataFrame:
    """One row per model for business users: traffic light, health score, main metric and what needs attention."""
    rows = []
    for r in reports:
        health = r.get("health")
        flagged = [k for k in r.kpis if k.status == r.status and r.status in ("warn", "alert")]
        why = "; ".join(_reason(k) for k in flagged) or r.message or (
            "nothing to report" if r.status == "ok" else STATUS_WORDS[r.status])
        rows.append({"": LIGHTS[r.status], "Model": r.model, "Status": STATUS_WORDS[r.status],
                     "Health score": health.value if health is not None else None, "Main metric": main_metric_cell(r),
                     "Predictions": r.kpi("volume").display if r.get("volume") else "—", "Trained": _trained(r),
                     "Why": why})
    return pd.DataFrame(rows, columns=PORTFOLIO_COLUMNS)


def health_parts_frame(kpi: Kpi) -> pd.DataFrame:
    """The parts of a health-score KPI: score, why, and the batches each was judged on."""
    parts = kpi.figure.parts if kpi.figure is not None else {}
    return pd.DataFrame([{"part": name, "score (0-100)": round(p.score), "why": p.reason,
                          "batches": " ".join(p.batch_ids)} for name, p in parts.items()],
                        columns=["part", "score (0-100)", "why", "batches"])


def kpi_frame(reports: Iterable[ModelKpis]) -> pd.DataFrame:
    """Every KPI of the given results, one row each, with the batch and run ids it came from (for CSV export)."""
    rows = [{
        "model": r.model, "persona": r.persona, "period_start": r.period.start.date().isoformat(),
        "period_end": r.period.last_day, "as_of": r.as_of, "kpi": k.key, "label": k.label, "value": k.value,
        "shown": k.display, "previous_period": k.previous, "change": k.delta, "status": k.status, "note": k.note,
        "batch_ids": " ".join(k.batch_ids), "run_ids": " ".join(k.run_ids), "definition": k.help,
    } for r in reports for k in r.kpis]
    return pd.DataFrame(rows, columns=["model", "persona", "period_start", "period_end", "as_of", "kpi", "label", "value",
                                       "shown", "previous_period", "change", "status", "note", "batch_ids", "run_ids",
                                       "definition"])


def runs_frame(runs: Sequence[PipelineRun], flagged: Iterable[str] = ()) -> pd.DataFrame:
    """Pipeline runs as a table (newest first), with the runs outside their usual duration marked."""
    flagged_ids = set(flagged)
    rows = [{
        "pipeline": r.pipeline_name, "status": r.status, "start": pd.Timestamp(r.run_start) if r.run_start else pd.NaT,
        "end": pd.Timestamp(r.run_end) if r.run_end else pd.NaT, "duration_min": run_minutes(r),
        "outside_usual_range": r.run_id in flagged_ids, "message": r.message, "run_id": r.run_id,
    } for r in runs]
    frame = pd.DataFrame(rows, columns=["pipeline", "status", "start", "end", "duration_min", "outside_usual_range",
                                        "message", "run_id"])
    return frame.sort_values("start", ascending=False).reset_index(drop=True)


# -- the stakeholder page (self-contained HTML: no scripts, no external files) ---------------------------------
_COLORS = {"ok": "#2e7d32", "warn": "#ef6c00", "alert": "#c62828", "none": "#90a4ae"}
_CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:2rem auto;max-width:1100px;color:#263238}
h1{margin-bottom:.2rem}.muted{color:#607d8b;font-size:.9rem}
table{border-collapse:collapse;width:100%;margin:1rem 0}th,td{text-align:left;padding:.4rem .6rem;border-bottom:1px solid #eceff1}
.cards{display:grid;grid-template-columns:repeat(auto-fit,minmax(190px,1fr));gap:.8rem;margin:.8rem 0 2rem}
.card{border:1px solid #cfd8dc;border-radius:8px;padding:.7rem;border-top:4px solid var(--c)}
.label{font-size:.85rem;color:#546e7a}.value{font-size:1.6rem;font-weight:600}.delta{font-size:.85rem;color:#546e7a}
.note{font-size:.8rem;margin-top:.3rem}details{font-size:.75rem;color:#607d8b;margin-top:.3rem}
"""


def _e(text: object) -> str:
    return html.escape(str(text), quote=True)


def _cell(value: object) -> str:
    if value is None or value != value:  # None or NaN
        return ""
    return f"{value:.0f}" if isinstance(value, float) else str(value)


def _sparkline(kpi: Kpi, width: int = 160, height: int = 32) -> str:
    values = [v for _, v in kpi.trend]
    if len(values) < 2:
        return ""
    lo, hi = min(values), max(values)
    span = (hi - lo) or 1.0
    step = width / (len(values) - 1)
    points = " ".join(f"{i * step:.1f},{height - 2 - (v - lo) / span * (height - 4):.1f}" for i, v in enumerate(values))
    return (f'<svg width="{width}" height="{height}" role="img" aria-label="trend">'
            f'<polyline fill="none" stroke="#546e7a" stroke-width="1.5" points="{points}"/></svg>')


def _card(kpi: Kpi) -> str:
    delta = f"{_e(kpi.delta_display)} vs previous period" if kpi.delta_display else "no previous period to compare"
    sources = " ".join(kpi.batch_ids + kpi.run_ids) or "none"
    return (f'<div class="card" style="--c:{_COLORS[kpi.status]}"><div class="label">{_e(kpi.label)}</div>'
            f'<div class="value">{_e(kpi.display)}</div><div class="delta">{delta}</div>{_sparkline(kpi)}'
            f'<div class="note">{_e(kpi.note)}</div><details><summary>How it is computed</summary>{_e(kpi.help)}'
            f'<br>From: {_e(sources)}</details></div>')


def business_summary_html(reports: Sequence[ModelKpis], title: str = "MLOps Monitor — model health",
                          generated: dt.datetime | None = None) -> str:
    """The portfolio row per model and the five business KPIs of each, as one HTML page."""
    period = reports[0].period if reports else None
    when = f"{period.words}, compared with the {period.days:.0f} days before" if period else ""
    table = portfolio_frame(reports)
    head = "".join(f"<th>{_e(c)}</th>" for c in table.columns)
    body = "".join("<tr>" + "".join(f"<td>{_e(_cell(v))}</td>" for v in row) + "</tr>" for row in table.itertuples(index=False))
    sections = []
    for r in reports:
        cards = "".join(_card(k) for k in r.kpis)
        message = f'<p class="muted">{_e(r.message)}</p>' if r.message else ""
        sections.append(f"<h2>{LIGHTS[r.status]} {_e(r.model)} — {_e(STATUS_WORDS[r.status])}</h2>{message}"
                        f'<div class="cards">{cards}</div>')
    stamp = (generated or dt.datetime.now(dt.timezone.utc)).strftime("%Y-%m-%d %H:%M UTC")
    return (f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>{_e(title)}</title>'
            f"<style>{_CSS}</style></head><body><h1>{_e(title)}</h1>"
            f'<p class="muted">Period: {_e(when)}. Generated {stamp}.</p>'
            f"<h2>All models</h2><table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
            + "".join(sections) + "</body></html>")

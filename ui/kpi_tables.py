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
from monitor.kpis import (
    STATUS_COLORS,
    STATUS_TINTS,
    STATUS_WORDS,
    Kpi,
    ModelKpis,
    attention,
    run_minutes,
    utc_text,
)
from monitor.records import PipelineRun

__all__ = ["portfolio_frame", "portfolio_style", "kpi_frame", "runs_frame", "runs_style", "failed_runs_frame",
           "findings_groups", "health_parts_frame", "business_summary_html"]

PORTFOLIO_COLUMNS = ["Model", "Status", "Health score", "Main metric", "Predictions", "Trained", "Why"]
_STATUS_OF = {words: status for status, words in STATUS_WORDS.items()}
FAILED = ("Failed", "Cancelled")


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


def why(report: ModelKpis) -> str:
    """Every failing part of a model in a few words (``Inputs changed (0/100); Predictions shifted (+1.6 pts)``)."""
    items = "; ".join(a.short for a in attention(report))
    return items or report.message or ("nothing to report" if report.status == "ok" else STATUS_WORDS[report.status])


def portfolio_frame(reports: Sequence[ModelKpis]) -> pd.DataFrame:
    """One row per model for business users: status, health score, main metric and every failing part."""
    rows = []
    for r in reports:
        health = r.get("health")
        rows.append({"Model": r.model, "Status": STATUS_WORDS[r.status],
                     "Health score": health.value if health is not None else None, "Main metric": main_metric_cell(r),
                     "Predictions": r.kpi("volume").display if r.get("volume") else "—", "Trained": _trained(r),
                     "Why": why(r)})
    return pd.DataFrame(rows, columns=PORTFOLIO_COLUMNS)


def _status_cells(status: str, bold: bool = True) -> str:
    return f"background-color: {STATUS_TINTS[status]}; color: {STATUS_COLORS[status]}" + ("; font-weight: 600" if bold else "")


def portfolio_style(frame: pd.DataFrame):
    """The portfolio with its Status and Why cells in the colour of each model's status."""
    def colour(row: pd.Series) -> list[str]:
        status = _STATUS_OF.get(row["Status"], "none")
        return [_status_cells(status) if c == "Status" else _status_cells(status, bold=False) if c == "Why" else ""
                for c in row.index]

    return frame.style.apply(colour, axis=1)


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


def _follow_up(run: PipelineRun, runs: Sequence[PipelineRun]) -> str:
    """For a failed or cancelled run: when a later run of the same pipeline succeeded, if one did."""
    if run.status not in FAILED or not run.run_start:
        return ""
    later = sorted(r.run_start for r in runs if r.pipeline_name == run.pipeline_name and r.status == "Succeeded"
                   and r.run_start and r.run_start > run.run_start)
    return f"re-run succeeded at {utc_text(later[0])}" if later else "no successful run since"


def runs_frame(runs: Sequence[PipelineRun], flagged: Iterable[str] = ()) -> pd.DataFrame:
    """Pipeline runs as a table (newest first), with the runs outside their usual duration marked and, for each
    failed run, whether a later run of its pipeline succeeded (``follow_up``)."""
    flagged_ids = set(flagged)
    rows = [{
        "pipeline": r.pipeline_name, "status": r.status, "start": pd.Timestamp(r.run_start) if r.run_start else pd.NaT,
        "end": pd.Timestamp(r.run_end) if r.run_end else pd.NaT, "duration_min": run_minutes(r),
        "outside_usual_range": r.run_id in flagged_ids, "follow_up": _follow_up(r, runs), "message": r.message,
        "run_id": r.run_id,
    } for r in runs]
    frame = pd.DataFrame(rows, columns=["pipeline", "status", "start", "end", "duration_min", "outside_usual_range",
                                        "follow_up", "message", "run_id"])
    return frame.sort_values("start", ascending=False).reset_index(drop=True)


def runs_style(frame: pd.DataFrame):
    """The runs table with failed and cancelled runs in red, slow runs in amber."""
    def colour(row: pd.Series) -> list[str]:
        status = "alert" if row["status"] in FAILED else "warn" if row.get("outside_usual_range") else None
        return [_status_cells(status, bold=c == "status") if status else "" for c in row.index]

    return frame.style.apply(colour, axis=1)


def failed_runs_frame(failed: Sequence[dict], runs: pd.DataFrame | None) -> pd.DataFrame:
    """The failed runs of the success-rate KPI (its ``failed`` details), with readable start times and what
    happened next (from :func:`runs_frame`)."""
    follow = dict(zip(runs["run_id"], runs["follow_up"], strict=True)) if runs is not None and not runs.empty else {}
    rows = [{"pipeline": f["pipeline"], "started": utc_text(f["start"]), "duration_min": f["duration_min"],
             "status": f["status"], "then": follow.get(f["run_id"], ""), "message": f["message"], "run_id": f["run_id"]}
            for f in failed]
    return pd.DataFrame(rows, columns=["pipeline", "started", "duration_min", "status", "then", "message", "run_id"])


SEVERITIES = ("critical", "warning", "info")


def findings_groups(findings: pd.DataFrame) -> pd.DataFrame:
    """Data-quality findings (``monitor.views.findings_frame``) grouped by severity, column and check, critical first:
    how many batches, the first and latest batch (readable UTC times) and the latest detail."""
    columns = ["severity", "column", "check", "findings", "batches", "first seen", "latest", "latest detail",
               "latest batch"]
    if findings.empty:
        return pd.DataFrame(columns=columns)
    data = findings.assign(column=findings["column"].fillna("(whole batch)")).sort_values("batch_time")
    rows = []
    for (severity, column, check), g in data.groupby(["severity", "column", "check"], sort=False):
        rows.append({"severity": severity, "column": column, "check": check, "findings": len(g),
                     "batches": g["batch_id"].nunique(),
                     "first seen": utc_text(g["batch_time"].iloc[0].to_pydatetime()),
                     "latest": utc_text(g["batch_time"].iloc[-1].to_pydatetime()), "latest detail": g["detail"].iloc[-1],
                     "latest batch": g["batch_id"].iloc[-1]})
    frame = pd.DataFrame(rows, columns=columns)
    rank = frame["severity"].map({s: i for i, s in enumerate(SEVERITIES)}).fillna(len(SEVERITIES))
    return (frame.assign(_rank=rank).sort_values(["_rank", "batches", "column"], ascending=[True, False, True])
            .drop(columns="_rank").reset_index(drop=True))


# -- the stakeholder page (self-contained HTML: no scripts, no external files) ---------------------------------
_CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:2rem auto;max-width:1100px;color:#263238}
h1{margin-bottom:.2rem}.muted{color:#607d8b;font-size:.9rem}
table{border-collapse:collapse;width:100%;margin:1rem 0}th,td{text-align:left;padding:.4rem .6rem;border-bottom:1px solid #eceff1}
.cards{display:grid;grid-template-columns:repeat(auto-fit,minmax(190px,1fr));gap:.8rem;margin:.8rem 0 2rem}
.card{border:1px solid #cfd8dc;border-radius:8px;padding:.7rem}
.label{font-size:.85rem;color:#546e7a}.value{font-size:1.6rem;font-weight:600}.delta{font-size:.85rem;color:#546e7a}
.note{font-size:.8rem;margin-top:.3rem}details{font-size:.75rem;color:#607d8b;margin-top:.3rem}
.card,.item{background:var(--t);border-left:6px solid var(--c)}.item{border-radius:6px;padding:.5rem .8rem;margin:.5rem 0;list-style:none}
.badge{display:inline-block;border-radius:.7rem;padding:.05rem .55rem;font-size:.8rem;font-weight:600;color:#fff;background:var(--c)}
ul.items{padding:0}.step{font-size:.9rem;margin-top:.2rem}
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


def _colours(status: str) -> str:
    return f'style="--c:{STATUS_COLORS[status]};--t:{STATUS_TINTS[status]}"'


def _badge(status: str, words: str | None = None) -> str:
    return f'<span class="badge" {_colours(status)}>{_e(words or STATUS_WORDS[status])}</span>'


def _card(kpi: Kpi) -> str:
    delta = f"{_e(kpi.delta_display)} vs previous period" if kpi.delta_display else "no previous period to compare"
    sources = " ".join(kpi.batch_ids + kpi.run_ids) or "none"
    words = "no status" if kpi.status == "none" else None
    return (f'<div class="card" {_colours(kpi.status)}>{_badge(kpi.status, words)}<div class="label">{_e(kpi.label)}</div>'
            f'<div class="value">{_e(kpi.display)}</div><div class="delta">{delta}</div>{_sparkline(kpi)}'
            f'<div class="note">{_e(kpi.note)}</div><details><summary>How it is computed</summary>{_e(kpi.help)}'
            f'<br>From: {_e(sources)}</details></div>')


def _items(report: ModelKpis) -> str:
    items = attention(report)
    if not items:
        return ""
    rows = "".join(f'<li class="item" {_colours(a.status)}>{_badge(a.status)} <b>{_e(a.title)}</b>'
                   + (f" · {_e(a.figure)}" if a.figure else "") + f"<div>{_e(a.what)}</div>"
                   f'<div class="step"><b>Next step:</b> {_e(a.next_step)}</div></li>' for a in items)
    return f'<h3>What needs attention</h3><ul class="items">{rows}</ul>'


def business_summary_html(reports: Sequence[ModelKpis], title: str = "MLOps Monitor — model health",
                          generated: dt.datetime | None = None) -> str:
    """The portfolio row per model and the five business KPIs of each, as one HTML page."""
    period = reports[0].period if reports else None
    when = f"{period.words}, compared with the {period.days:.0f} days before" if period else ""
    table = portfolio_frame(reports)
    head = "".join(f"<th>{_e(c)}</th>" for c in table.columns)
    body = "".join("<tr>" + "".join(
        f"<td {_colours(_STATUS_OF.get(row.Status, 'none'))}><b>{_e(v)}</b></td>" if c == "Status"
        else f"<td>{_e(_cell(v))}</td>" for c, v in zip(table.columns, row, strict=True)) + "</tr>"
        for row in table.itertuples(index=False))
    sections = []
    for r in reports:
        cards = "".join(_card(k) for k in r.kpis)
        message = f'<p class="muted">{_e(r.message)}</p>' if r.message else ""
        sections.append(f"<h2>{_e(r.model)} — {_badge(r.status)}</h2>{message}"
                        f'<div class="cards">{cards}</div>{_items(r)}')
    stamp = (generated or dt.datetime.now(dt.timezone.utc)).strftime("%Y-%m-%d %H:%M UTC")
    return (f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>{_e(title)}</title>'
            f"<style>{_CSS}</style></head><body><h1>{_e(title)}</h1>"
            f'<p class="muted">Period: {_e(when)}. Generated {stamp}.</p>'
            f"<h2>All models</h2><table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
            + "".join(sections) + "</body></html>")

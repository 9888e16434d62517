"""A self-contained HTML summary of the business KPIs, for stakeholders (no scripts, no external files)."""

from __future__ import annotations

import datetime as dt
import html
from collections.abc import Sequence

from monitor.kpis import LIGHTS, STATUS_WORDS, Kpi, ModelKpis, portfolio_frame

__all__ = ["business_summary_html"]

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


def business_summary_html(reports: Sequence[ModelKpis], title: str = "MLOps Monitor — model health") -> str:
    """The portfolio row per model and the five business KPIs of each, as one HTML page."""
    period = reports[0].period if reports else None
    when = (f"{period.start:%Y-%m-%d} to {(period.end - dt.timedelta(days=1)):%Y-%m-%d}, compared with the "
            f"{period.days:.0f} days before") if period else ""
    table = portfolio_frame(reports)
    head = "".join(f"<th>{_e(c)}</th>" for c in table.columns)
    body = "".join("<tr>" + "".join(f"<td>{_e(_cell(v))}</td>" for v in row) + "</tr>" for row in table.itertuples(index=False))
    sections = []
    for r in reports:
        cards = "".join(_card(k) for k in r.kpis)
        message = f'<p class="muted">{_e(r.message)}</p>' if r.message else ""
        sections.append(f"<h2>{LIGHTS[r.status]} {_e(r.model)} — {_e(STATUS_WORDS[r.status])}</h2>{message}"
                        f'<div class="cards">{cards}</div>')
    generated = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    return (f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>{_e(title)}</title>'
            f"<style>{_CSS}</style></head><body><h1>{_e(title)}</h1>"
            f'<p class="muted">Period: {_e(when)}. Generated {generated}.</p>'
            f"<h2>All models</h2><table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
            + "".join(sections) + "</body></html>")

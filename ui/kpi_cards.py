"""Rendering of persona KPI results: coloured metric cards, the model heading, what needs attention with links to
the pages that show the cause, and the charts of the Pipelines & data page (runs timeline, volume, missing values).

A status is never shown by colour alone: each card and each item carries a badge with an icon and the status in
words, and a left border and background tint in the status colour (``monitor.kpis.STATUS_COLORS``).
"""

from __future__ import annotations

import html
from collections.abc import Sequence

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from monitor.escape import md
from monitor.kpis import STATUS_COLORS, STATUS_TINTS, STATUS_WORDS, Attention, ModelKpis, attention
from monitor.snapshots.types import Snapshot
from monitor.timeutil import day
from ui import gate

RUN_COLORS = {"Succeeded": "#2e7d32", "Failed": "#c62828", "Cancelled": "#6d4c41", "InProgress": "#1565c0",
              "Queued": "#90a4ae", "Canceling": "#ef6c00"}
RUN_SYMBOLS = {"Succeeded": "circle", "Failed": "x", "Cancelled": "square", "InProgress": "diamond",
               "Queued": "diamond-open", "Canceling": "square-open"}
RUN_ORDER = ["Succeeded", "Queued", "InProgress", "Canceling", "Cancelled", "Failed"]
"""Drawing order of the runs timeline: later statuses are drawn on top, so a failed run is never hidden."""
BADGE_COLORS = {"ok": "green", "warn": "orange", "alert": "red", "none": "gray"}
BADGE_ICONS = {"ok": ":material/check_circle:", "warn": ":material/warning:", "alert": ":material/error:",
               "none": ":material/radio_button_unchecked:"}
CARD_WORDS = {**STATUS_WORDS, "none": "no status"}


def _e(text: object) -> str:
    return html.escape(str(text), quote=False)


def _css() -> str:
    rules = []
    for status, colour in STATUS_COLORS.items():
        for prefix in ("kpicard", "attention"):
            rules.append(f'div[class*="st-key-{prefix}-{status}-"]{{border:1px solid {colour}55 !important;'
                         f"border-left:6px solid {colour} !important;background:{STATUS_TINTS[status]} !important}}")
    rules.append('div[class*="st-key-kpicard-"] svg.marks{background:transparent !important}')  # the sparkline
    return "<style>" + "".join(rules) + "</style>"


def style() -> None:
    """The status colours of cards and items (call once per page, before them)."""
    st.html(_css())


def badge(status: str, words: str | None = None) -> str:
    """A coloured badge in markdown: icon and the status in words (escaped)."""
    text = md(words if words is not None else CARD_WORDS[status]).replace("[", "(").replace("]", ")")
    return f":{BADGE_COLORS[status]}-badge[{BADGE_ICONS[status]} {text}]"


def metric_cards(report: ModelKpis) -> None:
    """The KPIs of one model as cards coloured by status: badge, value, change from the previous period (grey
    when there is none or it is expected), trend, and the note."""
    if not report.kpis:
        return
    style()
    for col, kpi in zip(st.columns(len(report.kpis)), report.kpis, strict=True):
        with col, st.container(border=True, key=f"kpicard-{kpi.status}-{report.persona}-{kpi.key}"):
            st.markdown(badge(kpi.status))
            trend = [v for _, v in kpi.trend]
            st.metric(kpi.label, kpi.display, kpi.delta_display, delta_color=kpi.delta_color,
                      delta_arrow=kpi.delta_arrow, help=kpi.help, chart_data=trend if len(trend) > 1 else None,
                      chart_type="line", delta_description="vs previous period" if kpi.delta_display else None)
            st.caption(md(kpi.note))


def heading(report: ModelKpis) -> None:
    """The model name with its status badge, and the empty-state message when there is one."""
    st.subheader(f"{md(report.model)} {badge(report.status, STATUS_WORDS[report.status])}")
    if report.message:
        st.info(md(report.message), icon="ℹ️")


# -- what needs attention ----------------------------------------------------------------------------------
def _pages() -> dict[str, gate.PageDef]:
    return {p.url_path: p for _, pages in (*gate.PAGES.values(), gate.SHARED) for p in pages}


def _allowed(page: gate.PageDef) -> bool:
    """Whether the visitor may open ``page`` (every page when login is off)."""
    try:
        granted = gate.access()
    except Exception:  # a settings problem is reported by the page header; link nowhere rather than fail
        return False
    return not granted.login or gate.persona_of(page.path) in granted.personas


def _link_label(item: Attention, page: gate.PageDef) -> str:
    where = f" · batch of {day(item.batch_ts)}" if item.batch_ts else f" · {item.batch_id}" if item.batch_id else ""
    return f"Open {page.title}{where}"


def attention_list(report: ModelKpis) -> None:
    """Every failing part of the model, red first: what is wrong, one next step, and a link to the page (and batch)
    that shows the cause. A Drift link opens the Drift page on its batch (``?batch=``)."""
    style()
    model, items = report.model, attention(report)
    if not items:
        if report.has_data and report.status == "ok":
            st.success("Nothing needs attention: every part of the health score is at 80 or more and every figure is "
                       "green.", icon=":material/check_circle:")
        else:
            st.info("Nothing to judge: the figures of this period are missing (see above).", icon="ℹ️")
        return
    pages = _pages()
    for n, item in enumerate(items):
        page = pages[item.page]
        with st.container(border=True, key=f"attention-{item.status}-{n}"):
            left, right = st.columns([3, 2], gap="medium")
            with left:
                figure = f" · {md(item.figure)}" if item.figure else ""
                st.markdown(f"{badge(item.status)} **{md(item.title)}**{figure}")
                st.markdown(md(item.what))
            with right:
                st.markdown(f"**Next step:** {md(item.next_step)}")
                if _allowed(page):
                    st.page_link(page.path, label=_link_label(item, page), icon=":material/arrow_forward:",
                                 query_params={"model": model, **({"batch": item.batch_id} if item.page == "drift"
                                                                   and item.batch_id else {})})
                else:
                    st.caption(f"Shown on the {md(page.title)} page, which your access does not include: ask a "
                               "colleague who has it.")


# -- Pipelines & data charts ---------------------------------------------------------------------------------
def runs_timeline(frame: pd.DataFrame) -> go.Figure:
    """Pipeline runs on a time axis, one row per pipeline, one marker per run coloured and shaped by status.

    Failed runs are drawn last and a little above their row, so a same-day re-run never hides them; each is
    labelled with what happened next (``re-run succeeded at …``). Runs outside their usual duration are marked.
    """
    data = frame.dropna(subset=["start"])
    pipelines = sorted(data["pipeline"].unique(), reverse=True)
    row = {p: i for i, p in enumerate(pipelines)}
    fig = go.Figure()
    for status in sorted(data["status"].unique(), key=lambda s: RUN_ORDER.index(s) if s in RUN_ORDER else 0):
        runs = data[data["status"] == status]
        failed = status in ("Failed", "Cancelled")
        y = [row[p] + (0.22 if failed else 0.0) for p in runs["pipeline"]]
        hover = [f"<b>{_e(p)}</b><br>{_e(status)}, started {s:%Y-%m-%d %H:%M} UTC<br>"
                 + (f"{d:.1f} min" if d == d else "no duration") + (f"<br>{_e(m)}" if m else "") + (f"<br>{f}" if f else "")
                 for p, s, d, m, f in zip(runs["pipeline"], runs["start"], runs["duration_min"],
                                          runs["message"].fillna(""), runs["follow_up"].fillna(""), strict=True)]
        fig.add_trace(go.Scatter(
            x=runs["start"], y=y, mode="markers", name=status, hovertext=hover, hoverinfo="text",
            marker=dict(color=RUN_COLORS.get(status, "#546e7a"), symbol=RUN_SYMBOLS.get(status, "circle"),
                        size=15 if failed else 9, line=dict(width=2.5 if failed else 0, color=RUN_COLORS.get(status)))))
        if failed:
            for r, yy in zip(runs.itertuples(), y, strict=True):
                fig.add_annotation(x=r.start, y=yy, text=f"{status.lower()} · {r.follow_up or 'no re-run yet'}",
                                   showarrow=False, yshift=16, font=dict(color=RUN_COLORS.get(status), size=12))
    for r in data[data["outside_usual_range"]].itertuples():
        fig.add_annotation(x=r.start, y=row[r.pipeline], text="slow", showarrow=True, arrowhead=2, ay=28)
    fig.update_yaxes(tickvals=list(row.values()), ticktext=list(row), range=[-0.6, len(row) - 0.2], title=None)
    fig.update_layout(title="Pipeline runs over time", height=max(240, 90 * len(row) + 130), margin=dict(l=10, r=10, t=40, b=10),
                      legend=dict(orientation="h", y=-0.25), hovermode="closest", xaxis_title=None)
    return fig


def _batch_axis(fig: go.Figure, title: str, height: int = 300) -> go.Figure:
    fig.update_layout(title=title, height=height, margin=dict(l=10, r=10, t=40, b=10), xaxis_title=None,
                      legend=dict(orientation="h", y=-0.25), hovermode="x unified")
    return fig


def volume_chart(snaps: Sequence[Snapshot]) -> go.Figure:
    """Rows per batch, with the median batch size of the period as a dashed line."""
    x = [pd.Timestamp(s.ts) for s in snaps]
    rows = [s.n_rows for s in snaps]
    fig = go.Figure(go.Scatter(x=x, y=rows, mode="lines+markers", name="rows", line=dict(color="#1565c0"),
                               customdata=[s.batch_id for s in snaps],
                               hovertemplate="%{y:,.0f} rows<br>%{customdata}<extra></extra>"))
    if rows:
        median = float(pd.Series(rows).median())
        fig.add_hline(y=median, line_dash="dash", line_color="#78909c",
                      annotation_text=f"median {median:,.0f}", annotation_position="bottom right")
    fig.update_yaxes(rangemode="tozero", tickformat=",.0f", title="rows")
    return _batch_axis(fig, "Rows per batch")


def missing_chart(snaps: Sequence[Snapshot], top: int = 6) -> go.Figure | None:
    """Share of missing values per batch for the columns that have any (the ``top`` worst), or None when none has."""
    frame = pd.DataFrame([{"batch": pd.Timestamp(s.ts), **dict(s.missing)} for s in snaps]).set_index("batch")
    if frame.empty:
        return None
    worst = frame.fillna(0).max().sort_values(ascending=False)
    columns = [c for c in worst.index if worst[c] > 0][:top]
    if not columns:
        return None
    fig = go.Figure([go.Scatter(x=frame.index, y=frame[c], mode="lines+markers", name=str(c),
                                hovertemplate=f"{c}: " + "%{y:.1%}<extra></extra>") for c in columns])
    fig.update_yaxes(rangemode="tozero", tickformat=".0%", title="missing")
    fig.update_layout(showlegend=True)  # name the column even when it is the only one
    return _batch_axis(fig, "Missing values per batch (columns with any)")

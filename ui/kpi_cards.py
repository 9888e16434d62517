"""Rendering of persona KPI results: metric cards with sparklines, and the pipeline-run timeline."""

from __future__ import annotations

import pandas as pd
import plotly.express as px
import plotly.graph_objects as go
import streamlit as st

from monitor.escape import md
from monitor.kpis import LIGHTS, STATUS_WORDS, ModelKpis

STATUS_COLORS = {"Succeeded": "#2e7d32", "Failed": "#c62828", "Cancelled": "#6d4c41", "InProgress": "#1565c0",
                 "Queued": "#90a4ae", "Canceling": "#ef6c00"}


def metric_cards(report: ModelKpis) -> None:
    """The KPIs of one model as bordered metrics (value, change from the previous period, trend) with a note."""
    if not report.kpis:
        return
    for col, kpi in zip(st.columns(len(report.kpis)), report.kpis, strict=True):
        with col:
            trend = [v for _, v in kpi.trend]
            st.metric(kpi.label, kpi.display, kpi.delta_display, delta_color=kpi.delta_color, help=kpi.help, border=True,
                      chart_data=trend if len(trend) > 1 else None, chart_type="line",
                      delta_description="vs previous period" if kpi.delta_display else None)
            st.caption(f"{LIGHTS[kpi.status]} {md(kpi.note)}")


def heading(report: ModelKpis) -> None:
    """The model name with its traffic light, and the empty-state message when there is one."""
    st.subheader(f"{LIGHTS[report.status]} {md(report.model)} — {STATUS_WORDS[report.status]}")
    if report.message:
        st.info(md(report.message), icon="ℹ️")


def runs_timeline(frame: pd.DataFrame) -> go.Figure:
    """Gantt-style timeline of pipeline runs, one row per pipeline, coloured by status."""
    data = frame.dropna(subset=["start"]).assign(end=lambda f: f["end"].fillna(f["start"]))
    fig = px.timeline(data, x_start="start", x_end="end", y="pipeline", color="status", color_discrete_map=STATUS_COLORS,
                      hover_data={"duration_min": ":.1f", "message": True, "run_id": True},
                      title="Pipeline runs")
    # runs of minutes on a months-long axis would be invisible: give each bar a visible width
    fig.update_traces(width=0.6)
    for row in data[data["outside_usual_range"]].itertuples():
        fig.add_annotation(x=row.start, y=row.pipeline, text="slow", showarrow=True, arrowhead=2, ay=-25)
    fig.update_layout(height=max(260, 70 * data["pipeline"].nunique() + 120), margin=dict(l=10, r=10, t=40, b=10),
                      legend=dict(orientation="h", y=-0.2), yaxis_title=None)
    return fig

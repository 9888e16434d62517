"""Plotly figures for the pages. Plotting lives in the app, never on result classes."""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.express as px
import plotly.graph_objects as go

COLORS = {"ok": "#2e7d32", "drift": "#c62828", "warn": "#ef6c00", "ref": "#90a4ae", "cur": "#1565c0"}


def _layout(fig: go.Figure, height: int = 320) -> go.Figure:
    fig.update_layout(height=height, margin=dict(l=10, r=10, t=40, b=10), legend=dict(orientation="h", y=-0.2))
    return fig


def drift_trend(frame: pd.DataFrame, value: str = "share_drifted", threshold: float | None = None,
                title: str = "Share of drifted features per batch") -> go.Figure:
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=frame["batch_time"], y=frame[value], mode="lines+markers", name=value.replace("_", " "),
                             marker=dict(size=10, color=[COLORS["drift"] if d else COLORS["ok"] for d in frame["drifted"]]),
                             line=dict(color="#546e7a"), customdata=frame["batch_id"],
                             hovertemplate="%{customdata}<br>%{y:.3f}<extra></extra>"))
    if threshold is not None:
        fig.add_hline(y=threshold, line_dash="dash", line_color=COLORS["drift"], annotation_text=f"threshold {threshold:g}")
    for _, row in frame[frame.get("flipped", pd.Series(False, index=frame.index))].iterrows():
        fig.add_vline(x=row["batch_time"], line_dash="dot", line_color=COLORS["warn"])
        fig.add_annotation(x=row["batch_time"], y=1.02, yref="paper", showarrow=False,
                           text="drift starts" if row["drifted"] else "drift ends", font=dict(color=COLORS["warn"]))
    fig.update_layout(title=title, yaxis_title=value.replace("_", " "))
    return _layout(fig)


def distributions(frame: pd.DataFrame, title: str) -> go.Figure:
    fig = px.bar(frame, x="bin", y="share", color="sample", barmode="group", title=title,
                 color_discrete_map={"reference": COLORS["ref"], "current": COLORS["cur"]})
    fig.update_layout(xaxis_title=None, yaxis_tickformat=".0%")
    return _layout(fig)


def importance_bars(importance: dict[str, float], title: str = "Global feature importance (mean |SHAP|)") -> go.Figure:
    s = pd.Series(importance).sort_values()
    fig = go.Figure(go.Bar(x=s.values, y=s.index, orientation="h", marker_color=COLORS["cur"]))
    fig.update_layout(title=title, xaxis_title="mean |SHAP value|")
    return _layout(fig, max(260, 28 * len(s) + 80))


PALETTE = px.colors.qualitative.D3 + px.colors.qualitative.Set2 + px.colors.qualitative.Pastel1


def feature_colours(features) -> dict[str, str]:
    """One colour per feature, fixed by the feature's place in the model's onboarding table (same in every session)."""
    return {f: PALETTE[i % len(PALETTE)] for i, f in enumerate(features)}


def importance_over_time(frame: pd.DataFrame, top: list[str], colours: dict[str, str] | None = None) -> go.Figure:
    fig = px.line(frame[frame["feature"].isin(top)], x="batch_time", y="importance", color="feature", markers=True,
                  title="Importance over time", color_discrete_map=colours or {}, category_orders={"feature": top})
    fig.update_layout(xaxis_title=None, yaxis_title="mean |SHAP value|", legend_title_text=None)
    return _layout(fig)


def waterfall(explanation: dict) -> go.Figure:
    contrib = pd.Series(explanation["contributions"]).sort_values(key=abs, ascending=False)
    values = explanation.get("values", {})
    labels = [f"{c} = {values.get(c)}" for c in contrib.index]
    fig = go.Figure(go.Waterfall(
        orientation="h", measure=["absolute"] + ["relative"] * len(contrib) + ["total"],
        y=["base value"] + labels + ["prediction"], x=[explanation["base_value"], *contrib.values, 0],
        increasing=dict(marker_color=COLORS["drift"]), decreasing=dict(marker_color=COLORS["cur"]),
        totals=dict(marker_color="#37474f"),
    ))
    steps = explanation["base_value"] + contrib.cumsum()
    ends = [explanation["base_value"], *steps.tolist()]
    low, high = min(ends), max(ends)
    pad = (high - low) * 0.15 or abs(high) * 0.1 or 1.0
    fig.update_layout(title=f"Why this prediction ({explanation.get('output', '')})", yaxis=dict(autorange="reversed"),
                      xaxis=dict(range=[low - pad, high + pad]))
    return _layout(fig, max(320, 30 * len(contrib) + 120))


def line_with_threshold(frame: pd.DataFrame, y: str, threshold: float | None, title: str) -> go.Figure:
    fig = px.line(frame, x="batch_time", y=y, markers=True, title=title)
    fig.update_layout(xaxis_title=None)
    if threshold is not None:
        fig.add_hline(y=threshold, line_dash="dash", line_color=COLORS["drift"], annotation_text=f"threshold {threshold:g}")
    return _layout(fig, 280)


def beeswarm(frame: pd.DataFrame, order: list[str]) -> go.Figure:
    """Per-row contributions, one band per feature; colour is a numeric feature's value rank (high = red), grey otherwise."""
    position = {f: i for i, f in enumerate(order)}
    rows = frame[frame["feature"].isin(position)]
    jitter = pd.Series(np.random.default_rng(0).uniform(-0.3, 0.3, len(rows)), index=rows.index)  # fixed between reruns
    ranked = rows["scaled"].notna()
    fig = go.Figure()
    for part, marker, name in (
        (rows[ranked], dict(color=rows.loc[ranked, "scaled"], colorscale="RdBu_r", cmin=0, cmax=1,
                            colorbar=dict(title="value", tickvals=[0, 1], ticktext=["low", "high"], thickness=10)),
         "numeric value"),
        (rows[~ranked], dict(color="#78909c"), "category or missing"),
    ):
        fig.add_trace(go.Scatter(
            x=part["contribution"], y=part["feature"].map(position) + jitter[part.index], mode="markers", name=name,
            marker=dict(size=5, opacity=0.7, **marker), showlegend=False,
            customdata=np.stack([part["feature"], part["value"]], axis=-1) if len(part) else None,
            hovertemplate="%{customdata[0]} = %{customdata[1]}<br>contribution %{x:.4f}<extra></extra>",
        ))
    fig.add_vline(x=0, line_color="#90a4ae")
    fig.update_layout(title="Contribution of each feature, row by row (colour: low → high feature value)",
                      xaxis_title="SHAP value", yaxis=dict(tickvals=list(range(len(order))), ticktext=order,
                                                           autorange="reversed"))
    return _layout(fig, max(320, 36 * len(order) + 100))


def _band_trace(x, low, high, color: str, name: str) -> list[go.Scatter]:
    return [
        go.Scatter(x=x, y=high, mode="lines", line=dict(width=0), showlegend=False, hoverinfo="skip"),
        go.Scatter(x=x, y=low, mode="lines", line=dict(width=0), fill="tonexty", fillcolor=color, name=name,
                   hoverinfo="skip"),
    ]


def performance_trend(frame: pd.DataFrame, metric: str, label: str, higher_is_better: bool) -> go.Figure:
    """Realized (solid) and estimated (dashed) ``metric`` per batch with their bands, against the baseline."""
    fig = go.Figure()
    x = frame["batch_time"]
    if frame["estimated"].notna().any():
        for trace in _band_trace(x, frame["estimated_low"], frame["estimated_high"], "rgba(239,108,0,0.15)",
                                 "estimate's band"):
            fig.add_trace(trace)
        fig.add_trace(go.Scatter(x=x, y=frame["estimated"], mode="lines+markers", name="estimated (no labels needed)",
                                 line=dict(color=COLORS["warn"], dash="dash"), customdata=frame["batch_id"],
                                 hovertemplate="%{customdata}<br>estimated %{y:.3f}<extra></extra>"))
    realized = frame[frame["realized"].notna()]
    if not realized.empty:
        for trace in _band_trace(realized["batch_time"], realized["realized_low"], realized["realized_high"],
                                 "rgba(21,101,192,0.15)", "realized band (sampling)"):
            fig.add_trace(trace)
        fig.add_trace(go.Scatter(x=realized["batch_time"], y=realized["realized"], mode="lines+markers",
                                 name="realized (labels arrived)", line=dict(color=COLORS["cur"]),
                                 customdata=realized["batch_id"], hovertemplate="%{customdata}<br>realized %{y:.3f}<extra></extra>"))
    baseline = frame["baseline"].dropna()
    if not baseline.empty:
        low, high = frame["baseline_low"].dropna(), frame["baseline_high"].dropna()
        if not low.empty and not high.empty:
            fig.add_hrect(y0=float(low.iloc[-1]), y1=float(high.iloc[-1]), fillcolor=COLORS["ref"], opacity=0.15,
                          line_width=0)
        fig.add_hline(y=float(baseline.iloc[-1]), line_dash="dot", line_color=COLORS["ref"],
                      annotation_text=f"baseline {float(baseline.iloc[-1]):.3g}")
    flagged = frame[frame["status"].isin(["warn", "alert"])]
    if not flagged.empty:
        value = flagged["realized"].where(flagged["realized"].notna(), flagged["estimated"])
        fig.add_trace(go.Scatter(x=flagged["batch_time"], y=value, mode="markers", name="worse than baseline",
                                 marker=dict(symbol="x", size=13, color=[COLORS["drift"] if s == "alert" else COLORS["warn"]
                                                                         for s in flagged["status"]]),
                                 customdata=flagged["status"], hovertemplate="%{customdata}<extra></extra>"))
    waiting = frame[~frame["labelled"]]
    for t in waiting["batch_time"]:
        fig.add_vline(x=t, line_dash="dot", line_color="#cfd8dc")
    fig.update_layout(title=f"{label} per batch ({'higher' if higher_is_better else 'lower'} is better)",
                      yaxis_title=label)
    return _layout(fig, 360)


def mark_batch(fig: go.Figure, when, label: str) -> go.Figure:
    """A vertical marker on a time chart at the batch the page is showing."""
    fig.add_vline(x=when, line_color="#37474f", line_width=2, opacity=0.6)
    fig.add_annotation(x=when, y=1.08, yref="paper", showarrow=False, text=label, font=dict(color="#37474f", size=11))
    return fig


def drift_heatmap(matrix: pd.DataFrame, order: list[str]) -> go.Figure:
    """Feature × batch: each cell the drift statistic relative to its threshold (1 = the line), drifted cells outlined."""
    if matrix.empty:
        return _layout(go.Figure())
    wide = matrix.pivot_table(index="feature", columns="batch_time", values="relative", aggfunc="last", dropna=False)
    wide = wide.reindex([f for f in order if f in wide.index])
    batch = matrix.drop_duplicates("batch_time").set_index("batch_time")["batch_id"].reindex(wide.columns)
    capped = wide.clip(upper=3.0)
    text = wide.map(lambda v: "" if pd.isna(v) else f"{v:.1f}")
    fig = go.Figure(go.Heatmap(
        z=capped.to_numpy(), x=list(wide.columns), y=list(wide.index), zmin=0, zmax=3, text=text.to_numpy(),
        texttemplate="%{text}", customdata=np.tile(batch.to_numpy(), (len(wide.index), 1)),
        colorscale=[[0, "#e8f5e9"], [0.33, "#fff3e0"], [0.34, "#ffcdd2"], [1, "#b71c1c"]],
        colorbar=dict(title="× threshold", tickvals=[0, 1, 2, 3], ticktext=["0", "1 (line)", "2", "≥3"], thickness=10),
        hovertemplate="%{y} · %{customdata}<br>%{z:.2f} × threshold<extra></extra>"))
    fig.update_layout(title="Drift per feature and batch (statistic ÷ threshold; ≥ 1 is drift)",
                      xaxis=dict(type="date", tickformat="%d %b"), yaxis=dict(autorange="reversed"))
    return _layout(fig, max(260, 30 * len(wide.index) + 120))


def value_distributions(result, title: str) -> go.Figure:
    """Reference vs batch distribution of one column: on its own value axis as a density (numeric), or per category.

    Numeric bins are the reference's quantiles, so they differ in width: each bar's height is its share divided by
    its width, which keeps the picture of the distribution true. Values outside the reference's range are said in
    the legend.
    """
    dist = dict(result.dist) if result is not None else {}
    edges, ref, cur = dist.get("edges"), dist.get("ref") or [], dist.get("cur") or []
    if edges is None or dist.get("categories") or dist.get("labels"):
        from monitor.views import distribution_frame

        return distributions(distribution_frame(result), title)
    edges = [float(e) for e in edges]
    inner = len(ref) == len(edges) + 1  # under/overflow bins at both ends
    ref_in, cur_in = (ref[1:-1], cur[1:-1]) if inner else (ref, cur)
    centres = [(a + b) / 2 for a, b in zip(edges[:-1], edges[1:], strict=False)]
    widths = [max(b - a, 1e-12) for a, b in zip(edges[:-1], edges[1:], strict=False)]
    outside = (cur[0] or 0) + (cur[-1] or 0) if inner else 0.0
    fig = go.Figure()
    for name, values, colour in (("reference", ref_in, COLORS["ref"]),
                                 (f"this batch ({outside:.1%} outside the reference range)" if outside else "this batch",
                                  cur_in, COLORS["cur"])):
        density = [(v or 0) / w for v, w in zip(values, widths, strict=False)]
        fig.add_trace(go.Bar(x=centres, y=density, width=widths, name=name, marker_color=colour, opacity=0.6,
                             customdata=values, hovertemplate="%{x:.4g}: %{customdata:.1%} of rows<extra></extra>"))
    fig.update_layout(title=title, barmode="overlay", yaxis=dict(title="density", showticklabels=False),
                      xaxis=dict(tickformat="~g", nticks=8))
    return _layout(fig)


def rate_over_time(frame: pd.DataFrame, y: str, reference: float | None, title: str) -> go.Figure:
    """A share per batch (e.g. the positive-prediction rate) against its level in the training data."""
    fig = px.line(frame, x="batch_time", y=y, markers=True, title=title)
    if reference is not None:
        fig.add_hline(y=reference, line_dash="dot", line_color=COLORS["ref"], annotation_text=f"training {reference:.1%}")
    fig.update_layout(yaxis_tickformat=".1%", yaxis_title=None, xaxis_title=None)
    return _layout(fig, 280)

"""Drift: dataset drift of the chosen batch and its trend, which features drift and since when, prediction and
target drift, data quality, and Evidently's report built with the model's own methods."""

import pandas as pd
import streamlit as st

from monitor.escape import inline_code, md
from monitor.views import (
    drift_label,
    drift_matrix,
    drifting_since_frame,
    feature_table,
    findings_frame,
    overall_frame,
)
from ui import cache, charts
from ui.tables import feature_table_view
from ui.widgets import download_csv, empty_state, page_header

header = page_header("Drift")
name, spec, start, end = header.name, header.spec, header.start, header.end
snaps = cache.snapshots(name, start, end)
if not snaps:
    empty_state(f"No snapshots for **{md(name)}** in this period.",
                "Pick a longer period, or log batches with `monitor.log_batch` and run `python -m monitor run` "
                "(or the job on the Models page).")
    st.stop()

batch_ids = [s.batch_id for s in snaps]
labels = {s.batch_id: f"{s.ts[:10]} · {s.batch_id}" for s in snaps}
asked = st.query_params.get("batch")  # a link from Model health names the batch that shows the cause
if asked in labels and st.session_state.get("_batch_from_link") != (name, asked):
    st.session_state[f"drift-batch-{name}"], st.session_state["_batch_from_link"] = asked, (name, asked)
chosen = st.selectbox("Batch", batch_ids[::-1], format_func=labels.get, key=f"drift-batch-{name}",
                      help="Every figure below is for this batch; the charts mark it.")
idx = batch_ids.index(chosen)
snap, prev = snaps[idx], snaps[idx - 1] if idx else None
drift = snap.drift

m1, m2, m3, m4 = st.columns(4)
m1.metric("Batch", snap.ts[:10], help=md(snap.batch_id))
m2.metric("Dataset drift", "DRIFT" if drift.drifted else "no drift",
          delta=None if prev is None or prev.drift.drifted == drift.drifted else
          ("started with this batch" if drift.drifted else "ended with this batch"), delta_color="off")
m3.metric("Drifted features", f"{drift.n_drifted} / {drift.n_features}",
          help=f"Dataset drift when at least {drift.share_threshold:.0%} of the features drift.")
m4.metric("Importance-weighted drift", f"{drift.weighted_score:.2f}" if drift.weighted_score is not None else "—",
          help="Share of the model's importance carried by drifted features.")
if drift.drifted_features:
    st.markdown("**Drifted:** " + ", ".join(inline_code(c) for c in drift.drifted_features))
st.caption(f"Rule: {md(drift.rule)}")

trend = overall_frame(snaps)
fig = charts.drift_trend(trend, threshold=drift.share_threshold)
st.plotly_chart(charts.mark_batch(fig, pd.Timestamp(snap.ts), "shown"), width="stretch")

st.subheader("Which features drift, and since when")
table = feature_table(snap, prev)
order = table["feature"].tolist()
since = drifting_since_frame(snaps[: idx + 1])
matrix = drift_matrix(snaps)
h1, h2 = st.columns([5, 2])
with h1:
    st.plotly_chart(charts.mark_batch(charts.drift_heatmap(matrix, order), pd.Timestamp(snap.ts), ""),
                    width="stretch")
with h2:
    if not since.empty:
        st.markdown("**Drifting since**")
        st.dataframe(since, hide_index=True, width="stretch")
    else:
        st.success("No feature drifts in this batch.")


feature_table_view(table)
download_csv(table, f"{name}-{chosen}-feature-drift.csv", "Download the feature table (CSV)")


@st.fragment
def feature_detail(name: str, snap, order: list[str]) -> None:
    """One feature's distribution against the reference (its drift over time is its row of the heatmap above);
    choosing another feature reruns only this part."""
    left, right = st.columns([1, 2])
    with left:
        feature = st.selectbox("Feature", order, key=f"drift-feature-{name}")
        result = snap.drift.features[feature]
        st.markdown(md(drift_label(result)))
        if result.rule:
            st.caption(md(result.rule))
    with right:
        st.plotly_chart(charts.value_distributions(result, f"{feature}: reference vs this batch"), width="stretch")
    if result.error:
        st.warning(f"{md(feature)}: {md(result.error)}")


pred, target = snap.prediction.drift, snap.target_drift
counts = snap.quality.counts
st.markdown(f"**Prediction {inline_code(spec.prediction)}** — {md(drift_label(pred))}  \n"
            + (f"**Target {inline_code(spec.target)}** — {md(drift_label(target))}  \n" if target is not None else
               ("**Target** — no labels for this batch yet  \n" if spec.target else ""))
            + f"**Data quality** — {counts['critical']} critical, {counts['warning']} warning, {counts['info']} info "
              "finding(s)")

# Only the open tab runs, so the page draws its first screen without every chart below.
detail, predictions, quality, evidently = st.tabs(
    ["Feature detail", "Predictions and target", "Data quality", "Evidently report"], key=f"drift-tabs-{name}",
    on_change="rerun")
if detail.open:
    with detail:
        feature_detail(name, snap, order)
if predictions.open:
    with predictions:
        p1, p2 = st.columns(2)
        with p1:
            if spec.task == "classification":
                st.plotly_chart(charts.mark_batch(charts.rate_over_time(
                    trend, "positive_rate", snap.prediction.reference.positive_rate, "Share of positive predictions per batch"),
                    pd.Timestamp(snap.ts), ""), width="stretch")
                if snap.prediction.score_drift is not None:
                    st.markdown(f"**Score {inline_code(spec.score)}** — {md(drift_label(snap.prediction.score_drift))}")
                    st.plotly_chart(charts.value_distributions(snap.prediction.score_drift, "Scores: reference vs this batch"),
                                    width="stretch")
            else:
                st.plotly_chart(charts.value_distributions(pred, "Predictions: reference vs this batch"), width="stretch")
        with p2:
            if target is not None:
                st.plotly_chart(charts.value_distributions(target, "Target: reference vs this batch"), width="stretch")
            else:
                empty_state("No labels for this batch yet: target drift and performance appear when they arrive.")
if quality.open:
    with quality:
        findings = findings_frame([snap])
        if findings.empty:
            st.success("No data-quality findings in this batch.")
        else:
            st.dataframe(findings[["severity", "column", "check", "detail"]], hide_index=True, width="stretch",
                         column_config={"detail": st.column_config.TextColumn(width="large")})
if evidently.open:
    with evidently:
        st.caption("Evidently's own report of this batch, computed with this model's drift methods, thresholds and drift "
                   "share, so its verdict is the one above.")
        wanted = st.session_state.setdefault("evidently_wanted", set())
        if (name, chosen) not in wanted and st.button("Build the Evidently report for this batch", key="evidently"):
            wanted.add((name, chosen))
        if (name, chosen) in wanted:
            html = cache.evidently_report(name, chosen)
            st.download_button("Download the Evidently report (HTML)", html, file_name=f"{name}-{chosen}-evidently.html",
                               mime="text/html", key=f"dl-evidently-{name}-{chosen}")

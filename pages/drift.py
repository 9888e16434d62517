"""Drift: overall drift and its trend, feature-wise drift, prediction/target drift and data quality."""

import pandas as pd
import streamlit as st

from monitor.escape import inline_code, md
from monitor.views import distribution_frame, drift_label, feature_table, findings_frame, overall_frame
from ui import cache, charts
from ui.gate import require_access
from ui.widgets import backend_warnings, download_csv, empty_state, model_picker, period_picker, service_or_stop

require_access(__file__)

st.title("Drift")
svc = service_or_stop()
backend_warnings()
c1, c2 = st.columns([1, 2])
with c1:
    name = model_picker(svc.spec.names)
with c2:
    start, end = period_picker()
spec = svc.model(name)
snaps = cache.snapshots(name, start, end)
if not snaps:
    empty_state(f"No snapshots for **{md(name)}** in this period.",
                "Log batches with `monitor.log_batch`, then run `python -m monitor run` (or the job on the Models page).")
    st.stop()

trend = overall_frame(snaps)
latest = snaps[-1]
overall = latest["drift"]["overall"]
m1, m2, m3, m4 = st.columns(4)
m1.metric("Latest batch", latest["ts"][:10], help=md(latest["batch_id"]))
m2.metric("Dataset drift", "DRIFT" if overall["drifted"] else "no drift")
m3.metric("Drifted features", f"{overall['n_drifted']} / {overall['n_features']}")
m4.metric("Importance-weighted drift", f"{overall['weighted_score']:.2f}" if overall.get("weighted_score") is not None else "—")
st.caption(f"Rule: {md(overall.get('rule', ''))}")
st.plotly_chart(charts.drift_trend(trend, threshold=overall.get("share_threshold")), width="stretch")

batch_ids = [s["batch_id"] for s in snaps]
chosen = st.selectbox("Batch", batch_ids[::-1], key=f"drift-batch-{name}")
idx = batch_ids.index(chosen)
snap, prev = snaps[idx], snaps[idx - 1] if idx else None

st.subheader("Feature drift")
table = feature_table(snap, prev)
st.dataframe(table, hide_index=True, width="stretch", column_config={
    "statistic": st.column_config.NumberColumn(format="%.4f"), "change": st.column_config.NumberColumn(format="%+.4f"),
    "threshold": st.column_config.NumberColumn(format="%.3g"), "p_value": st.column_config.NumberColumn(format="%.3g"),
    "missing_ref": st.column_config.NumberColumn(format="percent"), "missing_cur": st.column_config.NumberColumn(format="percent"),
})
download_csv(table, f"{name}-{chosen}-feature-drift.csv")

feature = st.selectbox("Feature", table["feature"].tolist(), key=f"drift-feature-{name}")
result = snap["drift"]["features"][feature]
left, right = st.columns(2)
with left:
    st.plotly_chart(charts.distributions(distribution_frame(result), f"{feature}: reference vs this batch"), width="stretch")
with right:
    series = pd.DataFrame([{"batch_time": pd.Timestamp(s["ts"]), "statistic": (s["drift"]["features"].get(feature) or {}).get("statistic")}
                           for s in snaps])
    st.plotly_chart(charts.feature_trend(series, feature, result.get("threshold")), width="stretch")
if result.get("error"):
    st.warning(f"{md(feature)}: {md(result['error'])}")

st.subheader("Prediction and target drift")
p1, p2 = st.columns(2)
pred = snap["prediction"].get("drift") or {}
with p1:
    st.markdown(f"**Prediction {inline_code(spec.prediction)}** — {md(drift_label(pred))}")
    st.plotly_chart(charts.distributions(distribution_frame(pred), "Predictions: reference vs this batch"), width="stretch")
with p2:
    target = snap.get("target_drift")
    if target:
        st.markdown(f"**Target {inline_code(spec.target)}** — {md(drift_label(target))}")
        st.plotly_chart(charts.distributions(distribution_frame(target), "Target: reference vs this batch"), width="stretch")
    else:
        empty_state("No labels for this batch yet: target drift and performance appear when they arrive.")

st.subheader("Data quality")
findings = findings_frame([snap])
if findings.empty:
    st.success("No data-quality findings in this batch.")
else:
    st.dataframe(findings.drop(columns=["batch_time"]), hide_index=True, width="stretch")

st.subheader("Full Evidently report")
if st.button("Build the Evidently report for this batch", key="evidently"):
    with st.spinner("Building the Evidently report (this reads the batch and reference from MLflow)..."):
        try:
            html = svc.evidently_report_html(name, chosen)
        except Exception as exc:
            st.error(f"Could not build the Evidently report: {md(exc)}")
            html = None
    if html:
        st.download_button("Download the report (HTML)", html, file_name=f"{name}-{chosen}-evidently.html", mime="text/html")

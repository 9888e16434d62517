"""Performance: realized metrics per batch once labels arrive, estimated ones while they are late, against the baseline."""

import streamlit as st

from monitor.escape import md
from monitor.views import PERFORMANCE_METRICS, performance_frame
from ui import cache, charts
from ui.widgets import download_csv, empty_state, page_header

header = page_header("Performance", slots=1)
NAMES = {"auc": "AUC", "accuracy": "Accuracy", "precision": "Precision", "recall": "Recall", "f1": "F1",
         "log_loss": "Log loss", "mae": "Mean absolute error", "rmse": "Root mean squared error",
         "mape": "Mean absolute percentage error", "r2": "R²"}
SHORT = {**NAMES, "mae": "MAE", "rmse": "RMSE", "mape": "MAPE"}
LOWER_IS_BETTER = {"log_loss", "mae", "rmse", "mape"}
name, spec, start, end = header.name, header.spec, header.start, header.end
with header.slots[0]:
    metric = st.selectbox("Metric", PERFORMANCE_METRICS[spec.task], format_func=NAMES.get, key=f"perf-metric-{name}")
snaps = cache.snapshots(name, start, end)
if not spec.target:
    empty_state(f"**{md(name)}** has no `target` column in monitor.toml, so its performance is not measured.",
                "Name the label column as `target` in its table and log labels with `monitor.log_labels`.")
    st.stop()
if not snaps:
    empty_state(f"No batches of **{md(name)}** in this period.", "Pick a longer period, or log batches and run the job.")
    st.stop()

frame = performance_frame(snaps, metric)
latest = snaps[-1]
waiting = frame[~frame["labelled"]]
m1, m2, m3, m4 = st.columns(4)
realized = frame["realized"].dropna()
m1.metric(f"Latest realized {SHORT[metric]}", f"{realized.iloc[-1]:.3f}" if not realized.empty else "—",
          help="On the newest batch whose labels have arrived, with its 95% sampling band on the chart.")
estimated = frame["estimated"].dropna()
m2.metric(f"Latest estimated {SHORT[metric]}", f"{estimated.iloc[-1]:.3f}" if not estimated.empty else "—",
          help="Estimated without labels: from calibrated scores for classifiers, from a model of the expected error "
               "for regressors. Kept beside the realized value so its accuracy can be judged.")
baseline = frame["baseline"].dropna()
m3.metric("Baseline", f"{baseline.iloc[-1]:.3f}" if not baseline.empty else "—",
          help=f"Measured on {(latest.baseline.source if latest.baseline else None) or 'data the model did not train on'}.")
m4.metric("Batches waiting for labels", len(waiting))

if frame["realized"].isna().all() and frame["estimated"].isna().all():
    note = latest.estimated.note if latest.estimated else None
    empty_state(f"No {NAMES[metric]} for **{md(name)}** in this period yet.",
                md(note) if note else "It appears once labels arrive (`monitor.log_labels`) or estimates are computed.")
else:
    st.plotly_chart(charts.performance_trend(frame, metric, NAMES[metric], metric not in LOWER_IS_BETTER), width="stretch")
    st.caption("Solid: realized on labelled rows, with its sampling band. Dashed: estimated before labels arrive, with its "
               "band. Dotted vertical lines: batches whose labels have not arrived. Estimation reads the model's scores "
               "and inputs, so it cannot see a change in the relation between inputs and labels (concept drift).")
note = latest.estimated.note if latest.estimated else None
if note:
    st.info(f"**No estimate for this model:** {md(note)}", icon="ℹ️")
if not waiting.empty:
    st.subheader("Waiting for labels")
    number = st.column_config.NumberColumn
    st.dataframe(waiting[["batch_time", "batch_id", "estimated", "estimated_low", "estimated_high"]], hide_index=True,
                 width="stretch", column_config={
                     "batch_time": st.column_config.DatetimeColumn("batch", format="YYYY-MM-DD HH:mm [UTC]"),
                     "batch_id": "batch id", "estimated": number(f"estimated {SHORT[metric]}", format="%.3f"),
                     "estimated_low": number("band low", format="%.3f"), "estimated_high": number("band high", format="%.3f")})
download_csv(frame, f"{name}-performance-{metric}-{start}-{end}.csv", "Download this table (CSV)")

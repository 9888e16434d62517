"""Explainability: global importance, importance over time, attribution drift, local explanations."""

import pandas as pd
import streamlit as st

from monitor.escape import md
from monitor.views import importance_frame, overall_frame
from ui import cache, charts
from ui.gate import require_access
from ui.widgets import backend_warnings, download_csv, empty_state, model_picker, period_picker, service_or_stop

require_access(__file__)

st.title("Explainability")
svc = service_or_stop()
backend_warnings()
c1, c2 = st.columns([1, 2])
with c1:
    name = model_picker(svc.spec.names)
with c2:
    start, end = period_picker()
spec = svc.model(name)
snaps = [s for s in cache.snapshots(name, start, end) if (s.get("explain") or {}).get("importance")]
if not snaps:
    errors = {(s.get("explain") or {}).get("error") for s in cache.snapshots(name, start, end)} - {None}
    empty_state(f"No explanations for **{md(name)}** in this period.", md("; ".join(sorted(errors))))
    st.stop()

batch_ids = [s["batch_id"] for s in snaps]
chosen = st.selectbox("Batch", batch_ids[::-1], key=f"explain-batch-{name}")
snap = snaps[batch_ids.index(chosen)]
explain = snap["explain"]
st.caption(f"Explainer: {explain.get('explainer')} · output explained: {explain.get('output')} · "
           f"{explain.get('n_rows')} rows sampled (seed {explain.get('seed')})")
if explain.get("fallback"):
    st.info(f"**Approximate explanations.** {md(explain.get('description'))}", icon="ℹ️")

left, right = st.columns(2)
with left:
    st.plotly_chart(charts.importance_bars(explain["importance"]), width="stretch")
with right:
    imp = importance_frame(snaps)
    top = pd.Series(explain["importance"]).sort_values(ascending=False).index[:5].tolist()
    st.plotly_chart(charts.importance_over_time(imp, top), width="stretch")
download_csv(imp, f"{name}-importance-by-batch.csv", "Download importance by batch (CSV)")

with st.expander("Row by row: how each feature pushed the predictions of this batch", expanded=True):
    try:
        order = pd.Series(explain["importance"]).sort_values(ascending=False).index.tolist()
        st.plotly_chart(charts.beeswarm(cache.explain_sample(name, chosen), order), width="stretch")
    except Exception as exc:
        st.warning(f"Per-row contributions are unavailable for {md(chosen)}: {md(exc)}")

st.subheader("Attribution drift")
trend = overall_frame(snaps)
threshold = explain.get("ndcg_threshold")
a1, a2 = st.columns([1, 3])
a1.metric("NDCG vs reference ranking", f"{explain['ndcg']:.3f}" if explain.get("ndcg") is not None else "—",
          help="1.0 = same importance ranking as on the reference data; below the threshold the model's reasoning changed.")
a1.metric("Verdict", "changed" if explain.get("attribution_drift") else "stable")
with a2:
    st.plotly_chart(charts.line_with_threshold(trend, "ndcg", threshold, "Attribution drift (NDCG) per batch"), width="stretch")

st.subheader("Explain one prediction")
frame = cache.batch_frame(name, chosen)
mode = st.radio("Find the row", ["by row number", "by value"], horizontal=True, key="explain-find")
if mode == "by row number":
    row = int(st.number_input("Row", min_value=0, max_value=len(frame) - 1, value=0, step=1, key="explain-row"))
else:
    col = st.selectbox("Column", list(frame.columns), key="explain-col")
    needle = st.text_input("Value contains", key="explain-needle")
    hits = frame.index[frame[col].astype(str).str.contains(needle, regex=False)] if needle else frame.index[:0]
    if needle and not len(hits):
        st.warning(f"No row of this batch has '{md(needle)}' in {md(col)}.")
        st.stop()
    row = int(st.selectbox("Matching rows", hits.tolist()[:200], key="explain-hit")) if len(hits) else 0
try:
    local = cache.explain_row(name, chosen, row)
except Exception as exc:
    st.error(f"Cannot explain row {row} of {md(chosen)}: {md(exc)}")
    st.stop()
st.info(md(local["sentence"]))
l1, l2 = st.columns([2, 1])
with l1:
    st.plotly_chart(charts.waterfall(local), width="stretch")
with l2:
    st.markdown(f"**Base value** {local['base_value']:.4f} → **output** {local['output_value']:.4f}")
    contributions = pd.DataFrame({"feature": list(local["contributions"]),
                                  "value": [str(local["values"].get(c)) for c in local["contributions"]],
                                  "contribution": list(local["contributions"].values())})
    st.dataframe(contributions, hide_index=True, width="stretch")
    download_csv(contributions, f"{name}-{chosen}-row{row}-explanation.csv", "Download this explanation (CSV)")

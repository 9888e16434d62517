"""Explainability: global importance, importance over time, attribution drift, local explanations."""

import pandas as pd
import streamlit as st

from monitor.escape import md
from monitor.views import importance_frame, overall_frame
from ui import cache, charts
from ui.explain_view import in_log_odds, named_output, on_probability_scale
from ui.widgets import download_csv, empty_state, page_header

header = page_header("Explainability")
name, spec, start, end = header.name, header.spec, header.start, header.end
every = cache.snapshots(name, start, end)
snaps = [s for s in every if s.explain and s.explain.importance]
if not snaps:
    errors = {s.explain.error for s in every if s.explain and s.explain.error}
    why = "; ".join(sorted(errors)) if errors else (
        "No batches in this period." if not every else "Explanations are turned off for this model (explain.enabled).")
    empty_state(f"No explanations for **{md(name)}** in this period.", md(why))
    st.stop()

batch_ids = [s.batch_id for s in snaps]
chosen = st.selectbox("Batch", batch_ids[::-1], format_func=lambda b: f"{snaps[batch_ids.index(b)].ts[:10]} · {b}",
                      key=f"explain-batch-{name}")
snap = snaps[batch_ids.index(chosen)]
explain = snap.explain
st.caption(f"Explainer: {explain.explainer} · output explained: {md(named_output(explain.output, spec.target))} · "
           f"{explain.n_rows} rows sampled (seed {explain.seed})")
if explain.fallback:
    st.info(f"**Approximate explanations.** {md(explain.description)}", icon="ℹ️")

colours = charts.feature_colours(spec.features)
left, right = st.columns(2)
with left:
    st.plotly_chart(charts.importance_bars(explain.importance), width="stretch")
with right:
    imp = importance_frame(snaps)
    top = pd.Series(explain.importance).sort_values(ascending=False).index[:5].tolist()
    shown = list(dict.fromkeys(top + list(snap.drift.drifted_features)))
    st.plotly_chart(charts.importance_over_time(imp, shown, colours), width="stretch")
    if len(shown) > len(top):
        st.caption("The five most important features, and every feature that drifted in this batch.")
download_csv(imp, f"{name}-importance-by-batch.csv", "Download importance by batch (CSV)")

trend = overall_frame(snaps)
a1, a2, _ = st.columns([1, 1, 2])
a1.metric("Attribution drift (NDCG vs reference ranking)", f"{explain.ndcg:.3f}" if explain.ndcg is not None else "—",
          help="1.0 = same importance ranking as on the reference data; below the threshold the model's reasoning changed.")
a2.metric("Verdict", "changed" if explain.attribution_drift else "stable",
          help=f"Changed when NDCG falls below {explain.ndcg_threshold:g}." if explain.ndcg_threshold is not None else None)


@st.fragment
def explain_one(name: str, chosen: str, spec) -> None:
    """Find a row and explain it; choosing another row reruns only this part of the page."""
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
            return
        row = int(st.selectbox("Matching rows", hits.tolist()[:200], key="explain-hit")) if len(hits) else 0
    try:
        local = cache.explain_row(name, chosen, row)
    except Exception as exc:
        st.error(f"Cannot explain row {row} of {md(chosen)}: {md(exc)}")
        return
    if in_log_odds(local):
        scale = st.radio("Show as", ["probability", "log-odds"], horizontal=True, key="explain-scale",
                         help="The model's trees add up in log-odds; the probability view converts each step.")
        if scale == "probability":
            local = on_probability_scale(local, spec.target)
    else:  # name the class: "probability of defaulted = 1"
        local = dict(local, output=named_output(local["output"], spec.target))
    st.info(md(local["sentence"]))
    fmt = "{:.1%}" if str(local["output"]).startswith("probability") else "{:.4f}"
    l1, l2 = st.columns([2, 1])
    with l1:
        st.plotly_chart(charts.waterfall(local), width="stretch")
    with l2:
        st.markdown(f"**Typical row** {fmt.format(local['base_value'])} → **this row** {fmt.format(local['output_value'])} "
                    f"({md(local['output'])})")
        contributions = pd.DataFrame({"feature": list(local["contributions"]),
                                      "value": [str(local["values"].get(c)) for c in local["contributions"]],
                                      "contribution": list(local["contributions"].values())})
        if fmt == "{:.1%}":  # probabilities: show each step in percentage points
            contributions["contribution"] = 100 * contributions["contribution"]
            contributions = contributions.rename(columns={"contribution": "change (percentage points)"})
        st.dataframe(contributions, hide_index=True, width="stretch")
        download_csv(contributions, f"{name}-{chosen}-row{row}-explanation.csv", "Download this explanation (CSV)")


# Only the open tab runs, so the first screen does not wait for the row-by-row sample or the trend.
one, rows, attribution = st.tabs(["Explain one prediction", "Row by row", "Attribution drift over time"],
                                 key=f"explain-tabs-{name}", on_change="rerun")
if one.open:
    with one:
        explain_one(name, chosen, spec)
if rows.open:
    with rows:
        st.caption("How each feature pushed the predictions of a sample of this batch, row by row.")
        try:
            order = pd.Series(explain.importance).sort_values(ascending=False).index.tolist()
            st.plotly_chart(charts.beeswarm(cache.explain_sample(name, chosen), order), width="stretch")
        except Exception as exc:
            st.warning(f"Per-row contributions are unavailable for {md(chosen)}: {md(exc)}")
if attribution.open:
    with attribution:
        st.plotly_chart(charts.line_with_threshold(trend, "ndcg", explain.ndcg_threshold,
                                                   "Attribution drift (NDCG) per batch"), width="stretch")

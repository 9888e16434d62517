"""Business view: which model needs attention, then five plain numbers per model."""

import streamlit as st

from monitor.escape import md
from monitor.kpis import Period, kpi_frame, portfolio_frame, unavailable
from monitor.summary import business_summary_html
from ui import cache, kpi_cards
from ui.gate import require_access
from ui.widgets import backend_warnings, download_csv, model_picker, period_picker, service_or_stop

require_access(__file__)
st.title("Model health")
svc = service_or_stop()
backend_warnings()
c1, c2 = st.columns([1, 2])
with c1:
    name = model_picker(svc.spec.names)
with c2:
    start, end = period_picker()
st.caption("Every figure is compared with the same number of days just before the chosen period. "
           "Hover the ⓘ of a figure to see how it is worked out.")


def _load(model: str):
    try:
        return cache.business_kpis(model, start, end)
    except Exception as exc:  # one model's problem never takes the page down
        return unavailable(model, "business", Period.from_dates(start, end), f"Figures unavailable: {exc}")


reports = [_load(m) for m in svc.spec.names]

st.subheader("All models")
st.dataframe(portfolio_frame(reports), hide_index=True, width="stretch", column_config={
    "": st.column_config.TextColumn(width="small"),
    "Health score": st.column_config.ProgressColumn(min_value=0, max_value=100, format="%.0f"),
    "Why": st.column_config.TextColumn(width="large"),
})

report = reports[svc.spec.names.index(name)]
st.divider()
kpi_cards.heading(report)
st.caption(md(svc.model(name).description))
kpi_cards.metric_cards(report)

if report.kpis and report.kpi("health").value is not None:
    with st.expander("What makes up the health score"):
        parts = report.kpi("health").details["parts"]
        st.table({"part": list(parts), "score (0-100)": [round(p["score"]) for p in parts.values()],
                  "why": [p["reason"] for p in parts.values()]})

d1, d2 = st.columns(2)
with d1:
    download_csv(kpi_frame(reports), f"model-health-{start}-{end}.csv", "Download the figures (CSV)")
with d2:
    st.download_button("Download a summary page for stakeholders (HTML)", business_summary_html(reports),
                       file_name=f"model-health-{start}-{end}.html", mime="text/html", key="dl-business-summary")

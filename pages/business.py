"""Business view: which model needs attention, then five plain numbers per model."""

import streamlit as st

from monitor.escape import md
from ui import cache, kpi_cards
from ui.kpi_tables import business_summary_html, health_parts_frame, kpi_frame, portfolio_frame
from ui.widgets import download_csv, page_header

h = page_header("Model health", "Every figure is compared with the same number of days just before the chosen period. "
                "Hover the ⓘ of a figure to see how it is worked out.")
reports = cache.business_kpis_all(tuple(h.names), h.start, h.end)

st.subheader("All models")
st.dataframe(portfolio_frame(reports), hide_index=True, width="stretch", column_config={
    "": st.column_config.TextColumn(width="small"),
    "Health score": st.column_config.ProgressColumn(min_value=0, max_value=100, format="%.0f"),
    "Main metric": st.column_config.TextColumn(help="The main accuracy figure of the period (AUC or accuracy for "
                                               "classifiers, MAE for regressors) and how it compares with the "
                                               "baseline: the same figure as the card below."),
    "Why": st.column_config.TextColumn(width="large"),
})

report = reports[h.names.index(h.name)]
st.divider()
kpi_cards.heading(report)
st.caption(md(h.spec.description))
kpi_cards.metric_cards(report)

health = report.get("health")
if health is not None and health.value is not None:
    with st.expander("What makes up the health score"):
        st.dataframe(health_parts_frame(health), hide_index=True, width="stretch")

d1, d2 = st.columns(2)
with d1:
    download_csv(kpi_frame(reports), f"model-health-{h.start}-{h.end}.csv", "Download the figures (CSV)")
with d2:
    st.download_button("Download a summary page for stakeholders (HTML)", business_summary_html(reports),
                       file_name=f"model-health-{h.start}-{h.end}.html", mime="text/html", key="dl-business-summary")

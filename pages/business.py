"""Business view: which model needs attention, five plain numbers per model, and what to do about each failing part."""

import streamlit as st

from monitor.escape import md
from ui import cache, kpi_cards
from ui.kpi_tables import business_summary_html, health_parts_frame, kpi_frame, portfolio_frame, portfolio_style
from ui.widgets import download_csv, page_header

h = page_header("Model health", "Every figure is compared with the same number of days just before the chosen period. "
                "Hover the ⓘ of a figure to see how it is worked out.")
reports = cache.business_kpis_all(tuple(h.names), h.start, h.end)

st.subheader("All models")
# rows tall enough for three lines: the table wraps its text, so every failing part can be read in full; the widths
# add up to the page's width at 1440 px, so no column is pushed out of view
st.dataframe(portfolio_style(portfolio_frame(reports)), hide_index=True, width="stretch", row_height=76, column_config={
    "Model": st.column_config.TextColumn(width=120),
    "Status": st.column_config.TextColumn(width=120, help="The worst status among the model's five figures."),
    "Health score": st.column_config.ProgressColumn(min_value=0, max_value=100, format="%.0f", width=110),
    "Main metric": st.column_config.TextColumn(width=160, help="The main accuracy figure of the period (AUC or accuracy "
                                               "for classifiers, MAE for regressors) and how it compares with the "
                                               "baseline: the same figure as the card below."),
    "Predictions": st.column_config.TextColumn(width=90),
    "Trained": st.column_config.TextColumn(width=80),
    "Why": st.column_config.TextColumn(width=280, help="Every failing part: a part of the health score below 80, or "
                                       "an amber or red figure. Pick the model above to see each one explained, with a "
                                       "next step."),
})

report = reports[h.names.index(h.name)]
st.divider()
kpi_cards.heading(report)
st.caption(md(h.spec.description))
kpi_cards.metric_cards(report)

if report.kpis:
    st.subheader("What needs attention")
    kpi_cards.attention_list(report)

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

"""Data-engineer view: pipeline runs, freshness, data quality, drifted features and durations."""

import pandas as pd
import streamlit as st

from monitor.escape import md
from monitor.views import findings_frame
from ui import cache, kpi_cards
from ui.kpi_tables import kpi_frame, runs_frame
from ui.widgets import download_csv, empty_state, page_header

h = page_header("Pipelines & data")
name, spec, start, end = h.name, h.spec, h.start, h.end
try:
    report = cache.engineer_kpis(name, start, end)
except Exception as exc:  # a model whose figures cannot be computed says why instead of a traceback
    st.error(f"**The figures of {md(name)} could not be computed.** {md(exc)}")
    st.stop()

kpi_cards.heading(report)
kpi_cards.metric_cards(report)
download_csv(kpi_frame([report]), f"{name}-pipelines-{start}-{end}.csv", "Download the KPI table (CSV)")

failed = report.kpi("success").details.get("failed", [])
if failed:
    st.subheader("Failed runs")
    st.dataframe(pd.DataFrame(failed)[["pipeline", "start", "duration_min", "status", "message", "run_id"]],
                 hide_index=True, width="stretch",
                 column_config={"duration_min": st.column_config.NumberColumn("duration (min)", format="%.1f")})

st.subheader("Pipeline runs")
if not spec.pipelines:
    empty_state(f"No pipelines are linked to **{md(name)}**.",
                "List the pipelines that feed it under `pipelines = [...]` in its `monitor.toml` table, and record "
                "their runs with `monitor.pipeline_run(...)` where Azure Data Factory does not run them.")
else:
    flagged = [r["run_id"] for r in report.kpi("duration").details.get("flagged", [])]
    runs = runs_frame(cache.pipeline_runs(start, end, tuple(spec.pipelines)), flagged)
    if runs.empty:
        empty_state(f"No runs of {md(', '.join(spec.pipelines))} in this period.",
                    "Pipelines that Azure Data Factory does not run record their runs with "
                    "`with monitor.pipeline_run(\"<pipeline>\"):` around their work, or `monitor.log_pipeline_run(...)` "
                    "(see the README, \"Onboarding a new model\").")
    else:
        st.plotly_chart(kpi_cards.runs_timeline(runs), width="stretch")
        f1, f2 = st.columns(2)
        with f1:
            pipelines = st.multiselect("Pipeline", sorted(runs["pipeline"].unique()), key="de-pipelines")
        with f2:
            statuses = st.multiselect("Status", sorted(runs["status"].unique()), key="de-statuses")
        shown = runs[runs["pipeline"].isin(pipelines or runs["pipeline"]) & runs["status"].isin(statuses or runs["status"])]
        st.dataframe(shown, hide_index=True, width="stretch", column_config={
            "duration_min": st.column_config.NumberColumn("duration (min)", format="%.1f"),
            "outside_usual_range": st.column_config.CheckboxColumn("outside usual duration"),
        })

st.subheader("Data quality findings")
findings = findings_frame(cache.snapshots(name, start, end))
if findings.empty:
    empty_state("No data-quality findings in this period.")
else:
    st.dataframe(findings, hide_index=True, width="stretch")

st.subheader("Monitoring job")
st.caption("The runs of `python -m monitor run` itself (scheduled, triggered or started from the Models page): when the "
           "figures on every page were computed, and what each run did.")
jobs = runs_frame(cache.job_runs(start, end), set())
if jobs.empty:
    empty_state("The monitoring job has no recorded run in this period.",
                "Run `python -m monitor run`, and schedule it (README: \"Running the job in production\").")
else:
    st.dataframe(jobs[["start", "duration_min", "status", "message", "run_id"]], hide_index=True,
                 width="stretch", column_config={"duration_min": st.column_config.NumberColumn("duration (min)", format="%.1f")})

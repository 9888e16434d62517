"""Data-engineer view: pipeline runs, freshness, data quality, drifted features and durations, and the row volume and
missing values of each batch."""

import streamlit as st

from monitor.escape import md
from monitor.views import findings_frame
from ui import cache, kpi_cards
from ui.kpi_tables import failed_runs_frame, findings_groups, kpi_frame, runs_frame, runs_style
from ui.widgets import download_csv, empty_state, page_header

h = page_header("Pipelines & data")
DURATION = st.column_config.NumberColumn("duration (min)", format="%.1f")
WHEN = "YYYY-MM-DD HH:mm [UTC]"
name, spec, start, end = h.name, h.spec, h.start, h.end
try:
    report = cache.engineer_kpis(name, start, end)
except Exception as exc:  # a model whose figures cannot be computed says why instead of a traceback
    st.error(f"**The figures of {md(name)} could not be computed.** {md(exc)}")
    st.stop()

kpi_cards.heading(report)
kpi_cards.metric_cards(report)
download_csv(kpi_frame([report]), f"{name}-pipelines-{start}-{end}.csv", "Download the KPI table (CSV)")

runs = runs_frame(cache.pipeline_runs(start, end, tuple(spec.pipelines)),
                  [r["run_id"] for r in report.kpi("duration").details.get("flagged", [])]) if spec.pipelines else None
failed = report.kpi("success").details.get("failed", [])
if failed:
    st.subheader("Failed runs")
    text = st.column_config.TextColumn
    st.dataframe(runs_style(failed_runs_frame(failed, runs)), hide_index=True, width="stretch", row_height=90,
                 column_config={"pipeline": text(width=160), "started": text(width=140), "status": text(width=70),
                                "duration_min": st.column_config.NumberColumn("duration (min)", format="%.1f", width=90),
                                "then": text(width=190, help="Whether a later run of the same pipeline succeeded, and "
                                                             "when."),
                                "message": text(width=260), "run_id": text(width=90)})

# Only the open tab runs, so the first screen does not wait for every table and chart of the page.
TABS = ["Pipeline runs", "Rows and missing values per batch", "Data quality findings", "Monitoring job"]
tab_runs, tab_rows, tab_findings, tab_job = st.tabs(TABS, key="de-tabs", on_change="rerun")
if tab_runs.open:
    with tab_runs:
        if runs is None:
            empty_state(f"No pipelines are linked to **{md(name)}**.",
                        "List the pipelines that feed it under `pipelines = [...]` in its `monitor.toml` table, and record "
                        "their runs with `monitor.pipeline_run(...)` where Azure Data Factory does not run them.")
        elif runs.empty:
            empty_state(f"No runs of {md(', '.join(spec.pipelines))} in this period.",
                        "Pipelines that Azure Data Factory does not run record their runs with "
                        "`with monitor.pipeline_run(\"<pipeline>\"):` around their work, or `monitor.log_pipeline_run(...)` "
                        "(see the README, \"Onboarding a new model\").")
        else:
            f1, f2 = st.columns(2)
            with f1:
                pipelines = st.multiselect("Pipeline", sorted(runs["pipeline"].unique()), key="de-pipelines",
                                           placeholder="All pipelines")
            with f2:
                statuses = st.multiselect("Status", sorted(runs["status"].unique()), key="de-statuses", placeholder="All statuses")
            shown = runs[runs["pipeline"].isin(pipelines or runs["pipeline"]) & runs["status"].isin(statuses or runs["status"])]
            if shown.empty:
                empty_state("No run matches these filters.")
            else:
                st.plotly_chart(kpi_cards.runs_timeline(shown), width="stretch")
                st.caption("One marker per run. Failed runs are the red crosses, drawn on top and a little above their "
                           "pipeline's row, with what happened next; \"slow\" marks a run outside its usual duration.")
                order = ["pipeline", "status", "start", "duration_min", "follow_up", "message", "outside_usual_range", "end",
                         "run_id"]
                st.dataframe(runs_style(shown[order]), hide_index=True, width="stretch", column_config={
                    "start": st.column_config.DatetimeColumn(format=WHEN), "end": st.column_config.DatetimeColumn(format=WHEN),
                    "duration_min": DURATION, "outside_usual_range": st.column_config.CheckboxColumn("outside usual duration"),
                    "follow_up": st.column_config.TextColumn("then", width="medium"),
                    "message": st.column_config.TextColumn(width="medium"),
                })
if tab_rows.open:
    with tab_rows:
        snaps = cache.snapshots(name, start, end)
        if not snaps:
            empty_state(f"No batches of {md(name)} in this period.")
        else:
            v1, v2 = st.columns(2)
            with v1:
                st.plotly_chart(kpi_cards.volume_chart(snaps), width="stretch")
            with v2:
                missing = kpi_cards.missing_chart(snaps)
                if missing is None:
                    st.success("No missing values in any batch of this period.")
                else:
                    st.plotly_chart(missing, width="stretch")
if tab_findings.open:
    with tab_findings:
        snaps = cache.snapshots(name, start, end)
        groups = findings_groups(findings_frame(snaps))
        if groups.empty:
            empty_state("No data-quality findings in this period.")
        else:
            st.caption("Grouped by column and check: how many batches had the finding, when it was first and last seen, and "
                       "the latest detail. Critical first; information-only findings are folded away.")
            number, text = st.column_config.NumberColumn, st.column_config.TextColumn
            config = {"severity": None, "column": text(width=130), "check": text(width=140), "findings": number(width=75),
                      "batches": number(width=70), "first seen": text(width=145), "latest": text(width=145),
                      "latest detail": text(width=260)}

            def counted(part) -> str:
                return f"{part['findings'].sum()} finding(s) in {part['column'].nunique()} column(s)"

            for severity, title in (("critical", "Critical"), ("warning", "Warnings")):
                part = groups[groups["severity"] == severity]
                if not part.empty:
                    st.markdown(f"{kpi_cards.badge('alert' if severity == 'critical' else 'warn', title)} **{counted(part)}**")
                    st.dataframe(part, hide_index=True, width="stretch", row_height=70, column_config=config)
            info = groups[~groups["severity"].isin(["critical", "warning"])]
            if not info.empty:
                with st.expander(f"Information only: {counted(info)}"):
                    st.dataframe(info, hide_index=True, width="stretch", row_height=70, column_config=config)
if tab_job.open:
    with tab_job:
        st.caption("The runs of `python -m monitor run` itself (scheduled, triggered or started from the Models page): when the "
                   "figures on every page were computed, and what each run did.")
        jobs = runs_frame(cache.job_runs(start, end), set())
        if jobs.empty:
            empty_state("The monitoring job has no recorded run in this period.",
                        "Run `python -m monitor run`, and schedule it (README: \"Running the job in production\").")
        else:
            st.dataframe(runs_style(jobs[["start", "duration_min", "status", "message", "run_id"]]), hide_index=True,
                         width="stretch", column_config={"start": st.column_config.DatetimeColumn(format=WHEN),
                                                         "duration_min": DURATION})

"""Models & onboarding: what is monitored, whether monitor.toml is valid, and the monitoring job."""

import pandas as pd
import streamlit as st

from monitor.escape import md
from ui import cache
from ui.widgets import page_header

page_header("Models & onboarding", model=False, period=False)

rows = []
for m in cache.onboarded_models():
    snaps = cache.snapshots(m.name)
    rows.append({
        "model": m.name, "registered model": m.registered_model, "task": m.task,
        "features": len(m.features), "pipelines": ", ".join(m.pipelines) or "—",
        "snapshots": len(snaps), "latest batch": snaps[-1].ts[:16].replace("T", " ") if snaps else "—",
        "description": m.description,
    })
st.subheader("Onboarded models")
st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch")

left, right = st.columns(2)
with left:
    st.subheader("Validate monitor.toml")
    st.caption("Checks the file and, against MLflow, that each registered model and its logged columns exist.")
    if st.button("Validate now"):
        with st.spinner("Checking monitor.toml against MLflow..."):
            problems = cache.validate()
        if not any(p.severity == "error" for p in problems):
            st.success("monitor.toml is valid: every model, column and reference was found.")
        for p in problems:
            {"error": st.error, "warning": st.warning}.get(p.severity, st.info)(md(p.message))
with right:
    st.subheader("Monitoring job")
    st.caption("Computes a snapshot for every logged batch that has none yet (`python -m monitor run`).")
    if st.button("Run the monitoring job"):
        bar = st.progress(0.0, text="Starting...")

        def progress(done: int, total: int, message: str) -> None:
            bar.progress(done / total if total else 1.0, text=message)

        result = cache.run_job(progress)
        bar.progress(1.0, text=result.summary())
        (st.success if result.ok else st.error)(result.summary())
        for failure in result.failed:
            st.error(md(str(failure)))

with st.expander("How to onboard a new model"):
    st.markdown(
        "1. Training job: `monitor.log_model(model, \"<registered name>\", reference=train_df, validation=holdout_df, "
        "target=\"<label column>\")`.\n"
        "2. `python -m monitor onboard <registered name> --append` writes the model's `[[models]]` table; review it.\n"
        "3. Scoring job: `monitor.log_batch(name, features, predictions, model_version=...)` for each batch, inside "
        "`with monitor.pipeline_run(\"<pipeline>\")` to record the run, and `monitor.log_labels(name, batch_id, labels)` "
        "when labels arrive.\n"
        "4. `python -m monitor validate`, then `python -m monitor run` (or the button above).\n\n"
        "The README's \"Onboarding a new model\" walks through it with an example."
    )
with st.expander("Settings in force"):
    st.json(cache.settings_in_force())

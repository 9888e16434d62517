"""Provenance: how each batch links to its pipeline run, model version and training run."""

import pandas as pd
import streamlit as st

from ui import cache
from ui.widgets import backend_warnings, model_picker, service_or_stop

st.title("Provenance")
svc = service_or_stop()
backend_warnings()
name = model_picker(svc.spec.names)
rows = [{"batch": s["batch_id"], "pipeline run": s.get("pipeline_run_id"), "model version": s.get("model_version"),
         "MLflow run": s.get("run_id"), "drifted": s["status"]["drifted"]} for s in cache.snapshots(name)]
st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch")

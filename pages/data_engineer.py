"""Data-engineer view: pipeline runs and data quality."""

import pandas as pd
import streamlit as st

from monitor.views import findings_frame
from ui import cache
from ui.widgets import backend_warnings, model_picker, period_picker, service_or_stop

st.title("Pipelines & data")
svc = service_or_stop()
backend_warnings()
name = model_picker(svc.spec.names)
start, end = period_picker()
spec = svc.model(name)
runs = cache.pipeline_runs(start, end, tuple(spec.pipelines))
st.subheader("Pipeline runs")
st.dataframe(pd.DataFrame([r.to_dict() for r in runs]), hide_index=True, width="stretch")
st.subheader("Data quality findings")
st.dataframe(findings_frame(cache.snapshots(name, start, end)), hide_index=True, width="stretch")

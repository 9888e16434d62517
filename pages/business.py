"""Business view: model health at a glance."""

import streamlit as st

from monitor.views import snapshot_summary
from ui import cache
from ui.widgets import backend_warnings, empty_state, service_or_stop

st.title("Model health")
svc = service_or_stop()
backend_warnings()
for m in svc.models():
    snaps = cache.snapshots(m.name)
    with st.container(border=True):
        st.subheader(m.name)
        st.caption(m.description)
        if not snaps:
            empty_state("No monitored batches yet.")
            continue
        s = snapshot_summary(snaps[-1])
        c1, c2, c3, c4 = st.columns(4)
        c1.metric("Latest batch", s["batch_time"][:10])
        c2.metric("Predictions", f"{s['n_rows']:,}")
        c3.metric("Data drift", "needs attention" if s["drifted"] else "stable")
        perf = next((x["performance"] for x in reversed(snaps) if x.get("performance")), None)
        if perf:
            key = "auc" if m.task == "classification" else "mae"
            c4.metric(key.upper(), f"{perf.get(key, 0):.3f}")
        else:
            c4.metric("Performance", "labels pending")

"""Provenance: how each batch links to its pipeline run, model version, training run and data.

UI selections in st.session_state:

- ``lineage_models``: the models shown; ``lineage_depth``: depth around the selected node (0 = all)
- ``lineage_node``: the selected node id (set by the node selectbox or by a click on the graph)
- ``lineage_clicked``: the last node id the graph reported, so a click is handled once
- ``lineage_trace``: the node whose trace-back is highlighted
"""

import streamlit as st

from monitor.escape import md
from monitor.lineage import KIND_LABELS, neighbourhood, to_dot, trace_back
from ui import cache
from ui.gate import require_access
from ui.graph import details, draw, legend
from ui.widgets import backend_warnings, empty_state, period_picker, service_or_stop

require_access(__file__)


def _forget_click() -> None:
    st.session_state["lineage_clicked"] = None


st.title("Provenance")
st.caption("From the data pipeline to the drift verdict: every scoring batch traced through the model version that "
           "scored it, its training run and training data. Click a node, or pick it below.")
svc = service_or_stop()
backend_warnings()
names = svc.spec.names
c1, c2, c3 = st.columns([3, 2, 1])
models = c1.multiselect("Models", names, default=names, key="lineage_models")
with c2:
    start, end = period_picker()
depth = c3.number_input("Depth around node", min_value=0, max_value=10, value=0, key="lineage_depth",
                        help="0 shows the whole graph; 1 or more only what is that many links from the selected node.")
if not models:
    empty_state("Pick at least one model.")
    st.stop()

key = tuple(sorted(models))
try:
    records = cache.lineage_records(key)
    graph = cache.lineage_graph(key, start, end)
except Exception as exc:  # a broken backend says so; the rest of the app keeps working
    st.error(f"**The provenance graph could not be built.** {md(exc)}")
    st.stop()
for problem in records.problems:
    st.warning(md(problem), icon="⚠️")
if not graph.nodes:
    empty_state("Nothing to trace yet for these models.",
                "Scoring jobs log batches with `monitor.log_batch(..., pipeline_run_id=...)`; then run `python -m monitor run`.")
    st.stop()

if st.session_state.get("lineage_node") not in graph:
    st.session_state["lineage_node"] = None
selected = st.session_state["lineage_node"]
trace = st.session_state.get("lineage_trace")
path = trace_back(graph, trace) if trace in graph else None
shown = neighbourhood(graph, selected, int(depth)) if selected and depth else graph
unknown = sum(n.unknown for n in graph.nodes)
st.caption(f"{len(graph.nodes)} nodes and {len(graph.edges)} links ({len(shown.nodes)} shown)"
           + (f" · {unknown} unknown link(s), drawn grey with a dashed border" if unknown else ""))

left, right = st.columns([3, 2])
with left:
    legend()
    clicked = draw(shown, selected, path.ids if path else ())
    if clicked is None:
        st.session_state["lineage_clicked"] = None
    elif clicked != st.session_state.get("lineage_clicked") and clicked in graph:
        st.session_state["lineage_clicked"] = clicked
        st.session_state["lineage_node"] = clicked
        st.rerun()

labels = {n.id: f"{KIND_LABELS[n.kind]} · {n.label}" + (f" ({n.model})" if n.model else "") for n in graph.nodes}
with right:
    node_id = st.selectbox("Node", graph.ids, index=None, format_func=labels.__getitem__, key="lineage_node",
                           placeholder="Click a node or pick one", on_change=_forget_click)
    if node_id is None:
        st.info("Select a node to see its details. A drifted snapshot (red dot) can be traced back to its "
                "pipeline run and training data.", icon="ℹ️")
    else:
        node = graph.node(node_id)
        b1, b2 = st.columns(2)
        if b1.button("Trace back", key="lineage_trace_btn", help="Highlight everything upstream of this node"):
            st.session_state["lineage_trace"] = node_id
            st.rerun()
        if path is not None and b2.button("Clear trace", key="lineage_clear_btn"):
            st.session_state["lineage_trace"] = None
            st.rerun()
        details(node, graph)

if path is not None:
    st.subheader(f"Trace back from {md(labels[trace])}")
    st.dataframe([{"kind": KIND_LABELS[n.kind], "node": n.label, "status": n.status, "time": n.time, "id": n.id}
                  for n in path.nodes], hide_index=True, width="stretch")

d1, d2 = st.columns(2)
d1.download_button("Download graph (JSON)", graph.to_json(), file_name="provenance.json", mime="application/json",
                   key="lineage_dl_json")
d2.download_button("Download graph (Graphviz DOT)", to_dot(graph, path.ids if path else ()), file_name="provenance.dot",
                   mime="text/vnd.graphviz", key="lineage_dl_dot")

"""Provenance: how each batch links to its pipeline run, model version, training run and data.

The graph reads left to right in data-flow order (pipeline runs, data, training, model version, scoring
batches, drift snapshots) and top to bottom in time, one band per model. By default it shows one model
(the one picked on the other pages) and its newest batches; older batches fold into one summary box.

UI selections in st.session_state:

- ``lineage_models``: the models shown; ``lineage_batches``: the newest batches shown per model (0 = every
  batch of the period); ``lineage_depth``: depth around the selected node (0 = all)
- ``lineage_node``: the selected node id (set by the node selectbox or by a click on the graph)
- ``lineage_trace``: the node whose trace-back is highlighted
- ``lineage_graph:…``: the graph component's last click (see :func:`ui.graph.drawing_key`)

A click on the graph and the trace-back buttons change these in callbacks, before the script run they start, so
each action is one run and the graph updates in place.
"""

import streamlit as st

from monitor.escape import md
from monitor.lineage import KIND_LABELS, neighbourhood, recent, trace_back
from ui import cache
from ui.graph import details, draw, legend
from ui.graph_details import status_words, when
from ui.graph_layout import to_dot
from ui.widgets import empty_state, page_header

header = page_header("Provenance", "From the data pipeline to the drift verdict: every scoring batch traced through the "
                     "model version that scored it, its training run and training data. Click a box, or pick it below "
                     "the graph.", model=False, slots=1)
DEFAULT_BATCHES = 6


def _select(node_id: str) -> None:
    """A click on a box of the graph selects it."""
    st.session_state["lineage_node"] = node_id


def _trace_selected() -> None:
    """Highlight everything upstream of the selected node."""
    st.session_state["lineage_trace"] = st.session_state.get("lineage_node")


def _clear_trace() -> None:
    st.session_state["lineage_trace"] = None


def _default_models(names: list[str]) -> list[str]:
    """The model picked on the other pages (or named in the link), else the first one."""
    for asked in (st.query_params.get("model"), st.session_state.get("model")):
        if asked in names:
            return [asked]
    return names[:1]


names, start, end = header.names, header.start, header.end
models = header.slots[0].multiselect("Models", names, default=_default_models(names), key="lineage_models")
about, c1, c2 = st.columns([4, 1, 1], vertical_alignment="bottom")
batches = c1.number_input("Batches per model", min_value=0, max_value=500, value=DEFAULT_BATCHES, key="lineage_batches",
                          help="The newest batches of the period drawn one by one; older ones are folded into one "
                               "summary box. 0 draws every batch of the period.")
depth = c2.number_input("Depth around node", min_value=0, max_value=10, value=0, key="lineage_depth",
                        help="0 shows the whole graph; 1 or more only what is that many links from the selected node.")
if not models:
    empty_state("Pick at least one model.")
    st.stop()

key = tuple(sorted(models))
try:
    records = cache.lineage_records(key)
    graph = recent(cache.lineage_graph(key, start, end), int(batches))
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
labels = {n.id: f"{KIND_LABELS[n.kind]} · {n.label}" + (f" ({n.model})" if n.model else "") for n in graph.nodes}

unknown = sum(n.unknown for n in graph.nodes)
summary = f"{len(graph.nodes)} nodes and {len(graph.edges)} links ({len(shown.nodes)} shown)"
if unknown:
    summary += f" · {unknown} unknown link(s), drawn grey with a dashed border"
if selected:
    summary += f" · selected: {md(labels[selected])}, details below the graph"
with about:
    st.caption(summary)
    legend()
draw(shown, selected, path.ids if path else (), on_click=_select)

left, right = st.columns([3, 2], gap="large")
with left:
    node_id = st.selectbox("Node", graph.ids, index=None, format_func=labels.__getitem__, key="lineage_node",
                           placeholder="Click a box in the graph or pick one")
    if node_id is None:
        st.info("Select a node to see its details. A drifted snapshot (red box) can be traced back to its "
                "pipeline run and training data.", icon="ℹ️")
    else:
        details(graph.node(node_id), graph)
with right:
    st.markdown("**Trace back**")
    st.caption("Highlights everything upstream of the selected node: for a snapshot, its batch, the pipeline runs "
               "that delivered it, the model version, its training run and the training data.")
    b1, b2 = st.columns(2)
    b1.button("Trace back", key="lineage_trace_btn", disabled=node_id is None, on_click=_trace_selected,
              help="Highlight everything upstream of the selected node")
    if path is not None:
        b2.button("Clear trace", key="lineage_clear_btn", on_click=_clear_trace)
    st.markdown("**Download**")
    st.download_button("Download graph (JSON)", graph.to_json(), file_name="provenance.json", mime="application/json",
                       key="lineage_dl_json")
    st.download_button("Download graph (Graphviz DOT)", to_dot(graph, path.ids if path else ()),
                       file_name="provenance.dot", mime="text/vnd.graphviz", key="lineage_dl_dot")

if path is not None:
    st.subheader(f"Trace back from {md(labels[trace])}")
    st.dataframe([{"kind": KIND_LABELS[n.kind], "node": n.label, "status": status_words(n), "when": when(n.time)}
                  for n in path.nodes], hide_index=True, width="stretch")

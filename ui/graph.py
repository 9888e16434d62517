"""Drawing the provenance graph with streamlit-agraph: shapes by kind, colours by status, fixed layout."""

from __future__ import annotations

import json
from collections.abc import Iterable

import streamlit as st

from monitor.escape import html_text, inline_code, md
from monitor.lineage import EDGE_KINDS, KIND_LABELS, STATUS_COLORS, LineageGraph, Node, layout

SHAPES = {"pipeline_run": "square", "dataset": "triangle", "training_run": "star", "model_version": "diamond",
          "batch": "hexagon", "snapshot": "dot", "summary": "triangleDown"}
_SYMBOLS = {"square": "■", "triangle": "▲", "star": "★", "diamond": "◆", "hexagon": "⬢", "dot": "●", "triangleDown": "▼"}
_STATUS_NAMES = {"ok": "ok", "failed": "failed run", "drifted": "drifted", "warning": "warning", "running": "running",
                 "unknown": "unknown link", "collapsed": "collapsed"}
_FADED = "#e3e6ea"
EDGE_LABEL_LIMIT = 60


def draw(graph: LineageGraph, selected: str | None = None, highlight: Iterable[str] = (), height: int = 640):
    """Draw ``graph`` and return the id of the node the user clicked (or None)."""
    from streamlit_agraph import Config, agraph

    nodes, edges = vis_elements(graph, selected, highlight)
    config = Config(height=height, directed=True, physics=False, hierarchical=False, groups={},
                    interaction={"hover": True, "navigationButtons": True})
    config.width = "100%"  # Config only takes pixels; the canvas should fill its column
    return agraph(nodes=nodes, edges=edges, config=config)


def vis_elements(graph: LineageGraph, selected: str | None = None, highlight: Iterable[str] = ()):
    """The component's nodes and edges for ``graph``: shapes by kind, colours by status, fixed positions."""
    from streamlit_agraph import Edge, Node

    marked = set(highlight)
    pos = layout(graph)
    nodes = []
    for n in graph.nodes:
        x, y = pos[n.id]
        color = STATUS_COLORS.get(n.status, "#cccccc") if not marked or n.id in marked else _FADED
        extra = {"shapeProperties": {"borderDashes": [4, 4]}} if n.unknown else {}
        # The component sets a node's title as HTML (innerHTML): escape it.
        nodes.append(Node(id=n.id, label=_short(n.label), title=html_text(f"{KIND_LABELS[n.kind]}: {n.label}", quote=False), shape=SHAPES[n.kind],
                          color=color, size=22 if n.id == selected else 14, x=x, y=y, physics=False,
                          borderWidth=4 if n.id == selected else (3 if n.id in marked else 1),
                          font={"size": 11}, **extra))
    labelled = len(graph.edges) <= EDGE_LABEL_LIMIT
    edges = []
    for e in graph.edges:
        on_path = marked and e.source in marked and e.target in marked
        failed = e.attrs.get("outcome") in ("Failed", "Cancelled")
        color = STATUS_COLORS["failed"] if failed else ("#333333" if on_path else ("#b0b7c0" if not marked else _FADED))
        label = {"label": e.kind} if labelled else {}
        edges.append(Edge(source=e.source, target=e.target, color=color, width=3 if on_path else 1,
                          title=html_text(e.kind, quote=False), dashes=failed, font={"size": 9}, **label,
                          smooth={"type": "cubicBezier", "forceDirection": "horizontal"}))
    return nodes, edges


def legend() -> None:
    """Shapes by kind and colours by status."""
    kinds = " · ".join(f"{_SYMBOLS[SHAPES[k]]} {label}" for k, label in KIND_LABELS.items())
    colours = " ".join(f'<span style="color:{c}">●</span> {_STATUS_NAMES[s]}' for s, c in STATUS_COLORS.items())
    st.caption(kinds)
    st.markdown(f"<small>{colours} · dashed border: unknown link · links: {', '.join(EDGE_KINDS)}</small>",
                unsafe_allow_html=True)


def details(node: Node, graph: LineageGraph) -> None:
    """The details panel of one node: its fields, its links and where to open it."""
    st.subheader(f"{KIND_LABELS[node.kind]}: {md(node.label)}")
    colour = STATUS_COLORS.get(node.status, "#cccccc")
    # Only the colour is HTML (from a fixed palette); every value is escaped or a code span.
    st.markdown(f'Status: <b style="color:{colour}">{html_text(node.status)}</b> · model {inline_code(node.model or "-")} · '
                f'time {inline_code(node.time or "-")}', unsafe_allow_html=True)
    if node.url and node.url.startswith(("https://", "http://")):
        st.link_button("Open in MLflow", node.url)
    rows = [{"field": k, "value": v if isinstance(v, str) else json.dumps(v, default=str)} for k, v in node.fields.items()]
    st.dataframe(rows, hide_index=True, width="stretch")
    links = [{"link": e.kind, "from": e.source, "to": e.target} for e in graph.edges_of(node.id)]
    if links:
        st.dataframe(links, hide_index=True, width="stretch")


def _short(label: str, limit: int = 28) -> str:
    return label if len(label) <= limit else label[: limit - 1] + "…"

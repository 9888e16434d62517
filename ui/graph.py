"""Drawing the provenance graph with streamlit-agraph (vis-network): one box per node coloured by status, fixed
positions from :func:`ui.graph_layout.plan` with column and model headings drawn in the graph, and the legend.

vis-network fits the whole drawing to the canvas when it loads (never zooming in past 1), so the text
is as large as the box font times that zoom: :func:`canvas_height` makes the canvas tall enough for the
width to decide the zoom, and :data:`ui.graph_layout.X_GAP` keeps the drawing narrow enough for a zoom
near 1 on a wide page.

The drawing keeps its component key while the same nodes are drawn, so a new selection or highlight only
updates the nodes and edges of the running vis-network (no new iframe, no new network). A different set of
nodes, or a node selected elsewhere than on the graph, starts a new drawing: fitted anew, with vis-network's own
selection cleared, so that a click on any box is reported again.
"""

from __future__ import annotations

import functools
import hashlib
import json
from collections.abc import Callable, Iterable

import streamlit as st

from monitor.escape import html_text
from monitor.lineage import KIND_LABELS, STATUS_COLORS, LineageGraph
from ui.graph_details import details
from ui.graph_layout import BOX_WIDTH, HEADING_SIZE, Plan, box_label, plan

__all__ = ["draw", "drawing_key", "vis_elements", "legend", "details", "canvas_height", "FONT_SIZE", "EXPECTED_WIDTH"]

FONT_SIZE = 14
"""The box font in canvas units (pixels at zoom 1)."""
EXPECTED_WIDTH = 960
"""The canvas width (pixels) the drawing is sized for: the main column of a 1440 px wide window with the sidebar open."""
_STATUS_NAMES = {"ok": "ok", "failed": "failed run", "drifted": "drifted", "warning": "warning", "running": "running",
                 "unknown": "unknown link", "collapsed": "older batches (collapsed)"}
_DARK_TEXT = {"warning", "unknown"}  # statuses whose colour is too light for white text
_INK = "#1f2329"
_FADED, _FADED_TEXT = "#e3e6ea", "#6b7280"
_SELECTED_BORDER = "#111827"


def draw(graph: LineageGraph, selected: str | None = None, highlight: Iterable[str] = (), height: int | None = None,
         *, key: str = "lineage_graph", on_click: Callable[[str], object] | None = None):
    """Draw ``graph`` across the full width of the current column and return the id of the node last clicked in this
    drawing (or None).

    ``on_click(node_id)`` runs as a widget callback, before the script run the click starts, so that run already
    shows what the click selected. ``selected`` is the node the page has selected: when the drawing's last click is
    another node, the selection was made elsewhere and a new drawing starts (see the module's docstring).
    """
    # streamlit-agraph's component itself: its agraph() takes no key, so each change of the drawing would be a new one.
    from streamlit_agraph import Config, _agraph

    layout = plan(graph)
    nodes, edges = vis_elements(graph, selected, highlight, layout)
    # Zoom with the mouse wheel or the keyboard (+/-, arrows once the graph has focus); no buttons over the nodes.
    config = Config(height=height or canvas_height(layout), directed=True, physics=False, hierarchical=False, groups={},
                    interaction={"hover": True, "navigationButtons": False, "dragNodes": False, "tooltipDelay": 150,
                                 "keyboard": {"enabled": True, "bindToWindow": False}, "zoomView": True,
                                 "dragView": True})
    config.width = "100%"  # Config only takes pixels; the canvas should fill its column
    widget = drawing_key(graph, selected, key)
    return _agraph(data=json.dumps({"nodes": [n.to_dict() for n in nodes], "edges": [e.to_dict() for e in edges]}),
                   config=json.dumps(config.__dict__), key=widget, default=None,
                   on_change=functools.partial(_report_click, widget, on_click, graph))  # a component takes no args=


def drawing_key(graph: LineageGraph, selected: str | None, key: str = "lineage_graph") -> str:
    """The component key of the drawing of ``graph``: ``key``, a generation and a digest of the drawn node ids.

    The generation moves on when the drawing's last click is a node other than the ``selected`` one, which starts a
    new drawing: vis-network keeps the clicked node selected and reports a click on a selected node no more."""
    generation = f"{key}:generation"
    digest = hashlib.blake2s("\n".join(graph.ids).encode(), digest_size=6).hexdigest()
    widget = f"{key}:{st.session_state.get(generation, 0)}:{digest}"
    clicked = st.session_state.get(widget)
    if clicked is not None and clicked != selected and clicked in graph:
        st.session_state[generation] = st.session_state.get(generation, 0) + 1
        widget = f"{key}:{st.session_state[generation]}:{digest}"
    return widget


def _report_click(widget: str, on_click: Callable[[str], object] | None, graph: LineageGraph) -> None:
    clicked = st.session_state.get(widget)
    if on_click is not None and clicked in graph:  # not a heading
        on_click(clicked)


def canvas_height(layout: Plan, width: int = EXPECTED_WIDTH, lowest: int = 320, highest: int = 1500) -> int:
    """A canvas height (pixels) at which the drawing's width, not its height, limits the fitted zoom on a canvas
    ``width`` pixels wide; vis-network fits the drawing with a 10 % margin."""
    zoom = min(1.0, width / (1.1 * layout.width))
    return int(max(lowest, min(highest, 1.1 * layout.height * zoom + 24)))


def vis_elements(graph: LineageGraph, selected: str | None = None, highlight: Iterable[str] = (),
                 layout: Plan | None = None):
    """The component's nodes (boxes, then the headings) and edges for ``graph``."""
    from streamlit_agraph import Edge, Node

    marked = set(highlight)
    layout = layout or plan(graph)
    nodes = []
    for n in graph.nodes:
        x, y = layout.pos[n.id]
        faded = bool(marked) and n.id not in marked
        fill = _FADED if faded else STATUS_COLORS.get(n.status, "#cccccc")
        text = _FADED_TEXT if faded else (_INK if n.status in _DARK_TEXT else "#ffffff")
        border = _SELECTED_BORDER if n.id == selected or (n.id in marked) else fill
        # The component sets a node's title as HTML (innerHTML): escape it.
        title = html_text(f"{KIND_LABELS[n.kind]}: {n.label}" + (f" ({n.model})" if n.model else ""), quote=False)
        nodes.append(Node(
            id=n.id, label=box_label(n), title=title, shape="box", x=x, y=y, fixed=True, physics=False,
            color={"background": fill, "border": border, "highlight": {"background": fill, "border": _SELECTED_BORDER},
                   "hover": {"background": fill, "border": _SELECTED_BORDER}},
            font={"size": FONT_SIZE, "color": text, "face": "arial"}, margin=6,
            borderWidth=4 if n.id == selected else (3 if n.id in marked else 1), borderWidthSelected=4,
            widthConstraint={"minimum": BOX_WIDTH, "maximum": BOX_WIDTH},
            shapeProperties={"borderRadius": 4, **({"borderDashes": [5, 4]} if n.unknown or n.kind == "summary" else {})}))
    for h in layout.headings:
        node = Node(id=h.id, label=h.text, shape="text", x=h.x, y=h.y, fixed=True, physics=False, chosen=False,
                    font={"size": HEADING_SIZE, "color": "#31333f" if h.kind == "column" else "#1565c0", "face": "arial"})
        del node.__dict__["title"]  # no tooltip (the component would show the id)
        nodes.append(node)
    edges, seen = [], set()
    for e in graph.edges:
        # A stable id per edge: the component updates its edges by id (without one, changed edges are added anew).
        edge_id = f"{e.source}->{e.target}:{e.kind}"
        while edge_id in seen:
            edge_id += "+"
        seen.add(edge_id)
        on_path = bool(marked) and e.source in marked and e.target in marked
        failed = e.attrs.get("outcome") in ("Failed", "Cancelled")
        color = STATUS_COLORS["failed"] if failed else ("#333333" if on_path else ("#9aa3ad" if not marked else _FADED))
        count = e.attrs.get("count")
        title = e.kind + (f" ({count} links)" if count and count > 1 else "")
        edges.append(Edge(source=e.source, target=e.target, id=edge_id, color=color, width=3 if on_path else 1.2,
                          dashes=failed, title=html_text(title, quote=False),
                          smooth={"type": "cubicBezier", "forceDirection": "horizontal", "roundness": 0.5}))
    return nodes, edges


def legend() -> None:
    """Colours by status, and how to move around the graph."""
    colours = " ".join(f'<span style="color:{c}">■</span> {_STATUS_NAMES[s]}' for s, c in STATUS_COLORS.items())
    st.markdown(f"<small>{colours} · dashed border: unknown link or collapsed batches · "
                "scroll or +/− to zoom, drag to pan</small>", unsafe_allow_html=True)

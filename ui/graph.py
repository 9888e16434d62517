"""Drawing the provenance graph with streamlit-agraph (vis-network): one box per node coloured by status, fixed
positions from :func:`ui.graph_layout.plan` with column and model headings drawn in the graph, and the legend.

vis-network fits the whole drawing to the canvas when it loads (never zooming in past 1), so the text
is as large as the box font times that zoom: :func:`canvas_height` makes the canvas tall enough for the
width to decide the zoom, and :data:`ui.graph_layout.X_GAP` keeps the drawing narrow enough for a zoom
near 1 on a wide page.
"""

from __future__ import annotations

from collections.abc import Iterable

import streamlit as st

from monitor.escape import html_text
from monitor.lineage import KIND_LABELS, STATUS_COLORS, LineageGraph
from ui.graph_details import details
from ui.graph_layout import BOX_WIDTH, HEADING_SIZE, Plan, box_label, plan

__all__ = ["draw", "vis_elements", "legend", "details", "canvas_height", "FONT_SIZE", "EXPECTED_WIDTH"]

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


def draw(graph: LineageGraph, selected: str | None = None, highlight: Iterable[str] = (), height: int | None = None):
    """Draw ``graph`` across the full width of the current column and return the id of the clicked node (or None)."""
    from streamlit_agraph import Config, agraph

    layout = plan(graph)
    nodes, edges = vis_elements(graph, selected, highlight, layout)
    # Zoom with the mouse wheel or the keyboard (+/-, arrows once the graph has focus); no buttons over the nodes.
    config = Config(height=height or canvas_height(layout), directed=True, physics=False, hierarchical=False, groups={},
                    interaction={"hover": True, "navigationButtons": False, "dragNodes": False, "tooltipDelay": 150,
                                 "keyboard": {"enabled": True, "bindToWindow": False}, "zoomView": True,
                                 "dragView": True})
    config.width = "100%"  # Config only takes pixels; the canvas should fill its column
    return agraph(nodes=nodes, edges=edges, config=config)


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
    edges = []
    for e in graph.edges:
        on_path = bool(marked) and e.source in marked and e.target in marked
        failed = e.attrs.get("outcome") in ("Failed", "Cancelled")
        color = STATUS_COLORS["failed"] if failed else ("#333333" if on_path else ("#9aa3ad" if not marked else _FADED))
        count = e.attrs.get("count")
        title = e.kind + (f" ({count} links)" if count and count > 1 else "")
        edges.append(Edge(source=e.source, target=e.target, color=color, width=3 if on_path else 1.2, dashes=failed,
                          title=html_text(title, quote=False),
                          smooth={"type": "cubicBezier", "forceDirection": "horizontal", "roundness": 0.5}))
    return nodes, edges


def legend() -> None:
    """Colours by status, and how to move around the graph."""
    colours = " ".join(f'<span style="color:{c}">■</span> {_STATUS_NAMES[s]}' for s, c in STATUS_COLORS.items())
    st.markdown(f"<small>{colours} · dashed border: unknown link or collapsed batches · "
                "scroll or +/− to zoom, drag to pan</small>", unsafe_allow_html=True)

"""Where the provenance graph's nodes are drawn, what their boxes say, and the Graphviz DOT download (no Streamlit here).

The drawing reads left to right in data-flow order, one column per node kind (pipeline run, data,
training, model version, scoring batch, snapshot), and top to bottom in time, one horizontal band
per model. Inside a band the first rows hold each model version with the training run and data it
came from; below them each scoring batch gets a row of its own, with the pipeline run(s) that
delivered it on the left and its snapshot on the right, oldest first (the summary of older batches
on top).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from collections import defaultdict
from collections.abc import Iterable, Mapping

from monitor.lineage import KIND_LABELS, LAYERS, STATUS_COLORS, SUMMARY, LineageGraph, Node
from monitor.lineage.navigate import adjacency

__all__ = ["Plan", "Heading", "COLUMN_HEADINGS", "layout", "plan", "box_label", "to_dot"]

COLUMN_HEADINGS = {0: "Pipeline runs", 1: "Data", 2: "Training", 3: "Model version", 4: "Scoring batches",
                   5: "Drift snapshots"}
"""The heading of each column (by layer)."""
X_GAP = 166.0
"""Canvas units between two columns; a box is :data:`BOX_WIDTH` wide, the rest is room for the arrows."""
Y_GAP = 58.0
"""Canvas units between two rows."""
BOX_WIDTH = 132
BOX_HEIGHT = 44
"""The size of a node's box in canvas units (two lines of text at the box font)."""
HEADING_SIZE = 16
LINE_CHARS = 19
"""The most characters a line of a box holds (at the box font, a line of that many characters fits the box)."""
_DOT_SHAPES = {"pipeline_run": "box", "dataset": "cylinder", "training_run": "ellipse", "model_version": "diamond",
               "batch": "hexagon", "snapshot": "circle", SUMMARY: "folder"}


@dataclasses.dataclass(frozen=True)
class Heading:
    """A text drawn in the graph: a column heading (``kind="column"``) or a model band's (``kind="band"``)."""

    id: str
    text: str
    x: float
    y: float
    kind: str


@dataclasses.dataclass(frozen=True)
class Plan:
    """Node positions, the headings, and the size of the drawing in canvas units (boxes and headings included)."""

    pos: dict[str, tuple[float, float]]
    headings: tuple[Heading, ...]
    width: float
    height: float


def layout(graph: LineageGraph, x_gap: float = X_GAP, y_gap: float = Y_GAP) -> dict[str, tuple[float, float]]:
    """Fixed positions of the nodes (see the module's docstring); the same graph always gets the same positions."""
    return plan(graph, x_gap, y_gap).pos


def plan(graph: LineageGraph, x_gap: float = X_GAP, y_gap: float = Y_GAP) -> Plan:
    """Positions, column and band headings, and size of the drawing of ``graph``."""
    down, up = adjacency(graph.edges)
    bands: dict[str, list[Node]] = defaultdict(list)
    for n in graph.nodes:
        bands[n.model or ""].append(n)
    layers = sorted({LAYERS[n.kind] for n in graph.nodes})
    left = min(layers, default=0) * x_gap - BOX_WIDTH / 2
    headings = [Heading(f"heading:column:{layer}", COLUMN_HEADINGS[layer], layer * x_gap, 0.0, "column") for layer in layers]
    pos: dict[str, tuple[float, float]] = {}
    top = 0.8 * y_gap
    for model in sorted(bands):
        if model:  # the band's heading, left-aligned with the first column
            text = f"Model {model}"
            headings.append(Heading(f"heading:band:{model}", text, left + _text_width(text, HEADING_SIZE) / 2, top, "band"))
            top += 0.8 * y_gap
        rows = _band_rows(bands[model], down, up)
        for n in bands[model]:
            pos[n.id] = (LAYERS[n.kind] * x_gap, top + rows[n.id] * y_gap)
        top += (max(rows.values(), default=-1) + 1) * y_gap + 0.2 * y_gap
    xs = [x for x, _ in pos.values()] or [0.0]
    bottom = max((y for _, y in pos.values()), default=0.0) + BOX_HEIGHT / 2
    return Plan(pos, tuple(headings), max(xs) - min(xs) + BOX_WIDTH, bottom + HEADING_SIZE / 2)


def _band_rows(band: list[Node], down: Mapping[str, set[str]], up: Mapping[str, set[str]]) -> dict[str, int]:
    """Row of each node of one model's band: versions with their training lineage first, then one group of rows per
    batch (its pipeline runs and snapshots beside it), then whatever is left, stacked per column."""
    by_id = {n.id: n for n in band}
    rows: dict[str, int] = {}
    next_row = 0

    def place(group: list[Node]) -> None:
        nonlocal next_row
        columns: dict[int, list[Node]] = defaultdict(list)
        for n in group:
            if n.id not in rows:
                columns[LAYERS[n.kind]].append(n)
        for column in columns.values():
            for i, n in enumerate(sorted(column, key=_when)):
                rows[n.id] = next_row + i
        next_row += max((len(c) for c in columns.values()), default=0)

    def upstream(start: str, limit: int) -> list[Node]:
        seen, todo, found = {start}, [start], []
        while todo:
            for other in sorted(up.get(todo.pop(), ())):
                if other in by_id and other not in seen and other not in rows and LAYERS[by_id[other].kind] < limit:
                    seen.add(other)
                    todo.append(other)
                    found.append(by_id[other])
        return found

    for v in sorted((n for n in band if n.kind == "model_version"), key=_when):
        place([v, *upstream(v.id, LAYERS["model_version"])])
    for b in sorted((n for n in band if n.kind in ("batch", SUMMARY)), key=lambda n: (n.kind != SUMMARY, *_when(n))):
        snapshots = [by_id[t] for t in sorted(down.get(b.id, ())) if t in by_id and by_id[t].kind == "snapshot"]
        runs = [by_id[s] for s in sorted(up.get(b.id, ())) if s in by_id and by_id[s].kind == "pipeline_run"]
        place([b, *snapshots, *runs])
    place([n for n in band if n.id not in rows])
    return rows


def _when(n: Node) -> tuple[str, str]:
    return n.time or "", n.id


def _text_width(text: str, size: float) -> float:
    return len(text) * size * 0.55


# -- what a box says ---------------------------------------------------------------------------------
def box_label(node: Node) -> str:
    """The two short lines drawn in a node's box: what it is called, and when or what it found."""
    f = node.fields
    if node.unknown:
        return f"unknown\n{KIND_LABELS[node.kind].lower()}"
    if node.kind == "pipeline_run":
        when = _when_text(node.time)
        if node.status in ("failed", "running"):
            when = f"{_when_text(node.time, hours=False)} · {node.status}"
        return f"{_fit(str(f.get('pipeline') or node.label))}\n{when}"
    if node.kind == "dataset":
        rows = f.get("rows")
        return f"{_fit(str(f.get('name') or node.label))}\n" + (f"{rows:,} rows" if isinstance(rows, int) else "data set")
    if node.kind == "training_run":
        return f"{_fit(node.label)}\n{_when_text(node.time)}"
    if node.kind == "model_version":
        name = " ".join([f"v{f.get('version', '?')}", *(f"@{a}" for a in f.get("aliases") or ())])
        return f"{_fit(name)}\n{_fit(str(f.get('registered_model') or node.model or ''))}"
    if node.kind == "batch":
        name = str(f.get("batch_id") or node.label)
        if node.model and name.startswith(node.model) and len(name) > len(node.model) + 1:
            name = name[len(node.model):].lstrip("-_ ·")
        return f"{_fit(name)}\n{_when_text(node.time)}"
    if node.kind == "snapshot":
        verdict = {"drifted": "drifted", "warning": "warning", "ok": "no drift"}.get(node.status, node.status)
        n, total = f.get("n_drifted"), f.get("n_features")
        found = f"{n} of {total} features" if isinstance(n, int) and isinstance(total, int) else _when_text(node.time)
        return f"{verdict}\n{_fit(found)}"
    if node.kind == SUMMARY:
        drifted = f.get("drifted_snapshots") or 0
        return f"{_fit(node.label)}\n" + (f"{drifted} drifted" if drifted else f"before {_when_text(f.get('before'), hours=False)}")
    return _fit(node.label)


def _fit(text: str, chars: int = LINE_CHARS) -> str:
    """``text`` on one line of at most ``chars`` characters. A longer name loses its first words (names tend to end
    with what tells them apart: ``…applications_daily``), or its middle when its last word alone is too long."""
    text = " ".join(text.split())
    if len(text) <= chars:
        return text
    for cut in re.finditer(r"[ _\-./:·]+", text):
        rest = text[cut.end():]
        if len(rest) + 1 <= chars and rest:
            return "…" + rest
    tail = (chars - 1) // 2
    return text[: chars - 1 - tail].rstrip() + "…" + text[-tail:].lstrip()


def _when_text(value: str | None, hours: bool = True) -> str:
    """A short date for a box: ``Oct 26 05:00`` (UTC), or ``Oct 26``."""
    if not value:
        return "time unknown"
    try:
        at = dt.datetime.fromisoformat(value).astimezone(dt.timezone.utc)
    except ValueError:
        return _fit(value)
    return at.strftime("%b %d %H:%M" if hours else "%b %d")


# -- Graphviz ---------------------------------------------------------------------------------------
def to_dot(graph: LineageGraph, highlight: Iterable[str] = ()) -> str:
    """The graph as Graphviz DOT text (left to right, colour by status, shape by kind); every id and label is quoted."""
    marked = set(highlight)
    lines = ["digraph provenance {", "  rankdir=LR;", '  node [style=filled, fontname="Helvetica", fontsize=10];',
             '  edge [fontname="Helvetica", fontsize=8];']
    for n in graph.nodes:
        label = n.label.replace("\\", "\\\\")
        attrs = {"label": f"{KIND_LABELS[n.kind]}\\n{label}", "shape": _DOT_SHAPES[n.kind],
                 "fillcolor": STATUS_COLORS.get(n.status, "#cccccc"), "fontcolor": "white"}
        if n.unknown:
            attrs["style"] = "filled,dashed"
        if n.id in marked:
            attrs["penwidth"] = "3"
        if n.url:
            attrs["URL"] = n.url
        lines.append(f"  {_dot_id(n.id)} [{_dot_attrs(attrs)}];")
    for e in graph.edges:
        attrs = {"label": e.kind}
        if e.attrs.get("outcome") in ("Failed", "Cancelled"):
            attrs.update(color=STATUS_COLORS["failed"], style="dashed")
        lines.append(f"  {_dot_id(e.source)} -> {_dot_id(e.target)} [{_dot_attrs(attrs)}];")
    lines.append("}")
    return "\n".join(lines) + "\n"


def _dot_id(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _dot_attrs(attrs: Mapping[str, str]) -> str:
    return ", ".join(f"{k}={_dot_id(v) if k != 'label' else _dot_label(v)}" for k, v in attrs.items())


def _dot_label(value: str) -> str:
    return '"' + value.replace('"', '\\"') + '"'  # keeps the \n line breaks of labels

"""The provenance graph: plain nodes and edges from pipeline runs to drift snapshots.

Two steps keep the graph testable and fast:

- :func:`collect_records` (thin, talks to the backends) fetches plain records through the service:
  logged batches, model versions, the runs those versions came from, pipeline runs and snapshots;
- :func:`build_graph` (pure) turns those records into a :class:`LineageGraph`.

Edges run in the direction data flows, left to right::

    pipeline run --produced--> dataset --consumed--> training run --trained--> model version
    pipeline run --triggered--> scoring batch <--scored_by-- model version
    scoring batch --monitored_by--> snapshot

``registered_as`` links a model version to a source run that is not a training run of the
logging API (or an unknown one); ``triggered`` also links a pipeline run to a training run that
logged no dataset, and a failed pipeline run to the batch it failed to deliver. A link that the
records name but cannot resolve becomes an explicit node with status ``unknown``.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from collections import defaultdict, deque
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from monitor.batches import TAG
from monitor.errors import MonitorError
from monitor.sources.mlflow import BatchInfo, ModelVersionInfo
from monitor.sources.pipelines import PipelineRun
from monitor.store.base import to_iso

__all__ = [
    "NODE_KINDS", "EDGE_KINDS", "STATUS_COLORS", "Node", "Edge", "LineageGraph", "LineageRecords",
    "build_graph", "collect_records", "neighbourhood", "trace_back", "layout", "to_dot",
]

NODE_KINDS = ("pipeline_run", "dataset", "training_run", "model_version", "batch", "snapshot")
SUMMARY = "summary"
EDGE_KINDS = ("consumed", "produced", "triggered", "trained", "registered_as", "scored_by", "monitored_by")
KIND_LABELS = {"pipeline_run": "Pipeline run", "dataset": "Dataset", "training_run": "Training run",
               "model_version": "Model version", "batch": "Scoring batch", "snapshot": "Snapshot",
               SUMMARY: "Older batches (collapsed)"}
STATUS_COLORS = {"ok": "#2e9d5b", "drifted": "#d62728", "failed": "#d62728", "warning": "#f0a30a",
                 "running": "#1f77b4", "unknown": "#9e9e9e", "collapsed": "#7f8ea3"}
_LAYER = {"pipeline_run": 0, "dataset": 1, "training_run": 2, "model_version": 3, "batch": 4, SUMMARY: 4, "snapshot": 5}
_DOT_SHAPES = {"pipeline_run": "box", "dataset": "cylinder", "training_run": "ellipse", "model_version": "diamond",
               "batch": "hexagon", "snapshot": "circle", SUMMARY: "folder"}


@dataclasses.dataclass(frozen=True)
class Node:
    """One thing in the provenance graph; ``fields`` holds everything shown in its details panel."""

    id: str
    kind: str
    label: str
    status: str = "ok"
    model: str | None = None
    time: str | None = None
    fields: Mapping[str, Any] = dataclasses.field(default_factory=dict)
    url: str | None = None
    unknown: bool = False

    def __post_init__(self):
        object.__setattr__(self, "time", _iso(self.time))

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "kind": self.kind, "label": self.label, "status": self.status, "model": self.model,
                "time": self.time, "fields": _plain(self.fields), "url": self.url, "unknown": self.unknown}


@dataclasses.dataclass(frozen=True)
class Edge:
    """A directed link in data-flow order; ``kind`` is one of :data:`EDGE_KINDS`."""

    source: str
    target: str
    kind: str
    attrs: Mapping[str, Any] = dataclasses.field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"source": self.source, "target": self.target, "kind": self.kind, "attrs": _plain(self.attrs)}


@dataclasses.dataclass(frozen=True)
class LineageGraph:
    """Nodes (ordered by layer, model and time) and edges; look nodes up with :meth:`node`."""

    nodes: tuple[Node, ...]
    edges: tuple[Edge, ...]

    @property
    def ids(self) -> list[str]:
        return [n.id for n in self.nodes]

    def node(self, node_id: str) -> Node:
        for n in self.nodes:
            if n.id == node_id:
                return n
        raise KeyError(f"no node '{node_id}' in the provenance graph")

    def __contains__(self, node_id: object) -> bool:
        return any(n.id == node_id for n in self.nodes)

    def edges_of(self, node_id: str) -> list[Edge]:
        """Edges that start or end at ``node_id``."""
        return [e for e in self.edges if node_id in (e.source, e.target)]

    def kinds(self) -> set[str]:
        return {n.kind for n in self.nodes}

    def to_dict(self) -> dict[str, Any]:
        return {"nodes": [n.to_dict() for n in self.nodes], "edges": [e.to_dict() for e in self.edges]}

    def to_json(self, indent: int | None = 2) -> str:
        """The graph as JSON: ``{"nodes": [...], "edges": [...]}``."""
        return json.dumps(self.to_dict(), indent=indent, default=str)


@dataclasses.dataclass(frozen=True)
class LineageRecords:
    """Plain records the graph is built from; ``runs`` maps run id to :meth:`MlflowSource.run` dicts."""

    batches: tuple[BatchInfo, ...] = ()
    model_versions: tuple[ModelVersionInfo, ...] = ()
    runs: Mapping[str, Mapping[str, Any]] = dataclasses.field(default_factory=dict)
    pipeline_runs: tuple[PipelineRun, ...] = ()
    snapshots: tuple[Mapping[str, Any], ...] = ()
    registered_models: Mapping[str, str] = dataclasses.field(default_factory=dict)
    pipelines: Mapping[str, tuple[str, ...]] = dataclasses.field(default_factory=dict)
    urls: Mapping[str, str] = dataclasses.field(default_factory=dict)
    problems: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return _plain(dataclasses.asdict(self))


# -- collection (talks to the backends) -------------------------------------------------------------
def collect_records(service, models: Sequence[str] | None = None) -> LineageRecords:
    """Fetch the records of ``models`` (default: every onboarded model) through the service.

    A model whose backend fails is skipped and named in ``problems``; the others are collected.
    """
    names = list(models) if models is not None else service.spec.names
    batches, versions, snapshots, problems = [], [], [], []
    runs: dict[str, dict[str, Any]] = {}
    urls: dict[str, str] = {}
    registered, pipelines = {}, {}
    for name in names:
        try:
            spec = service.model(name)
            registered[name], pipelines[name] = spec.registered_model, tuple(spec.pipelines)
            model_batches = service.mlflow.list_batches(name)
            model_versions = service.mlflow.model_versions(spec.registered_model)
            model_snapshots = service.snapshots(name)
        except (MonitorError, KeyError) as exc:
            problems.append(f"model '{name}': {exc}")
            continue
        batches += model_batches
        versions += model_versions
        snapshots += model_snapshots
        for b in model_batches:
            if b.experiment_id and (url := service.mlflow.run_url({"experiment_id": b.experiment_id, "run_id": b.run_id})):
                urls[b.run_id] = url
        for v in model_versions:
            if v.run_id and v.run_id not in runs:
                try:
                    runs[v.run_id] = service.mlflow.run(v.run_id)
                except KeyError:
                    continue  # the version's source run is gone: build_graph shows it as unknown
                except MonitorError as exc:
                    problems.append(f"model '{name}' version {v.version}: run {v.run_id}: {exc}")
                    continue
                if url := service.mlflow.run_url(runs[v.run_id]):
                    urls[v.run_id] = url
    try:
        pipeline_runs = service.pipeline_runs()
    except MonitorError as exc:
        problems.append(f"pipeline runs: {exc}")
        pipeline_runs = []
    return LineageRecords(tuple(batches), tuple(versions), runs, tuple(pipeline_runs), tuple(snapshots),
                          registered, pipelines, urls, tuple(problems))


def build_graph(records: LineageRecords, *, models: Iterable[str] | None = None,
                start: dt.datetime | str | None = None, end: dt.datetime | str | None = None) -> LineageGraph:
    """Build the provenance graph of ``records`` (optionally only of ``models``).

    Batches before ``start`` collapse, with their snapshots and the pipeline runs that only fed
    them, into one summary node per model; batches after ``end`` are left out the same way.
    """
    wanted = set(models) if models is not None else None
    g = _Builder(wanted)
    g.add_records(records)
    graph = g.graph()
    if start is not None or end is not None:
        graph = _window(graph, _ts(start), _ts(end))
    return graph


class _Builder:
    def __init__(self, models: set[str] | None):
        self.models = models
        self.nodes: dict[str, Node] = {}
        self.edges: dict[tuple[str, str, str], Edge] = {}

    def keep(self, model: str | None) -> bool:
        return self.models is None or model in self.models

    def add(self, node: Node) -> str:
        self.nodes.setdefault(node.id, node)
        return node.id

    def link(self, source: str, target: str, kind: str, **attrs) -> None:
        self.edges.setdefault((source, target, kind), Edge(source, target, kind, attrs))

    def unknown(self, kind: str, key: str, model: str | None, time: str | None, why: str) -> str:
        return self.add(Node(f"unknown:{kind}:{key}", kind, f"unknown {KIND_LABELS[kind].lower()}", "unknown", model,
                             time, {"why": why}, unknown=True))

    def add_records(self, r: LineageRecords) -> None:
        pipeline_runs = {p.run_id: p for p in r.pipeline_runs}
        versions = {(v.name, v.version): v for v in r.model_versions}
        model_of_registered = {reg: m for m, reg in r.registered_models.items()}
        used_pipeline_runs: set[str] = set()

        def pipeline_node(run_id: str, model: str | None, time: str | None, what: str) -> str:
            run = pipeline_runs.get(run_id)
            if run is None:
                return self.unknown("pipeline_run", run_id, model, time,
                                    f"{what} names pipeline run {run_id}, which the pipeline-run source does not know")
            used_pipeline_runs.add(run_id)
            return self.add(_pipeline_node(run, model))

        for v in r.model_versions:
            model = model_of_registered.get(v.name)
            if not self.keep(model):
                continue
            vid = self.add(_version_node(v, model))
            run = r.runs.get(v.run_id) if v.run_id else None
            if run is None:
                why = (f"version {v.version} of '{v.name}' names no source run" if not v.run_id else
                       f"version {v.version} of '{v.name}' was registered from run {v.run_id}, which MLflow does not know")
                self.link(self.unknown("training_run", f"{v.name}/{v.version}", model, v.created, why), vid, "registered_as")
                continue
            tags = run.get("tags") or {}
            rid = self.add(_run_node(run, model, r.urls.get(run["run_id"])))
            self.link(rid, vid, "trained" if tags.get(TAG + "kind") == "training" else "registered_as")
            pl_id = tags.get(TAG + "pipeline_run_id")
            pl_node = pipeline_node(pl_id, model, run.get("start"), f"training run {run['run_id']}") if pl_id else None
            for ds in run.get("inputs") or []:
                did = self.add(_dataset_node(ds, model, run.get("start")))
                self.link(did, rid, "consumed", context=ds.get("context") or "")
                if pl_node:
                    self.link(pl_node, did, "produced")
            if pl_node and not run.get("inputs"):
                self.link(pl_node, rid, "triggered")

        batch_ids: dict[tuple[str, str], str] = {}
        for b in r.batches:
            if not self.keep(b.model):
                continue
            bid = self.add(_batch_node(b, r.urls.get(b.run_id)))
            batch_ids[(b.model, b.batch_id)] = bid
            registered = r.registered_models.get(b.model, b.model)
            v = versions.get((registered, str(b.model_version)))
            vid = f"model_version:{registered}/{b.model_version}" if v else self.unknown(
                "model_version", f"{registered}/{b.model_version or '?'}", b.model, b.batch_time,
                f"batch {b.batch_id} was scored by version '{b.model_version}' of '{registered}', which the registry does not know")
            self.link(vid, bid, "scored_by")
            if b.pipeline_run_id:
                pid = pipeline_node(b.pipeline_run_id, b.model, b.batch_time, f"batch {b.batch_id}")
                self.link(pid, bid, "triggered", outcome=self.nodes[pid].fields.get("status", "unknown"))
            else:
                self.link(self.unknown("pipeline_run", f"{b.model}/{b.batch_id}", b.model, b.batch_time,
                                       f"batch {b.batch_id} was logged without a pipeline run id"), bid, "triggered")

        for doc in r.snapshots:
            model, batch_id = doc.get("model"), doc.get("batch_id")
            if not self.keep(model) or not batch_id:
                continue
            sid = self.add(_snapshot_node(doc))
            bid = batch_ids.get((model, batch_id)) or self.unknown(
                "batch", f"{model}/{batch_id}", model, doc.get("ts"), f"snapshot of batch {batch_id}, which MLflow does not list")
            self.link(bid, sid, "monitored_by")

        batch_of = {key[1]: bid for key, bid in batch_ids.items()}
        for run in r.pipeline_runs:
            params = run.parameters or {}
            model = params.get("model") or next((m for m, names in r.pipelines.items() if run.pipeline_name in names), None)
            if run.run_id in used_pipeline_runs:
                continue
            target = batch_of.get(params.get("batch_id", ""))
            if target is not None:
                model = self.nodes[target].model
            elif model is None or model not in r.registered_models:
                continue  # a pipeline that feeds none of the monitored models
            if not self.keep(model):
                continue
            pid = self.add(_pipeline_node(run, model))
            if target is not None:
                self.link(pid, target, "triggered", outcome=run.status)

    def graph(self) -> LineageGraph:
        return _sorted(self.nodes.values(), self.edges.values())


def _pipeline_node(run: PipelineRun, model: str | None) -> Node:
    status = "failed" if run.failed else "running" if run.status in ("Queued", "InProgress", "Canceling") else "ok"
    fields = {"runId": run.run_id, "pipeline": run.pipeline_name, "status": run.status, "start": run.run_start,
              "end": run.run_end, "duration_s": None if run.duration_ms is None else round(run.duration_ms / 1000, 1),
              "message": run.message, "parameters": dict(run.parameters), "invoked_by": run.invoked_by,
              "factory": run.factory}
    return Node(f"pipeline_run:{run.run_id}", "pipeline_run", f"{run.pipeline_name} · {_short_time(run.run_start)}",
                status, model, run.run_start, fields)


def _dataset_node(ds: Mapping[str, Any], model: str | None, time: str | None) -> Node:
    profile = _loads(ds.get("profile"))
    schema = _loads(ds.get("schema"))
    columns = schema.get("mlflow_colspec") if isinstance(schema, Mapping) else None
    fields = {"name": ds.get("name"), "digest": ds.get("digest"), "source_type": ds.get("source_type"),
              "rows": (profile or {}).get("num_rows") if isinstance(profile, Mapping) else None,
              "schema": [f"{c.get('name')}: {c.get('type')}" for c in columns] if isinstance(columns, list) else schema,
              "context": ds.get("context")}
    return Node(f"dataset:{ds.get('name')}@{ds.get('digest')}", "dataset", str(ds.get("name")), "ok", model, time, fields)


def _run_node(run: Mapping[str, Any], model: str | None, url: str | None) -> Node:
    status = {"FINISHED": "ok", "FAILED": "failed", "KILLED": "failed", "RUNNING": "running"}.get(run.get("status", ""), "warning")
    fields = {"run_id": run["run_id"], "run_name": run.get("run_name"), "status": run.get("status"), "start": run.get("start"),
              "end": run.get("end"), "experiment_id": run.get("experiment_id"), "params": dict(run.get("params") or {}),
              "metrics": dict(run.get("metrics") or {}),
              "tags": {k: v for k, v in (run.get("tags") or {}).items() if not k.startswith("mlflow.log-model")}}
    return Node(f"training_run:{run['run_id']}", "training_run", run.get("run_name") or run["run_id"][:8], status, model,
                run.get("start"), fields, url)


def _version_node(v: ModelVersionInfo, model: str | None) -> Node:
    fields = {"registered_model": v.name, "version": v.version, "aliases": list(v.aliases), "status": v.status,
              "source_run": v.run_id, "source": v.source, "created": v.created, "model_id": v.model_id}
    label = f"{v.name} v{v.version}" + (f" @{','.join(v.aliases)}" if v.aliases else "")
    return Node(f"model_version:{v.name}/{v.version}", "model_version", label, "ok", model, v.created, fields)


def _batch_node(b: BatchInfo, url: str | None) -> Node:
    fields = {"batch_id": b.batch_id, "run_id": b.run_id, "batch_time": b.batch_time, "model_version": b.model_version,
              "rows": b.n_rows, "digest": b.digest, "pipeline_run_id": b.pipeline_run_id, "labels_at": b.labels_at,
              "experiment_id": b.experiment_id}
    return Node(f"batch:{b.model}/{b.batch_id}", "batch", b.batch_id, "ok", b.model, b.batch_time, fields, url)


def _snapshot_node(doc: Mapping[str, Any]) -> Node:
    status = doc.get("status") or {}
    overall = (doc.get("drift") or {}).get("overall") or {}
    health = "drifted" if status.get("drifted") else "warning" if (
        status.get("prediction_drifted") or status.get("attribution_drift") or status.get("critical_findings")) else "ok"
    fields = {"snapshot_id": doc.get("id"), "batch_id": doc.get("batch_id"), "ts": doc.get("ts"),
              "model_version": doc.get("model_version"), "run_id": doc.get("run_id"),
              "pipeline_run_id": doc.get("pipeline_run_id"), "drifted": bool(status.get("drifted")), "health": health,
              "status": dict(status), "drift_overall": dict(overall), "rows": doc.get("n_rows"),
              "computed_at": doc.get("stored_at")}
    return Node(f"snapshot:{doc.get('model')}/{doc.get('batch_id')}", "snapshot", f"{health} · {doc.get('batch_id')}",
                health, doc.get("model"), doc.get("ts"), fields)


# -- windows, focus and trace-back -------------------------------------------------------------------
def _window(graph: LineageGraph, start: str | None, end: str | None) -> LineageGraph:
    nodes = {n.id: n for n in graph.nodes}
    down, up = _adjacency(graph.edges)
    old = {n.id for n in graph.nodes if n.kind == "batch" and start and n.time and n.time < start}
    late = {n.id for n in graph.nodes if n.kind == "batch" and end and n.time and n.time >= end}
    for group in (old, late):
        group |= {t for b in list(group) for t in down[b] if nodes[t].kind == "snapshot"}
        # a pipeline run goes with its batches when every node it feeds goes (training runs keep theirs)
        for b in list(group):
            for p in up[b]:
                if nodes[p].kind == "pipeline_run" and down[p] <= group:
                    group.add(p)
    orphans = {n.id for n in graph.nodes if n.kind == "pipeline_run" and not down[n.id] and n.time}
    old |= {p for p in orphans if start and nodes[p].time < start}
    late |= {p for p in orphans if end and nodes[p].time >= end}
    rename: dict[str, str | None] = dict.fromkeys(late)
    summaries: dict[str, dict[str, Any]] = {}
    for nid in sorted(old, key=lambda i: nodes[i].time or ""):
        n = nodes[nid]
        sid = f"{SUMMARY}:{n.model}"
        rename[nid] = sid
        s = summaries.setdefault(sid, {"model": n.model, "batches": 0, "drifted_snapshots": 0, "snapshots": 0,
                                       "pipeline_runs": 0, "failed_pipeline_runs": 0, "first": n.time, "last": n.time})
        s["batches"] += n.kind == "batch"
        s["snapshots"] += n.kind == "snapshot"
        s["drifted_snapshots"] += n.kind == "snapshot" and n.status == "drifted"
        s["pipeline_runs"] += n.kind == "pipeline_run"
        s["failed_pipeline_runs"] += n.kind == "pipeline_run" and n.status == "failed"
        s["first"], s["last"] = min(s["first"] or "", n.time or ""), max(s["last"] or "", n.time or "")
    kept = [n for n in graph.nodes if n.id not in rename]
    kept += [Node(sid, SUMMARY, f"{s['batches']} older batches", "collapsed", s["model"], s["last"],
                  {**s, "before": start}) for sid, s in summaries.items()]
    edges: dict[tuple[str, str, str], Edge] = {}
    for e in graph.edges:
        src, dst = rename.get(e.source, e.source), rename.get(e.target, e.target)
        if src is None or dst is None or src == dst:
            continue
        key = (src, dst, e.kind)
        prev = edges.get(key)
        edges[key] = Edge(src, dst, e.kind, {"count": (prev.attrs.get("count", 1) + 1) if prev else 1}
                          if src != e.source or dst != e.target else e.attrs)
    return _sorted(kept, edges.values())


def neighbourhood(graph: LineageGraph, focus: str, depth: int) -> LineageGraph:
    """The part of ``graph`` within ``depth`` links of ``focus`` (in either direction)."""
    graph.node(focus)
    down, up = _adjacency(graph.edges)
    seen, queue = {focus: 0}, deque([focus])
    while queue:
        nid = queue.popleft()
        if seen[nid] >= depth:
            continue
        for other in down[nid] | up[nid]:
            if other not in seen:
                seen[other] = seen[nid] + 1
                queue.append(other)
    return LineageGraph(tuple(n for n in graph.nodes if n.id in seen),
                        tuple(e for e in graph.edges if e.source in seen and e.target in seen))


def trace_back(graph: LineageGraph, node_id: str) -> LineageGraph:
    """Everything upstream of ``node_id``: for a snapshot, its batch, the pipeline runs that fed it,
    the model version that scored it, its training run, the training data and the pipeline that
    produced that data."""
    graph.node(node_id)
    _, up = _adjacency(graph.edges)
    seen, queue = {node_id}, deque([node_id])
    while queue:
        for other in up[queue.popleft()]:
            if other not in seen:
                seen.add(other)
                queue.append(other)
    return LineageGraph(tuple(n for n in graph.nodes if n.id in seen),
                        tuple(e for e in graph.edges if e.source in seen and e.target in seen))


# -- layout and export ------------------------------------------------------------------------------
def layout(graph: LineageGraph, x_gap: float = 260.0, y_gap: float = 60.0) -> dict[str, tuple[float, float]]:
    """Fixed positions: one column per node kind (left to right in data-flow order), one band per
    model, nodes ordered by time within a column. The same graph always gets the same positions."""
    columns: dict[tuple[str, int], list[Node]] = defaultdict(list)
    for n in graph.nodes:
        columns[(n.model or "", _LAYER[n.kind])].append(n)
    models = sorted({m for m, _ in columns})
    height = {m: max(len(v) for (mm, _), v in columns.items() if mm == m) for m in models}
    pos: dict[str, tuple[float, float]] = {}
    top = 0.0
    for m in models:
        band = height[m] * y_gap
        for (mm, layer), col in columns.items():
            if mm != m:
                continue
            step = band / len(col)
            for i, n in enumerate(col):
                pos[n.id] = (layer * x_gap, round(top + (i + 0.5) * step, 1))
        top += band + 2 * y_gap
    return pos


def to_dot(graph: LineageGraph, highlight: Iterable[str] = ()) -> str:
    """The graph as Graphviz DOT text (left to right, colour by status, shape by kind)."""
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


# -- helpers --------------------------------------------------------------------------------------------
def _adjacency(edges: Iterable[Edge]) -> tuple[dict[str, set[str]], dict[str, set[str]]]:
    down: dict[str, set[str]] = defaultdict(set)
    up: dict[str, set[str]] = defaultdict(set)
    for e in edges:
        down[e.source].add(e.target)
        up[e.target].add(e.source)
    return down, up


def _sorted(nodes: Iterable[Node], edges: Iterable[Edge]) -> LineageGraph:
    order = sorted(nodes, key=lambda n: (_LAYER[n.kind], n.model or "", n.kind != SUMMARY, n.time or "", n.id))
    return LineageGraph(tuple(order), tuple(sorted(edges, key=lambda e: (e.source, e.target, e.kind))))


def _ts(value: dt.datetime | str | None) -> str | None:
    return to_iso(value)


def _iso(value: str | None) -> str | None:
    try:
        return to_iso(value)
    except (TypeError, ValueError):
        return value


def _short_time(value: str | None) -> str:
    return value[:16].replace("T", " ") if value else "?"


def _loads(value: Any) -> Any:
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def _plain(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set):
        return [_plain(v) for v in value]
    return value

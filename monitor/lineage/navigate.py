"""Narrowing a provenance graph: a time window, the newest batches, the neighbourhood of a node and everything
upstream of it."""

from __future__ import annotations

from collections import defaultdict, deque
from collections.abc import Iterable
from typing import Any

from monitor.lineage.records import SUMMARY, Edge, LineageGraph, Node

__all__ = ["window", "recent", "neighbourhood", "trace_back", "adjacency"]


def window(graph: LineageGraph, start: str | None, end: str | None) -> LineageGraph:
    """``graph`` with the batches before ``start`` (ISO-8601 UTC text) collapsed into one summary node per model
    and those at or after ``end`` left out, each with its snapshots and the pipeline runs that fed only them.

    Training runs, datasets and model versions stay whatever their age; links into collapsed nodes
    become links into the summary, counted in the edge's ``count``.
    """
    old = {n.id for n in graph.nodes if n.kind == "batch" and start and n.time and n.time < start}
    late = {n.id for n in graph.nodes if n.kind == "batch" and end and n.time and n.time >= end}
    orphans = _orphan_runs(graph)
    old |= {p.id for p in orphans if start and p.time < start}
    late |= {p.id for p in orphans if end and p.time >= end}
    return _collapse(graph, old, late, dict.fromkeys({n.model for n in graph.nodes}, start))


def recent(graph: LineageGraph, batches: int) -> LineageGraph:
    """``graph`` with only the newest ``batches`` scoring batches of each model (0: all of them); the older ones
    collapse, with their snapshots and the pipeline runs that fed only them, into the model's summary node
    (merged with the one :func:`window` made, if any)."""
    if batches <= 0:
        return graph
    by_model: dict[str | None, list[Node]] = defaultdict(list)
    for n in graph.nodes:
        if n.kind == "batch":
            by_model[n.model].append(n)
    old: set[str] = set()
    before: dict[str | None, str | None] = {}
    for model, group in by_model.items():
        group.sort(key=lambda n: (n.time or "", n.id))
        if len(group) > batches:
            old |= {n.id for n in group[:-batches]}
            before[model] = group[-batches].time
    old |= {p.id for p in _orphan_runs(graph) if before.get(p.model) and p.time < before[p.model]}
    return _collapse(graph, old, set(), before) if old else graph


def _orphan_runs(graph: LineageGraph) -> list[Node]:
    """Pipeline runs that feed nothing in ``graph`` (and have a time)."""
    sources = {e.source for e in graph.edges}
    return [n for n in graph.nodes if n.kind == "pipeline_run" and n.id not in sources and n.time]


_COUNTS = ("batches", "snapshots", "drifted_snapshots", "pipeline_runs", "failed_pipeline_runs")


def _collapse(graph: LineageGraph, old: set[str], late: set[str], before: dict[str | None, str | None]) -> LineageGraph:
    """Fold the ``old`` batches into one summary node per model and drop the ``late`` ones, each group with its
    snapshots and the pipeline runs that feed only nodes of the group; ``before`` is each model's cut."""
    nodes = {n.id: n for n in graph.nodes}
    down, up = adjacency(graph.edges)
    for group in (old, late):
        group |= {t for b in list(group) for t in down[b] if nodes[t].kind == "snapshot"}
        # a pipeline run goes with its batches when every node it feeds goes (training runs keep theirs)
        for b in list(group):
            for p in up[b]:
                if nodes[p].kind == "pipeline_run" and down[p] <= group:
                    group.add(p)
    rename: dict[str, str | None] = dict.fromkeys(late)
    summaries: dict[str, dict[str, Any]] = {}
    for n in graph.nodes:  # a summary made earlier (by the time window) is merged into the new one
        if n.kind == SUMMARY and any(nodes[i].model == n.model for i in old):
            summaries[n.id] = {**n.fields, "model": n.model}
            rename[n.id] = n.id
    for nid in sorted(old, key=lambda i: nodes[i].time or ""):
        n = nodes[nid]
        sid = f"{SUMMARY}:{n.model}"
        rename[nid] = sid
        s = summaries.setdefault(sid, {"model": n.model, **dict.fromkeys(_COUNTS, 0), "first": n.time, "last": n.time})
        s["batches"] += n.kind == "batch"
        s["snapshots"] += n.kind == "snapshot"
        s["drifted_snapshots"] += n.kind == "snapshot" and n.status == "drifted"
        s["pipeline_runs"] += n.kind == "pipeline_run"
        s["failed_pipeline_runs"] += n.kind == "pipeline_run" and n.status == "failed"
        s["first"] = min(s["first"] or "", n.time or "") or None
        s["last"] = max(s["last"] or "", n.time or "") or None
    kept = [n for n in graph.nodes if n.id not in rename]
    kept += [Node(sid, SUMMARY, f"{s['batches']} older batches", "collapsed", s["model"], s["last"],
                  {**s, "before": max(filter(None, (s.get("before"), before.get(s["model"]))), default=None)})
             for sid, s in summaries.items()]
    edges: dict[tuple[str, str, str], Edge] = {}
    for e in graph.edges:
        src, dst = rename.get(e.source, e.source), rename.get(e.target, e.target)
        if src is None or dst is None or src == dst:
            continue
        key = (src, dst, e.kind)
        if src in summaries or dst in summaries:  # links into a summary are counted
            prev = edges.get(key)
            count = (prev.attrs["count"] if prev else 0) + e.attrs.get("count", 1)
            edges[key] = Edge(src, dst, e.kind, {"count": count})
        else:
            edges[key] = e
    return LineageGraph.of(kept, edges.values())


def neighbourhood(graph: LineageGraph, focus: str, depth: int) -> LineageGraph:
    """The part of ``graph`` within ``depth`` links of ``focus`` (in either direction)."""
    graph.node(focus)
    down, up = adjacency(graph.edges)
    seen, queue = {focus: 0}, deque([focus])
    while queue:
        nid = queue.popleft()
        if seen[nid] >= depth:
            continue
        for other in down[nid] | up[nid]:
            if other not in seen:
                seen[other] = seen[nid] + 1
                queue.append(other)
    return _induced(graph, seen)


def trace_back(graph: LineageGraph, node_id: str) -> LineageGraph:
    """Everything upstream of ``node_id``: for a snapshot, its batch, the pipeline runs that fed it,
    the model version that scored it, its training run, the training data and the pipeline that
    produced that data."""
    graph.node(node_id)
    _, up = adjacency(graph.edges)
    seen, queue = {node_id}, deque([node_id])
    while queue:
        for other in up[queue.popleft()]:
            if other not in seen:
                seen.add(other)
                queue.append(other)
    return _induced(graph, seen)


def adjacency(edges: Iterable[Edge]) -> tuple[dict[str, set[str]], dict[str, set[str]]]:
    """Node id -> the ids it links to (downstream), and node id -> the ids linking to it (upstream)."""
    down: dict[str, set[str]] = defaultdict(set)
    up: dict[str, set[str]] = defaultdict(set)
    for e in edges:
        down[e.source].add(e.target)
        up[e.target].add(e.source)
    return down, up


def _induced(graph: LineageGraph, keep: Iterable[str]) -> LineageGraph:
    ids = set(keep)
    return LineageGraph(tuple(n for n in graph.nodes if n.id in ids),
                        tuple(e for e in graph.edges if e.source in ids and e.target in ids))

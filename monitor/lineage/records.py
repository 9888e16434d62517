"""The types of the provenance graph: the plain records it is built from and the nodes and edges it is made of.

:class:`LineageRecords` holds what :mod:`monitor.collect.lineage` read from the backends (logged
batches, model versions, the MLflow runs those versions came from, pipeline runs and typed
snapshots); :class:`LineageGraph` holds the :class:`Node` and :class:`Edge` records built from them.
Nothing here talks to a backend.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from monitor.jsonsafe import clean_json
from monitor.records import BatchInfo, ModelVersionInfo, PipelineRun
from monitor.timeutil import to_iso

if TYPE_CHECKING:
    from monitor.snapshots.types import Snapshot

__all__ = ["NODE_KINDS", "SUMMARY", "EDGE_KINDS", "KIND_LABELS", "STATUS_COLORS", "LAYERS", "Node", "Edge",
           "LineageGraph", "DatasetInput", "TrainingRun", "LineageRecords"]

NODE_KINDS = ("pipeline_run", "dataset", "training_run", "model_version", "batch", "snapshot")
SUMMARY = "summary"
"""The kind of the node that stands for a model's batches before the window (with their snapshots and runs)."""
EDGE_KINDS = ("consumed", "produced", "triggered", "trained", "registered_as", "scored_by", "monitored_by")
KIND_LABELS = {"pipeline_run": "Pipeline run", "dataset": "Dataset", "training_run": "Training run",
               "model_version": "Model version", "batch": "Scoring batch", "snapshot": "Snapshot",
               SUMMARY: "Older batches (collapsed)"}
STATUS_COLORS = {"ok": "#2e9d5b", "drifted": "#d62728", "failed": "#d62728", "warning": "#f0a30a",
                 "running": "#1f77b4", "unknown": "#9e9e9e", "collapsed": "#7f8ea3"}
"""Each node status and the colour it is drawn in."""
LAYERS = {"pipeline_run": 0, "dataset": 1, "training_run": 2, "model_version": 3, "batch": 4, SUMMARY: 4, "snapshot": 5}
"""The position of each node kind in data-flow order (left to right); a summary stands where its batches were."""


def _iso_or_text(value: str | None) -> str | None:
    try:
        return to_iso(value)
    except (TypeError, ValueError):
        return value


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
        object.__setattr__(self, "time", _iso_or_text(self.time))

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "kind": self.kind, "label": self.label, "status": self.status, "model": self.model,
                "time": self.time, "fields": clean_json(self.fields), "url": self.url, "unknown": self.unknown}


@dataclasses.dataclass(frozen=True)
class Edge:
    """A directed link in data-flow order; ``kind`` is one of :data:`EDGE_KINDS`."""

    source: str
    target: str
    kind: str
    attrs: Mapping[str, Any] = dataclasses.field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"source": self.source, "target": self.target, "kind": self.kind, "attrs": clean_json(self.attrs)}


@dataclasses.dataclass(frozen=True)
class LineageGraph:
    """Nodes (ordered by layer, model and time) and edges; look nodes up with :meth:`node`."""

    nodes: tuple[Node, ...]
    edges: tuple[Edge, ...]

    @classmethod
    def of(cls, nodes: Iterable[Node], edges: Iterable[Edge]) -> LineageGraph:
        """A graph in the canonical order: nodes by layer, model and time; edges by source, target and kind."""
        order = sorted(nodes, key=lambda n: (LAYERS[n.kind], n.model or "", n.kind != SUMMARY, n.time or "", n.id))
        return cls(tuple(order), tuple(sorted(edges, key=lambda e: (e.source, e.target, e.kind))))

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
class DatasetInput:
    """A dataset an MLflow run logged as an input (``mlflow.log_input``); ``schema`` and ``profile`` as logged (JSON text)."""

    name: str
    digest: str | None = None
    source_type: str | None = None
    context: str = ""
    schema: Any = None
    profile: Any = None

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> DatasetInput:
        return cls(name=str(d.get("name")), digest=d.get("digest"), source_type=d.get("source_type"),
                   context=d.get("context") or "", schema=d.get("schema"), profile=d.get("profile"))


@dataclasses.dataclass(frozen=True)
class TrainingRun:
    """The MLflow run a model version was registered from: a training run of the logging API
    (``kind == "training"``) or any other run. ``pipeline_run_id`` names the pipeline run that
    produced its data, when the run was tagged with one."""

    run_id: str
    run_name: str | None = None
    status: str = ""
    start: str | None = None
    end: str | None = None
    experiment_id: str | None = None
    params: Mapping[str, str] = dataclasses.field(default_factory=dict)
    metrics: Mapping[str, float] = dataclasses.field(default_factory=dict)
    tags: Mapping[str, str] = dataclasses.field(default_factory=dict)
    inputs: tuple[DatasetInput, ...] = ()
    kind: str | None = None
    pipeline_run_id: str | None = None


@dataclasses.dataclass(frozen=True)
class LineageRecords:
    """Plain records the graph is built from.

    ``runs`` maps a run id to the :class:`TrainingRun` a model version came from; ``registered_models``
    maps a monitored model to its registered model and ``pipelines`` to the pipelines that feed it;
    ``urls`` maps an MLflow run id to a browser link; ``problems`` says what could not be read.
    """

    batches: tuple[BatchInfo, ...] = ()
    model_versions: tuple[ModelVersionInfo, ...] = ()
    runs: Mapping[str, TrainingRun] = dataclasses.field(default_factory=dict)
    pipeline_runs: tuple[PipelineRun, ...] = ()
    snapshots: tuple[Snapshot, ...] = ()
    registered_models: Mapping[str, str] = dataclasses.field(default_factory=dict)
    pipelines: Mapping[str, tuple[str, ...]] = dataclasses.field(default_factory=dict)
    urls: Mapping[str, str] = dataclasses.field(default_factory=dict)
    problems: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return clean_json(dataclasses.asdict(self))

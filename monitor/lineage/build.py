"""Building the provenance graph from plain records (pure: no backend is read here)."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from monitor.lineage.navigate import window
from monitor.lineage.records import KIND_LABELS, DatasetInput, Edge, LineageGraph, LineageRecords, Node, TrainingRun
from monitor.records import BatchInfo, ModelVersionInfo, PipelineRun
from monitor.timeutil import to_iso

if TYPE_CHECKING:
    from monitor.snapshots.types import Snapshot

__all__ = ["build_graph"]

_RUNNING = ("Queued", "InProgress", "Canceling")
_RUN_STATUS = {"FINISHED": "ok", "FAILED": "failed", "KILLED": "failed", "RUNNING": "running"}


def build_graph(records: LineageRecords, *, models: Iterable[str] | None = None,
                start: dt.datetime | str | None = None, end: dt.datetime | str | None = None) -> LineageGraph:
    """Build the provenance graph of ``records`` (optionally only of ``models``).

    Batches before ``start`` collapse, with their snapshots and the pipeline runs that only fed
    them, into one summary node per model; batches after ``end`` are left out the same way.
    """
    g = _Builder(set(models) if models is not None else None)
    g.add_records(records)
    graph = LineageGraph.of(g.nodes.values(), g.edges.values())
    if start is not None or end is not None:
        graph = window(graph, to_iso(start), to_iso(end))
    return graph


class _Builder:
    def __init__(self, models: set[str] | None):
        self.models = models
        self.nodes: dict[str, Node] = {}
        self.edges: dict[tuple[str, str, str], Edge] = {}
        self.pipeline_runs: dict[str, PipelineRun] = {}
        self.used_pipeline_runs: set[str] = set()

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

    def pipeline(self, run_id: str, model: str | None, time: str | None, what: str) -> str:
        """The node of a pipeline run named by ``what``, or an unknown node when the source does not know the run."""
        run = self.pipeline_runs.get(run_id)
        if run is None:
            return self.unknown("pipeline_run", run_id, model, time,
                                f"{what} names pipeline run {run_id}, which the pipeline-run source does not know")
        self.used_pipeline_runs.add(run_id)
        return self.add(pipeline_node(run, model))

    def add_records(self, r: LineageRecords) -> None:
        self.pipeline_runs = {p.run_id: p for p in r.pipeline_runs}
        model_of_registered = {reg: m for m, reg in r.registered_models.items()}
        for v in r.model_versions:
            model = model_of_registered.get(v.name)
            if self.keep(model):
                self.add_version(v, model, r.runs.get(v.run_id) if v.run_id else None, r.urls)
        batch_ids = self.add_batches(r)
        for snapshot in r.snapshots:
            self.add_snapshot(snapshot, batch_ids)
        self.add_other_pipeline_runs(r, {key[1]: bid for key, bid in batch_ids.items()})

    def add_version(self, v: ModelVersionInfo, model: str | None, run: TrainingRun | None, urls: Mapping[str, str]) -> None:
        """A model version, the run it was registered from, that run's datasets and the pipeline run that made them."""
        vid = self.add(version_node(v, model))
        if run is None:
            why = (f"version {v.version} of '{v.name}' names no source run" if not v.run_id else
                   f"version {v.version} of '{v.name}' was registered from run {v.run_id}, which MLflow does not know")
            self.link(self.unknown("training_run", f"{v.name}/{v.version}", model, v.created, why), vid, "registered_as")
            return
        rid = self.add(run_node(run, model, urls.get(run.run_id)))
        self.link(rid, vid, "trained" if run.kind == "training" else "registered_as")
        pl_node = (self.pipeline(run.pipeline_run_id, model, run.start, f"training run {run.run_id}")
                   if run.pipeline_run_id else None)
        for ds in run.inputs:
            did = self.add(dataset_node(ds, model, run.start))
            self.link(did, rid, "consumed", context=ds.context)
            if pl_node:
                self.link(pl_node, did, "produced")
        if pl_node and not run.inputs:
            self.link(pl_node, rid, "triggered")

    def add_batches(self, r: LineageRecords) -> dict[tuple[str, str], str]:
        """Each batch with the version that scored it and the pipeline run(s) that delivered it; (model, batch id) -> node id."""
        versions = {(v.name, v.version) for v in r.model_versions}
        batch_ids: dict[tuple[str, str], str] = {}
        for b in r.batches:
            if not self.keep(b.model):
                continue
            bid = self.add(batch_node(b, r.urls.get(b.run_id)))
            batch_ids[(b.model, b.batch_id)] = bid
            registered = r.registered_models.get(b.model, b.model)
            vid = (f"model_version:{registered}/{b.model_version}" if (registered, str(b.model_version)) in versions else
                   self.unknown("model_version", f"{registered}/{b.model_version or '?'}", b.model, b.batch_time,
                                f"batch {b.batch_id} was scored by version '{b.model_version}' of '{registered}', "
                                "which the registry does not know"))
            self.link(vid, bid, "scored_by")
            if b.pipeline_run_id:
                pid = self.pipeline(b.pipeline_run_id, b.model, b.batch_time, f"batch {b.batch_id}")
                self.link(pid, bid, "triggered", outcome=self.nodes[pid].fields.get("status", "unknown"))
            else:
                self.link(self.unknown("pipeline_run", f"{b.model}/{b.batch_id}", b.model, b.batch_time,
                                       f"batch {b.batch_id} was logged without a pipeline run id"), bid, "triggered")
        return batch_ids

    def add_snapshot(self, snapshot: Snapshot, batch_ids: Mapping[tuple[str, str], str]) -> None:
        model, batch_id = snapshot.model, snapshot.batch_id
        if not self.keep(model) or not batch_id:
            return
        sid = self.add(snapshot_node(snapshot))
        bid = batch_ids.get((model, batch_id)) or self.unknown(
            "batch", f"{model}/{batch_id}", model, snapshot.ts, f"snapshot of batch {batch_id}, which MLflow does not list")
        self.link(bid, sid, "monitored_by")

    def add_other_pipeline_runs(self, r: LineageRecords, batch_of: Mapping[str, str]) -> None:
        """Pipeline runs no record named: a failed run of a batch (by its ``batch_id`` parameter) or a run of a monitored model."""
        for run in r.pipeline_runs:
            if run.run_id in self.used_pipeline_runs:
                continue
            params = run.parameters or {}
            model = params.get("model") or next((m for m, names in r.pipelines.items() if run.pipeline_name in names), None)
            target = batch_of.get(params.get("batch_id", ""))
            if target is not None:
                model = self.nodes[target].model
            elif model is None or model not in r.registered_models:
                continue  # a pipeline that feeds none of the monitored models
            if not self.keep(model):
                continue
            pid = self.add(pipeline_node(run, model))
            if target is not None:
                self.link(pid, target, "triggered", outcome=run.status)


# -- one node per record -------------------------------------------------------------------------
def pipeline_node(run: PipelineRun, model: str | None) -> Node:
    status = "failed" if run.failed else "running" if run.status in _RUNNING else "ok"
    fields = {"runId": run.run_id, "pipeline": run.pipeline_name, "status": run.status, "start": run.run_start,
              "end": run.run_end, "duration_s": None if run.duration_ms is None else round(run.duration_ms / 1000, 1),
              "message": run.message, "parameters": dict(run.parameters), "invoked_by": run.invoked_by,
              "factory": run.factory}
    return Node(f"pipeline_run:{run.run_id}", "pipeline_run", f"{run.pipeline_name} · {_short_time(run.run_start)}",
                status, model, run.run_start, fields)


def dataset_node(ds: DatasetInput, model: str | None, time: str | None) -> Node:
    profile, schema = _loads(ds.profile), _loads(ds.schema)
    columns = schema.get("mlflow_colspec") if isinstance(schema, Mapping) else None
    fields = {"name": ds.name, "digest": ds.digest, "source_type": ds.source_type,
              "rows": profile.get("num_rows") if isinstance(profile, Mapping) else None,
              "schema": [f"{c.get('name')}: {c.get('type')}" for c in columns] if isinstance(columns, list) else schema,
              "context": ds.context}
    return Node(f"dataset:{ds.name}@{ds.digest}", "dataset", ds.name, "ok", model, time, fields)


def run_node(run: TrainingRun, model: str | None, url: str | None) -> Node:
    fields = {"run_id": run.run_id, "run_name": run.run_name, "status": run.status, "start": run.start, "end": run.end,
              "experiment_id": run.experiment_id, "params": dict(run.params), "metrics": dict(run.metrics),
              "tags": {k: v for k, v in run.tags.items() if not k.startswith("mlflow.log-model")}}
    return Node(f"training_run:{run.run_id}", "training_run", run.run_name or run.run_id[:8],
                _RUN_STATUS.get(run.status, "warning"), model, run.start, fields, url)


def version_node(v: ModelVersionInfo, model: str | None) -> Node:
    fields = {"registered_model": v.name, "version": v.version, "aliases": list(v.aliases), "status": v.status,
              "source_run": v.run_id, "source": v.source, "created": v.created, "model_id": v.model_id}
    label = f"{v.name} v{v.version}" + (f" @{','.join(v.aliases)}" if v.aliases else "")
    return Node(f"model_version:{v.name}/{v.version}", "model_version", label, "ok", model, v.created, fields)


def batch_node(b: BatchInfo, url: str | None) -> Node:
    fields = {"batch_id": b.batch_id, "run_id": b.run_id, "batch_time": b.batch_time, "model_version": b.model_version,
              "rows": b.n_rows, "digest": b.digest, "pipeline_run_id": b.pipeline_run_id, "labels_at": b.labels_at,
              "experiment_id": b.experiment_id}
    return Node(f"batch:{b.model}/{b.batch_id}", "batch", b.batch_id, "ok", b.model, b.batch_time, fields, url)


def snapshot_node(s: Snapshot) -> Node:
    """A snapshot, coloured by its verdicts: red when the batch drifted, amber on a prediction or attribution drift
    or a critical data-quality finding."""
    status = s.status
    health = "drifted" if status.drifted else "warning" if (
        status.prediction_drifted or status.attribution_drift or status.critical_findings) else "ok"
    fields = {"snapshot_id": s.id, "batch_id": s.batch_id, "ts": s.ts, "model_version": s.model_version,
              "run_id": s.run_id, "pipeline_run_id": s.pipeline_run_id, "drifted": status.drifted, "health": health,
              "status": status.to_doc(), "drifted_features": list(s.drift.drifted_features),
              "n_drifted": s.drift.n_drifted, "n_features": s.drift.n_features, "share_drifted": s.drift.share_drifted,
              "share_threshold": s.drift.share_threshold, "rows": s.n_rows, "computed_at": s.computed_at}
    return Node(f"snapshot:{s.model}/{s.batch_id}", "snapshot", f"{health} · {s.batch_id}", health, s.model, s.ts, fields)


def _short_time(value: str | None) -> str:
    return value[:16].replace("T", " ") if value else "?"


def _loads(value: Any) -> Any:
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value

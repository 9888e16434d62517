"""Collecting the records of the provenance graph through the service (MLflow, the snapshot store, pipeline runs).

:func:`lineage_records` is the only part of the provenance graph that reads a backend; the graph
itself is built from what it returns by :func:`monitor.lineage.build_graph`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from monitor.batches import TAG
from monitor.errors import MonitorError
from monitor.lineage import DatasetInput, LineageRecords, TrainingRun
from monitor.records import BatchInfo, ModelVersionInfo, PipelineRun

if TYPE_CHECKING:
    from monitor.service import MonitorService
    from monitor.snapshots import Snapshot

__all__ = ["lineage_records", "training_run"]


def lineage_records(service: MonitorService, models: Sequence[str] | None = None) -> LineageRecords:
    """Fetch the records of ``models`` (default: every onboarded model) through the service.

    A model whose backend fails is skipped and named in ``problems``; the others are collected.
    """
    names = list(models) if models is not None else service.spec.names
    batches: list[BatchInfo] = []
    versions: list[ModelVersionInfo] = []
    snapshots: list[Snapshot] = []
    problems: list[str] = []
    runs: dict[str, TrainingRun] = {}
    urls: dict[str, str] = {}
    registered: dict[str, str] = {}
    pipelines: dict[str, tuple[str, ...]] = {}
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
            if not v.run_id or v.run_id in runs:
                continue
            try:
                run = service.mlflow.run(v.run_id)
            except KeyError:
                continue  # the version's source run is gone: build_graph shows it as unknown
            except MonitorError as exc:
                problems.append(f"model '{name}' version {v.version}: run {v.run_id}: {exc}")
                continue
            runs[v.run_id] = training_run(run)
            if url := service.mlflow.run_url(run):
                urls[v.run_id] = url
    try:
        pipeline_runs: list[PipelineRun] = service.pipeline_runs()
    except MonitorError as exc:
        problems.append(f"pipeline runs: {exc}")
        pipeline_runs = []
    return LineageRecords(tuple(batches), tuple(versions), runs, tuple(pipeline_runs), tuple(snapshots),
                          registered, pipelines, urls, tuple(problems))


def training_run(run: Mapping[str, Any]) -> TrainingRun:
    """The record of an MLflow run as ``MlflowSource.run`` returns it; its ``monitor.*`` tags say what kind of run it
    is and which pipeline run produced its data."""
    tags = {str(k): str(v) for k, v in (run.get("tags") or {}).items()}
    return TrainingRun(
        run_id=run["run_id"], run_name=run.get("run_name"), status=run.get("status") or "", start=run.get("start"),
        end=run.get("end"), experiment_id=run.get("experiment_id"), params=dict(run.get("params") or {}),
        metrics=dict(run.get("metrics") or {}), tags=tags,
        inputs=tuple(DatasetInput.from_dict(d) for d in run.get("inputs") or ()),
        kind=tags.get(TAG + "kind"), pipeline_run_id=tags.get(TAG + "pipeline_run_id") or None)

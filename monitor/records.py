"""Plain records read from the backends (logged batches, model versions, pipeline and activity runs).

They carry no client: the adapters in ``monitor.sources`` build them, and the pure packages
(``monitor.kpis``, ``monitor.lineage``) compute on them.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

__all__ = ["BatchInfo", "ModelVersionInfo", "ActivityRun", "PipelineRun", "TAG"]

TAG = "monitor."
"""Prefix of the MLflow tags the logging API writes (``monitor.model``, ``monitor.batch_id``, ...)."""


@dataclasses.dataclass(frozen=True)
class BatchInfo:
    """A logged scoring batch, as described by its MLflow run's tags."""

    model: str
    batch_id: str
    run_id: str
    batch_time: str
    model_version: str
    n_rows: int
    pipeline_run_id: str | None = None
    labels_at: str | None = None
    labels_digest: str | None = None
    digest: str | None = None
    experiment_id: str | None = None

    @classmethod
    def from_run(cls, run) -> BatchInfo:
        """From an MLflow run (anything with ``info.run_id``, ``info.experiment_id`` and ``data.tags``)."""
        tags = run.data.tags
        return cls(
            model=tags[TAG + "model"], batch_id=tags[TAG + "batch_id"], run_id=run.info.run_id,
            batch_time=tags[TAG + "batch_time"], model_version=tags.get(TAG + "model_version", ""),
            n_rows=int(tags.get(TAG + "n_rows", 0)), pipeline_run_id=tags.get(TAG + "pipeline_run_id"),
            labels_at=tags.get(TAG + "labels_at"), labels_digest=tags.get(TAG + "labels_digest"),
            digest=tags.get(TAG + "digest"), experiment_id=run.info.experiment_id,
        )


@dataclasses.dataclass(frozen=True)
class ModelVersionInfo:
    name: str
    version: str
    run_id: str | None
    source: str
    created: str
    aliases: tuple[str, ...] = ()
    status: str = ""
    model_id: str | None = None


@dataclasses.dataclass(frozen=True)
class ActivityRun:
    activity_name: str
    activity_type: str
    status: str
    run_start: str | None
    run_end: str | None
    duration_ms: int | None
    error: str = ""


@dataclasses.dataclass(frozen=True)
class PipelineRun:
    """One run of a pipeline, with ADF's PipelineRun fields (camelCase names in ``to_dict``)."""

    run_id: str
    pipeline_name: str
    status: str
    run_start: str | None
    run_end: str | None = None
    duration_ms: int | None = None
    message: str = ""
    parameters: Mapping[str, str] = dataclasses.field(default_factory=dict)
    invoked_by: str = ""
    run_group_id: str = ""
    factory: str = "local"

    @property
    def failed(self) -> bool:
        return self.status in ("Failed", "Cancelled")

    def to_dict(self) -> dict[str, Any]:
        return {
            "runId": self.run_id,
            "pipelineName": self.pipeline_name,
            "status": self.status,
            "runStart": self.run_start,
            "runEnd": self.run_end,
            "durationInMs": self.duration_ms,
            "message": self.message,
            "parameters": dict(self.parameters),
            "invokedBy": self.invoked_by,
            "runGroupId": self.run_group_id,
            "factory": self.factory,
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> PipelineRun:
        return cls(
            run_id=d["runId"], pipeline_name=d["pipelineName"], status=d["status"],
            run_start=d.get("runStart"), run_end=d.get("runEnd"), duration_ms=d.get("durationInMs"),
            message=d.get("message") or "", parameters=dict(d.get("parameters") or {}),
            invoked_by=d.get("invokedBy") or "", run_group_id=d.get("runGroupId") or "",
            factory=d.get("factory") or "local",
        )

"""Pipeline runs: the records of the data pipelines that feed the models.

The record has the fields of Azure Data Factory's ``PipelineRun``; the local source keeps them in
the snapshot store, the ADF source reads them from a factory.
"""

from __future__ import annotations

import abc
import dataclasses
import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

from monitor.store.base import SCHEMA_VERSION, SnapshotStore, to_iso

__all__ = ["PipelineRun", "ActivityRun", "PipelineRunSource", "LocalPipelineRunSource", "PIPELINE_PARTITION"]

PIPELINE_PARTITION = "_pipeline_runs"
STATUSES = ("Queued", "InProgress", "Succeeded", "Failed", "Canceling", "Cancelled")


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


class PipelineRunSource(abc.ABC):
    """Where pipeline runs come from (local store or Azure Data Factory)."""

    name = "pipeline runs"

    @abc.abstractmethod
    def query(
        self, start: dt.datetime | str | None = None, end: dt.datetime | str | None = None,
        pipelines: Sequence[str] | None = None,
    ) -> list[PipelineRun]:
        """Runs that started in ``[start, end)``, optionally only of the named pipelines, oldest first."""

    def activity_runs(self, run: PipelineRun) -> list[ActivityRun]:
        """The activity runs of one pipeline run (where the source knows them)."""
        return []


class LocalPipelineRunSource(PipelineRunSource):
    """Pipeline runs recorded in the snapshot store (the embedded default)."""

    name = "local pipeline runs"

    def __init__(self, store: SnapshotStore):
        self.store = store

    def record(self, run: PipelineRun, activities: Sequence[ActivityRun] = ()) -> bool:
        """Record (or update) a run; returns True if anything changed."""
        doc = {
            "id": f"pipeline_run:{run.run_id}", "kind": "pipeline_run", "model": PIPELINE_PARTITION,
            "ts": to_iso(run.run_start), "schema_version": SCHEMA_VERSION, "run": run.to_dict(),
            "activities": [dataclasses.asdict(a) for a in activities],
        }
        return self.store.upsert(doc)

    def query(self, start=None, end=None, pipelines=None) -> list[PipelineRun]:
        runs = [PipelineRun.from_dict(d["run"]) for d in self.store.query(PIPELINE_PARTITION, "pipeline_run", start, end)]
        if pipelines is not None:
            wanted = set(pipelines)
            runs = [r for r in runs if r.pipeline_name in wanted]
        return runs

    def activity_runs(self, run: PipelineRun) -> list[ActivityRun]:
        doc = self.store.get(PIPELINE_PARTITION, f"pipeline_run:{run.run_id}")
        return [ActivityRun(**a) for a in (doc or {}).get("activities", [])]

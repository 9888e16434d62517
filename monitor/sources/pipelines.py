"""Pipeline runs: the records of the data pipelines that feed the models.

The record has the fields of Azure Data Factory's ``PipelineRun``; the local source keeps them in
the snapshot store, the ADF source reads them from a factory.
"""

from __future__ import annotations

import abc
import dataclasses
import datetime as dt
from collections.abc import Sequence

from monitor.records import ActivityRun, PipelineRun
from monitor.store.base import SCHEMA_VERSION, SnapshotStore
from monitor.timeutil import to_iso

__all__ = ["PipelineRun", "ActivityRun", "PipelineRunSource", "LocalPipelineRunSource", "PIPELINE_PARTITION"]

PIPELINE_PARTITION = "_pipeline_runs"
STATUSES = ("Queued", "InProgress", "Succeeded", "Failed", "Canceling", "Cancelled")


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

"""Recording pipeline runs without Azure Data Factory.

A team whose pipelines are plain scripts, cron jobs or Databricks jobs records each run so that
the Pipelines & data page, the freshness KPIs and the provenance graph show it::

    with monitor.pipeline_run("pl_churn_scoring") as run:
        ...                                                   # the pipeline's work
        monitor.log_batch("churn", X, preds, model_version="3", pipeline_run_id=run.run_id)

The run is stored as ``InProgress`` when the block starts and as ``Succeeded`` (or ``Failed``,
with the exception's message) when it ends. :func:`log_pipeline_run` records a run after the fact.
Runs go to the snapshot store the settings name (``MONITOR_STORE``: the workspace's SQLite file by
default, or Cosmos DB); with ``MONITOR_PIPELINES=adf`` the site reads Data Factory instead.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import time
import uuid
from collections.abc import Iterator, Mapping

from monitor._inputs import check_identifier, check_time
from monitor.errors import BatchError
from monitor.sources.pipelines import STATUSES, PipelineRun

__all__ = ["log_pipeline_run", "pipeline_run"]


def _source(settings=None):
    from monitor.bootstrap import build_store
    from monitor.config import Settings
    from monitor.sources.pipelines import LocalPipelineRunSource

    settings = settings or Settings.load()
    if settings.pipelines != "local":
        raise BatchError(f"MONITOR_PIPELINES is '{settings.pipelines}': the site reads pipeline runs from there, so a "
                         "run recorded here would not be shown")
    return LocalPipelineRunSource(build_store(settings))


def log_pipeline_run(
    pipeline: str,
    *,
    status: str = "Succeeded",
    run_id: str | None = None,
    start: dt.datetime | str | None = None,
    end: dt.datetime | str | None = None,
    message: str = "",
    parameters: Mapping[str, object] | None = None,
    settings=None,
) -> str:
    """Record one run of ``pipeline`` (status one of Data Factory's) and return its run id.

    Recording the same ``run_id`` again updates it (e.g. ``InProgress`` then ``Succeeded``).
    """
    pipeline = check_identifier(pipeline, "pipeline name")
    if status not in STATUSES:
        raise BatchError(f"pipeline '{pipeline}': status must be one of {', '.join(STATUSES)}, got {status!r}")
    run_id = check_identifier(run_id, "run_id") if run_id is not None else str(uuid.uuid4())
    began = check_time(start, pipeline)
    ended = check_time(end, pipeline) if end is not None else (None if status in ("Queued", "InProgress") else
                                                                dt.datetime.now(dt.timezone.utc))
    if ended is not None and ended < began:
        raise BatchError(f"pipeline '{pipeline}': run {run_id} ends ({ended.isoformat()}) before it starts "
                         f"({began.isoformat()})")
    run = PipelineRun(
        run_id=run_id, pipeline_name=pipeline, status=status, run_start=began.isoformat(),
        run_end=ended.isoformat() if ended else None,
        duration_ms=int((ended - began).total_seconds() * 1000) if ended else None,
        message=str(message)[:2000], parameters={str(k): str(v) for k, v in (parameters or {}).items()},
        invoked_by="monitor.log_pipeline_run",
    )
    _source(settings).record(run)
    return run_id


@dataclasses.dataclass
class _Run:
    pipeline: str
    run_id: str


@contextlib.contextmanager
def pipeline_run(pipeline: str, *, run_id: str | None = None, parameters: Mapping[str, object] | None = None,
                 settings=None) -> Iterator[_Run]:
    """Record the block as one run of ``pipeline``: ``InProgress``, then ``Succeeded`` or ``Failed``."""
    start = dt.datetime.now(dt.timezone.utc)
    run_id = log_pipeline_run(pipeline, status="InProgress", run_id=run_id, start=start, parameters=parameters,
                              settings=settings)
    began = time.monotonic()
    try:
        yield _Run(pipeline, run_id)
    except BaseException as exc:
        end = start + dt.timedelta(seconds=time.monotonic() - began)
        log_pipeline_run(pipeline, status="Failed", run_id=run_id, start=start, end=end, parameters=parameters,
                         message=f"{type(exc).__name__}: {exc}", settings=settings)
        raise
    end = start + dt.timedelta(seconds=time.monotonic() - began)
    log_pipeline_run(pipeline, status="Succeeded", run_id=run_id, start=start, end=end, parameters=parameters,
                     settings=settings)

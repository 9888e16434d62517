"""The monitoring job's own runs: recorded as pipeline runs, one at a time, and how fresh the figures are.

Every run of the job (from the CLI, a scheduler or the Models page) is recorded as a run of the
pipeline ``monitor_job`` in the snapshot store: start, end, status and what it did. So the pages can
say when the figures were last computed and warn when the job has stopped, whatever runs it.

Runs take a lease in the store first, so two runs started together (an overlapping schedule, a
manual run during a scheduled one) never compute the same snapshots at once: the second waits for
the first and then finds nothing left to do. A run that dies loses the lease when it expires.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
import socket
import time
import uuid
from collections.abc import Callable, Sequence

from monitor.sources.pipelines import LocalPipelineRunSource, PipelineRun
from monitor.timeutil import parse_utc

__all__ = ["JOB_PIPELINE", "JobStatus", "job_status", "run_recorded"]

JOB_PIPELINE = "monitor_job"
LEASE = "monitor-job"
LEASE_SECONDS = 600.0  # renewed at every batch, so only a job that stopped moving loses it
POLL_SECONDS = 2.0


@dataclasses.dataclass(frozen=True)
class JobStatus:
    """How fresh the figures are: the last successful run of the monitoring job, and the last run of any outcome."""

    last_success: PipelineRun | None
    last_run: PipelineRun | None
    schedule_hours: float
    now: dt.datetime

    @property
    def computed_at(self) -> dt.datetime | None:
        run = self.last_success
        return parse_utc(run.run_end or run.run_start) if run and (run.run_end or run.run_start) else None

    @property
    def stale(self) -> bool:
        """No successful run within the schedule (plus an hour of grace)."""
        at = self.computed_at
        return at is None or self.now - at > dt.timedelta(hours=self.schedule_hours + 1)

    @property
    def last_failed(self) -> bool:
        return self.last_run is not None and self.last_run.failed


def job_status(store, schedule_hours: float, now: dt.datetime | None = None) -> JobStatus:
    runs = [r for r in LocalPipelineRunSource(store).query(pipelines=[JOB_PIPELINE]) if r.status != "InProgress"]
    success = [r for r in runs if r.status == "Succeeded"]
    return JobStatus(success[-1] if success else None, runs[-1] if runs else None, schedule_hours,
                     now or dt.datetime.now(dt.timezone.utc))


def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def run_recorded(service, run: Callable, models: Sequence[str] | None, progress: Callable[[int, int, str], None],
                 wait_seconds: float):
    """``run(service, models, progress)`` under the job lease, recorded as a run of :data:`JOB_PIPELINE`."""
    from monitor.job import JobFailure, JobResult

    store, source = service.store, LocalPipelineRunSource(service.store)
    owner = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"
    start = _now()
    record = PipelineRun(run_id=f"monitor-job-{start:%Y%m%dT%H%M%S}-{owner[-6:]}", pipeline_name=JOB_PIPELINE,
                         status="InProgress", run_start=start.isoformat(),
                         parameters={"models": ", ".join(models) if models else "all"}, invoked_by=owner)
    source.record(record)
    began = time.monotonic()
    acquired = store.acquire_lease(LEASE, owner, LEASE_SECONDS)
    if not acquired and _holder_is_gone(store):
        progress(0, 0, "the previous monitoring job on this machine stopped without finishing; taking over its lease")
        acquired = store.acquire_lease(LEASE, owner, LEASE_SECONDS)
    if not acquired:
        progress(0, 0, "another monitoring job is running; waiting for it to finish")
    while not acquired and time.monotonic() - began < wait_seconds:
        time.sleep(POLL_SECONDS)
        acquired = store.acquire_lease(LEASE, owner, LEASE_SECONDS)
    waited = time.monotonic() - began if time.monotonic() - began >= POLL_SECONDS else 0.0

    def renewing(done: int, total: int, message: str) -> None:
        store.acquire_lease(LEASE, owner, LEASE_SECONDS)
        progress(done, total, message)

    result = None
    try:
        if acquired:
            result = run(service, models, renewing)
        else:
            result = JobResult(failed=[JobFailure("(all)", None, f"another monitoring job still held the lease after "
                                                                 f"{wait_seconds:.0f} s; nothing was computed")])
    except BaseException as exc:
        _finish(source, record, "Failed", f"{type(exc).__name__}: {exc}", start)
        raise
    finally:
        if acquired:
            store.release_lease(LEASE, owner)
    result.waited_seconds = waited
    message = (f"waited {waited:.0f} s for another run; " if waited else "") + result.summary()
    if result.failed:
        message += "; " + "; ".join(str(f) for f in result.failed[:3]) + (" …" if len(result.failed) > 3 else "")
    _finish(source, record, "Succeeded" if result.ok else "Failed", message, start)
    return result


def _holder_is_gone(store) -> bool:
    """Whether the lease is held by a process of this machine that no longer exists (then it is released)."""
    from monitor.store.base import LEASE_PARTITION

    doc = store.get(LEASE_PARTITION, f"lease:{LEASE}") or {}
    host, _, rest = str(doc.get("owner", "")).partition(":")
    pid = rest.partition(":")[0]
    if host != socket.gethostname() or not pid.isdigit():
        return False
    try:
        os.kill(int(pid), 0)
        return False
    except ProcessLookupError:
        store.release_lease(LEASE, doc["owner"])
        return True
    except PermissionError:  # alive, under another user
        return False


def _finish(source: LocalPipelineRunSource, record: PipelineRun, status: str, message: str, start: dt.datetime) -> None:
    end = _now()
    source.record(dataclasses.replace(record, status=status, run_end=end.isoformat(), message=message[:2000],
                                      duration_ms=int((end - start).total_seconds() * 1000)))

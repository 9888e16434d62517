"""The monitoring job: a snapshot for every logged batch that has none (or whose labels changed), then alerts."""

from __future__ import annotations

import dataclasses
import datetime as dt
import traceback
from collections.abc import Callable, Sequence
from typing import Any

from monitor.errors import MonitorError
from monitor.snapshots import ENGINE_VERSION, compute_snapshot, explainer_sentence, fingerprint

__all__ = ["JobResult", "JobFailure", "run_job"]

Progress = Callable[[int, int, str], None]


@dataclasses.dataclass(frozen=True)
class JobFailure:
    model: str
    batch_id: str | None
    error: str

    def __str__(self) -> str:
        where = f"model '{self.model}'" + (f" batch '{self.batch_id}'" if self.batch_id else "")
        return f"{where}: {self.error}"


@dataclasses.dataclass
class JobResult:
    written: int = 0
    skipped: int = 0
    failed: list[JobFailure] = dataclasses.field(default_factory=list)
    alerts: Any = None
    """What the run did about alerts (:class:`monitor.alerts.deliver.AlertRun`), None when they were not evaluated."""
    alerts_error: str | None = None
    alert_channels: tuple[str, ...] = ()
    waited_seconds: float = 0.0
    """How long the run waited for another run of the job to finish (see :mod:`monitor.job_runs`)."""

    @property
    def ok(self) -> bool:
        return not self.failed

    def summary(self) -> str:
        """``snapshots written: N, skipped: M, failed: K``, then ``alerts sent: S, pending: P`` once alerts are in use."""
        line = f"snapshots written: {self.written}, skipped: {self.skipped}, failed: {len(self.failed)}"
        if self.alerts is not None and self.alerts.active:
            line += ", " + self.alerts.summary()
        elif self.alerts_error and self.alert_channels:
            line += ", alerts: not evaluated"
        return line


def run_job(service, models: Sequence[str] | None = None, progress: Progress | None = None,
            now: dt.datetime | None = None) -> JobResult:
    """Compute and store missing snapshots for ``models`` (default: every onboarded model), then evaluate and
    deliver their alerts as of ``now`` (default: the current time).

    A failing model or batch is recorded in the result and the others still complete; an alert that cannot
    be delivered stays pending for the next run and never fails the job.
    """
    progress = progress or (lambda done, total, message: None)
    result = JobResult()
    spec = service.spec
    names = list(models) if models else spec.names + list(spec.broken)
    told: set[str] = set()
    for name in names:
        try:
            model = spec.model(name)
        except KeyError as exc:
            result.failed.append(JobFailure(name, None, str(exc.args[0])))
            continue
        try:
            batches = service.mlflow.list_batches(name)
            done = service.snapshot_sources(name)
        except MonitorError as exc:
            result.failed.append(JobFailure(name, None, str(exc)))
            continue
        todo = [b for b in batches if done.get(b.batch_id) != fingerprint(b.digest, b.labels_digest, model)]
        older = [b for b in todo if (done.get(b.batch_id) or "").rsplit("|", 1)[-1] not in ("", ENGINE_VERSION)]
        if older:
            progress(0, 0, f"[{name}] {len(older)} snapshot(s) were computed by an earlier release (engine "
                           f"{sorted({done[b.batch_id].rsplit('|', 1)[-1] for b in older})[0]}); recomputing them "
                           f"with engine {ENGINE_VERSION}")
        result.skipped += len(batches) - len(todo)
        if not batches:
            progress(0, 0, f"[{name}] no logged batches yet")
        for i, info in enumerate(todo, 1):
            progress(i - 1, len(todo), f"[{name}] batch {info.batch_id}")
            try:
                ctx = service.context(name, info.model_version)
                if ctx.explainer is not None and ctx.explainer.fallback_reason and info.model_version not in told:
                    told.add(info.model_version)
                    progress(0, 0, f"[{name}] version {info.model_version}: explanations use a slower path: "
                                   f"{explainer_sentence(ctx.explainer)}")
                stored = service.mlflow.load_batch_summary(info)
                if stored is None:
                    batch, labels, summary = service.mlflow.load_batch(info), service.mlflow.load_labels(info), None
                else:  # logged from Spark: a summary of the whole batch and a row sample
                    from monitor.spark import summary_of

                    batch, labels, summary = service.mlflow.batch_rows(info), None, summary_of(stored)
                snapshot = compute_snapshot(model, info, batch, labels, ctx, summary=summary)
                if service.save_snapshot(snapshot):
                    result.written += 1
                else:
                    result.skipped += 1
            except MonitorError as exc:
                result.failed.append(JobFailure(name, info.batch_id, str(exc)))
            except Exception as exc:  # one bad batch must not stop the others
                detail = traceback.format_exception_only(type(exc), exc)[-1].strip()
                result.failed.append(JobFailure(name, info.batch_id, f"unexpected error: {detail}"))
        if todo:
            progress(len(todo), len(todo), f"[{name}] {len(todo)} batch(es) done")
    _alerts(service, [n for n in names if n in spec.names or n in spec.broken], result, now, progress)
    return result


def _alerts(service, names: list[str], result: JobResult, now: dt.datetime | None, progress: Progress) -> None:
    """Evaluate and deliver the alerts of the models the job ran for; a failure here never fails the job."""
    from monitor.alerts.channels import channel_specs
    from monitor.alerts.deliver import run_alerts

    try:
        result.alert_channels = tuple(c.name for c in channel_specs(service.settings))
        result.alerts = run_alerts(service, names, result.failed, now=now, progress=progress)
    except Exception as exc:
        detail = str(exc) if isinstance(exc, MonitorError) else traceback.format_exception_only(type(exc), exc)[-1].strip()
        result.alerts_error = f"alerts were not evaluated: {detail}"

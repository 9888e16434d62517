"""Data-engineer KPIs: pipeline success rate, data freshness, data-quality issues, drifted features, pipeline duration."""

from __future__ import annotations

import datetime as dt
import statistics
from collections import Counter
from collections.abc import Sequence
from typing import Any

from monitor.figures import dataset_verdict, level
from monitor.kpis.definitions import (
    DURATION_TOLERANCE,
    FINISHED,
    HELP_ENGINEER,
    LATE_GRACE,
    MIN_RUNS_FOR_RANGE,
    SUCCESS_LEVELS,
)
from monitor.kpis.values import Kpi, ModelKpis, Period, make_kpi, span_message
from monitor.records import PipelineRun
from monitor.snapshots.types import Snapshot
from monitor.spec import ModelSpec
from monitor.timeutil import day, days_between, parse_utc

__all__ = ["engineer_kpis", "usual_ranges", "run_minutes"]

_NO_PIPELINES = "No pipelines are linked to this model: list them under `pipelines` in its monitor.toml table."


def run_minutes(run: PipelineRun) -> float | None:
    """A run's duration in minutes (None while it has none)."""
    return run.duration_ms / 60_000 if run.duration_ms is not None else None


def _model_runs(spec: ModelSpec, runs: Sequence[PipelineRun], period: Period) -> list[PipelineRun]:
    return sorted((r for r in runs if r.pipeline_name in spec.pipelines and r.run_start and r.run_start in period),
                  key=lambda r: parse_utc(r.run_start))


def _success_rate(runs: Sequence[PipelineRun]) -> float | None:
    finished = [r for r in runs if r.status in FINISHED]
    return sum(r.status == "Succeeded" for r in finished) / len(finished) if finished else None


def _rerun(failed: PipelineRun, runs: Sequence[PipelineRun]) -> str:
    """`` — re-run succeeded at 2026-10-26 08:00 UTC`` when a later run of the same pipeline succeeded."""
    later = sorted(parse_utc(r.run_start) for r in runs if r.pipeline_name == failed.pipeline_name
                   and r.status == "Succeeded" and r.run_start and parse_utc(r.run_start) > parse_utc(failed.run_start))
    return f" — re-run succeeded at {later[0]:%Y-%m-%d %H:%M} UTC" if later else " — no successful run since"


def _failed_row(r: PipelineRun) -> dict[str, Any]:
    return {"run_id": r.run_id, "pipeline": r.pipeline_name, "start": r.run_start, "duration_min": run_minutes(r),
            "status": r.status, "message": r.message}


def _success_kpi(spec: ModelSpec, runs: Sequence[PipelineRun], period: Period) -> Kpi:
    if not spec.pipelines:
        return make_kpi("success", "Pipeline success rate", None, None, str, str, help=HELP_ENGINEER["success"],
                        note=_NO_PIPELINES)
    current = _model_runs(spec, runs, period)
    rate, prev = _success_rate(current), _success_rate(_model_runs(spec, runs, period.previous))
    failed = [r for r in current if r.failed]
    finished = [r for r in current if r.status in FINISHED]
    note = f"No runs of {', '.join(spec.pipelines)} in this period ({period.words})." if not current else \
        f"{len(finished) - len(failed)} of {len(finished)} finished runs succeeded."
    if failed:
        note += " Failed: " + "; ".join(f"{r.pipeline_name} on {day(r.run_start)} ({r.message or r.status})"
                                       + _rerun(r, runs) for r in failed) + "."
    weeks: dict[str, list[PipelineRun]] = {}
    for r in finished:
        start = parse_utc(r.run_start)
        weeks.setdefault((start - dt.timedelta(days=start.weekday())).date().isoformat(), []).append(r)
    trend = tuple((w, 100 * (_success_rate(rs) or 0)) for w, rs in sorted(weeks.items()))
    return make_kpi("success", "Pipeline success rate", 100 * rate if rate is not None else None,
                    100 * prev if prev is not None else None, "{:.1f}%".format, "{:+.1f} pts".format,
                    help=HELP_ENGINEER["success"], note=note, higher_is_better=True, trend=trend,
                    status=level(rate, SUCCESS_LEVELS, higher_is_better=True), run_ids=tuple(r.run_id for r in current),
                    details={"failed": [_failed_row(r) for r in failed], "finished": len(finished)})


def _late_batches(spec: ModelSpec, history: Sequence[Snapshot], period: Period) -> list[dict[str, Any]]:
    allowed = dt.timedelta(days=spec.schedule_days) + LATE_GRACE
    late = []
    for before, s in zip(history, history[1:], strict=False):
        gap = s.time - before.time
        if s.ts in period and gap > allowed:
            late.append({"batch_id": s.batch_id, "ts": s.ts,
                         "late_hours": (gap - dt.timedelta(days=spec.schedule_days)).total_seconds() / 3600})
    return late


def _age_text(days: float) -> str:
    return f"{days * 24:.0f} h" if days < 2 else f"{days:.1f} days"


def _freshness_kpi(spec: ModelSpec, snaps: Sequence[Snapshot], period: Period, as_of: dt.datetime) -> Kpi:
    history = period.upto(snaps, min(period.end, as_of + dt.timedelta(microseconds=1)))
    prev_history = period.upto(snaps, period.previous.end)
    if not history:
        later = f"; the first is from {day(snaps[0].ts)}" if snaps else ""
        return make_kpi("freshness", "Data freshness", None, None, str, str, help=HELP_ENGINEER["freshness"],
                        note=f"No batch of this model had arrived by the end of this period{later}.")
    latest = history[-1]
    age = days_between(latest.ts, as_of)
    prev = days_between(prev_history[-1].ts, period.previous.end) if prev_history else None
    late = _late_batches(spec, history, period)
    sched = spec.schedule_days
    note = f"Latest batch {latest.batch_id} on {day(latest.ts)}; expected every {sched:g} days."
    status = "ok"
    if age > sched + LATE_GRACE.total_seconds() / 86400:
        note += f" Overdue by {_age_text(age - sched)} on {day(as_of)}."
        status = "warn"
    if late:
        note += " Late: " + ", ".join(f"{b['batch_id']} (+{b['late_hours']:.1f} h)" for b in late) + "."
        status = "warn"
    if age > 2 * sched:
        status = "alert"
    trend = tuple((s.ts, days_between(b.ts, s.ts)) for b, s in zip(history, history[1:], strict=False) if s.ts in period)
    return make_kpi("freshness", "Data freshness", age, prev, _age_text, lambda d: f"{d:+.1f} days",
                    help=HELP_ENGINEER["freshness"], note=note, status=status, higher_is_better=False, trend=trend,
                    batch_ids=tuple(dict.fromkeys([latest.batch_id, *(b["batch_id"] for b in late)])),
                    details={"late": late, "latest": latest.ts, "n_batches": len(period.select(snaps))})


def _quality_kpi(snaps: Sequence[Snapshot], period: Period) -> Kpi:
    current = period.select(snaps)
    if not current:
        return make_kpi("quality", "Data quality issues", None, None, str, str, help=HELP_ENGINEER["quality"],
                        note=f"No batches in this period ({period.words}).")
    found = [f for s in current for f in s.quality.findings]
    by_severity = Counter(f.severity for f in found)
    by_column = Counter(str(f.column) for f in found if f.column)
    note = "No data-quality findings." if not found else (
        ", ".join(f"{by_severity[k]} {k}" for k in ("critical", "warning", "info") if by_severity[k])
        + " — columns: " + ", ".join(f"{c} ({n})" for c, n in by_column.most_common()))
    previous = period.previous.select(snaps)
    status = "alert" if by_severity["critical"] else "warn" if by_severity["warning"] else "ok"
    return make_kpi("quality", "Data quality issues", float(len(found)),
                    float(sum(len(s.quality.findings) for s in previous)) if previous else None,
                    "{:.0f}".format, "{:+.0f}".format, help=HELP_ENGINEER["quality"], note=note, status=status,
                    higher_is_better=False, trend=tuple((s.ts, float(len(s.quality.findings))) for s in current),
                    batch_ids=tuple(s.batch_id for s in current),
                    details={"by_severity": dict(by_severity), "by_column": dict(by_column)})


def _drift_kpi(spec: ModelSpec, snaps: Sequence[Snapshot], period: Period) -> Kpi:
    current, history = period.select(snaps), period.upto(snaps)
    if not current:
        return make_kpi("drift", "Drifted features", None, None, str, str, help=HELP_ENGINEER["drift"],
                        note=f"No batches in this period ({period.words}).")
    verdict = dataset_verdict(spec, current[-1])
    previous = period.previous.select(snaps)
    since = None
    for s in reversed(history):
        if not s.drift.drifted_features:
            break
        since = s
    note = f"Latest batch {verdict.batch_id}: " + (", ".join(verdict.features) + " drifted." if verdict.features
                                                    else "no feature drifted.")
    if since is not None:
        note += f" Features have drifted in every batch since the batch of {day(since.ts)} ({since.batch_id})."
    n_features = verdict.n_features
    return make_kpi("drift", "Drifted features", float(len(verdict.features)),
                    float(len(previous[-1].drift.drifted_features)) if previous else None,
                    lambda v: f"{v:.0f} of {n_features}", "{:+.0f}".format, help=HELP_ENGINEER["drift"], note=note,
                    status=verdict.status, higher_is_better=False,
                    trend=tuple((s.ts, float(len(s.drift.drifted_features))) for s in current),
                    batch_ids=(verdict.batch_id,) + ((since.batch_id,) if since and since.batch_id != verdict.batch_id
                                                     else ()),
                    figure=verdict,
                    details={"features": list(verdict.features), "since": since.batch_id if since else None,
                             "since_ts": since.ts if since else None, "share_drifted": verdict.share})


def usual_ranges(runs: Sequence[PipelineRun]) -> dict[str, tuple[float, float]]:
    """Usual duration range (minutes) of each pipeline: Tukey fences over its successful runs, at least median ± 25%."""
    by_pipeline: dict[str, list[float]] = {}
    for r in runs:
        if r.status == "Succeeded" and (m := run_minutes(r)) is not None:
            by_pipeline.setdefault(r.pipeline_name, []).append(m)
    out = {}
    for name, values in by_pipeline.items():
        if len(values) >= MIN_RUNS_FOR_RANGE:
            q1, median, q3 = statistics.quantiles(values, n=4, method="inclusive")
            # a tight history would flag ordinary jitter: the range is never narrower than median +/- 25%
            low = min(q1 - 1.5 * (q3 - q1), (1 - DURATION_TOLERANCE) * median)
            high = max(q3 + 1.5 * (q3 - q1), (1 + DURATION_TOLERANCE) * median)
            out[name] = (max(0.0, low), high)
    return out


def _duration_kpi(spec: ModelSpec, runs: Sequence[PipelineRun], period: Period) -> Kpi:
    if not spec.pipelines:
        return make_kpi("duration", "Pipeline duration", None, None, str, str, help=HELP_ENGINEER["duration"],
                        note=_NO_PIPELINES)
    history = [r for r in runs if r.pipeline_name in spec.pipelines and r.run_start and parse_utc(r.run_start) < period.end]
    ranges = usual_ranges(history)
    current = [r for r in _model_runs(spec, runs, period) if r.status == "Succeeded" and run_minutes(r) is not None]
    if not current:
        return make_kpi("duration", "Pipeline duration", None, None, str, str, help=HELP_ENGINEER["duration"],
                        note=f"No successful pipeline runs in this period ({period.words}).")
    main = Counter(r.pipeline_name for r in current).most_common(1)[0][0]
    flagged = [r for r in current if r.pipeline_name in ranges
               and not ranges[r.pipeline_name][0] <= run_minutes(r) <= ranges[r.pipeline_name][1]]
    previous = [run_minutes(r) for r in _model_runs(spec, runs, period.previous) if r.pipeline_name == main
                and r.status == "Succeeded" and run_minutes(r) is not None]
    parts = [f"{p}: usual {lo:.1f}–{hi:.1f} min" for p, (lo, hi) in sorted(ranges.items())]
    parts += [f"{p}: not enough runs for a usual range" for p in sorted({r.pipeline_name for r in current} - set(ranges))]
    note = f"Main pipeline {main}. " + "; ".join(parts) + "."
    if flagged:
        note += " Outside the usual range: " + "; ".join(
            f"{r.pipeline_name} on {day(r.run_start)} took {run_minutes(r):.1f} min" for r in flagged) + "."
    return make_kpi("duration", "Pipeline duration", statistics.median(run_minutes(r) for r in current
                                                                       if r.pipeline_name == main),
                    statistics.median(previous) if previous else None, "{:.1f} min".format, "{:+.1f} min".format,
                    help=HELP_ENGINEER["duration"], note=note, status="warn" if flagged else "ok",
                    higher_is_better=False, trend=tuple((r.run_start, run_minutes(r)) for r in current
                                                        if r.pipeline_name == main),
                    run_ids=tuple(r.run_id for r in current),
                    details={"main": main, "ranges": {k: list(v) for k, v in ranges.items()},
                             "flagged": [_failed_row(r) | {"usual": list(ranges[r.pipeline_name])} for r in flagged]})


def engineer_kpis(spec: ModelSpec, snapshots: Sequence[Snapshot], runs: Sequence[PipelineRun], period: Period, *,
                  now: dt.datetime | None = None) -> ModelKpis:
    """Pipeline success rate, data freshness, data-quality issues, drifted features and pipeline duration.

    ``snapshots`` may hold every batch of the model; ``runs`` the runs of its pipelines up to the end of the period.
    """
    snaps = sorted(snapshots, key=lambda s: s.ts)
    as_of = min(parse_utc(now or dt.datetime.now(dt.timezone.utc)), period.end)
    kpis = (_success_kpi(spec, runs, period), _freshness_kpi(spec, snaps, period, as_of), _quality_kpi(snaps, period),
            _drift_kpi(spec, snaps, period), _duration_kpi(spec, runs, period))
    has_data = bool(period.select(snaps) or _model_runs(spec, runs, period))
    return ModelKpis(spec.name, "engineer", period, as_of.isoformat(), kpis, span_message(spec.name, snaps, period),
                     has_data=has_data)

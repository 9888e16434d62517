"""Rule evaluation: pure functions of a model's snapshots, pipeline runs and job failures to rule states.

Nothing here reads a store or the network. :func:`evaluate` returns one :class:`RuleState` per
enabled rule of a model (per feature for ``feature_drift``, per pipeline for the pipeline rules),
firing or not, each with one sentence saying why, the batch or run that shows it, and since when.
Only records at or before ``now`` count, so the same function replays any moment of the past.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import urllib.parse
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from monitor.alerts.config import ModelAlerts, Rule
from monitor.figures import (
    HIGHER_IS_BETTER,
    METRIC_LABELS,
    dataset_verdict,
    health_series,
    health_status,
    main_metric,
    period_performance,
    relative_loss,
)
from monitor.records import PipelineRun
from monitor.snapshots.types import Snapshot
from monitor.spec import ModelSpec
from monitor.timeutil import parse_utc

__all__ = ["RuleState", "evaluate", "evaluate_broken", "health_status"]

FINISHED = ("Succeeded", "Failed", "Cancelled")
_COLOUR = {"ok": "green", "warn": "amber", "alert": "red"}
_MAX_DETAIL = 300


@dataclasses.dataclass(frozen=True)
class RuleState:
    """The state of one rule for one model: firing or not, why (one sentence), and where to look."""

    model: str
    rule: str
    key: str
    firing: bool
    message: str
    severity: str = "warning"
    page: str = ""
    batch_id: str | None = None
    run_id: str | None = None
    since: str | None = None
    personas: tuple[str, ...] = ()

    def link(self, app_url: str) -> str:
        """The app's page that shows the cause, with the model and the batch (or run) in the query string."""
        query = {"model": self.model, **({"batch": self.batch_id} if self.batch_id else {}),
                 **({"run": self.run_id} if self.run_id else {})}
        return f"{app_url.rstrip('/')}/{self.page}?{urllib.parse.urlencode(query)}"

    def to_dict(self) -> dict[str, Any]:
        out = dataclasses.asdict(self)
        out["personas"] = list(self.personas)
        return out


def _when(value: str | dt.datetime) -> str:
    return parse_utc(value).strftime("%Y-%m-%d %H:%M UTC")


def _short(text: str) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= _MAX_DETAIL else text[: _MAX_DETAIL - 1] + "…"


def _trailing(history: Sequence[Snapshot], test: Callable[[Snapshot], bool | None]) -> Snapshot | None:
    """The first batch of the trailing run of batches where ``test`` holds (``None`` results are skipped)."""
    first = None
    for snap in reversed(history):
        verdict = test(snap)
        if verdict is None:
            continue
        if not verdict:
            break
        first = snap
    return first


def _health(spec: ModelSpec, rule: Rule, history: Sequence[Snapshot], now: dt.datetime) -> dict[str, Any]:
    wanted = ("warn", "alert") if rule.level == "amber" else ("alert",)
    age = max(0.0, (now - history[-1].time).total_seconds() / 86400)
    scores = {s.batch_id: h for s, h in health_series(spec, history, age)}
    latest = scores[history[-1].batch_id]
    status = latest.status
    since = _trailing(history, lambda s: scores[s.batch_id].status in wanted)
    why = f"; weakest part: {latest.worst}, {latest.parts[latest.worst].reason}" if latest.worst else ""
    if since is None:
        return {"firing": False, "batch_id": history[-1].batch_id,
                "message": f"Health of {spec.name} is {_COLOUR.get(status, status)} ({latest.score}/100) on batch "
                           f"{history[-1].batch_id}."}
    return {"firing": True, "batch_id": since.batch_id, "since": since.ts,
            "severity": "critical" if status == "alert" else "warning",
            "message": f"Health of {spec.name} is {_COLOUR[status]} ({latest.score}/100) since batch {since.batch_id}"
                       f"{why}."}


def _dataset_drift(spec: ModelSpec, rule: Rule, history: Sequence[Snapshot], now: dt.datetime) -> dict[str, Any]:
    since = _trailing(history, lambda s: s.drift.drifted)
    latest = dataset_verdict(spec, history[-1])
    if since is None:
        return {"firing": False, "batch_id": latest.batch_id,
                "message": f"No dataset drift in {spec.name} on batch {latest.batch_id}."}
    return {"firing": True, "batch_id": since.batch_id, "since": since.ts,
            "message": f"Dataset drift in {spec.name} since batch {since.batch_id}: {latest.n_drifted} of "
                       f"{latest.n_features} features drifted ({latest.share or 0.0:.0%}, threshold "
                       f"{latest.threshold:.0%}): {', '.join(latest.features) or 'none named'}."}


def _feature_drift(spec: ModelSpec, feature: str, history: Sequence[Snapshot]) -> dict[str, Any]:
    since = _trailing(history, lambda s: s.drift.features[feature].drifted if feature in s.drift.features else None)
    latest = history[-1].drift.features.get(feature)
    if since is None:
        return {"firing": False, "batch_id": history[-1].batch_id,
                "message": f"Feature {feature} of {spec.name} does not drift on batch {history[-1].batch_id}."}
    detail = f" ({latest.method} {latest.statistic:.3g}, threshold {latest.threshold:.3g})" \
        if latest is not None and latest.statistic is not None and latest.threshold is not None else ""
    return {"firing": True, "batch_id": since.batch_id, "since": since.ts,
            "message": f"Feature {feature} of {spec.name} drifts since batch {since.batch_id}{detail}."}


def _performance(spec: ModelSpec, rule: Rule, history: Sequence[Snapshot], now: dt.datetime) -> dict[str, Any]:
    last = next((s for s in reversed(history) if s.performance is not None), None)
    metric = rule.metric or main_metric(spec, last.performance.values if last else None)
    name = METRIC_LABELS.get(metric, metric)

    def breach(s: Snapshot) -> tuple[bool, str] | None:
        figure = period_performance(spec, [s], metric=metric, estimates=rule.estimated)
        if figure.value is None:
            return None
        value, base = figure.value, figure.baseline
        reasons = []
        if rule.threshold is not None and (value < rule.threshold if HIGHER_IS_BETTER.get(metric, True)
                                           else value > rule.threshold):
            reasons.append(f"{'below' if HIGHER_IS_BETTER.get(metric, True) else 'above'} the threshold "
                           f"{rule.threshold:.4g}")
        loss = relative_loss(metric, value, base) if rule.max_drop is not None else None
        if loss is not None and loss > rule.max_drop:
            reasons.append(f"{loss:.0%} worse than the baseline {base:.4g} (limit {rule.max_drop:.0%})")
        return bool(reasons), f"{name} of {spec.name} is {value:.4g} ({figure.kind}) on batch {s.batch_id}" \
                              + (", " + " and ".join(reasons) if reasons else "")

    results = {s.batch_id: breach(s) for s in history}
    latest = next((s for s in reversed(history) if results[s.batch_id] is not None), None)
    if latest is None:
        return {"firing": False, "message": f"No measured {name} of {spec.name} yet (no labels and no estimate)."}
    since = _trailing(history, lambda s: results[s.batch_id][0] if results[s.batch_id] else None)
    sentence = results[latest.batch_id][1]
    if since is None:
        return {"firing": False, "batch_id": latest.batch_id, "message": sentence + "."}
    return {"firing": True, "batch_id": since.batch_id, "since": since.ts,
            "message": f"{sentence}, since batch {since.batch_id}."}


def _last_finished(runs: Sequence[PipelineRun], pipeline: str, now: dt.datetime) -> PipelineRun | None:
    done = [r for r in runs if r.pipeline_name == pipeline and r.status in FINISHED and r.run_start
            and parse_utc(r.run_end or r.run_start) <= now]
    return max(done, key=lambda r: parse_utc(r.run_end or r.run_start), default=None)


def _pipeline_failed(spec: ModelSpec, pipeline: str, runs, now) -> dict[str, Any]:
    last = _last_finished(runs, pipeline, now)
    if last is None:
        return {"firing": False, "message": f"No recent finished run of pipeline {pipeline} (feeds {spec.name}) is on record."}
    at = last.run_end or last.run_start
    if not last.failed:
        return {"firing": False, "run_id": last.run_id,
                "message": f"The latest run of pipeline {pipeline} (feeds {spec.name}) succeeded at {_when(at)}."}
    why = f": {_short(last.message).rstrip('.')}" if last.message else ""
    return {"firing": True, "run_id": last.run_id, "since": parse_utc(at).isoformat(), "severity": "critical",
            "message": f"Pipeline {pipeline} (feeds {spec.name}) {last.status.lower()} at {_when(at)}{why}."}


def _pipeline_not_rerun(spec: ModelSpec, rule: Rule, pipeline: str, runs, now) -> dict[str, Any]:
    last = _last_finished(runs, pipeline, now)
    limit = dt.timedelta(hours=rule.hours)
    if last is None or not last.failed or now - parse_utc(last.run_end or last.run_start) <= limit:
        return {"firing": False, "run_id": last.run_id if last else None,
                "message": f"Pipeline {pipeline} (feeds {spec.name}) has no failed run left without a successful one "
                           f"within {rule.hours:g} h."}
    at = parse_utc(last.run_end or last.run_start)
    return {"firing": True, "run_id": last.run_id, "since": (at + limit).isoformat(), "severity": "critical",
            "message": f"Pipeline {pipeline} (feeds {spec.name}) {last.status.lower()} at {_when(at)} and has not run "
                       f"successfully in the {rule.hours:g} h since."}


def _age(delta: dt.timedelta) -> str:
    days = delta.total_seconds() / 86400
    return f"{days * 24:.1f} h" if days < 2 else f"{days:.1f} days"


def _stale(spec: ModelSpec, rule: Rule, history: Sequence[Snapshot], now: dt.datetime) -> dict[str, Any]:
    latest = history[-1]
    age = now - latest.time
    limit = dt.timedelta(days=spec.schedule_days, hours=rule.grace_hours)
    text = (f"the newest batch of {spec.name} ({latest.batch_id}, scored {_when(latest.ts)}) is {_age(age)} old; "
            f"one is expected every {spec.schedule_days:g} days (+{rule.grace_hours:g} h grace)")
    if age <= limit:
        return {"firing": False, "batch_id": latest.batch_id, "message": text[0].upper() + text[1:] + "."}
    return {"firing": True, "batch_id": latest.batch_id, "since": (latest.time + limit).isoformat(),
            "message": text[0].upper() + text[1:] + "."}


def _labels_late(spec: ModelSpec, rule: Rule, history: Sequence[Snapshot], now: dt.datetime) -> dict[str, Any]:
    limit = dt.timedelta(days=rule.days)
    late = [s for s in history if s.performance is None and now - s.time > limit]
    if not late:
        return {"firing": False, "message": f"No batch of {spec.name} has waited more than {rule.days:g} days for labels."}
    first = late[0]
    return {"firing": True, "batch_id": first.batch_id, "since": (first.time + limit).isoformat(),
            "message": f"Labels of {spec.name} are late: batch {first.batch_id} (scored {_when(first.ts)}) has none "
                       f"after {_age(now - first.time)}, expected within {rule.days:g} days; {len(late)} batch(es) "
                       "are late."}


def _job_failed(name: str, failures: Sequence[Any], now: dt.datetime) -> dict[str, Any]:
    if not failures:
        return {"firing": False, "message": f"The monitoring job ran for {name} without failures."}
    first = failures[0]
    where = f" on batch {first.batch_id}" if first.batch_id else ""
    more = f" ({len(failures) - 1} more failure(s))" if len(failures) > 1 else ""
    return {"firing": True, "batch_id": first.batch_id, "since": now.isoformat(), "severity": "critical",
            "message": f"The monitoring job failed for {name}{where}: {_short(first.error).rstrip('.')}{more}."}


def _state(name: str, rule: Rule, key: str, found: Mapping[str, Any]) -> RuleState:
    return RuleState(model=name, rule=rule.name, key=key, firing=found["firing"], message=found["message"],
                     severity=found.get("severity", "warning"), page=rule.page, batch_id=found.get("batch_id"),
                     run_id=found.get("run_id"), since=found.get("since"), personas=tuple(rule.routed_to))


def evaluate(spec: ModelSpec, config: ModelAlerts, snapshots: Sequence[Snapshot], runs: Sequence[PipelineRun],
             *, now: dt.datetime, failures: Sequence[Any] | None = None) -> list[RuleState]:
    """The state of every enabled rule of one model at ``now``.

    ``snapshots`` are the model's snapshots and ``runs`` the runs of its pipelines (later ones are
    ignored); ``failures`` are this job run's failures for the model (objects with ``batch_id`` and
    ``error``), or ``None`` when the job did not run for it, which leaves ``job_failed`` out.
    """
    now = parse_utc(now)
    history = sorted((s for s in snapshots if s.time <= now), key=lambda s: s.time)
    out: list[RuleState] = []
    rules = {name: rule for name, rule in config.rules.items() if rule.enabled}
    per_batch: dict[str, Callable] = {"health": _health, "dataset_drift": _dataset_drift, "performance": _performance,
                                      "stale": _stale}
    for name, fn in per_batch.items():
        if name in rules and history:
            out.append(_state(spec.name, rules[name], name, fn(spec, rules[name], history, now)))
    if "feature_drift" in rules and history:
        for feature in rules["feature_drift"].features:
            out.append(_state(spec.name, rules["feature_drift"], f"feature_drift:{feature}",
                              _feature_drift(spec, feature, history)))
    if "labels_late" in rules and spec.target and history:
        out.append(_state(spec.name, rules["labels_late"], "labels_late", _labels_late(spec, rules["labels_late"], history, now)))
    for pipeline in spec.pipelines:
        if "pipeline_failed" in rules:
            out.append(_state(spec.name, rules["pipeline_failed"], f"pipeline_failed:{pipeline}",
                              _pipeline_failed(spec, pipeline, runs, now)))
        if "pipeline_not_rerun" in rules:
            out.append(_state(spec.name, rules["pipeline_not_rerun"], f"pipeline_not_rerun:{pipeline}",
                              _pipeline_not_rerun(spec, rules["pipeline_not_rerun"], pipeline, runs, now)))
    if "job_failed" in rules and failures is not None:
        out.append(_state(spec.name, rules["job_failed"], "job_failed", _job_failed(spec.name, failures, now)))
    return out


def evaluate_broken(name: str, config: ModelAlerts, failures: Sequence[Any], *, now: dt.datetime) -> list[RuleState]:
    """Rule states of a model the job could not monitor at all (its table is broken): ``job_failed`` only."""
    rule = config.rule("job_failed")
    return [_state(name, rule, "job_failed", _job_failed(name, failures, parse_utc(now)))] if rule.enabled else []

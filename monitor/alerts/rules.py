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

from monitor.alerts.config import LOWER_IS_BETTER, ModelAlerts, Rule
from monitor.kpis import HEALTH_LEVELS, _primary_metric, _relative_loss, health_score
from monitor.sources.pipelines import PipelineRun
from monitor.spec import ModelSpec

__all__ = ["RuleState", "evaluate", "evaluate_broken", "health_status"]

FINISHED = ("Succeeded", "Failed", "Cancelled")
_COLOUR = {"ok": "green", "warn": "amber", "alert": "red"}
_METRIC = {"auc": "AUC", "accuracy": "Accuracy", "precision": "Precision", "recall": "Recall", "f1": "F1",
           "log_loss": "Log loss", "mae": "MAE", "rmse": "RMSE", "mape": "MAPE", "r2": "R²"}
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


def _utc(value: str | dt.datetime) -> dt.datetime:
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    return value.replace(tzinfo=dt.timezone.utc) if value.tzinfo is None else value.astimezone(dt.timezone.utc)


def _when(value: str | dt.datetime) -> str:
    return _utc(value).strftime("%Y-%m-%d %H:%M UTC")


def _short(text: str) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= _MAX_DETAIL else text[: _MAX_DETAIL - 1] + "…"


def _trailing(history: Sequence[Mapping[str, Any]], test: Callable[[Mapping[str, Any]], bool | None]) -> Mapping | None:
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


def health_status(score: float | None) -> str:
    """``ok`` / ``warn`` / ``alert`` of a health score, with the levels of the Model health page."""
    if score is None:
        return "none"
    return "ok" if score >= HEALTH_LEVELS[0] else "warn" if score >= HEALTH_LEVELS[1] else "alert"


def _health(spec: ModelSpec, rule: Rule, history: Sequence[Mapping[str, Any]], now: dt.datetime) -> dict[str, Any]:
    wanted = ("warn", "alert") if rule.level == "amber" else ("alert",)
    scores: dict[str, Any] = {}
    labelled = None
    for i, snap in enumerate(history):
        labelled = snap if snap.get("performance") else labelled
        age = (now - _utc(snap["ts"])) if i == len(history) - 1 else (_utc(snap["ts"]) - _utc(history[i - 1]["ts"]) if i
                                                                      else dt.timedelta(0))
        scores[snap["batch_id"]] = health_score(spec, snap, labelled, max(0.0, age.total_seconds() / 86400))
    latest = scores[history[-1]["batch_id"]]
    status = health_status(latest.score)
    since = _trailing(history, lambda s: health_status(scores[s["batch_id"]].score) in wanted)
    why = f"; weakest part: {latest.worst}, {latest.parts[latest.worst][1]}" if latest.worst else ""
    if since is None:
        return {"firing": False, "batch_id": history[-1]["batch_id"],
                "message": f"Health of {spec.name} is {_COLOUR.get(status, status)} ({latest.score}/100) on batch "
                           f"{history[-1]['batch_id']}."}
    return {"firing": True, "batch_id": since["batch_id"], "since": since["ts"],
            "severity": "critical" if status == "alert" else "warning",
            "message": f"Health of {spec.name} is {_COLOUR[status]} ({latest.score}/100) since batch {since['batch_id']}"
                       f"{why}."}


def _dataset_drift(spec: ModelSpec, rule: Rule, history, now) -> dict[str, Any]:
    def drifted(s) -> bool | None:
        return ((s.get("drift") or {}).get("overall") or {}).get("drifted")

    since = _trailing(history, drifted)
    overall = (history[-1].get("drift") or {}).get("overall") or {}
    names = [c for c, r in ((history[-1].get("drift") or {}).get("features") or {}).items() if r.get("drifted")]
    if since is None:
        return {"firing": False, "batch_id": history[-1]["batch_id"],
                "message": f"No dataset drift in {spec.name} on batch {history[-1]['batch_id']}."}
    share = overall.get("share_drifted") or 0.0
    return {"firing": True, "batch_id": since["batch_id"], "since": since["ts"],
            "message": f"Dataset drift in {spec.name} since batch {since['batch_id']}: {overall.get('n_drifted', len(names))} "
                       f"of {overall.get('n_features', '?')} features drifted ({share:.0%}, threshold "
                       f"{overall.get('share_threshold') or spec.drift.share:.0%}): {', '.join(names) or 'none named'}."}


def _feature_drift(spec: ModelSpec, feature: str, history) -> dict[str, Any]:
    def report(s) -> Mapping[str, Any]:
        return ((s.get("drift") or {}).get("features") or {}).get(feature) or {}

    since = _trailing(history, lambda s: report(s).get("drifted") if report(s) else None)
    latest = report(history[-1])
    if since is None:
        return {"firing": False, "batch_id": history[-1]["batch_id"],
                "message": f"Feature {feature} of {spec.name} does not drift on batch {history[-1]['batch_id']}."}
    stat = latest.get("statistic")
    detail = f" ({latest.get('method')} {stat:.3g}, threshold {latest.get('threshold'):.3g})" if stat is not None and \
        latest.get("threshold") is not None else ""
    return {"firing": True, "batch_id": since["batch_id"], "since": since["ts"],
            "message": f"Feature {feature} of {spec.name} drifts since batch {since['batch_id']}{detail}."}


def _measured(snap: Mapping[str, Any], metric: str, estimated: bool) -> tuple[float | None, str]:
    realized = (snap.get("performance") or {}).get(metric)
    if realized is not None:
        return float(realized), "realized"
    guess = (((snap.get("estimated") or {}).get("metrics")) or {}).get(metric) if estimated else None
    return (float(guess), "estimated") if guess is not None else (None, "")


def _performance(spec: ModelSpec, rule: Rule, history, now) -> dict[str, Any]:
    last = next((s for s in reversed(history) if s.get("performance")), None)
    metric = rule.metric or _primary_metric(spec, last.get("performance") if last else None)

    def breach(s) -> tuple[bool, str] | None:
        value, source = _measured(s, metric, rule.estimated)
        if value is None:
            return None
        base = (s.get("baseline") or {}).get(metric)
        reasons = []
        if rule.threshold is not None and (value > rule.threshold if metric in LOWER_IS_BETTER else value < rule.threshold):
            reasons.append(f"{'above' if metric in LOWER_IS_BETTER else 'below'} the threshold {rule.threshold:.4g}")
        loss = _relative_loss(metric, value, base) if rule.max_drop is not None and base is not None else None
        if loss is not None and loss > rule.max_drop:
            reasons.append(f"{loss:.0%} worse than the baseline {base:.4g} (limit {rule.max_drop:.0%})")
        return bool(reasons), f"{_METRIC.get(metric, metric)} of {spec.name} is {value:.4g} ({source}) on batch " \
                              f"{s['batch_id']}" + (", " + " and ".join(reasons) if reasons else "")

    results = {s["batch_id"]: breach(s) for s in history}
    latest = next((s for s in reversed(history) if results[s["batch_id"]] is not None), None)
    if latest is None:
        return {"firing": False, "message": f"No measured {_METRIC.get(metric, metric)} of {spec.name} yet (no labels and "
                                            "no estimate)."}
    since = _trailing(history, lambda s: results[s["batch_id"]][0] if results[s["batch_id"]] else None)
    sentence = results[latest["batch_id"]][1]
    if since is None:
        return {"firing": False, "batch_id": latest["batch_id"], "message": sentence + "."}
    return {"firing": True, "batch_id": since["batch_id"], "since": since["ts"],
            "message": f"{sentence}, since batch {since['batch_id']}."}


def _last_finished(runs: Sequence[PipelineRun], pipeline: str, now: dt.datetime) -> PipelineRun | None:
    done = [r for r in runs if r.pipeline_name == pipeline and r.status in FINISHED and r.run_start
            and _utc(r.run_end or r.run_start) <= now]
    return max(done, key=lambda r: _utc(r.run_end or r.run_start), default=None)


def _pipeline_failed(spec: ModelSpec, pipeline: str, runs, now) -> dict[str, Any]:
    last = _last_finished(runs, pipeline, now)
    if last is None:
        return {"firing": False, "message": f"No recent finished run of pipeline {pipeline} (feeds {spec.name}) is on record."}
    at = last.run_end or last.run_start
    if not last.failed:
        return {"firing": False, "run_id": last.run_id,
                "message": f"The latest run of pipeline {pipeline} (feeds {spec.name}) succeeded at {_when(at)}."}
    why = f": {_short(last.message).rstrip('.')}" if last.message else ""
    return {"firing": True, "run_id": last.run_id, "since": _utc(at).isoformat(), "severity": "critical",
            "message": f"Pipeline {pipeline} (feeds {spec.name}) {last.status.lower()} at {_when(at)}{why}."}


def _pipeline_not_rerun(spec: ModelSpec, rule: Rule, pipeline: str, runs, now) -> dict[str, Any]:
    last = _last_finished(runs, pipeline, now)
    limit = dt.timedelta(hours=rule.hours)
    if last is None or not last.failed or now - _utc(last.run_end or last.run_start) <= limit:
        return {"firing": False, "run_id": last.run_id if last else None,
                "message": f"Pipeline {pipeline} (feeds {spec.name}) has no failed run left without a successful one "
                           f"within {rule.hours:g} h."}
    at = _utc(last.run_end or last.run_start)
    return {"firing": True, "run_id": last.run_id, "since": (at + limit).isoformat(), "severity": "critical",
            "message": f"Pipeline {pipeline} (feeds {spec.name}) {last.status.lower()} at {_when(at)} and has not run "
                       f"successfully in the {rule.hours:g} h since."}


def _age(delta: dt.timedelta) -> str:
    days = delta.total_seconds() / 86400
    return f"{days * 24:.1f} h" if days < 2 else f"{days:.1f} days"


def _stale(spec: ModelSpec, rule: Rule, history, now) -> dict[str, Any]:
    latest = history[-1]
    age = now - _utc(latest["ts"])
    limit = dt.timedelta(days=spec.schedule_days, hours=rule.grace_hours)
    text = (f"the newest batch of {spec.name} ({latest['batch_id']}, scored {_when(latest['ts'])}) is {_age(age)} old; "
            f"one is expected every {spec.schedule_days:g} days (+{rule.grace_hours:g} h grace)")
    if age <= limit:
        return {"firing": False, "batch_id": latest["batch_id"], "message": text[0].upper() + text[1:] + "."}
    return {"firing": True, "batch_id": latest["batch_id"], "since": (_utc(latest["ts"]) + limit).isoformat(),
            "message": text[0].upper() + text[1:] + "."}


def _labels_late(spec: ModelSpec, rule: Rule, history, now) -> dict[str, Any]:
    limit = dt.timedelta(days=rule.days)
    late = [s for s in history if not s.get("performance") and now - _utc(s["ts"]) > limit]
    if not late:
        return {"firing": False, "message": f"No batch of {spec.name} has waited more than {rule.days:g} days for labels."}
    first = late[0]
    return {"firing": True, "batch_id": first["batch_id"], "since": (_utc(first["ts"]) + limit).isoformat(),
            "message": f"Labels of {spec.name} are late: batch {first['batch_id']} (scored {_when(first['ts'])}) has none "
                       f"after {_age(now - _utc(first['ts']))}, expected within {rule.days:g} days; {len(late)} batch(es) "
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


def evaluate(spec: ModelSpec, config: ModelAlerts, snapshots: Sequence[Mapping[str, Any]], runs: Sequence[PipelineRun],
             *, now: dt.datetime, failures: Sequence[Any] | None = None) -> list[RuleState]:
    """The state of every enabled rule of one model at ``now``.

    ``snapshots`` are the model's snapshot documents and ``runs`` the runs of its pipelines (later ones are
    ignored); ``failures`` are this job run's failures for the model (objects with ``batch_id`` and
    ``error``), or ``None`` when the job did not run for it, which leaves ``job_failed`` out.
    """
    now = _utc(now)
    history = sorted((s for s in snapshots if _utc(s["ts"]) <= now), key=lambda s: s["ts"])
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
    return [_state(name, rule, "job_failed", _job_failed(name, failures, _utc(now)))] if rule.enabled else []

"""Alert rules as ``monitor.toml`` states them: typed, checked, with documented defaults.

The top-level ``[alerts]`` table holds the defaults for every model; a model's ``[models.alerts]``
table overrides them, field by field. Both have the same three parts::

    [alerts]
    cooldown_hours = 6                       # per rule: `cooldown_hours` in its own table
    [alerts.routes]                          # persona -> channel names (settings name the channels)
    business = ["teams"]
    [alerts.rules]
    health = { level = "red" }               # a table of fields, or true / false to switch a rule on / off
    feature_drift = { features = ["debt_ratio"] }

Every rule exists for every model with the defaults of its class below; where the file has no
alert tables at all the defaults apply and nothing is sent until channels are configured.
"""

from __future__ import annotations

import dataclasses
import difflib
import math
from collections.abc import Iterable, Mapping
from typing import Any

from monitor.access import PERSONAS

__all__ = ["Rule", "RULES", "ModelAlerts", "AlertsSpec", "parse_alerts", "parse_model_alerts", "check_default_features",
           "HEALTH_RULE_LEVELS", "METRICS", "TITLES", "title", "LOWER_IS_BETTER", "DEFAULT_COOLDOWN_HOURS"]

HEALTH_RULE_LEVELS = ("amber", "red")
METRICS = {
    "classification": ("auc", "accuracy", "precision", "recall", "f1", "log_loss"),
    "regression": ("mae", "rmse", "mape", "r2"),
}
LOWER_IS_BETTER = frozenset({"log_loss", "mae", "rmse", "mape"})
DEFAULT_COOLDOWN_HOURS = 6.0
_TOP_KEYS = ("cooldown_hours", "routes", "rules")


@dataclasses.dataclass(frozen=True)
class Rule:
    """Fields every rule has. ``personas`` empty means the rule's own default personas."""

    enabled: bool = True
    personas: tuple[str, ...] = ()
    cooldown_hours: float | None = None

    # Class attributes of each rule (not fields): its name, the page that shows it, who it goes to, what it watches.
    name = ""
    page = ""
    default_personas = ()
    about = ""

    @property
    def routed_to(self) -> tuple[str, ...]:
        return self.personas or self.default_personas

    def check(self) -> list[str]:
        """Problems with the values (types are checked by the parser), each naming the field."""
        out = [f"personas: '{p}' is not a persona{_did_you_mean(p, PERSONAS)}; personas: {', '.join(PERSONAS)}"
               for p in self.personas if p not in PERSONAS]
        if self.cooldown_hours is not None and self.cooldown_hours < 0:
            out.append(f"cooldown_hours must be 0 or more, got {self.cooldown_hours:g}")
        return out + self._check()

    def _check(self) -> list[str]:
        return []


RULES: dict[str, type[Rule]] = {}
"""Every rule class by name, in the order the README lists them."""


def _rule(cls: type[Rule]) -> type[Rule]:
    RULES[cls.name] = cls
    return cls


@_rule
@dataclasses.dataclass(frozen=True)
class HealthRule(Rule):
    level: str = "amber"

    name, page, default_personas = "health", "health", ("business",)
    about = "the newest batch's health status is amber or red (with level = \"red\": red only), as on Model health"

    def _check(self) -> list[str]:
        return [] if self.level in HEALTH_RULE_LEVELS else [f"level must be one of {', '.join(HEALTH_RULE_LEVELS)}, got '{self.level}'"]


@_rule
@dataclasses.dataclass(frozen=True)
class DatasetDriftRule(Rule):
    name, page, default_personas = "dataset_drift", "drift", ("data_science",)
    about = "the newest batch's dataset drift verdict is 'drift'"


@_rule
@dataclasses.dataclass(frozen=True)
class FeatureDriftRule(Rule):
    features: tuple[str, ...] = ()

    name, page, default_personas = "feature_drift", "drift", ("data_science",)
    about = "a feature named in `features` drifts in the newest batch (one alert per feature; none named by default)"


@_rule
@dataclasses.dataclass(frozen=True)
class PerformanceRule(Rule):
    metric: str | None = None
    threshold: float | None = None
    max_drop: float | None = 0.10
    estimated: bool = True

    name, page, default_personas = "performance", "performance", ("data_science",)
    about = ("the newest measured metric (realized, else estimated) is worse than `threshold`, or worse than the "
             "baseline by more than `max_drop` (relative)")

    def _check(self) -> list[str]:
        out = []
        known = sorted({m for ms in METRICS.values() for m in ms})
        if self.metric is not None and self.metric not in known:
            out.append(f"metric '{self.metric}' is unknown{_did_you_mean(self.metric, known)}; metrics: {', '.join(known)}")
        if self.max_drop is not None and not 0 < self.max_drop <= 1:
            out.append(f"max_drop must be in (0, 1] (a relative loss against the baseline), got {self.max_drop:g}")
        return out


@_rule
@dataclasses.dataclass(frozen=True)
class PipelineFailedRule(Rule):
    name, page, default_personas = "pipeline_failed", "pipelines", ("data_engineering",)
    about = "the newest finished run of a pipeline that feeds the model failed (one alert per pipeline)"


@_rule
@dataclasses.dataclass(frozen=True)
class PipelineNotRerunRule(Rule):
    hours: float = 12.0

    name, page, default_personas = "pipeline_not_rerun", "pipelines", ("data_engineering",)
    about = "a failed pipeline run has had no successful run after it within `hours`"

    def _check(self) -> list[str]:
        return [] if self.hours > 0 else [f"hours must be more than 0, got {self.hours:g}"]


@_rule
@dataclasses.dataclass(frozen=True)
class StaleRule(Rule):
    grace_hours: float = 1.0

    name, page, default_personas = "stale", "pipelines", ("data_engineering",)
    about = "the newest batch is older than the model's schedule_days plus `grace_hours`"

    def _check(self) -> list[str]:
        return [] if self.grace_hours >= 0 else [f"grace_hours must be 0 or more, got {self.grace_hours:g}"]


@_rule
@dataclasses.dataclass(frozen=True)
class LabelsLateRule(Rule):
    days: float = 14.0

    name, page, default_personas = "labels_late", "pipelines", ("data_engineering",)
    about = "a batch of a model with a target has no labels `days` after it was scored"

    def _check(self) -> list[str]:
        return [] if self.days > 0 else [f"days must be more than 0, got {self.days:g}"]


@_rule
@dataclasses.dataclass(frozen=True)
class JobFailedRule(Rule):
    name, page, default_personas = "job_failed", "models", ("data_science",)
    about = "the monitoring job failed for the model (a batch, its backend or its table in monitor.toml)"


@dataclasses.dataclass(frozen=True)
class ModelAlerts:
    """The alert configuration in force for one model (or the defaults)."""

    rules: Mapping[str, Rule] = dataclasses.field(default_factory=lambda: {n: cls() for n, cls in RULES.items()})
    routes: Mapping[str, tuple[str, ...]] = dataclasses.field(default_factory=dict)
    cooldown_hours: float = DEFAULT_COOLDOWN_HOURS

    def rule(self, name: str) -> Rule:
        return self.rules[name]

    def cooldown(self, rule: Rule) -> float:
        return self.cooldown_hours if rule.cooldown_hours is None else rule.cooldown_hours

    def channels_for(self, personas: Iterable[str], configured: Iterable[str]) -> tuple[str, ...]:
        """Channel names an alert for ``personas`` goes to: the routes, or every configured channel without routes."""
        if not self.routes:
            return tuple(configured)
        return tuple(dict.fromkeys(c for p in personas for c in self.routes.get(p, ())))


@dataclasses.dataclass(frozen=True)
class AlertsSpec:
    """Alert defaults and the configuration of each model that has its own ``[models.alerts]`` table."""

    defaults: ModelAlerts = dataclasses.field(default_factory=ModelAlerts)
    models: Mapping[str, ModelAlerts] = dataclasses.field(default_factory=dict)

    def for_model(self, name: str) -> ModelAlerts:
        return self.models.get(name, self.defaults)

    def route_channels(self) -> set[str]:
        """Every channel name the routes mention (defaults and models)."""
        return {c for cfg in (self.defaults, *self.models.values()) for cs in cfg.routes.values() for c in cs}


TITLES = {"health": "Health", "dataset_drift": "Dataset drift", "feature_drift": "Feature drift",
          "performance": "Performance", "pipeline_failed": "Pipeline failed", "pipeline_not_rerun": "Failed run not re-run",
          "stale": "Data is late", "labels_late": "Labels are late", "job_failed": "Monitoring job failed"}
assert set(TITLES) == set(RULES)


def title(key: str) -> str:
    """A rule key for people: ``feature_drift:debt_ratio`` -> ``Feature drift (debt_ratio)``."""
    rule, _, subject = key.partition(":")
    return TITLES.get(rule, rule) + (f" ({subject})" if subject else "")


def _did_you_mean(word: str, choices: Iterable[str]) -> str:
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f" (did you mean '{close[0]}'?)" if close else ""


def _value(kind: str, raw: Any, where: str, problems: list[str]) -> tuple[bool, Any]:
    """(ok, value) of one rule field whose annotation is ``kind``."""
    if raw is None and "None" in kind:
        return True, None
    if kind == "bool":
        if isinstance(raw, bool):
            return True, raw
        problems.append(f"{where} must be true or false, got {raw!r}")
    elif kind.startswith("float"):
        if not isinstance(raw, bool) and isinstance(raw, int | float) and math.isfinite(raw):
            return True, float(raw)
        problems.append(f"{where} must be a number, got {raw!r}")
    elif kind.startswith("str"):
        if isinstance(raw, str) and raw.strip():
            return True, raw.strip()
        problems.append(f"{where} must be a non-empty string, got {raw!r}")
    elif kind.startswith("tuple"):
        if isinstance(raw, list) and all(isinstance(v, str) and v.strip() for v in raw):
            return True, tuple(dict.fromkeys(v.strip() for v in raw))
        problems.append(f"{where} must be a list of names, got {raw!r}")
    return False, None


def _parse_rule(name: str, raw: Any, base: Rule, where: str, problems: list[str]) -> Rule:
    if isinstance(raw, bool):
        return dataclasses.replace(base, enabled=raw)
    if not isinstance(raw, Mapping):
        problems.append(f"{where} must be a table of fields, or true / false")
        return base
    fields = {f.name: str(f.type) for f in dataclasses.fields(RULES[name])}
    changes: dict[str, Any] = {}
    for key, value in raw.items():
        if key not in fields:
            problems.append(f"{where}: unknown field '{key}'{_did_you_mean(key, fields)}; fields of this rule: "
                            f"{', '.join(fields)}")
            continue
        ok, parsed = _value(fields[key], value, f"{where}.{key}", problems)
        if ok:
            changes[key] = parsed
    rule = dataclasses.replace(base, **changes)
    problems += [f"{where}: {p}" for p in rule.check()]
    return rule


def _parse(table: Any, where: str, base: ModelAlerts, problems: list[str]) -> ModelAlerts:
    if table is None:
        return base
    if not isinstance(table, Mapping):
        problems.append(f"{where} must be a table")
        return base
    for key in sorted(set(table) - set(_TOP_KEYS)):
        problems.append(f"{where}: unknown field '{key}'{_did_you_mean(key, _TOP_KEYS)}; known: {', '.join(_TOP_KEYS)}")
    cooldown = base.cooldown_hours
    if "cooldown_hours" in table:
        ok, value = _value("float", table["cooldown_hours"], f"{where}.cooldown_hours", problems)
        if ok and value < 0:
            problems.append(f"{where}.cooldown_hours must be 0 or more, got {value:g}")
        elif ok:
            cooldown = value
    routes = dict(base.routes)
    raw_routes = table.get("routes", {})
    if not isinstance(raw_routes, Mapping):
        problems.append(f"{where}.routes must be a table of persona = [channel names]")
        raw_routes = {}
    for persona, channels in raw_routes.items():
        if persona not in PERSONAS:
            problems.append(f"{where}.routes: '{persona}' is not a persona{_did_you_mean(persona, PERSONAS)}; "
                            f"personas: {', '.join(PERSONAS)}")
            continue
        ok, value = _value("tuple", channels, f"{where}.routes.{persona}", problems)
        if ok:
            routes[persona] = value
    rules = dict(base.rules)
    raw_rules = table.get("rules", {})
    if not isinstance(raw_rules, Mapping):
        problems.append(f"{where}.rules must be a table of rule = {{fields}} (or true / false)")
        raw_rules = {}
    for name, raw in raw_rules.items():
        if name not in RULES:
            problems.append(f"{where}.rules: unknown rule '{name}'{_did_you_mean(name, RULES)}; rules: {', '.join(RULES)}")
            continue
        rules[name] = _parse_rule(name, raw, rules[name], f"{where}.rules.{name}", problems)
    return ModelAlerts(rules, routes, cooldown)


def parse_alerts(table: Any, problems: list[str]) -> ModelAlerts:
    """The defaults of the top-level ``[alerts]`` table (problems name ``[alerts]`` and the field)."""
    return _parse(table, "[alerts]", ModelAlerts(), problems)


def parse_model_alerts(table: Any, label: str, features: Iterable[str], task: str, defaults: ModelAlerts,
                       problems: list[str]) -> ModelAlerts:
    """One model's alert configuration: its ``[models.alerts]`` table over the defaults, checked against the model.

    Features named in the defaults that this model does not have are left out for it; features named in the
    model's own table must be its features, and the performance metric must suit its task.
    """
    where = f"{label}: alerts"
    merged = _parse(table, where, defaults, problems)
    features = tuple(features)
    feature_rule = merged.rule("feature_drift")
    own_rules = table.get("rules") if isinstance(table, Mapping) else None
    own_feature = own_rules.get("feature_drift") if isinstance(own_rules, Mapping) else None
    named = feature_rule.features if isinstance(own_feature, Mapping) and "features" in own_feature else ()
    for f in named:
        if f not in features:
            problems.append(f"{where}.rules.feature_drift.features names '{f}', which is not a feature of this model"
                            f"{_did_you_mean(f, features)}")
    kept = tuple(f for f in feature_rule.features if f in features)
    rules = dict(merged.rules)
    rules["feature_drift"] = dataclasses.replace(feature_rule, features=kept)
    metric = merged.rule("performance").metric
    if metric is not None and task in METRICS and metric not in METRICS[task]:
        problems.append(f"{where}.rules.performance.metric '{metric}' does not apply to a {task} model; "
                        f"{task} metrics: {', '.join(METRICS[task])}")
    return ModelAlerts(rules, merged.routes, merged.cooldown_hours)


def check_default_features(defaults: ModelAlerts, features_by_model: Mapping[str, Iterable[str]]) -> list[str]:
    """Problems with ``[alerts]`` feature names that are a feature of no model."""
    every = {f for fs in features_by_model.values() for f in fs}
    return [f"[alerts].rules.feature_drift.features names '{f}', which is a feature of no model{_did_you_mean(f, every)}"
            for f in defaults.rule("feature_drift").features if f not in every]

"""The onboarding file ``monitor.toml``: one ``[[models]]`` table per monitored model.

``load_spec`` parses and checks the file on its own (types, names, thresholds). A problem with the
file as a whole (missing, not TOML, no ``[[models]]``) raises :class:`SpecError`; a problem inside
one model's table disables that model only: it is listed in ``MonitorSpec.broken`` with every
problem found, each naming the model and field, and the other models keep working.
:func:`monitor.validate.validate` then checks the models against the tracking server.
"""

from __future__ import annotations

import dataclasses
import difflib
import math
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from monitor.alerts.config import AlertsSpec, check_default_features, parse_alerts, parse_model_alerts
from monitor.drift.config import DriftSpec, FeatureDrift  # re-exported: the model's drift settings
from monitor.errors import SpecError

__all__ = ["ModelSpec", "DriftSpec", "FeatureDrift", "ExplainSpec", "MonitorSpec", "load_spec", "parse_spec", "TASKS"]

TASKS = ("classification", "regression")


@dataclasses.dataclass(frozen=True)
class ExplainSpec:
    enabled: bool = True
    sample_size: int = 300
    seed: int = 0
    ndcg_threshold: float = 0.9


@dataclasses.dataclass(frozen=True)
class ModelSpec:
    """One onboarded model."""

    name: str
    registered_model: str
    task: str
    numeric_features: tuple[str, ...]
    categorical_features: tuple[str, ...]
    prediction: str
    score: str | None = None
    target: str | None = None
    id_column: str | None = None
    reference: str = "training"
    pipelines: tuple[str, ...] = ()
    schedule_days: float = 7.0
    drift: DriftSpec = dataclasses.field(default_factory=DriftSpec)
    explain: ExplainSpec = dataclasses.field(default_factory=ExplainSpec)
    description: str = ""

    @property
    def features(self) -> tuple[str, ...]:
        return self.numeric_features + self.categorical_features

    def kind_of(self, column: str) -> str:
        return "categorical" if column in self.categorical_features else "numeric"

    @property
    def batch_columns(self) -> tuple[str, ...]:
        """Columns a logged batch carries (labels are stored apart)."""
        cols = self.features + (self.prediction,)
        if self.score:
            cols += (self.score,)
        return cols


@dataclasses.dataclass(frozen=True)
class MonitorSpec:
    """The valid models of the onboarding file, and the broken tables with their problems."""

    models: tuple[ModelSpec, ...]
    path: Path | None = None
    broken: Mapping[str, tuple[str, ...]] = dataclasses.field(default_factory=dict)
    alerts: AlertsSpec = dataclasses.field(default_factory=AlertsSpec)
    """Alert rules: the ``[alerts]`` defaults and each model's ``[models.alerts]`` (see :mod:`monitor.alerts.config`)."""

    def model(self, name: str) -> ModelSpec:
        for m in self.models:
            if m.name == name:
                return m
        if name in self.broken:
            raise KeyError(f"model '{name}' is disabled: its [[models]] table in monitor.toml is broken: "
                           + "; ".join(self.broken[name]))
        raise KeyError(f"model '{name}' is not onboarded in monitor.toml; onboarded: {', '.join(self.names) or 'none'}")

    @property
    def problems(self) -> list[str]:
        """Every problem of every broken table, each naming its model and field."""
        return [p for problems in self.broken.values() for p in problems]

    @property
    def names(self) -> list[str]:
        return [m.name for m in self.models]


_MODEL_KEYS = {f.name for f in dataclasses.fields(ModelSpec)}
_TABLE_KEYS = _MODEL_KEYS | {"alerts"}  # [models.alerts] is parsed apart, so alert rules never change a model's digest
_DRIFT_KEYS = {f.name for f in dataclasses.fields(DriftSpec)}
_EXPLAIN_KEYS = {f.name for f in dataclasses.fields(ExplainSpec)}
_REQUIRED = ("name", "registered_model", "task", "numeric_features", "categorical_features", "prediction")


def load_spec(path: str | Path) -> MonitorSpec:
    """Read and check ``monitor.toml``. Raises :class:`SpecError` with every problem found."""
    path = Path(path)
    if not path.exists():
        raise SpecError([f"{path}: file not found (set MONITOR_SPEC to point at the onboarding file)"])
    try:
        data = tomllib.loads(path.read_text())
    except tomllib.TOMLDecodeError as exc:
        raise SpecError([f"{path}: not valid TOML: {exc}"]) from exc
    return parse_spec(data, path)


def parse_spec(data: Mapping[str, Any], path: Path | None = None, *, strict: bool = False) -> MonitorSpec:
    """Check a parsed onboarding file. File-level problems raise :class:`SpecError`; a broken model table
    is listed in ``broken`` (or raises too, with ``strict=True``)."""
    problems: list[str] = []
    extra = set(data) - {"models", "alerts"}
    if extra:
        problems.append(f"unknown top-level key(s): {', '.join(sorted(extra))} (only [[models]] tables and an "
                        "[alerts] table are allowed)" + _did_you_mean(sorted(extra)[0], ["models", "alerts"]))
    tables = data.get("models", [])
    if not isinstance(tables, list) or not tables:
        problems.append("no [[models]] table: onboard at least one model")
        tables = []
    defaults = parse_alerts(data.get("alerts"), problems)
    problems += check_default_features(defaults, _features_by_table(tables))
    if problems:
        raise SpecError(problems)
    models: list[ModelSpec] = []
    broken: dict[str, tuple[str, ...]] = {}
    alerts = {}
    seen: set[str] = set()
    for i, table in enumerate(tables):
        key, label = f"models[{i}]", f"models[{i}]"
        if isinstance(table, Mapping) and isinstance(table.get("name"), str) and table["name"].strip():
            key, label = table["name"], f"model '{table['name']}'"
        found: list[str] = []
        own_alerts = table.get("alerts") if isinstance(table, Mapping) else None
        model = _parse_model({k: v for k, v in table.items() if k != "alerts"} if isinstance(table, Mapping) else table,
                             label, found)
        if model is not None:
            configured = parse_model_alerts(own_alerts, label, model.features, model.task, defaults, found)
            if configured != defaults:
                alerts[model.name] = configured
        if key in seen:
            found.append(f"{label}: name is used by another [[models]] table")
        seen.add(key)
        if found or model is None:
            broken[key if key not in broken else f"{key} (table {i + 1})"] = tuple(found)
            continue
        models.append(model)
    if strict and broken:
        raise SpecError([p for ps in broken.values() for p in ps])
    return MonitorSpec(tuple(models), path, broken, AlertsSpec(defaults, {m.name: alerts[m.name] for m in models
                                                                          if m.name in alerts}))


def _features_by_table(tables: list[Any]) -> dict[str, list[str]]:
    """Feature columns each [[models]] table names (as written, before any check)."""
    out: dict[str, list[str]] = {}
    for i, table in enumerate(tables):
        if isinstance(table, Mapping):
            names = [c for key in ("numeric_features", "categorical_features") if isinstance(table.get(key), list)
                     for c in table[key] if isinstance(c, str)]
            out[str(table.get("name", f"models[{i}]"))] = names
    return out


def _did_you_mean(word: str, choices) -> str:
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f" (did you mean '{close[0]}'?)" if close else ""


def _parse_model(table: Any, label: str, problems: list[str]) -> ModelSpec | None:
    if not isinstance(table, Mapping):
        problems.append(f"{label}: must be a table")
        return None
    start = len(problems)
    for key in sorted(set(table) - _MODEL_KEYS):
        problems.append(f"{label}: unknown field '{key}'{_did_you_mean(key, _TABLE_KEYS)}; "
                        f"known fields: {', '.join(sorted(_TABLE_KEYS))}")
    missing = [key for key in _REQUIRED if key not in table]
    for key in missing:
        problems.append(f"{label}: field '{key}' is required")
    if missing:
        return None

    def text(key: str, optional: bool = False) -> str | None:
        value = table.get(key)
        if value is None and optional:
            return None
        if not isinstance(value, str) or not value.strip():
            problems.append(f"{label}: field '{key}' must be a non-empty string")
            return None
        return value

    def names(key: str) -> tuple[str, ...]:
        value = table.get(key, [])
        if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
            problems.append(f"{label}: field '{key}' must be a list of column names")
            return ()
        dupes = sorted({v for v in value if value.count(v) > 1})
        if dupes:
            problems.append(f"{label}: field '{key}' lists {', '.join(dupes)} more than once")
        return tuple(value)

    name = text("name")
    registered = text("registered_model")
    task = text("task")
    if task is not None and task not in TASKS:
        problems.append(f"{label}: field 'task' must be one of {', '.join(TASKS)}, got '{task}'")
    numeric = names("numeric_features")
    categorical = names("categorical_features")
    if not numeric and not categorical and "numeric_features" in table:
        problems.append(f"{label}: no feature columns (numeric_features and categorical_features are both empty)")
    both = sorted(set(numeric) & set(categorical))
    if both:
        problems.append(f"{label}: column(s) {', '.join(both)} are both numeric and categorical")
    prediction = text("prediction")
    score = text("score", optional=True)
    target = text("target", optional=True)
    id_column = text("id_column", optional=True)
    for key, col in (("prediction", prediction), ("score", score), ("target", target), ("id_column", id_column)):
        if col is not None and col in set(numeric) | set(categorical):
            problems.append(f"{label}: field '{key}' names column '{col}', which is also a feature")
    if score is not None and task == "regression":
        problems.append(f"{label}: field 'score' (probability of the positive class) only applies to classification")
    reference = table.get("reference", "training")
    if not isinstance(reference, str) or not reference:
        problems.append(f"{label}: field 'reference' must be 'training' or a path to a CSV/Parquet file")
    pipelines = names("pipelines")
    schedule = table.get("schedule_days", 7.0)
    if isinstance(schedule, bool) or not isinstance(schedule, int | float) or not 0 < schedule <= 366:
        problems.append(f"{label}: field 'schedule_days' must be a number of days in (0, 366], got {schedule!r}")
        schedule = 7.0
    drift = _parse_drift(table.get("drift", {}), label, set(numeric) | set(categorical), problems)
    explain = _parse_explain(table.get("explain", {}), label, problems)
    description = table.get("description", "")
    if not isinstance(description, str):
        problems.append(f"{label}: field 'description' must be a string")
    if len(problems) > start:
        return None
    return ModelSpec(
        name=name, registered_model=registered, task=task, numeric_features=numeric,
        categorical_features=categorical, prediction=prediction, score=score, target=target,
        id_column=id_column, reference=reference, pipelines=pipelines, schedule_days=float(schedule),
        drift=drift, explain=explain, description=description,
    )


def _threshold(value: Any, where: str, problems: list[str]) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value) or value <= 0:
        problems.append(f"{where} must be a positive number, got {value!r}")
        return None
    return float(value)


def _parse_drift(table: Any, label: str, features: set[str], problems: list[str]) -> DriftSpec:
    if not isinstance(table, Mapping):
        problems.append(f"{label}: field 'drift' must be a table")
        return DriftSpec()
    for key in sorted(set(table) - _DRIFT_KEYS):
        problems.append(f"{label}: unknown field 'drift.{key}'{_did_you_mean(key, _DRIFT_KEYS)}; "
                        f"known: {', '.join(sorted(_DRIFT_KEYS))}")
    share = table.get("share", 0.5)
    if isinstance(share, bool) or not isinstance(share, int | float) or not 0 < share <= 1:
        problems.append(f"{label}: field 'drift.share' must be in (0, 1], got {share!r}")
        share = 0.5
    threshold = _threshold(table.get("threshold"), f"{label}: field 'drift.threshold'", problems)
    methods = _method_names()
    numeric_method = table.get("numeric_method")
    categorical_method = table.get("categorical_method")
    for key, value, kind in (("numeric_method", numeric_method, "numeric"), ("categorical_method", categorical_method, "categorical")):
        if value is not None and methods is not None and value not in methods[kind]:
            problems.append(f"{label}: field 'drift.{key}' is '{value}'; valid {kind} methods: {', '.join(methods[kind])}")
    per_feature: dict[str, FeatureDrift] = {}
    raw_features = table.get("features", {})
    if not isinstance(raw_features, Mapping):
        problems.append(f"{label}: field 'drift.features' must be a table of column = {{method, threshold}}")
        raw_features = {}
    for column, override in raw_features.items():
        where = f"{label}: field 'drift.features.{column}'"
        if column not in features:
            problems.append(f"{where} names a column that is not a feature of this model{_did_you_mean(column, features)}")
            continue
        if not isinstance(override, Mapping) or set(override) - {"method", "threshold"}:
            problems.append(f"{where} must be a table with 'method' and/or 'threshold'")
            continue
        method = override.get("method")
        valid = sorted(set(methods["numeric"]) | set(methods["categorical"])) if methods is not None else []
        if method is not None and methods is not None and method not in valid:
            problems.append(f"{where}.method is '{method}'; valid methods: {', '.join(valid)}")
        per_feature[column] = FeatureDrift(method, _threshold(override.get("threshold"), f"{where}.threshold", problems))
    return DriftSpec(float(share), numeric_method, categorical_method, threshold, per_feature)


def _parse_explain(table: Any, label: str, problems: list[str]) -> ExplainSpec:
    if not isinstance(table, Mapping):
        problems.append(f"{label}: field 'explain' must be a table")
        return ExplainSpec()
    for key in sorted(set(table) - _EXPLAIN_KEYS):
        problems.append(f"{label}: unknown field 'explain.{key}'{_did_you_mean(key, _EXPLAIN_KEYS)}; "
                        f"known: {', '.join(sorted(_EXPLAIN_KEYS))}")
    size = table.get("sample_size", 300)
    if isinstance(size, bool) or not isinstance(size, int) or size < 10:
        problems.append(f"{label}: field 'explain.sample_size' must be an integer >= 10, got {size!r}")
        size = 300
    ndcg = table.get("ndcg_threshold", 0.9)
    if isinstance(ndcg, bool) or not isinstance(ndcg, int | float) or not 0 < ndcg <= 1:
        problems.append(f"{label}: field 'explain.ndcg_threshold' must be in (0, 1], got {ndcg!r}")
        ndcg = 0.9
    seed = table.get("seed", 0)
    if isinstance(seed, bool) or not isinstance(seed, int):
        problems.append(f"{label}: field 'explain.seed' must be an integer")
        seed = 0
    enabled = table.get("enabled", True)
    if not isinstance(enabled, bool):
        problems.append(f"{label}: field 'explain.enabled' must be true or false")
        enabled = True
    return ExplainSpec(enabled, size, seed, float(ndcg))


def _method_names() -> dict[str, list[str]] | None:
    """Valid drift method names per column kind, read from the drift registry itself.

    None where the drift engine is not installed (a scoring job with the light ``pip install``):
    method names are then checked by ``validate`` and the job, which have the engine.
    """
    try:
        from monitor.drift import method_names
    except ImportError:
        return None

    return {"numeric": method_names("numeric"), "categorical": method_names("categorical")}

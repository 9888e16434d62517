"""``python -m monitor validate``: check monitor.toml on its own and against MLflow.

Each problem names the model and field; a misspelt registered model or column gets a "did you
mean". For every model that checks out it also says, as ``info``, which explainer will be used
and how the performance baseline is measured, so no slower or weaker path goes unsaid.
"""

from __future__ import annotations

import dataclasses
import difflib

from monitor.errors import BackendError, BatchError, MonitorError, SpecError

__all__ = ["Problem", "validate"]


@dataclasses.dataclass(frozen=True)
class Problem:
    severity: str  # "error" | "warning" | "info"
    message: str

    def __str__(self) -> str:
        return f"{self.severity}: {self.message}"


def _did_you_mean(word: str, choices) -> str:
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f" (did you mean '{close[0]}'?)" if close else ""


def validate(service, check_mlflow: bool = True) -> list[Problem]:
    """Every problem with the onboarding file, each naming the model and field."""
    try:
        spec = service.spec
    except SpecError as exc:
        return [Problem("error", p) for p in exc.problems]
    problems = [Problem("error", f"{p} (this model is disabled until its table is fixed)") for p in spec.problems]
    if not check_mlflow:
        return problems
    try:
        service.mlflow.ping()
    except BackendError as exc:
        return problems + [Problem("error", f"cannot check models against MLflow: {exc}")]
    for model in spec.models:
        try:
            problems += _check_model(service, model)
        except MonitorError as exc:  # one model's backend trouble must not hide the others' checks
            problems.append(Problem("error", f"model '{model.name}': {exc}"))
    return problems


def _check_model(service, model) -> list[Problem]:
    label = f"model '{model.name}'"
    mlflow = service.mlflow
    if not mlflow.registered_model_exists(model.registered_model):
        names = mlflow.registered_model_names()
        listing = ", ".join(names[:20]) + (" …" if len(names) > 20 else "") if names else "none"
        return [Problem("error", f"{label}: field 'registered_model': no registered model '{model.registered_model}' in "
                                 f"MLflow ({mlflow.display_uri}){_did_you_mean(model.registered_model, names)}; "
                                 f"registered models: {listing}")]
    versions = mlflow.model_versions(model.registered_model)
    if not versions:
        return [Problem("error", f"{label}: field 'registered_model': '{model.registered_model}' has no versions")]
    problems: list[Problem] = []
    reference = None
    try:
        reference = mlflow.reference_frame(model.name, model.reference, versions[0],
                                           base_dir=service.settings.spec.resolve().parent)
        missing = [c for c in model.features if c not in reference.columns]
        if missing:
            hints = "".join(_did_you_mean(c, reference.columns) for c in missing)
            problems.append(Problem("error", f"{label}: field 'reference': reference data lacks column(s) "
                                             f"{', '.join(missing)}{hints}"))
            reference = None
    except BatchError as exc:
        problems.append(Problem("error", f"{label}: field 'reference': {exc}"))
    if reference is not None:
        problems += _explainer_and_baseline(service, model, versions[0], reference)
    batches = mlflow.list_batches(model.name)
    if not batches:
        problems.append(Problem("warning", f"{label}: no batches logged yet (call monitor.log_batch from the scoring job)"))
        return problems
    latest = batches[-1]
    try:
        columns = list(mlflow.load_batch(latest).columns)
    except BatchError as exc:
        problems.append(Problem("error", f"{label}: latest batch '{latest.batch_id}' cannot be read: {exc}"))
        return problems
    for field in ("numeric_features", "categorical_features"):
        absent = [c for c in getattr(model, field) if c not in columns]
        if absent:
            hints = "".join(_did_you_mean(c, columns) for c in absent)
            problems.append(Problem("error", f"{label}: field '{field}': column(s) {', '.join(absent)} not in the "
                                             f"latest logged batch '{latest.batch_id}'{hints} (it has: {', '.join(columns)})"))
    for field in ("prediction", "score"):
        col = getattr(model, field)
        if col and col not in columns:
            problems.append(Problem("error", f"{label}: field '{field}': column '{col}' not in the latest logged batch "
                                             f"'{latest.batch_id}'{_did_you_mean(col, columns)} (it has: {', '.join(columns)})"))
    extra = [c for c in columns if c not in model.batch_columns]
    if extra:
        problems.append(Problem("warning", f"{label}: the latest batch has columns not named in monitor.toml: "
                                           f"{', '.join(extra)} (not monitored)"))
    if model.target and not any(b.labels_at for b in batches):
        problems.append(Problem("warning", f"{label}: field 'target': no batch has labels yet (call monitor.log_labels)"))
    return problems


def _explainer_and_baseline(service, model, version, reference) -> list[Problem]:
    """Which explainer the model gets and where its performance baseline comes from."""
    from monitor.snapshots import baseline_plan, explainer_plan

    label = f"model '{model.name}'"
    out: list[Problem] = []
    if model.explain.enabled:
        try:
            native = service.mlflow.load_model(model.registered_model, version.version)
        except (KeyError, MonitorError) as exc:
            out.append(Problem("error", f"{label}: version {version.version} cannot be loaded for explanations: {exc}"))
            native = None
        if native is not None:
            fallback, sentence = explainer_plan(model, native, reference)
            out.append(Problem("warning" if fallback else "info", f"{label}: explanations: {sentence}"))
    validation = service.mlflow.validation_frame(model.name, model.reference, version)
    out.append(Problem("info", f"{label}: performance baseline: {baseline_plan(model, reference, validation)}"))
    return out

"""``python -m monitor validate``: check monitor.toml on its own and against MLflow."""

from __future__ import annotations

import dataclasses

from monitor.errors import BackendError, BatchError, SpecError

__all__ = ["Problem", "validate"]


@dataclasses.dataclass(frozen=True)
class Problem:
    severity: str  # "error" | "warning"
    message: str

    def __str__(self) -> str:
        return f"{self.severity}: {self.message}"


def validate(service, check_mlflow: bool = True) -> list[Problem]:
    """Every problem with the onboarding file, each naming the model and field."""
    try:
        spec = service.spec
    except SpecError as exc:
        return [Problem("error", p) for p in exc.problems]
    problems: list[Problem] = []
    if not check_mlflow:
        return problems
    try:
        service.mlflow.ping()
    except BackendError as exc:
        return [Problem("error", f"cannot check models against MLflow: {exc}")]
    for model in spec.models:
        label = f"model '{model.name}'"
        if not service.mlflow.registered_model_exists(model.registered_model):
            problems.append(Problem("error", f"{label}: field 'registered_model': no registered model "
                                             f"'{model.registered_model}' in MLflow ({service.mlflow.tracking_uri})"))
            continue
        versions = service.mlflow.model_versions(model.registered_model)
        if not versions:
            problems.append(Problem("error", f"{label}: field 'registered_model': '{model.registered_model}' has no versions"))
            continue
        try:
            ref = service.mlflow.reference_frame(model.name, model.reference, versions[0],
                                                 base_dir=service.settings.spec.resolve().parent)
            missing = [c for c in model.features if c not in ref.columns]
            if missing:
                problems.append(Problem("error", f"{label}: field 'reference': reference data lacks column(s) {', '.join(missing)}"))
        except BatchError as exc:
            problems.append(Problem("error", f"{label}: field 'reference': {exc}"))
        batches = service.mlflow.list_batches(model.name)
        if not batches:
            problems.append(Problem("warning", f"{label}: no batches logged yet (call monitor.log_batch from the scoring job)"))
            continue
        latest = batches[-1]
        try:
            columns = list(service.mlflow.load_batch(latest).columns)
        except BatchError as exc:
            problems.append(Problem("error", f"{label}: latest batch '{latest.batch_id}' cannot be read: {exc}"))
            continue
        for field in ("numeric_features", "categorical_features"):
            absent = [c for c in getattr(model, field) if c not in columns]
            if absent:
                problems.append(Problem("error", f"{label}: field '{field}': column(s) {', '.join(absent)} not in the "
                                                 f"latest logged batch '{latest.batch_id}' (it has: {', '.join(columns)})"))
        for field in ("prediction", "score"):
            col = getattr(model, field)
            if col and col not in columns:
                problems.append(Problem("error", f"{label}: field '{field}': column '{col}' not in the latest logged batch "
                                                 f"'{latest.batch_id}' (it has: {', '.join(columns)})"))
        extra = [c for c in columns if c not in model.batch_columns]
        if extra:
            problems.append(Problem("warning", f"{label}: the latest batch has columns not named in monitor.toml: "
                                               f"{', '.join(extra)} (not monitored)"))
        if model.target and not any(b.labels_at for b in batches):
            problems.append(Problem("warning", f"{label}: field 'target': no batch has labels yet (call monitor.log_labels)"))
    return problems

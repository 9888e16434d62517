"""What is fitted once per model version (reference profile, explainer, baseline, estimator), and the
ids and fingerprints snapshots are stored under. Pure computation: this module reads no backend.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
from collections.abc import Mapping
from typing import Any

import pandas as pd

from monitor.errors import BatchError
from monitor.jsonsafe import clean_json
from monitor.performance import (
    EstimationError,
    baseline_performance,
    baseline_plan,
    estimator_from_dict,
    fit_estimator,
)
from monitor.spec import ModelSpec
from monitor.store.base import SCHEMA_VERSION

__all__ = ["ENGINE_VERSION", "ModelContext", "fit_context", "snapshot_id", "profile_id",
           "fingerprint", "spec_digest", "explainer_plan", "explainer_sentence", "baseline_plan", "prediction_levels"]

# Bumped whenever what a snapshot holds changes, so `monitor run` recomputes old snapshots once.
ENGINE_VERSION = "6"


def snapshot_id(batch_id: str) -> str:
    return f"snapshot:{batch_id}"


def profile_id(version: str) -> str:
    return f"profile:v{version}"


def fingerprint(batch_digest: str | None, labels_digest: str | None, spec: ModelSpec) -> str:
    """What a snapshot was computed from: the batch, its labels, the model's settings and the engine version.

    A change to any of them (labels arriving, a threshold edited in monitor.toml) recomputes the snapshot once.
    """
    return f"{batch_digest or '-'}|{labels_digest or '-'}|{spec_digest(spec)}|{ENGINE_VERSION}"


def spec_digest(spec: ModelSpec) -> str:
    """A short stable digest of a model's onboarding settings."""
    return hashlib.sha256(json.dumps(dataclasses.asdict(spec), sort_keys=True, default=str).encode()).hexdigest()[:12]


@dataclasses.dataclass
class ModelContext:
    """What is fitted once per model version and reused for every batch it scored."""

    spec: ModelSpec
    version: str
    profile: Any  # monitor.drift.ReferenceProfile
    reference_importance: dict[str, float] | None
    baseline: dict[str, Any]
    explainer: Any = None  # monitor.explain.ModelExplainer, or None when the model cannot be explained
    explain_error: str | None = None
    trained_at: str | None = None
    run_id: str | None = None
    background: pd.DataFrame | None = None
    estimator: Any = None  # monitor.performance.Estimator, or None when performance cannot be estimated
    estimator_note: str | None = None

    def to_doc(self) -> dict[str, Any]:
        return {
            "id": profile_id(self.version), "kind": "profile", "model": self.spec.name,
            "ts": self.trained_at or dt.datetime.now(dt.timezone.utc).isoformat(), "schema_version": SCHEMA_VERSION,
            "engine": ENGINE_VERSION, "spec": spec_digest(self.spec), "version": self.version, "registered_model": self.spec.registered_model,
            "run_id": self.run_id, "profile": self.profile.to_dict(), "reference_importance": self.reference_importance,
            "baseline": self.baseline, "explain_error": self.explain_error, "trained_at": self.trained_at,
            "background": None if self.background is None else self.background.to_dict(orient="list"),
            "estimator": None if self.estimator is None else self.estimator.to_dict(), "estimator_note": self.estimator_note,
        }

    @classmethod
    def from_doc(cls, spec: ModelSpec, doc: Mapping[str, Any], model=None) -> ModelContext:
        """Rebuild a stored context; with the native ``model``, its explainer too."""
        from monitor.drift import ReferenceProfile

        background = pd.DataFrame(doc["background"]) if doc.get("background") else None
        explainer, error = None, doc.get("explain_error")
        if spec.explain.enabled and model is not None and not error:
            explainer, error = _explainer(spec, model, background)
        return cls(spec=spec, version=doc["version"], profile=ReferenceProfile.from_dict(doc["profile"]),
                   reference_importance=doc.get("reference_importance"), baseline=doc.get("baseline") or {},
                   explainer=explainer, explain_error=error, trained_at=doc.get("trained_at"),
                   run_id=doc.get("run_id"), background=background,
                   estimator=estimator_from_dict(doc["estimator"]) if doc.get("estimator") else None,
                   estimator_note=doc.get("estimator_note"))


def _explainer(spec: ModelSpec, model, background: pd.DataFrame | None):
    """(explainer, None) or (None, why the model cannot be explained)."""
    from monitor.explain import ExplainError, ModelExplainer

    try:
        return ModelExplainer(model, list(spec.features), spec.task, background=background, seed=spec.explain.seed,
                              name=spec.name), None
    except ExplainError as exc:
        return None, str(exc)


def explainer_plan(spec: ModelSpec, model, reference: pd.DataFrame) -> tuple[bool, str]:
    """(is it a fallback, one sentence on which explainer the model gets and why), from a quick build."""
    background = reference[list(spec.features)].sample(min(len(reference), 100), random_state=spec.explain.seed)
    explainer, error = _explainer(spec, model, background.reset_index(drop=True))
    if explainer is None:
        return True, f"none: {error}"
    return bool(explainer.fallback_reason), explainer_sentence(explainer)


def explainer_sentence(explainer) -> str:
    """Which explainer a model gets and, for a fallback, why: one sentence for the job's output and the pages."""
    text = getattr(explainer, "description", None)
    if text:
        return text
    because = f" because {explainer.fallback_reason}" if explainer.fallback_reason else ""
    return f"{explainer.kind} explainer ({explainer.method}) of the {explainer.output}{because}"


def _extra_columns(spec: ModelSpec) -> tuple[list[str], list[str]]:
    """Prediction/score/target columns profiled alongside the features: (numeric, categorical)."""
    numeric, categorical = [], []
    if spec.task == "classification":
        categorical.append(spec.prediction)
        if spec.score:
            numeric.append(spec.score)
        if spec.target:
            categorical.append(spec.target)
    else:
        numeric.append(spec.prediction)
        if spec.target:
            numeric.append(spec.target)
    return numeric, categorical


def _predict(spec: ModelSpec, model, frame: pd.DataFrame) -> pd.DataFrame:
    X = frame[list(spec.features)]
    if spec.task == "classification":
        out = pd.DataFrame({spec.prediction: model.predict(X)})
        if spec.score and hasattr(model, "predict_proba"):
            out[spec.score] = model.predict_proba(X)[:, 1]
        return out
    return pd.DataFrame({spec.prediction: model.predict(X)})


def fit_context(spec: ModelSpec, version: str, reference: pd.DataFrame, model, *, trained_at: str | None = None,
                run_id: str | None = None, validation: pd.DataFrame | None = None) -> ModelContext:
    """Fit the reference profile, the explainer and the baseline of one model version.

    The performance baseline is measured on ``validation`` (labelled rows the model did not train
    on) when given, else by cross-validation on the reference (see :mod:`monitor.performance`).
    """
    from monitor.drift import ReferenceProfile

    missing = [c for c in spec.features if c not in reference.columns]
    if missing:
        raise BatchError(f"model '{spec.name}': reference data lacks feature column(s) {', '.join(missing)}")
    if reference.empty:
        raise BatchError(f"model '{spec.name}': reference data is empty")
    ref = reference.reset_index(drop=True)
    preds = _predict(spec, model, ref) if model is not None else pd.DataFrame(index=ref.index)
    ref = pd.concat([ref.drop(columns=[c for c in preds.columns if c in ref.columns]), preds], axis=1)
    extra_num, extra_cat = _extra_columns(spec)
    extra_num = [c for c in extra_num if c in ref.columns]
    extra_cat = [c for c in extra_cat if c in ref.columns]
    profile = ReferenceProfile.fit(ref, spec.numeric_features, spec.categorical_features,
                                   extra_numeric=extra_num, extra_categorical=extra_cat)
    baseline: dict[str, Any] = {"n_rows": len(ref), "prediction": prediction_levels(spec, ref)}
    estimator, estimator_note = None, None
    if spec.target:
        honest = baseline_performance(spec, model, reference.reset_index(drop=True), validation, seed=spec.explain.seed)
        if honest.metrics is not None:
            baseline["performance"] = honest.metrics
        baseline["performance_source"] = honest.source
        estimator, estimator_note = _fit_estimator(spec, honest.unseen)
    explainer, importance, error, background = None, None, None, None
    if spec.explain.enabled and model is not None:
        from monitor.explain import ExplainError

        background = ref[list(spec.features)].sample(min(len(ref), 100), random_state=spec.explain.seed).reset_index(drop=True)
        explainer, error = _explainer(spec, model, background)
        if explainer is not None:
            try:
                importance = explainer.global_importance(ref[list(spec.features)], sample_size=spec.explain.sample_size,
                                                         seed=spec.explain.seed).to_dict()["importance"]
            except ExplainError as exc:
                explainer, error = None, str(exc)
    return ModelContext(spec, str(version), profile, importance, clean_json(baseline), explainer, error, trained_at, run_id,
                        background, estimator, estimator_note)


def _fit_estimator(spec: ModelSpec, unseen: pd.DataFrame | None):
    """(estimator, None), or (None, why performance cannot be estimated before labels arrive)."""
    if unseen is None:
        return None, "no labelled rows the model did not train on (log validation data with the reference)"
    try:
        estimator = fit_estimator(spec.task, unseen[spec.target], unseen[spec.prediction],
                                  score=unseen[spec.score] if spec.score and spec.score in unseen.columns else None,
                                  features=unseen[list(spec.features)], seed=spec.explain.seed)
        return estimator, None
    except EstimationError as exc:
        return None, str(exc)




def prediction_levels(spec: ModelSpec, frame: pd.DataFrame) -> dict[str, Any]:
    """Mean, spread and (classifiers) positive rate and mean score of the predictions in ``frame``."""
    if spec.prediction not in frame.columns:
        return {}
    pred = pd.to_numeric(frame[spec.prediction], errors="coerce")
    out = {"mean": float(pred.mean()), "std": float(pred.std(ddof=0)), "n": int(pred.notna().sum())}
    if spec.task == "classification":
        out["positive_rate"] = float((pred == 1).mean())
        if spec.score and spec.score in frame.columns:
            out["score_mean"] = float(pd.to_numeric(frame[spec.score], errors="coerce").mean())
    return out

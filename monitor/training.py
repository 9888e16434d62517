"""Logging API for training jobs: register a fitted model together with its reference data.

One call replaces the usual run / log_model / register / log_reference sequence and logs where
the monitor reads (see :mod:`monitor._tracking`)::

    version = monitor.log_model(model, "churn-classifier", reference=train_df, validation=test_df,
                                target="churned")

The model is stored with MLflow's scikit-learn flavour in the safe ``skops`` format; the types the
model is made of are recorded as trusted at logging time, so the monitor can load it back.
"""

from __future__ import annotations

import contextlib
import warnings

import pandas as pd

from monitor._inputs import check_identifier
from monitor._tracking import resolve, using
from monitor.batches import log_reference
from monitor.errors import BatchError

__all__ = ["log_model"]


def _trusted_types(model) -> list[str]:
    import skops.io

    return skops.io.get_untrusted_types(data=skops.io.dumps(model))


def log_model(
    model,
    registered_model: str,
    *,
    reference: pd.DataFrame,
    target: str | None = None,
    validation: pd.DataFrame | None = None,
    tracking_uri: str | None = None,
) -> str:
    """Log a fitted scikit-learn model and its reference data to MLflow, register it, and return the new version.

    ``reference`` is the data the model was trained on (features and, for performance monitoring,
    the ``target`` column); ``validation``, labelled data the model did not train on, gives the
    honest performance baseline. Inside an active MLflow run, that run is used; otherwise a run is
    started in the experiment ``monitor/<registered_model>/training``.
    """
    import mlflow
    from mlflow.models import infer_signature

    registered_model = check_identifier(registered_model, "registered model name")
    if not isinstance(reference, pd.DataFrame) or reference.empty:
        raise BatchError(f"registered model '{registered_model}': reference must be a non-empty pandas DataFrame")
    if target is not None and target not in reference.columns:
        raise BatchError(f"registered model '{registered_model}': target column '{target}' is not in the reference "
                         f"(columns: {', '.join(map(str, reference.columns))})")
    features = reference.drop(columns=[target]) if target else reference
    names_in = getattr(model, "feature_names_in_", None)
    if names_in is not None:
        missing = [c for c in names_in if c not in features.columns]
        if missing:
            raise BatchError(f"registered model '{registered_model}': the model was fitted on column(s) "
                             f"{', '.join(map(str, missing))} that the reference lacks")
        features = features[list(names_in)]
    try:
        sample = features.head(200)
        with warnings.catch_warnings():  # hints about integer columns do not apply to a logged reference
            warnings.simplefilter("ignore", UserWarning)
            signature = infer_signature(sample, model.predict(sample))
    except Exception as exc:
        raise BatchError(f"registered model '{registered_model}': the model cannot predict on the reference's columns: "
                         f"{type(exc).__name__}: {exc}") from exc
    target_uri = resolve(tracking_uri)
    with using(target_uri):
        run = contextlib.nullcontext()
        if mlflow.active_run() is None:
            name = f"monitor/{registered_model}/training"
            experiment = mlflow.get_experiment_by_name(name)
            location = f"{target_uri.artifact_root.rstrip('/')}/{registered_model}-training" if target_uri.artifact_root else None
            experiment_id = experiment.experiment_id if experiment else mlflow.create_experiment(name, artifact_location=location)
            run = mlflow.start_run(experiment_id=experiment_id, run_name=f"train {registered_model}")
        with run:
            with warnings.catch_warnings():  # schema hints about integer columns do not apply here
                warnings.simplefilter("ignore", UserWarning)
                info = mlflow.sklearn.log_model(
                    model, name="model", registered_model_name=registered_model, signature=signature,
                    serialization_format="skops", skops_trusted_types=_trusted_types(model),
                )
            log_reference(reference, validation=validation, name=f"{registered_model}-reference")
            mlflow.set_tag("monitor.kind", "training")
    return str(info.registered_model_version)

"""Logging API for scoring jobs: log a scored batch to MLflow, attach labels that arrive later.

A scoring notebook or script calls :func:`log_batch` once per batch. The batch becomes an MLflow
run in the experiment ``monitor/<model>/batches`` with

- the features and predictions as ``batch/batch.parquet`` (read back exactly, dtypes included),
- the same frame logged as an MLflow dataset input (context ``scoring``, with its digest),
- tags ``monitor.*`` naming the model, model version, batch id and time, and pipeline run id.

Labels are stored apart as ``labels/labels.parquet`` by :func:`log_labels`, at scoring time or
later, so that late labels attach to the batch they belong to.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import tempfile
import uuid
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from monitor.errors import BatchError

__all__ = ["log_batch", "log_labels", "log_reference", "batch_experiment_name", "TAG"]

TAG = "monitor."
BATCH_FILE = "batch/batch.parquet"
LABELS_FILE = "labels/labels.parquet"
REFERENCE_FILE = "reference/reference.parquet"
LABEL_COLUMN = "label"


def batch_experiment_name(model: str) -> str:
    return f"monitor/{model}/batches"


def _experiment_id(client, model: str, artifact_root: str | None) -> str:
    name = batch_experiment_name(model)
    exp = client.get_experiment_by_name(name)
    if exp is not None:
        return exp.experiment_id
    location = f"{artifact_root.rstrip('/')}/{model}" if artifact_root else None
    return client.create_experiment(name, artifact_location=location, tags={TAG + "model": model})


def _frame(model: str, features: pd.DataFrame, predictions) -> pd.DataFrame:
    if not isinstance(features, pd.DataFrame):
        raise BatchError(f"model '{model}': features must be a pandas DataFrame, got {type(features).__name__}")
    if features.empty or len(features) == 0:
        raise BatchError(f"model '{model}': the batch is empty (0 rows); nothing was logged")
    dupes = features.columns[features.columns.duplicated()].tolist()
    if dupes:
        raise BatchError(f"model '{model}': column(s) {dupes} appear more than once in the batch")
    frame = features.reset_index(drop=True).copy()
    if isinstance(predictions, pd.DataFrame):
        preds = predictions.reset_index(drop=True)
    else:
        series = predictions if isinstance(predictions, pd.Series) else pd.Series(np.asarray(predictions))
        preds = series.reset_index(drop=True).to_frame(series.name if series.name is not None else "prediction")
    if len(preds) != len(frame):
        raise BatchError(f"model '{model}': {len(preds)} predictions for {len(frame)} rows of features")
    clash = sorted(set(preds.columns) & set(frame.columns))
    if clash:
        raise BatchError(f"model '{model}': prediction column(s) {clash} also appear among the features")
    frame = pd.concat([frame, preds], axis=1)
    frame.columns = [str(c) for c in frame.columns]
    return frame


def _labels_frame(model: str, labels, n_rows: int) -> pd.DataFrame:
    series = labels if isinstance(labels, pd.Series) else pd.Series(np.asarray(labels))
    if len(series) != n_rows:
        raise BatchError(f"model '{model}': {len(series)} labels for a batch of {n_rows} rows")
    return series.reset_index(drop=True).to_frame(LABEL_COLUMN)


def _digest(frame: pd.DataFrame) -> str:
    hashed = pd.util.hash_pandas_object(frame, index=False).to_numpy()
    return hashlib.sha256(hashed.tobytes() + ",".join(frame.columns).encode()).hexdigest()[:16]


def log_batch(
    model: str,
    features: pd.DataFrame,
    predictions,
    *,
    model_version: str | int,
    labels=None,
    batch_time: dt.datetime | None = None,
    pipeline_run_id: str | None = None,
    batch_id: str | None = None,
    tracking_uri: str | None = None,
    artifact_root: str | None = None,
) -> str:
    """Log one scored batch of ``model`` to MLflow and return its batch id.

    ``features`` is the frame the model scored; ``predictions`` a Series/array (stored under its
    name, or ``prediction``) or a DataFrame of prediction columns (e.g. ``prediction`` and
    ``score``). ``labels``, when known at scoring time, are stored apart as with :func:`log_labels`.
    ``pipeline_run_id`` links the batch to the pipeline run that produced it.
    """
    import mlflow
    from mlflow import MlflowClient

    frame = _frame(model, features, predictions)
    label_frame = _labels_frame(model, labels, len(frame)) if labels is not None else None
    batch_time = batch_time or dt.datetime.now(dt.timezone.utc)
    if batch_time.tzinfo is None:
        batch_time = batch_time.replace(tzinfo=dt.timezone.utc)
    digest = _digest(frame)
    batch_id = batch_id or f"{batch_time.astimezone(dt.timezone.utc):%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:8]}"
    client = MlflowClient(tracking_uri=tracking_uri)
    exp_id = _experiment_id(client, model, artifact_root)
    existing = client.search_runs(
        [exp_id], f"tags.`{TAG}batch_id` = '{batch_id}' and attributes.status = 'FINISHED'", max_results=1
    )
    if existing:
        raise BatchError(f"model '{model}': batch '{batch_id}' is already logged (run {existing[0].info.run_id}); nothing was changed")
    tags = {
        TAG + "kind": "batch",
        TAG + "model": model,
        TAG + "model_version": str(model_version),
        TAG + "batch_id": batch_id,
        TAG + "batch_time": batch_time.astimezone(dt.timezone.utc).isoformat(),
        TAG + "n_rows": str(len(frame)),
        TAG + "digest": digest,
    }
    if pipeline_run_id:
        tags[TAG + "pipeline_run_id"] = pipeline_run_id
    previous_uri = mlflow.get_tracking_uri()
    if tracking_uri:
        mlflow.set_tracking_uri(tracking_uri)
    # The run starts at the batch's own time, so MLflow's run list reads as the scoring history.
    created = client.create_run(exp_id, start_time=int(batch_time.timestamp() * 1000), tags=tags,
                                run_name=f"{model} batch {batch_id}")
    try:
        with mlflow.start_run(run_id=created.info.run_id) as run, tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "batch.parquet"
            frame.to_parquet(path, index=False)
            mlflow.log_artifact(str(path), artifact_path="batch")
            with warnings.catch_warnings():  # schema inference hints about integer columns are noise here
                warnings.simplefilter("ignore", UserWarning)
                dataset = mlflow.data.from_pandas(frame, name=f"{model}-batch-{batch_id}", digest=digest)
                mlflow.log_input(dataset, context="scoring")
            mlflow.log_metric("n_rows", len(frame))
            if label_frame is not None:
                _write_labels(mlflow.MlflowClient(), run.info.run_id, label_frame, tmp)
    finally:
        if tracking_uri:
            mlflow.set_tracking_uri(previous_uri)
    return batch_id


def _write_labels(client, run_id: str, label_frame: pd.DataFrame, tmp: str) -> None:
    path = Path(tmp) / "labels.parquet"
    label_frame.to_parquet(path, index=False)
    client.log_artifact(run_id, str(path), artifact_path="labels")
    client.set_tag(run_id, TAG + "labels_at", dt.datetime.now(dt.timezone.utc).isoformat())
    client.set_tag(run_id, TAG + "labels_digest", _digest(label_frame))


def log_labels(model: str, batch_id: str, labels, *, tracking_uri: str | None = None) -> None:
    """Attach labels (in the batch's row order) to an already logged batch.

    Replaces labels logged before for the same batch; the features and predictions are untouched.
    """
    from mlflow import MlflowClient

    client = MlflowClient(tracking_uri=tracking_uri)
    exp = client.get_experiment_by_name(batch_experiment_name(model))
    query = f"tags.`{TAG}batch_id` = '{batch_id}' and attributes.status = 'FINISHED'"
    runs = client.search_runs([exp.experiment_id], query, max_results=1) if exp else []
    if not runs:
        raise BatchError(f"model '{model}': no logged batch '{batch_id}' to attach labels to")
    run = runs[0]
    n_rows = int(run.data.tags.get(TAG + "n_rows", -1))
    label_frame = _labels_frame(model, labels, n_rows)
    with tempfile.TemporaryDirectory() as tmp:
        _write_labels(client, run.info.run_id, label_frame, tmp)


def log_reference(frame: pd.DataFrame, *, run_id: str | None = None, name: str = "reference") -> None:
    """Log the reference data (usually the training set) to a training run.

    Stored as ``reference/reference.parquet`` plus an MLflow dataset input (context ``training``);
    models onboarded with ``reference = "training"`` read it from the run that produced the model
    version.
    """
    import mlflow

    if frame.empty:
        raise BatchError("the reference data is empty")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "reference.parquet"
        frame.reset_index(drop=True).to_parquet(path, index=False)
        if run_id is None:
            mlflow.log_artifact(str(path), artifact_path="reference")
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", UserWarning)
                dataset = mlflow.data.from_pandas(frame, name=name)
                mlflow.log_input(dataset, context="training")
        else:
            mlflow.MlflowClient().log_artifact(run_id, str(path), artifact_path="reference")

"""Logging API for scoring jobs: log a scored batch to MLflow, attach labels that arrive later.

A scoring notebook or script calls :func:`log_batch` once per batch. The batch becomes an MLflow
run in the experiment ``monitor/<model>/batches`` with

- the features and predictions as ``batch/batch.parquet`` (read back exactly, dtypes included),
- the same frame logged as an MLflow dataset input (context ``scoring``, with its digest),
- tags ``monitor.*`` naming the model, model version, batch id and time, and pipeline run id.

Labels are stored apart as ``labels/labels.parquet`` by :func:`log_labels`, at scoring time or
later, so that late labels attach to the batch they belong to.

Every input is checked before anything is written (see :mod:`monitor._inputs`): a refused call
raises :class:`BatchError` naming the model, column or value, and leaves no run behind.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import tempfile
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from monitor._inputs import check_against_spec, check_frame, check_identifier, check_labels, check_time, value_kind
from monitor._tracking import Target, resolve, using
from monitor.errors import BatchError, MonitorWarning, SpecError
from monitor.records import TAG

__all__ = ["log_batch", "log_labels", "log_reference", "log_batch_summary", "batch_experiment_name", "TAG"]

BATCH_FILE = "batch/batch.parquet"
SUMMARY_FILE = "batch/summary.json"
SAMPLE_FILE = "batch/sample.parquet"
LABELS_FILE = "labels/labels.parquet"
REFERENCE_FILE = "reference/reference.parquet"
VALIDATION_FILE = "reference/validation.parquet"
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


def _frame(model: str, features: pd.DataFrame, predictions) -> tuple[pd.DataFrame, list[str]]:
    if not isinstance(features, pd.DataFrame):
        raise BatchError(f"model '{model}': features must be a pandas DataFrame, got {type(features).__name__}")
    if len(features) == 0:
        raise BatchError(f"model '{model}': the batch is empty (0 rows); nothing was logged")
    frame = features.reset_index(drop=True).copy()
    if isinstance(predictions, pd.DataFrame):
        preds = predictions.reset_index(drop=True)
    else:
        series = _series(predictions, model, "predictions")
        preds = series.reset_index(drop=True).to_frame(series.name if series.name is not None else "prediction")
    if len(preds) != len(frame):
        raise BatchError(f"model '{model}': {len(preds)} predictions for {len(frame)} rows of features")
    frame.columns = [str(c) for c in frame.columns]
    preds.columns = [str(c) for c in preds.columns]
    dupes = sorted({c for c in frame.columns if list(frame.columns).count(c) > 1})
    if dupes:
        raise BatchError(f"model '{model}': column(s) {dupes} appear more than once in the batch")
    clash = sorted(set(preds.columns) & set(frame.columns))
    if clash:
        raise BatchError(f"model '{model}': prediction column(s) {clash} also appear among the features")
    frame = pd.concat([frame, preds], axis=1)
    return check_frame(frame, model, "batch"), list(preds.columns)


def _series(values, model: str, what: str) -> pd.Series:
    """One column from a Series, list or 1-D array, keeping each value's own type (no stringifying of mixed lists)."""
    if isinstance(values, pd.Series):
        return values
    if np.ndim(values) != 1:
        raise BatchError(f"model '{model}': {what} must be one column (a Series, list or 1-D array)")
    return pd.Series(list(values) if isinstance(values, list | tuple) else np.asarray(values))


def _labels_frame(model: str, labels, n_rows: int) -> pd.DataFrame:
    if isinstance(labels, pd.DataFrame):
        if labels.shape[1] != 1:
            raise BatchError(f"model '{model}': labels must be one column, got {labels.shape[1]}")
        labels = labels.iloc[:, 0]
    series = _series(labels, model, "labels")
    if len(series) != n_rows:
        raise BatchError(f"model '{model}': {len(series)} labels for a batch of {n_rows} rows")
    frame = series.reset_index(drop=True).to_frame(LABEL_COLUMN)
    return check_frame(frame, model, "labels")


def _digest(frame: pd.DataFrame) -> str:
    hashed = pd.util.hash_pandas_object(frame, index=False).to_numpy()
    return hashlib.sha256(hashed.tobytes() + ",".join(frame.columns).encode()).hexdigest()[:16]


def _model_spec(model: str, spec, *, warn: bool):
    """The model's ``[[models]]`` table, or None (with a warning when ``warn``) where there is none to check against."""
    from monitor.spec import MonitorSpec, load_spec

    if spec is False:
        return None
    if not isinstance(spec, MonitorSpec):
        if spec is None:
            from monitor.config import Settings

            spec = Settings.load().spec
        path = Path(spec)
        if not path.exists():
            if warn:
                warnings.warn(f"model '{model}': no onboarding file at {path} (set MONITOR_SPEC); the batch's columns "
                              "were not checked against a [[models]] table", MonitorWarning, stacklevel=3)
            return None
        try:
            spec = load_spec(path)
        except SpecError as exc:
            raise BatchError(f"model '{model}': the onboarding file {path} is broken, so the batch cannot be checked: "
                             f"{exc}") from exc
    if model in spec.broken:
        raise BatchError(f"model '{model}': its [[models]] table in monitor.toml is broken: "
                         + "; ".join(spec.broken[model]))
    if model not in spec.names:
        if warn:
            warnings.warn(f"model '{model}' is not onboarded in monitor.toml yet; the batch's columns were not checked "
                          "(run `python -m monitor onboard` to propose its table)", MonitorWarning, stacklevel=3)
        return None
    return spec.model(model)


def _write_parquet(frame: pd.DataFrame, path: Path, model: str, what: str) -> None:
    try:
        frame.to_parquet(path, index=False)
    except Exception as exc:  # pyarrow refuses some object columns; say which, before anything is logged
        raise BatchError(f"model '{model}': the {what} cannot be stored as Parquet: {type(exc).__name__}: {exc}") from None


def _dataset(frame: pd.DataFrame, model: str, batch_id: str, digest: str):
    """The batch as an MLflow dataset input, built before any run exists so a refusal leaves nothing behind."""
    import mlflow

    try:
        with warnings.catch_warnings():  # schema inference hints about integer columns are noise here
            warnings.simplefilter("ignore", UserWarning)
            return mlflow.data.from_pandas(frame, name=f"{model}-batch-{batch_id}", digest=digest)
    except Exception as exc:
        raise BatchError(f"model '{model}': MLflow cannot describe the batch's columns: {type(exc).__name__}: {exc}") from None


def _runs_of(client, exp_id: str, batch_id: str) -> list:
    return client.search_runs([exp_id], f"tags.`{TAG}batch_id` = '{batch_id}'", max_results=100)


def log_batch(
    model: str,
    features: pd.DataFrame,
    predictions,
    *,
    model_version: str | int,
    labels=None,
    batch_time: dt.datetime | str | None = None,
    pipeline_run_id: str | None = None,
    batch_id: str | None = None,
    tracking_uri: str | None = None,
    artifact_root: str | None = None,
    spec=None,
) -> str:
    """Log one scored batch of ``model`` to MLflow and return its batch id.

    ``features`` is the frame the model scored; ``predictions`` a Series/array (stored under its
    name, or ``prediction``) or a DataFrame of prediction columns (e.g. ``prediction`` and
    ``score``). ``labels``, when known at scoring time, are stored apart as with :func:`log_labels`.
    ``batch_time`` (default: now) is when the batch was scored: it orders the batches and drives the
    freshness KPI. ``pipeline_run_id`` links the batch to the pipeline run that produced it.

    ``batch_id`` defaults to the batch time and a digest of the data, so logging the same batch
    twice is a no-op; logging other data under an existing id is refused. When the model has a
    table in the onboarding file (``spec``: a path or a loaded spec; default ``MONITOR_SPEC``),
    the batch must carry every column it names; ``spec=False`` skips that check.
    """
    import mlflow
    from mlflow import MlflowClient

    model = check_identifier(model, "model name")
    model_version = check_identifier(model_version, "model_version", model)
    if pipeline_run_id is not None:
        pipeline_run_id = check_identifier(pipeline_run_id, "pipeline_run_id", model)
    when = check_time(batch_time, model)
    frame, pred_columns = _frame(model, features, predictions)
    model_spec = _model_spec(model, spec, warn=True)
    if model_spec is not None:
        check_against_spec(model, frame, model_spec)
    main_prediction = model_spec.prediction if model_spec else ("prediction" if "prediction" in pred_columns else pred_columns[0])
    prediction_kind = value_kind(frame[main_prediction])
    label_frame = _labels_frame(model, labels, len(frame)) if labels is not None else None
    if label_frame is not None:
        check_labels(model, label_frame[LABEL_COLUMN], prediction_kind, model_spec.task if model_spec else None)
    digest = _digest(frame)
    batch_id = check_identifier(batch_id, "batch_id", model) if batch_id is not None else \
        f"{when:%Y%m%dT%H%M%S}-{digest[:8]}"
    target = resolve(tracking_uri, artifact_root)
    client = MlflowClient(tracking_uri=target.uri)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "batch.parquet"
        _write_parquet(frame, path, model, "batch")
        if label_frame is not None:
            _write_parquet(label_frame, Path(tmp) / "labels.parquet", model, "labels")
        dataset = _dataset(frame, model, batch_id, digest)
        exp_id = _experiment_id(client, model, target.artifact_root)
        for run in _runs_of(client, exp_id, batch_id):
            if run.info.status != "FINISHED":
                client.delete_run(run.info.run_id)  # left by a job that was interrupted while logging
            elif run.data.tags.get(TAG + "digest") == digest:
                if label_frame is not None and run.data.tags.get(TAG + "labels_digest") != _digest(label_frame):
                    _write_labels(client, run.info.run_id, label_frame, tmp)
                return batch_id
            else:
                raise BatchError(f"model '{model}': batch '{batch_id}' is already logged with other data "
                                 f"(run {run.info.run_id}); nothing was changed. Give this batch another batch_id.")
        tags = {
            TAG + "kind": "batch", TAG + "model": model, TAG + "model_version": model_version,
            TAG + "batch_id": batch_id, TAG + "batch_time": when.isoformat(), TAG + "n_rows": str(len(frame)),
            TAG + "digest": digest, TAG + "prediction_kind": prediction_kind,
        }
        if pipeline_run_id:
            tags[TAG + "pipeline_run_id"] = pipeline_run_id
        # The run starts at the batch's own time, so MLflow's run list reads as the scoring history.
        created = client.create_run(exp_id, start_time=int(when.timestamp() * 1000), tags=tags,
                                    run_name=f"{model} batch {batch_id}")
        run_id = created.info.run_id
        try:
            with using(target), mlflow.start_run(run_id=run_id):
                mlflow.log_artifact(str(path), artifact_path="batch")
                with warnings.catch_warnings():  # schema inference hints about integer columns are noise here
                    warnings.simplefilter("ignore", UserWarning)
                    mlflow.log_input(dataset, context="scoring")
                mlflow.log_metric("n_rows", len(frame))
                if label_frame is not None:
                    _write_labels(client, run_id, label_frame, tmp)
        except BaseException:
            client.delete_run(run_id)  # a half-written batch must not be taken for a logged one
            raise
    return batch_id


def _write_labels(client, run_id: str, label_frame: pd.DataFrame, tmp: str) -> None:
    path = Path(tmp) / "labels.parquet"
    if not path.exists():
        label_frame.to_parquet(path, index=False)
    client.log_artifact(run_id, str(path), artifact_path="labels")
    client.set_tag(run_id, TAG + "labels_at", dt.datetime.now(dt.timezone.utc).isoformat())
    client.set_tag(run_id, TAG + "labels_digest", _digest(label_frame))


def log_labels(model: str, batch_id: str, labels, *, tracking_uri: str | None = None, spec=None) -> None:
    """Attach labels (in the batch's row order) to an already logged batch.

    Labels must be of the predictions' kind (class labels as the model predicts them, numbers for a
    regressor); missing values mean "not known yet". Replaces labels logged before for the same
    batch; the features and predictions are untouched.
    """
    from mlflow import MlflowClient

    model = check_identifier(model, "model name")
    batch_id = check_identifier(batch_id, "batch_id", model)
    client = MlflowClient(tracking_uri=resolve(tracking_uri).uri)
    exp = client.get_experiment_by_name(batch_experiment_name(model))
    query = f"tags.`{TAG}batch_id` = '{batch_id}' and attributes.status = 'FINISHED'"
    runs = client.search_runs([exp.experiment_id], query, max_results=1) if exp else []
    if not runs:
        raise BatchError(f"model '{model}': no logged batch '{batch_id}' to attach labels to")
    run = runs[0]
    n_rows = int(run.data.tags.get(TAG + "n_rows", -1))
    label_frame = _labels_frame(model, labels, n_rows)
    model_spec = _model_spec(model, spec, warn=False)
    check_labels(model, label_frame[LABEL_COLUMN], run.data.tags.get(TAG + "prediction_kind"),
                 model_spec.task if model_spec else None)
    with tempfile.TemporaryDirectory() as tmp:
        _write_labels(client, run.info.run_id, label_frame, tmp)


def log_reference(frame: pd.DataFrame, *, run_id: str | None = None, name: str = "reference",
                  validation: pd.DataFrame | None = None, tracking_uri: str | None = None) -> None:
    """Log the reference data (usually the training set, with its target column) to a training run.

    Stored as ``reference/reference.parquet`` plus an MLflow dataset input (context ``training``);
    models onboarded with ``reference = "training"`` read it from the run that produced the model
    version. ``validation``, labelled data the model did not train on (a hold-out set), is stored
    beside it and gives the honest performance baseline; without it the baseline is estimated by
    cross-validation on the reference. Logs to the active run, or to ``run_id``.
    """
    import mlflow

    for what, data in (("reference data", frame), ("validation data", validation)):
        if data is None:
            continue
        if not isinstance(data, pd.DataFrame):
            raise BatchError(f"the {what} must be a pandas DataFrame, got {type(data).__name__}")
        if data.empty:
            raise BatchError(f"the {what} is empty")
        check_frame(data.reset_index(drop=True), name, what)
    if validation is not None and sorted(map(str, validation.columns)) != sorted(map(str, frame.columns)):
        raise BatchError(f"the validation data must have the reference's columns ({', '.join(map(str, frame.columns))}), "
                         f"got {', '.join(map(str, validation.columns))}")
    if run_id is None and mlflow.active_run() is None:
        raise BatchError("log_reference needs an active MLflow run (call it inside `with mlflow.start_run():`) or run_id=")
    target = Target(tracking_uri) if tracking_uri else None
    client = mlflow.MlflowClient(tracking_uri=tracking_uri) if tracking_uri else mlflow.MlflowClient()
    run_id = run_id or mlflow.active_run().info.run_id
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "reference.parquet"
        _write_parquet(frame.reset_index(drop=True), path, name, "reference data")
        client.log_artifact(run_id, str(path), artifact_path="reference")
        if validation is not None:
            vpath = Path(tmp) / "validation.parquet"
            _write_parquet(validation.reset_index(drop=True)[list(frame.columns)], vpath, name, "validation data")
            client.log_artifact(run_id, str(vpath), artifact_path="reference")
        if mlflow.active_run() is not None and mlflow.active_run().info.run_id == run_id and target is None:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", UserWarning)
                mlflow.log_input(mlflow.data.from_pandas(frame, name=name), context="training")


def log_batch_summary(model: str, summary: dict, sample: pd.DataFrame, *, model_version: str | int, prediction_kind: str,
                      location: str | None = None, engine: str = "spark", batch_time: dt.datetime | str | None = None,
                      pipeline_run_id: str | None = None, batch_id: str | None = None, tracking_uri: str | None = None,
                      artifact_root: str | None = None) -> str:
    """Log a batch too large to store whole: its summary document and a bounded row sample; return the batch id.

    ``summary`` is a reference-profile document of the whole batch (``ReferenceProfile.to_dict()``, as
    :func:`monitor.spark.log_batch` computes it); it is stored as ``batch/summary.json``, the sample as
    ``batch/sample.parquet``, with the tags of :func:`log_batch` plus ``monitor.engine`` and
    ``monitor.location`` (where the full data lives). The digest is the summary's: logging the same data
    twice is a no-op.
    """
    import json

    import mlflow
    from mlflow import MlflowClient

    model = check_identifier(model, "model name")
    model_version = check_identifier(model_version, "model_version", model)
    pipeline_run_id = check_identifier(pipeline_run_id, "pipeline_run_id", model) if pipeline_run_id else None
    when = check_time(batch_time, model)
    if not int(summary.get("n_rows", 0)):
        raise BatchError(f"model '{model}': the batch is empty (0 rows); nothing was logged")
    text = json.dumps(summary, sort_keys=True, allow_nan=False)
    digest = hashlib.sha256(text.encode()).hexdigest()[:16]
    batch_id = check_identifier(batch_id, "batch_id", model) if batch_id else f"{when:%Y%m%dT%H%M%S}-{digest[:8]}"
    target = resolve(tracking_uri, artifact_root)
    client = MlflowClient(tracking_uri=target.uri)
    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / "summary.json").write_text(text, encoding="utf-8")
        _write_parquet(sample.reset_index(drop=True), Path(tmp) / "sample.parquet", model, "row sample")
        dataset = _dataset(sample, model, batch_id, digest)
        exp_id = _experiment_id(client, model, target.artifact_root)
        for run in _runs_of(client, exp_id, batch_id):
            if run.info.status != "FINISHED":
                client.delete_run(run.info.run_id)
            elif run.data.tags.get(TAG + "digest") == digest:
                return batch_id
            else:
                raise BatchError(f"model '{model}': batch '{batch_id}' is already logged with other data "
                                 f"(run {run.info.run_id}); nothing was changed. Give this batch another batch_id.")
        tags = {TAG + k: str(v) for k, v in {
            "kind": "batch", "model": model, "model_version": model_version, "batch_id": batch_id,
            "batch_time": when.isoformat(), "n_rows": summary["n_rows"], "digest": digest, "prediction_kind": prediction_kind,
            "engine": engine, "location": location or "not recorded", "sample_rows": len(sample),
            **({"pipeline_run_id": pipeline_run_id} if pipeline_run_id else {})}.items()}
        run_id = client.create_run(exp_id, start_time=int(when.timestamp() * 1000), tags=tags,
                                   run_name=f"{model} batch {batch_id}").info.run_id
        try:
            with using(target), mlflow.start_run(run_id=run_id), warnings.catch_warnings():
                warnings.simplefilter("ignore", UserWarning)
                mlflow.log_artifacts(tmp, artifact_path="batch")
                mlflow.log_input(dataset, context="scoring")
                mlflow.log_metric("n_rows", int(summary["n_rows"]))
        except BaseException:
            client.delete_run(run_id)  # a half-written batch must not be taken for a logged one
            raise
    return batch_id

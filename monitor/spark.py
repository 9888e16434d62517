"""The monitor on Spark: reference profiles and batch summaries of data too large for one machine.

The summaries are the pandas engine's own (:class:`monitor.drift.ReferenceProfile`): each
partition of a Spark DataFrame is summarised where it lives (``mapInPandas``, in chunks of
``CHUNK_ROWS`` rows), the partial summaries are merged on the executors in groups of
``MERGE_GROUP`` partitions (``applyInPandas``) and only those few documents reach the driver. No
row is collected, except the bounded sample a logged batch keeps for explanations.

A batch logged with :func:`log_batch` stores its summary and a row sample in MLflow instead of
the whole batch; ``compute_drift``, ``column_drift`` and ``data_quality`` accept the summary in
place of the batch (see :func:`summary_of`), so its snapshot has the same form as any other.

Counts, moments, min/max and category counts are exact. A numeric sketch is exact while the
column has at most ``max_points`` distinct values; otherwise each compression (one per chunk,
one per merge level: two up to ``MERGE_GROUP`` partitions, three beyond) moves a CDF value by at
most ~1.6/max_points, so a Spark sketch is within ~3.2/max_points (~0.0032) of the exact CDF
where the pandas engine's, compressed once, is within ~0.0016.

PySpark is imported here only, inside the functions that use it.
"""

from __future__ import annotations

import dataclasses
import json
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from monitor.drift.profile import ReferenceProfile
from monitor.drift.summary import MAX_CATEGORIES, MAX_POINTS, MAX_UNSEEN, CategoricalSummary, NumericSummary
from monitor.errors import BatchError

__all__ = ["local_session", "read", "fit_profile", "summarise_batch", "sample_rows", "log_batch", "summary_of",
           "prediction_figures", "CHUNK_ROWS", "MERGE_GROUP", "SAMPLE_ROWS", "BATCH_MAX_CATEGORIES"]

CHUNK_ROWS = 1_000_000
MERGE_GROUP = 64
SAMPLE_ROWS = 10_000
BATCH_MAX_CATEGORIES = MAX_UNSEEN
"""A batch keeps up to this many categories per column (the reference keeps MAX_CATEGORIES): every
category the reference knows and the new ones a drift report names."""

_DTYPES = {"bigint": "int64", "int": "int32", "smallint": "int16", "tinyint": "int8", "double": "float64",
           "float": "float32", "boolean": "bool", "string": "object"}
_NUMERIC_TYPES = ("bigint", "int", "smallint", "tinyint", "double", "float", "decimal")


def local_session(cores: int = 2, memory: str = "2g", app: str = "mlops-monitor"):
    """A local SparkSession (``local[cores]``) whose Python workers use this interpreter and see this package.

    For spark-submit on one machine, tests and benchmarks; on Databricks use the cluster's ``spark``.
    """
    from pyspark.sql import SparkSession

    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")  # a local session talks to itself on loopback only
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    os.environ.setdefault("PYSPARK_DRIVER_PYTHON", sys.executable)
    root = str(Path(__file__).resolve().parents[1])
    paths = [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]
    if root not in paths:  # the workers import monitor.drift to summarise their partitions
        os.environ["PYTHONPATH"] = os.pathsep.join([root, *paths])
    return (SparkSession.builder.master(f"local[{cores}]").appName(app)
            .config("spark.driver.memory", memory).config("spark.ui.enabled", "false")
            .config("spark.driver.host", "127.0.0.1").config("spark.driver.bindAddress", "127.0.0.1")
            .config("spark.sql.shuffle.partitions", str(max(2, cores)))
            .config("spark.sql.execution.arrow.pyspark.enabled", "true")
            .config("spark.python.worker.reuse", "true").getOrCreate())


def read(source, spark=None) -> tuple[Any, str | None]:
    """(Spark DataFrame, where its data lives) for a DataFrame, a table name, or a Delta / Parquet path.

    A path (it has a ``/`` or a scheme) is read as Delta when it is a Delta table, else as Parquet;
    anything else is a table name. For a Delta path or table the location names its current version.
    """
    if hasattr(source, "sparkSession") and hasattr(source, "mapInPandas"):
        return source, None
    from pyspark.sql import SparkSession

    spark = spark or SparkSession.getActiveSession() or SparkSession.builder.getOrCreate()
    text = str(source)
    if "/" in text or ":" in text:
        try:
            frame = spark.read.format("delta").load(text)
        except Exception:  # not a Delta table (or no Delta on this cluster): the location says parquet
            return spark.read.parquet(text), f"parquet:{text}"
        return frame, f"delta:{text}@v{_delta_version(spark, f'delta.`{text}`')}"
    frame = spark.table(text)
    version = _delta_version(spark, text)
    return frame, f"table:{text}" + (f"@v{version}" if version is not None else "")


def _delta_version(spark, name: str) -> int | None:
    try:
        return int(spark.sql(f"DESCRIBE HISTORY {name} LIMIT 1").collect()[0]["version"])
    except Exception:  # not a Delta table: the location names the table only
        return None


# ----------------------------------------------------------------------------------------------
# summaries


def _dtype(frame, column: str) -> str:
    name = frame.schema[column].dataType.simpleString()
    return _DTYPES.get(name, name)


def _partition_docs(layout: tuple, max_points: int, max_categories: int, chunk_rows: int,
                    predict: Callable[[pd.DataFrame], pd.DataFrame] | None) -> Callable:
    numeric, categorical, extra_numeric, extra_categorical = layout

    def run(batches):
        from pyspark import TaskContext

        ctx = TaskContext.get()
        part = ctx.partitionId() if ctx is not None else 0
        pending, rows, chunk = [], 0, 0

        def flush() -> pd.DataFrame:
            frame = pd.concat(pending, ignore_index=True) if len(pending) > 1 else pending[0].reset_index(drop=True)
            if predict is not None:
                preds = predict(frame).reset_index(drop=True)
                frame = pd.concat([frame.drop(columns=[c for c in preds.columns if c in frame.columns]), preds], axis=1)
            profile = ReferenceProfile.fit(frame, numeric, categorical, extra_numeric, extra_categorical,
                                           max_points=max_points, max_categories=max_categories)
            return pd.DataFrame({"grp": [part // MERGE_GROUP], "part": [part], "chunk": [chunk],
                                 "doc": [json.dumps(profile.to_dict())]})

        for batch in batches:
            pending.append(batch)
            rows += len(batch)
            if rows >= chunk_rows:
                yield flush()
                pending, rows, chunk = [], 0, chunk + 1
        if pending:
            yield flush()

    return run


def _merge_group(frame: pd.DataFrame) -> pd.DataFrame:
    frame = frame.sort_values(["part", "chunk"])
    merged = ReferenceProfile.merged([ReferenceProfile.from_dict(json.loads(d)) for d in frame["doc"]])
    return pd.DataFrame({"grp": [int(frame["grp"].iloc[0])], "part": [int(frame["part"].iloc[0])], "chunk": [0],
                         "doc": [json.dumps(merged.to_dict())]})


def _summarise(data, numeric: Sequence[str], categorical: Sequence[str], extra_numeric: Sequence[str],
               extra_categorical: Sequence[str], max_points: int, max_categories: int, chunk_rows: int,
               predict: Callable | None = None, inputs: Sequence[str] | None = None) -> ReferenceProfile:
    from pyspark.sql import functions as F

    frame, _ = read(data)
    layout = tuple(tuple(c) for c in (numeric, categorical, extra_numeric, extra_categorical))
    produced = set(extra_numeric) | set(extra_categorical) if predict is not None else set()
    wanted = list(inputs) if inputs is not None else [c for part in layout for c in part if c not in produced]
    absent = [c for c in wanted if c not in frame.columns]
    if absent:
        raise BatchError(f"the Spark data lacks column(s) {', '.join(absent)}; it has {', '.join(frame.columns)}")
    numerics = set(layout[0]) | set(layout[2])
    selected = frame.select(*[F.col(c).cast("double").alias(c) if c in numerics and _dtype(frame, c).startswith(_NUMERIC_TYPES)
                              and _dtype(frame, c) not in ("float64",) else F.col(c) for c in wanted])
    schema = "grp long, part long, chunk long, doc string"
    docs = selected.mapInPandas(_partition_docs(layout, max_points, max_categories, chunk_rows, predict), schema)
    rows = docs.groupBy("grp").applyInPandas(_merge_group, schema).collect()
    parts = [ReferenceProfile.from_dict(json.loads(r["doc"])) for r in sorted(rows, key=lambda r: r["part"])]
    if not parts:
        empty = pd.DataFrame({c: pd.Series([], dtype="float64" if c in numerics else object)
                              for part in layout for c in part})
        parts = [ReferenceProfile.fit(empty, *layout, max_points=max_points, max_categories=max_categories)]
    profile = ReferenceProfile.merged(parts) if len(parts) > 1 else parts[0]
    dtypes = {c: _dtype(frame, c) for c in wanted}
    cols = {c: dataclasses.replace(s, dtype=dtypes[c]) if c in dtypes else s for c, s in profile.columns.items()}
    return dataclasses.replace(profile, columns=cols)


def fit_profile(data, numeric: Sequence[str], categorical: Sequence[str], extra_numeric: Sequence[str] = (),
                extra_categorical: Sequence[str] = (), *, max_points: int = MAX_POINTS,
                max_categories: int = MAX_CATEGORIES, chunk_rows: int = CHUNK_ROWS,
                predict: Callable[[pd.DataFrame], pd.DataFrame] | None = None) -> ReferenceProfile:
    """The reference profile of a Spark DataFrame (or table / Delta / Parquet path), as
    :meth:`ReferenceProfile.fit` would fit it on the same rows.

    ``predict`` (a picklable function of a pandas chunk of the features, returning the prediction
    columns) adds the model's predictions on the reference, profiled as ``extra_*`` columns.
    """
    inputs = None
    if predict is not None:
        made = set(extra_numeric) | set(extra_categorical)
        inputs = [c for c in [*numeric, *categorical, *extra_numeric, *extra_categorical] if c not in made]
    return _summarise(data, numeric, categorical, extra_numeric, extra_categorical, max_points, max_categories,
                      chunk_rows, predict, inputs)


def summarise_batch(data, numeric: Sequence[str], categorical: Sequence[str], extra_numeric: Sequence[str] = (),
                    extra_categorical: Sequence[str] = (), *, max_points: int = MAX_POINTS,
                    max_categories: int = BATCH_MAX_CATEGORIES, chunk_rows: int = CHUNK_ROWS) -> ReferenceProfile:
    """The summary of a scored batch on Spark: the same summaries as a profile, keeping more categories."""
    return _summarise(data, numeric, categorical, extra_numeric, extra_categorical, max_points, max_categories, chunk_rows)


def sample_rows(data, n: int = SAMPLE_ROWS, n_rows: int | None = None, seed: int = 0) -> pd.DataFrame:
    """A uniform sample of at most ``n`` rows (all rows when there are fewer), as pandas."""
    frame, _ = read(data)
    total = frame.count() if n_rows is None else n_rows
    if total <= n:
        return frame.toPandas()
    fraction = min(1.0, (n + 5 * n ** 0.5 + 10) / total)  # a little above n/total, so the sample rarely falls short
    return frame.sample(withReplacement=False, fraction=fraction, seed=seed).limit(n).toPandas()


def summary_of(doc: dict[str, Any]) -> ReferenceProfile:
    """The summary stored for a batch logged from Spark (``MlflowSource.load_batch_summary``), ready to use
    in place of the batch in ``compute_drift``, ``data_quality`` and (per column) ``column_drift``."""
    return ReferenceProfile.from_dict(doc)


def prediction_figures(spec, summary: ReferenceProfile) -> dict[str, Any]:
    """The prediction figures of a snapshot (mean, std, n, positive rate, score mean) from a batch summary,
    as the pandas engine computes them from the batch's prediction column."""
    if spec.prediction not in summary.columns:
        return {}
    pred = summary.columns[spec.prediction]
    values, weights, mean, std = _numbers(pred)
    out = {"mean": mean, "std": std, "n": int(weights.sum())}
    if spec.task == "classification":
        out["positive_rate"] = float(weights[values == 1].sum() / pred.n) if pred.n else float("nan")
        if spec.score and spec.score in summary.columns:
            out["score_mean"] = _numbers(summary.columns[spec.score])[2]
    return out


def _numbers(s: NumericSummary | CategoricalSummary) -> tuple[np.ndarray, np.ndarray, float, float]:
    """(values, counts, mean, population std) of a column's numbers; moments are exact for a numeric summary."""
    if isinstance(s, NumericSummary):
        return s.values, s.weights, s.mean, s.std
    keys = pd.Series(list(s.counts), dtype=object)
    if s.dtype.startswith("bool"):
        keys = keys.map({"True": 1.0, "False": 0.0})
    values = pd.to_numeric(keys, errors="coerce").to_numpy(dtype="float64")
    weights = np.asarray(list(s.counts.values()), dtype="float64")
    ok = np.isfinite(values)
    values, weights = values[ok], weights[ok]
    count = float(weights.sum())
    if not count:
        return values, weights, float("nan"), float("nan")
    mean = float(np.dot(values, weights) / count)
    return values, weights, mean, float(np.sqrt(np.dot((values - mean) ** 2, weights) / count))


# ----------------------------------------------------------------------------------------------
# logging


def _layout(model: str, frame, model_spec, prediction: str) -> tuple[list[str], list[str], list[str], list[str], str]:
    """(numeric, categorical, extra numeric, extra categorical, prediction kind) of a Spark batch."""
    if model_spec is not None:
        numeric, categorical = list(model_spec.numeric_features), list(model_spec.categorical_features)
        if model_spec.task == "classification":
            extra_num, extra_cat = [c for c in [model_spec.score] if c], [model_spec.prediction]
        else:
            extra_num, extra_cat = [model_spec.prediction], []
        extra_num += [c for c in [model_spec.target] if c and c in frame.columns and model_spec.task != "classification"]
        extra_cat += [c for c in [model_spec.target] if c and c in frame.columns and model_spec.task == "classification"]
        main = model_spec.prediction
    else:
        main = prediction
        kinds = {c: "numeric" if _dtype(frame, c).startswith(_NUMERIC_TYPES) else "categorical" for c in frame.columns}
        numeric = [c for c in frame.columns if c != main and kinds[c] == "numeric"]
        categorical = [c for c in frame.columns if c != main and kinds[c] == "categorical"]
        floating = _dtype(frame, main).startswith(("float", "double", "decimal"))
        extra_num, extra_cat = ([main], []) if floating else ([], [main])
    missing = [c for c in [*numeric, *categorical, *extra_num, *extra_cat] if c not in frame.columns]
    if missing:
        raise BatchError(f"model '{model}': the batch lacks column(s) {', '.join(missing)}; it has {', '.join(frame.columns)}")
    dtype = _dtype(frame, main)
    kind = "bool" if dtype == "bool" else "numeric" if dtype.startswith(_NUMERIC_TYPES) else "text"
    return numeric, categorical, extra_num, extra_cat, kind


def log_batch(model: str, data, *, model_version: str | int, prediction: str = "prediction", batch_time=None,
              pipeline_run_id: str | None = None, batch_id: str | None = None, location: str | None = None,
              sample_size: int = SAMPLE_ROWS, tracking_uri: str | None = None, artifact_root: str | None = None,
              spec=None, seed: int = 0) -> str:
    """Log a scored batch held by Spark: a DataFrame with the features and prediction columns, or the
    table / Delta / Parquet path where the scoring job wrote it. Returns the batch id.

    Stores in MLflow the batch's summary (computed on Spark, see :func:`summarise_batch`) and a
    uniform sample of ``sample_size`` rows, not the batch; ``location`` (default: the table or path
    given) records where the full data lives. Columns and their kinds come from the model's
    ``[[models]]`` table (``spec`` as for :func:`monitor.log_batch`); a model not onboarded yet has
    its columns' kinds read from their Spark types and ``prediction`` names its prediction column.
    """
    from monitor.batches import _model_spec, log_batch_summary

    frame, where = read(data)
    model_spec = _model_spec(model, spec, warn=True)
    numeric, categorical, extra_num, extra_cat, kind = _layout(model, frame, model_spec, prediction)
    summary = summarise_batch(frame, numeric, categorical, extra_num, extra_cat)
    columns = list(dict.fromkeys([*numeric, *categorical, *extra_num, *extra_cat]))
    sample = sample_rows(frame.select(*columns), sample_size, summary.n_rows, seed)
    return log_batch_summary(model, summary.to_dict(), sample, model_version=model_version, prediction_kind=kind,
                             location=location or where, batch_time=batch_time, pipeline_run_id=pipeline_run_id,
                             batch_id=batch_id, tracking_uri=tracking_uri, artifact_root=artifact_root)

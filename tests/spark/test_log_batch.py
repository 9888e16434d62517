"""Logging a batch from Spark: its summary and a bounded sample go to MLflow, and read back as the pandas engine's."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from monitor.drift import ReferenceProfile, compute_drift
from monitor.snapshots.context import prediction_levels as _prediction_summary
from monitor.sources.mlflow import MlflowSource
from monitor.spark import log_batch, prediction_figures, summary_of
from monitor.spec import load_spec

from .conftest import frame
from .helpers import log_spark_batch

pytestmark = pytest.mark.slow

SPEC = """
[[models]]
name = "spark_model"
registered_model = "spark-model"
task = "classification"
numeric_features = ["x", "y", "k", "z"]
categorical_features = ["c", "flag"]
prediction = "label"
score = "prediction"
"""


@pytest.fixture(scope="module")
def workspace(tmp_path_factory):
    root = tmp_path_factory.mktemp("spark-mlflow")
    (root / "monitor.toml").write_text(SPEC, encoding="utf-8")
    uri = f"sqlite:///{root / 'mlflow.db'}"
    source = MlflowSource(uri)
    source.client  # noqa: B018 - sets the tracking URI
    return root, uri, source, load_spec(root / "monitor.toml")


def _scored(n: int, seed: int, shift: float = 0.0) -> pd.DataFrame:
    batch = frame(n, seed, shift=shift)
    return batch.assign(label=(batch["prediction"] > 0.5).astype("int64"))


def test_a_parquet_batch_is_logged_as_summary_and_sample(spark, workspace):
    root, uri, source, spec = workspace
    batch = _scored(12_000, seed=31, shift=0.3)
    path = str(root / "scored.parquet")
    spark.createDataFrame(batch).repartition(3).write.parquet(path)
    kwargs = dict(model_version="2", spec=spec, tracking_uri=uri, artifact_root=str(root / "artifacts"), sample_size=500,
                  pipeline_run_id="pl-77", batch_time="2026-05-04T08:00:00+00:00")
    batch_id = log_batch("spark_model", path, **kwargs)
    assert log_batch("spark_model", path, **kwargs) == batch_id  # the same data again: nothing new
    [info] = source.list_batches("spark_model")
    assert (info.batch_id, info.n_rows, info.model_version, info.pipeline_run_id) == (batch_id, 12_000, "2", "pl-77")
    tags = source.run(info.run_id)["tags"]
    assert (tags["monitor.engine"], tags["monitor.location"], tags["monitor.sample_rows"]) == ("spark", f"parquet:{path}", "500")

    summary = summary_of(source.load_batch_summary(info))
    model = spec.model("spark_model")
    pandas_summary = ReferenceProfile.fit(batch, model.numeric_features, model.categorical_features,
                                          extra_numeric=["prediction"], extra_categorical=["label"], max_categories=10_000)
    for c, s in pandas_summary.columns.items():
        assert (summary.columns[c].n, summary.columns[c].n_missing, summary.columns[c].count) == (s.n, s.n_missing, s.count), c
    assert dict(summary.columns["c"].counts) == dict(pandas_summary.columns["c"].counts)

    profile = ReferenceProfile.fit(_scored(20_000, seed=32), model.numeric_features, model.categorical_features,
                                   extra_numeric=["prediction"], extra_categorical=["label"])
    full, summed = compute_drift(profile, batch), compute_drift(profile, summary)
    assert {c: f.drifted for c, f in summed.features.items()} == {c: f.drifted for c, f in full.features.items()}
    assert summed.n_drifted > 0

    sample = source.batch_rows(info)
    assert len(sample) == 500 and set(sample.columns) == set(model.batch_columns) - {"defaulted"}
    assert source.load_batch_summary(source.list_batches("spark_model")[0]) is not None


def test_prediction_figures_equal_the_pandas_engines(spark, workspace):
    _, _, _, spec = workspace
    model = spec.model("spark_model")
    batch = _scored(8_000, seed=33)
    summary = ReferenceProfile.fit(batch, model.numeric_features, model.categorical_features,
                                   extra_numeric=["prediction"], extra_categorical=["label"])
    ours, theirs = prediction_figures(model, summary), _prediction_summary(model, batch)
    assert ours.keys() == theirs.keys()
    for k in theirs:
        assert ours[k] == pytest.approx(theirs[k], rel=1e-9), k


def test_a_dataframe_of_a_model_not_onboarded_reads_kinds_from_spark_types(spark, workspace):
    root, uri, source, _ = workspace
    batch = frame(3_000, seed=34)
    spark.createDataFrame(batch).createOrReplaceTempView("scored_today")
    with pytest.warns(UserWarning, match="not onboarded"):
        batch_id = log_batch("other_model", "scored_today", model_version="1", spec=root / "monitor.toml", tracking_uri=uri,
                             sample_size=100)
    info = source.batch("other_model", batch_id)
    assert source.run(info.run_id)["tags"]["monitor.location"] == "table:scored_today"
    summary = summary_of(source.load_batch_summary(info))
    assert summary.numeric == ("x", "y", "k", "z") and summary.categorical == ("c", "flag")
    assert summary.extra_numeric == ("prediction",) and len(source.batch_rows(info)) == 100
    assert np.isclose(summary.columns["x"].mean, batch["x"].mean(), rtol=1e-9)


def test_the_helper_logs_a_pandas_batch_through_spark(workspace):
    root, uri, source, spec = workspace
    batch = _scored(2_000, seed=35)
    batch_id = log_spark_batch("spark_model", batch, model_version="3", tracking_uri=uri, spec=spec, sample_size=50)
    info = source.batch("spark_model", batch_id)
    assert info.n_rows == 2_000 and len(source.batch_rows(info)) == 50

"""The logging API round trip: what a scoring job logs is what the monitor reads back."""

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from monitor.batches import log_batch, log_labels
from monitor.errors import BatchError
from monitor.sources.mlflow import MlflowSource

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def source(settings):
    src = MlflowSource(settings.mlflow_tracking_uri)
    src.client  # noqa: B018 - sets the tracking URI for the fluent API used by log_batch
    return src


def _frame(n=50, seed=0):
    rng = np.random.default_rng(seed)
    return pd.DataFrame({
        "x_float": rng.normal(size=n), "x_int": rng.integers(0, 9, n), "x_cat": rng.choice(["a", "b", "ü"], n),
        "x_nan": np.where(rng.random(n) < 0.3, np.nan, rng.random(n)), "x_bool": rng.random(n) < 0.5,
        "x_time": pd.date_range("2026-01-01", periods=n, freq="h", tz="UTC"),
    }, index=pd.RangeIndex(100, 100 + n))


def test_round_trip_column_for_column(source, settings):
    features = _frame()
    preds = pd.DataFrame({"prediction": np.arange(len(features)) % 2, "score": np.linspace(0, 1, len(features))})
    when = dt.datetime(2026, 3, 2, 6, 0, tzinfo=dt.timezone.utc)
    batch_id = log_batch("rt_model", features, preds, model_version=3, batch_time=when, pipeline_run_id="run-123",
                         artifact_root=settings.artifact_root)
    info = source.batch("rt_model", batch_id)
    assert (info.model_version, info.pipeline_run_id, info.n_rows) == ("3", "run-123", len(features))
    assert info.batch_time == when.isoformat() and info.labels_at is None
    back = source.load_batch(info)
    expected = pd.concat([features.reset_index(drop=True), preds], axis=1)
    pd.testing.assert_frame_equal(back, expected, check_exact=True)
    assert source.load_labels(info) is None
    run = source.run(info.run_id)
    assert [i["context"] for i in run["inputs"]] == ["scoring"] and run["inputs"][0]["digest"] == info.digest


def test_late_labels_attach_to_the_same_batch(source, settings):
    features = _frame(30, seed=1)
    batch_id = log_batch("rt_model", features, pd.Series(np.zeros(30), name="prediction"), model_version="1",
                         artifact_root=settings.artifact_root)
    labels = pd.Series(np.arange(30) % 3, index=pd.RangeIndex(500, 530))
    log_labels("rt_model", batch_id, labels)
    info = source.batch("rt_model", batch_id)
    assert info.labels_at is not None
    assert source.load_labels(info).tolist() == labels.tolist()
    pd.testing.assert_frame_equal(source.load_batch(info).drop(columns="prediction"), features.reset_index(drop=True))


def test_bad_batches_are_refused_and_nothing_is_lost(source, settings):
    features = _frame(10, seed=2)
    with pytest.raises(BatchError, match="model 'rt_bad': the batch is empty"):
        log_batch("rt_bad", features.iloc[:0], [], model_version=1)
    with pytest.raises(BatchError, match="model 'rt_bad': 9 predictions for 10 rows"):
        log_batch("rt_bad", features, np.zeros(9), model_version=1)
    with pytest.raises(BatchError, match=r"prediction column\(s\) \['x_int'\] also appear"):
        log_batch("rt_bad", features, pd.Series(np.zeros(10), name="x_int"), model_version=1)
    batch_id = log_batch("rt_bad", features, np.zeros(10), model_version=1, batch_id="fixed-id",
                         artifact_root=settings.artifact_root)
    with pytest.raises(BatchError, match="batch 'fixed-id' is already logged"):
        log_batch("rt_bad", features.assign(x_float=0.0), np.ones(10), model_version=1, batch_id="fixed-id")
    kept = source.load_batch(source.batch("rt_bad", batch_id))
    assert kept["x_float"].tolist() == features["x_float"].tolist() and kept["prediction"].eq(0).all()
    with pytest.raises(BatchError, match="5 labels for a batch of 10 rows"):
        log_labels("rt_bad", batch_id, np.zeros(5))
    with pytest.raises(BatchError, match="no logged batch 'nope'"):
        log_labels("rt_bad", "nope", np.zeros(10))

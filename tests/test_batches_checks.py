"""The logging API's checks at the door: what is refused, with which message, and that nothing is left behind."""

from __future__ import annotations

import datetime as dt
import math
import re

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from monitor.batches import TAG, batch_experiment_name, log_batch, log_labels
from monitor.errors import BatchError
from monitor.performance import performance
from monitor.sources.mlflow import MlflowSource
from monitor.spec import parse_spec

pytestmark = pytest.mark.slow

SPEC = parse_spec({"models": [{
    "name": "checked", "registered_model": "checked-rm", "task": "classification",
    "numeric_features": ["income", "age"], "categorical_features": ["region"], "prediction": "prediction",
    "score": "score", "target": "y",
}]})


@pytest.fixture(scope="module")
def source(demo, settings):
    src = MlflowSource(settings.mlflow_tracking_uri)
    src.client  # noqa: B018
    return src


def _runs(source, model: str) -> int:
    exp = source.client.get_experiment_by_name(batch_experiment_name(model))
    return 0 if exp is None else len(source.client.search_runs([exp.experiment_id], "", run_view_type=3))


def _features(n=20, seed=0):
    rng = np.random.default_rng(seed)
    return pd.DataFrame({"income": rng.normal(50, 10, n), "age": rng.integers(18, 80, n),
                         "region": rng.choice(["north", "south"], n)})


def _scores(n=20):
    return pd.DataFrame({"prediction": np.arange(n) % 2, "score": np.linspace(0, 1, n)})


def test_a_batch_missing_a_feature_of_its_table_is_refused(source):
    before = _runs(source, "checked")
    with pytest.raises(BatchError, match=r"model 'checked': the batch lacks column\(s\) age named in monitor.toml"):
        log_batch("checked", _features().drop(columns="age"), _scores(), model_version="1", spec=SPEC)
    with pytest.raises(BatchError, match="numeric feature 'income' holds text values such as 'lots'"):
        log_batch("checked", _features().assign(income="lots"), _scores(), model_version="1", spec=SPEC)
    with pytest.raises(BatchError, match=r"score column 'score' must hold probabilities in \[0, 1\], got 3.0"):
        log_batch("checked", _features(), _scores().assign(score=3.0), model_version="1", spec=SPEC)
    assert _runs(source, "checked") == before


@pytest.mark.parametrize(("kwargs", "needle"), [
    ({"batch_id": "a/b"}, "batch_id 'a/b' is not a valid identifier"),
    ({"batch_id": "it's"}, "batch_id \"it's\" is not a valid identifier"),
    ({"model_version": "1 OR 1=1"}, "model_version '1 OR 1=1' is not a valid identifier"),
    ({"pipeline_run_id": "run<script>"}, "pipeline_run_id 'run<script>' is not a valid identifier"),
    ({"batch_time": "last tuesday"}, "batch_time 'last tuesday' is not a date-time"),
    ({"batch_time": 1714000000}, "batch_time 1714000000 is not a date-time"),
])
def test_identifiers_and_times_are_checked_before_anything_is_written(source, kwargs, needle):
    before = _runs(source, "checked")
    with pytest.raises(BatchError, match="model 'checked': " + re.escape(needle)):
        log_batch("checked", _features(), _scores(), **{"model_version": "1", "spec": SPEC, **kwargs})
    assert _runs(source, "checked") == before


@pytest.mark.parametrize("name", ["../x", "a b", "", "x" * 129, "ü"])
def test_model_names_outside_the_rule_are_refused(name):
    with pytest.raises(BatchError, match="model name .* is not a valid identifier"):
        log_batch(name, _features(), _scores(), model_version="1", spec=False)


def test_a_batch_time_given_as_text_is_read_as_utc(source):
    batch_id = log_batch("checked", _features(seed=3), _scores(), model_version="1", spec=SPEC,
                         batch_time="2026-04-01T08:30:00+02:00")
    assert source.batch("checked", batch_id).batch_time == "2026-04-01T06:30:00+00:00"


def test_logging_the_same_batch_twice_is_a_no_op_and_other_data_under_its_id_is_refused(source):
    when = dt.datetime(2026, 4, 2, tzinfo=dt.timezone.utc)
    first = log_batch("checked", _features(seed=4), _scores(), model_version="1", batch_time=when, spec=SPEC)
    again = log_batch("checked", _features(seed=4), _scores(), model_version="1", batch_time=when, spec=SPEC)
    assert first == again and [b.batch_id for b in source.list_batches("checked")].count(first) == 1
    with pytest.raises(BatchError, match=f"batch '{first}' is already logged with other data"):
        log_batch("checked", _features(seed=5), _scores(), model_version="1", batch_id=first, spec=SPEC)


def test_an_interrupted_log_leaves_no_batch_and_the_retry_logs_it_once(source):
    exp = source.client.get_experiment_by_name(batch_experiment_name("checked"))
    orphan = source.client.create_run(exp.experiment_id, tags={TAG + "batch_id": "retry-1", TAG + "kind": "batch",
                                                               TAG + "model": "checked"})
    assert "retry-1" not in [b.batch_id for b in source.list_batches("checked")]
    log_batch("checked", _features(seed=6), _scores(), model_version="1", batch_id="retry-1", spec=SPEC)
    assert [b.batch_id for b in source.list_batches("checked")].count("retry-1") == 1
    assert source.client.get_run(orphan.info.run_id).info.lifecycle_stage == "deleted"


def test_text_labels_for_numeric_predictions_are_refused_and_nothing_changes(source):
    batch_id = log_batch("checked", _features(seed=7), _scores(), model_version="1", spec=SPEC)
    with pytest.raises(BatchError, match=r"labels are text \(e.g. 'no'\) but the predictions are numeric"):
        log_labels("checked", batch_id, ["no", "yes"] * 10)
    with pytest.raises(BatchError, match=r"labels column .label. mixes value types \(int, str\)"):
        log_labels("checked", batch_id, [0, "yes"] * 10)
    assert source.batch("checked", batch_id).labels_at is None


def test_text_classes_are_measured_when_predictions_are_text_too(source):
    preds = pd.Series(["no", "yes"] * 10, name="prediction")
    batch_id = log_batch("text_classes", _features(seed=8), preds, model_version="1", spec=False)
    log_labels("text_classes", batch_id, ["no"] * 20)
    info = source.batch("text_classes", batch_id)
    perf = performance("classification", source.load_labels(info), source.load_batch(info)["prediction"])
    assert perf["n_labelled"] == 20 and perf["accuracy"] == 0.5 and perf["recall"] is None


@pytest.mark.parametrize(("column", "needle"), [
    (pd.Series([1, "a"] * 10, dtype=object), "mixes value types"),
    (pd.Series([b"\xff\xfe"] * 20, dtype=object), "holds bytes"),
    (pd.Series(["\ud800"] * 20, dtype=object), "not valid UTF-8"),
    (pd.Series(["x" * 1001] * 20, dtype=object), "text values are limited to 1000"),
])
def test_values_that_cannot_be_stored_exactly_are_refused(source, column, needle):
    with pytest.raises(BatchError, match=f"model 'odd': batch column 'bad' .*{needle}"):
        log_batch("odd", _features().assign(bad=column), _scores(), model_version="1", spec=False)
    assert _runs(source, "odd") == 0


# -- property: every input is stored and read back exactly, or refused with a BatchError -----------
_text = st.text(st.characters(codec=None), max_size=12)
_cells = st.one_of(
    st.lists(st.floats(allow_nan=True, allow_infinity=True), min_size=3, max_size=3),
    st.lists(st.integers(-(2**62), 2**62), min_size=3, max_size=3),
    st.lists(st.one_of(st.none(), _text), min_size=3, max_size=3),
    st.lists(st.booleans(), min_size=3, max_size=3),
    st.lists(st.one_of(st.integers(0, 9), _text, st.none()), min_size=3, max_size=3),
)
_frames = st.dictionaries(st.text(min_size=1, max_size=8), _cells, min_size=1, max_size=4).map(
    lambda d: pd.DataFrame({k: pd.Series(v, dtype=object if any(isinstance(x, str) or x is None for x in v) else None)
                            for k, v in d.items()}))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                 HealthCheck.too_slow])
@given(frame=_frames, batch_id=st.one_of(st.none(), _text), model=st.sampled_from(["prop", "prop.v2", "bad/name"]))
def test_every_input_is_stored_exactly_or_refused_with_a_batch_error(source, frame, batch_id, model):
    before = _runs(source, model) if model != "bad/name" else 0
    preds = pd.Series([0.5, 0.25, 0.75], name="prediction")
    try:
        logged = log_batch(model, frame, preds, model_version="1", batch_id=batch_id, spec=False)
    except BatchError as exc:
        assert str(exc)
        assert model == "bad/name" or _runs(source, model) == before  # nothing half-written
        return
    back = source.load_batch(source.batch(model, logged))
    expected = pd.concat([frame.reset_index(drop=True), preds], axis=1)
    assert list(back.columns) == [str(c) for c in expected.columns]
    for (name, got), (_, want) in zip(back.items(), expected.items(), strict=True):
        assert [_cell(v) for v in got] == [_cell(v) for v in want], name


def _cell(value):
    """A value as read back: missing is None whatever its spelling (None, NaN), numbers compared by value."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    return value.item() if isinstance(value, np.generic) else value

"""What stood between a new user and a third model: each problem, fixed and kept fixed.

The honest baseline, where jobs log to, pipeline runs without Data Factory, and one broken model
table that must not take the other models down.
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from monitor.config import Settings
from monitor.errors import BatchError
from monitor.performance import baseline_performance
from monitor.spec import parse_spec

ROOT = Path(__file__).resolve().parents[1]


# -- an honest baseline -------------------------------------------------------------------------------
def _overfit_data(n: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 4))
    y = (x[:, 0] + 0.5 * x[:, 1] + rng.normal(0, 1.5, n) > 0).astype(int)
    return pd.DataFrame(x, columns=["a", "b", "c", "d"]).assign(y=y)


SPEC = parse_spec({"models": [{"name": "m", "registered_model": "m", "task": "classification",
                               "numeric_features": ["a", "b", "c", "d"], "categorical_features": [],
                               "prediction": "prediction", "score": "score", "target": "y"}]}).model("m")


@pytest.fixture(scope="module")
def overfit():
    from sklearn.ensemble import RandomForestClassifier
    from sklearn.metrics import roc_auc_score

    train, unseen = _overfit_data(3000, 0), _overfit_data(3000, 1)
    model = RandomForestClassifier(n_estimators=60, random_state=0).fit(train[list("abcd")], train["y"])
    in_sample = roc_auc_score(train["y"], model.predict_proba(train[list("abcd")])[:, 1])
    held_out = roc_auc_score(unseen["y"], model.predict_proba(unseen[list("abcd")])[:, 1])
    return model, train, unseen, in_sample, held_out


def test_without_validation_data_the_baseline_is_cross_validated_not_in_sample(overfit):
    model, train, _, in_sample, held_out = overfit
    assert in_sample > 0.99 and held_out < 0.85  # the model remembers its training rows
    baseline = baseline_performance(SPEC, model, train)
    assert baseline.honest and baseline.source.startswith("5-fold cross-validation on the reference (3000 rows)")
    assert abs(baseline.metrics["auc"] - held_out) < 0.03, (baseline.metrics["auc"], held_out)


def test_validation_data_gives_the_baseline_directly(overfit):
    model, train, unseen, _, held_out = overfit
    baseline = baseline_performance(SPEC, model, train, validation=unseen)
    assert baseline.honest and baseline.source == "validation data (3000 rows the model did not train on)"
    assert baseline.metrics["auc"] == pytest.approx(held_out, abs=1e-12)


def test_a_model_that_cannot_be_refitted_says_its_baseline_is_in_sample(overfit):
    model, train, _, in_sample, _ = overfit

    class Frozen:  # predicts like the model, but offers no way to refit a copy
        def predict(self, X):
            return model.predict(X)

        def predict_proba(self, X):
            return model.predict_proba(X)

    baseline = baseline_performance(SPEC, Frozen(), train)
    assert not baseline.honest and baseline.source.startswith("in-sample on the reference, which is optimistic")
    assert baseline.metrics["auc"] == pytest.approx(in_sample)


# -- where a job logs to -------------------------------------------------------------------------------
@pytest.fixture
def no_mlflow_uri(monkeypatch):
    from mlflow.tracking._tracking_service import utils as tracking

    monkeypatch.setattr(tracking, "_tracking_uri", None)
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    monkeypatch.delenv("DATABRICKS_RUNTIME_VERSION", raising=False)
    monkeypatch.delenv("MONITOR_TRACKING_URI", raising=False)


def test_a_job_that_chose_no_uri_logs_into_the_monitor_workspace(no_mlflow_uri, monkeypatch, tmp_path):
    from monitor._tracking import resolve

    monkeypatch.setenv("MONITOR_WORKSPACE", str(tmp_path / "ws"))
    target = resolve()
    assert target.uri == f"sqlite:///{(tmp_path / 'ws' / 'mlflow.db').resolve()}"
    assert target.artifact_root == (tmp_path / "ws" / "mlartifacts").resolve().as_uri()


def test_monitor_tracking_uri_wins_then_mlflow_own_choice(no_mlflow_uri, monkeypatch):
    from monitor._tracking import resolve

    monkeypatch.setenv("MLFLOW_TRACKING_URI", "http://mlflow.example:5000")
    assert resolve().uri == "http://mlflow.example:5000"
    monkeypatch.setenv("MONITOR_TRACKING_URI", "databricks")
    assert resolve().uri == "databricks"
    assert resolve("http://explicit:1").uri == "http://explicit:1"


def test_the_workspace_uri_is_restored_after_logging(no_mlflow_uri, monkeypatch, tmp_path):
    import mlflow
    from mlflow.tracking._tracking_service import utils as tracking

    from monitor._tracking import Target, using

    with using(Target(f"sqlite:///{tmp_path / 'x.db'}")):
        assert mlflow.get_tracking_uri().endswith("x.db")
    assert tracking._tracking_uri is None and "MLFLOW_TRACKING_URI" not in os.environ


# -- pipeline runs without Data Factory ----------------------------------------------------------------
@pytest.fixture
def local(tmp_path) -> Settings:
    return Settings(workspace=tmp_path)


def _runs(settings: Settings):
    from monitor.bootstrap import build_store
    from monitor.sources.pipelines import LocalPipelineRunSource

    return LocalPipelineRunSource(build_store(settings)).query()


def test_pipeline_run_records_success_and_failure_with_its_message(local):
    import monitor

    with monitor.pipeline_run("pl_scoring", settings=local, parameters={"week": 3}) as run:
        assert [r.status for r in _runs(local)] == ["InProgress"]
    with pytest.raises(ZeroDivisionError), monitor.pipeline_run("pl_scoring", settings=local):
        1 / 0  # noqa: B018
    runs = sorted(_runs(local), key=lambda r: r.run_start)
    assert [(r.pipeline_name, r.status) for r in runs] == [("pl_scoring", "Succeeded"), ("pl_scoring", "Failed")]
    assert runs[0].run_id == run.run_id and runs[0].parameters == {"week": "3"} and runs[0].duration_ms >= 0
    assert runs[1].message.startswith("ZeroDivisionError: division by zero")


def test_log_pipeline_run_checks_what_it_records(local):
    import monitor

    start = dt.datetime(2026, 3, 1, 6, tzinfo=dt.timezone.utc)
    run_id = monitor.log_pipeline_run("pl_ingest", status="Succeeded", start=start, end=start + dt.timedelta(minutes=5),
                                      run_id="ingest-1", settings=local)
    assert run_id == "ingest-1" and _runs(local)[0].duration_ms == 300_000
    with pytest.raises(BatchError, match="status must be one of Queued, InProgress, Succeeded"):
        monitor.log_pipeline_run("pl_ingest", status="done", settings=local)
    with pytest.raises(BatchError, match="ends .* before it starts"):
        monitor.log_pipeline_run("pl_ingest", start=start, end=start - dt.timedelta(minutes=1), settings=local)
    with pytest.raises(BatchError, match="pipeline name 'pl ingest' is not a valid identifier"):
        monitor.log_pipeline_run("pl ingest", settings=local)
    adf = Settings(workspace=local.workspace, pipelines="adf", adf_subscription_id="s", adf_resource_group="g",
                   adf_factory="f")
    with pytest.raises(BatchError, match="MONITOR_PIPELINES is 'adf'"):
        monitor.log_pipeline_run("pl_ingest", settings=adf)
    assert len(_runs(local)) == 1


# -- one broken model table ----------------------------------------------------------------------------
BROKEN = """
[[models]]
name = "typo_model"
registered_model = "typo-rm"
task = "classification"
numeric_featuers = ["a"]
categorical_features = []
prediction = "prediction"
"""


@pytest.fixture
def broken_spec(tmp_path) -> Path:
    path = tmp_path / "monitor.toml"
    path.write_text((ROOT / "monitor.toml").read_text() + BROKEN)
    return path


@pytest.mark.slow
def test_a_broken_table_disables_its_model_only_in_the_job_and_validate(demo, broken_spec):
    import dataclasses

    from monitor.bootstrap import build_service
    from monitor.validate import validate

    service = build_service(dataclasses.replace(demo.settings, spec=broken_spec))
    result = service.run_job()
    assert [f.model for f in result.failed] == ["typo_model"]
    assert "unknown field 'numeric_featuers' (did you mean 'numeric_features'?)" in result.failed[0].error
    assert result.skipped >= 24  # both demo models' batches are still monitored
    problems = validate(service)
    errors = [p.message for p in problems if p.severity == "error"]
    assert errors and all("typo_model" in e for e in errors), errors
    assert any("model 'loan_default': explanations:" in p.message for p in problems)


@pytest.mark.slow
def test_a_broken_table_is_named_on_the_page_and_the_others_still_show(demo, broken_spec, monkeypatch):
    import streamlit as st

    from tests.app.apptest import open_page

    monkeypatch.setenv("MONITOR_SPEC", str(broken_spec))
    st.cache_resource.clear()
    try:
        at = open_page("pages/business.py", "store_demand")
        assert any("Model 'typo_model' is disabled" in e.value for e in at.error), [e.value for e in at.error]
        assert {m.label for m in at.metric} >= {"Health score", "Predictions made"}
        assert "typo_model" not in at.selectbox(key="model").options
    finally:
        st.cache_resource.clear()
        st.cache_data.clear()


@pytest.mark.slow
def test_validate_suggests_the_registered_model_and_column_meant(demo, tmp_path):
    import dataclasses

    from monitor.bootstrap import build_service
    from monitor.validate import validate

    text = (ROOT / "monitor.toml").read_text()
    path = tmp_path / "monitor.toml"
    path.write_text(text.replace('registered_model = "loan-default-classifier"', 'registered_model = "loan-default-clasifier"')
                    .replace('"temperature"', '"temperatur"'))
    messages = [p.message for p in validate(build_service(dataclasses.replace(demo.settings, spec=path)))
                if p.severity == "error"]
    loan = next(m for m in messages if m.startswith("model 'loan_default'"))
    assert "no registered model 'loan-default-clasifier'" in loan and "(did you mean 'loan-default-classifier'?)" in loan
    assert "registered models: loan-default-classifier, store-demand-regressor" in loan
    demand = next(m for m in messages if m.startswith("model 'store_demand'"))
    assert "temperatur" in demand and "(did you mean 'temperature'?)" in demand


# -- a model without an exact explainer: said by the job and the page ------------------------------------
@pytest.fixture(scope="module")
def knn_workspace(tmp_path_factory):
    """A workspace with one KNN pipeline (no exact explainer), one logged batch, monitored once."""
    from sklearn.compose import make_column_transformer
    from sklearn.neighbors import KNeighborsClassifier
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    import monitor
    from monitor.bootstrap import build_service

    root = tmp_path_factory.mktemp("knn")
    settings = Settings(workspace=root / ".monitor", spec=root / "monitor.toml")
    settings.workspace.mkdir()
    rng = np.random.default_rng(3)
    numeric = [f"x{i}" for i in range(7)]  # enough columns that exact enumeration would cost too much
    frame = pd.DataFrame(rng.normal(size=(600, 7)), columns=numeric).assign(colour=rng.choice(["red", "blue"], 600))
    frame["y"] = ((frame["x0"] + frame["x1"] > 0) ^ (frame["colour"] == "red")).astype(int)
    model = make_pipeline(make_column_transformer((StandardScaler(), numeric), (OneHotEncoder(), ["colour"])),
                          KNeighborsClassifier(15)).fit(frame[[*numeric, "colour"]], frame["y"])
    version = monitor.log_model(model, "knn-rm", reference=frame[:400], validation=frame[400:], target="y",
                                tracking_uri=settings.mlflow_tracking_uri)
    settings.spec.write_text('[[models]]\nname = "knn"\nregistered_model = "knn-rm"\ntask = "classification"\n'
                             f'numeric_features = {numeric}\ncategorical_features = ["colour"]\nprediction = "prediction"\n'
                             'score = "score"\ntarget = "y"\n[models.explain]\nsample_size = 40\n')
    X = frame[[*numeric, "colour"]][:100]
    monitor.log_batch("knn", X, pd.DataFrame({"prediction": model.predict(X), "score": model.predict_proba(X)[:, 1]}),
                      model_version=version, spec=settings.spec, tracking_uri=settings.mlflow_tracking_uri,
                      artifact_root=settings.artifact_root)
    service = build_service(settings)
    said: list[str] = []
    result = service.run_job(progress=lambda done, total, message: said.append(message))
    assert result.ok, [str(f) for f in result.failed]
    return settings, service, said


@pytest.mark.slow
def test_the_job_says_when_a_model_takes_the_sampling_explainer(knn_workspace):
    _, service, said = knn_workspace
    line = next(m for m in said if "slower path" in m)
    assert line.startswith("[knn] version 1: explanations use a slower path: Sampling explainer") and "KNeighborsClassifier" in line
    explain = service.snapshots("knn")[0].explain
    assert explain.fallback and explain.description.startswith("Sampling explainer")


@pytest.mark.slow
def test_validate_and_the_page_say_it_too(knn_workspace, monkeypatch):
    import streamlit as st

    from monitor.validate import validate
    from tests.app.apptest import open_page

    settings, service, _ = knn_workspace
    warning = next(p for p in validate(service) if "explanations:" in p.message)
    assert warning.severity == "warning" and "Sampling explainer" in warning.message
    monkeypatch.setenv("MONITOR_WORKSPACE", str(settings.workspace))
    monkeypatch.setenv("MONITOR_SPEC", str(settings.spec))
    st.cache_resource.clear()
    st.cache_data.clear()
    try:
        at = open_page("pages/explain.py", "knn", errors_allowed=False)
        assert any(i.value.startswith("**Approximate explanations.** Sampling explainer") for i in at.info), \
            [i.value for i in at.info]
    finally:
        st.cache_resource.clear()
        st.cache_data.clear()

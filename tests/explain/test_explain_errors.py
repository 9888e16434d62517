"""Models and inputs that cannot be explained get an ExplainError that names them."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression

from monitor.errors import MonitorError
from monitor.explain import ExplainError, ModelExplainer

FRAME = pd.DataFrame({"a": np.arange(10.0), "b": np.arange(10.0) % 3})


class NoPredict:
    pass


class BrokenModel:
    def predict(self, X):
        raise ValueError("scoring backend is down")


def test_explain_error_is_a_monitor_error():
    assert issubclass(ExplainError, MonitorError)


def test_object_without_predict_is_named():
    with pytest.raises(
        ExplainError, match=r"model 'churn' \(.*NoPredict\): it has no predict_proba, decision_function or predict"
    ):
        ModelExplainer(NoPredict(), ["a", "b"], "regression", background=FRAME, name="churn")


def test_predict_that_raises_is_named_with_its_cause():
    with pytest.raises(ExplainError, match=r"BrokenModel.*ValueError: scoring backend is down") as info:
        ModelExplainer(BrokenModel(), ["a", "b"], "regression", background=FRAME)
    assert isinstance(info.value.__cause__, ValueError)


def test_model_agnostic_and_linear_need_background():
    with pytest.raises(ExplainError, match="without background data"):
        ModelExplainer(BrokenModel(), ["a", "b"], "regression")
    model = LogisticRegression().fit(FRAME, np.arange(10) % 2)
    with pytest.raises(ExplainError, match="linear explainer needs background data"):
        ModelExplainer(model, ["a", "b"], "classification")


def test_bad_task_features_and_sample_size():
    model = LogisticRegression().fit(FRAME, np.arange(10) % 2)
    with pytest.raises(ExplainError, match="task must be one of classification, regression"):
        ModelExplainer(model, ["a", "b"], "ranking", background=FRAME)
    with pytest.raises(ExplainError, match=r"fitted on columns \['b'\]"):
        ModelExplainer(model, ["a"], "classification", background=FRAME)
    with pytest.raises(ExplainError, match="target_class 'yes' is not one of"):
        ModelExplainer(model, ["a", "b"], "classification", background=FRAME, target_class="yes")
    explainer = ModelExplainer(model, ["a", "b"], "classification", background=FRAME)
    with pytest.raises(ExplainError, match="sample_size must be a positive integer"):
        explainer.global_importance(FRAME, sample_size=0)
    with pytest.raises(ExplainError, match="must be a pandas DataFrame"):
        explainer.explain_rows(FRAME.to_numpy())


def test_failure_while_explaining_a_batch_is_wrapped():
    model = LogisticRegression().fit(FRAME, np.arange(10) % 2)
    explainer = ModelExplainer(model, ["a", "b"], "classification", background=FRAME)
    bad = FRAME.assign(a="not a number")
    with pytest.raises(ExplainError, match=r"LogisticRegression with its linear explainer: ValueError"):
        explainer.explain_rows(bad)

"""Local explanations, their sentence and JSON-safe results."""

from __future__ import annotations

import json

import numpy as np
import pytest
from explain_data import LOAN_CATEGORICAL, LOAN_NUMERIC

from monitor.explain import ExplainError, LocalExplanation, ModelExplainer
from monitor.explain.results import explanation_sentence, format_value

FEATURES = LOAN_NUMERIC + LOAN_CATEGORICAL


@pytest.fixture(scope="module")
def explainer(loan):
    model, X, _ = loan
    return ModelExplainer(model, FEATURES, "classification", background=X, name="loan-default")


def test_local_explanation_of_a_labelled_row(loan, explainer):
    model, _, batch = loan
    batch = batch.set_index(batch.index.map(lambda i: f"loan-{i}"))
    local = explainer.explain_row(batch, "loan-4")
    assert isinstance(local, LocalExplanation)
    assert local.index == "loan-4"
    assert local.output_value == pytest.approx(model.decision_function(batch.loc[["loan-4"]])[0], abs=1e-6)
    assert local.base_value + sum(local.contributions.values()) == pytest.approx(local.output_value, abs=1e-9)
    assert list(local.contributions) == FEATURES
    assert np.isnan(local.values["income"])  # row 4 of the messy batch has no income
    payload = local.to_dict()
    assert set(payload) >= {"base_value", "output_value", "contributions", "values", "explainer", "output", "sentence"}
    assert payload["values"]["income"] is None
    json.dumps(payload, allow_nan=False)
    assert local.sentence.startswith("The ")
    assert "log-odds of class 1" in local.sentence


def test_global_importance_is_json_safe_and_seeded(loan, explainer):
    _, _, batch = loan
    first = explainer.global_importance(batch, sample_size=50, seed=7)
    again = explainer.global_importance(batch, sample_size=50, seed=7)
    other = explainer.global_importance(batch, sample_size=50, seed=8)
    assert first == again
    assert first.importance != other.importance
    payload = first.to_dict()
    json.dumps(payload, allow_nan=False)
    assert payload["n_rows"] == 50 and payload["seed"] == 7
    assert payload["explainer"] == "tree" and payload["output"] == "log-odds of class 1"
    assert set(payload["importance"]) == set(FEATURES)
    assert list(payload["importance"].values()) == sorted(payload["importance"].values(), reverse=True)


def test_unknown_row_and_missing_column_are_named(loan, explainer):
    _, _, batch = loan
    with pytest.raises(ExplainError, match=r"loan-default.*row 'nope'"):
        explainer.explain_row(batch, "nope")
    with pytest.raises(ExplainError, match=r"lacks feature column\(s\) \['region'\]"):
        explainer.global_importance(batch.drop(columns="region"))


def test_sentence_names_top_three_up_and_strongest_down():
    contributions = {"income": 0.9, "age": 0.2, "region": 0.5, "debt_ratio": -0.7, "loan_amount": 0.1, "tenure": -0.1}
    values = {"income": 12000.0, "age": 35, "region": "north", "debt_ratio": 0.45, "loan_amount": 9500.5, "tenure": 2}
    sentence = explanation_sentence(contributions, values, base_value=-1.0, output_value=0.9, output="log-odds of class 1")
    assert sentence == (
        "The three factors that pushed this prediction up most were income (12,000), region (north) and age (35); "
        "the factor that pulled it down most was debt_ratio (0.45). "
        "The log-odds of class 1 is 0.9, against a baseline of -1."
    )


def test_sentence_without_a_downward_factor():
    sentence = explanation_sentence({"a": 1.0, "b": 0.0}, {"a": None, "b": 2.5}, 0.0, 1.0, "predicted value")
    assert sentence.startswith("The factor that pushed this prediction up most was a (missing); no factor pulled it down.")
    assert explanation_sentence({"a": 0.0}, {"a": 1}, 2.0, 2.0, "predicted value").startswith("No factor moved")


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (12000, "12,000"),
        (12000.0, "12,000"),
        (1234.56, "1,235"),
        (3.14159, "3.14"),
        (0.012345, "0.0123"),
        (float("nan"), "missing"),
        (True, "yes"),
        ("east", "east"),
    ],
)
def test_format_value(value, text):
    assert format_value(value) == text


def test_empty_batch_has_no_rows_but_a_base_value(loan, explainer):
    _, _, batch = loan
    rows = explainer.explain_rows(batch.head(0))
    assert rows.values.shape == (0, len(FEATURES))
    assert rows.base_value == pytest.approx(explainer.explain_rows(batch.head(1)).base_value)
    assert rows.to_dict()["rows"] == []

"""Attribution drift: NDCG of the batch ranking against the reference importances."""

from __future__ import annotations

import math

import pytest

from monitor.explain import ExplainError, ndcg

REFERENCE = {"income": 5.0, "debt_ratio": 4.0, "age": 3.0, "region": 2.0, "loan_amount": 1.0}


def test_identical_ranking_scores_one():
    assert ndcg(REFERENCE, REFERENCE) == 1.0
    assert ndcg(REFERENCE, {k: v * 10 + 1 for k, v in REFERENCE.items()}) == 1.0


def test_reversed_ranking_scores_below_threshold():
    reversed_ = {k: -v + 10 for k, v in REFERENCE.items()}
    score = ndcg(REFERENCE, reversed_)
    assert score == pytest.approx(0.722243, abs=1e-6)


def test_hand_computed_case():
    reference = {"a": 3.0, "b": 2.0, "c": 1.0}
    current = {"a": 0.2, "b": 0.3, "c": 0.1}  # ranks b, a, c
    dcg = 2 / math.log2(2) + 3 / math.log2(3) + 1 / math.log2(4)
    idcg = 3 / math.log2(2) + 2 / math.log2(3) + 1 / math.log2(4)
    assert ndcg(reference, current) == pytest.approx(dcg / idcg, abs=1e-12)
    assert ndcg(reference, current) == pytest.approx(0.922495, abs=1e-6)


def test_top_k_and_missing_features():
    reference = {"a": 3.0, "b": 2.0, "c": 1.0}
    assert ndcg(reference, {"a": 1.0, "c": 0.5, "b": 0.1}, k=1) == 1.0
    assert ndcg(reference, {"b": 1.0}, k=1) == pytest.approx(2 / 3)
    assert ndcg({}, {"a": 1.0}) == 1.0
    assert ndcg({"a": 0.0}, {"a": 1.0}) == 1.0


def test_invalid_input_is_rejected():
    with pytest.raises(ExplainError, match="importance of feature 'a' is not finite"):
        ndcg({"a": float("nan")}, {"a": 1.0})
    with pytest.raises(ExplainError, match="k must be a positive integer"):
        ndcg(REFERENCE, REFERENCE, k=0)

"""Explanations on the demo workspace: stored in every snapshot, and exact for a chosen row."""

import math

import pytest

pytestmark = pytest.mark.slow


@pytest.mark.parametrize("model", ["loan_default", "store_demand"])
def test_every_snapshot_has_importance_and_attribution_drift(demo, model):
    features = set(demo.model(model).features)
    for snap in demo.snapshots(model):
        explain = snap.explain
        assert set(explain.importance) == features, snap.batch_id
        assert 0 <= explain.ndcg <= 1 and explain.ndcg_threshold == 0.9
        assert isinstance(explain.attribution_drift, bool)
        assert explain.output


def test_local_explanation_of_a_classifier_row_is_additive(demo):
    snap = demo.snapshots("loan_default")[-1]
    local = demo.explain_row("loan_default", snap.batch_id, 17)
    total = local["base_value"] + sum(local["contributions"].values())
    assert total == pytest.approx(local["output_value"], abs=1e-6)
    # The explained output is the model's log-odds of default for that very row.
    batch = demo.batch_frame("loan_default", snap.batch_id)
    model = demo.mlflow.load_model("loan-default-classifier", "1")
    features = list(demo.model("loan_default").features)
    proba = model.predict_proba(batch[features].iloc[[17]])[0, 1]
    assert local["output_value"] == pytest.approx(math.log(proba / (1 - proba)), abs=1e-6)
    assert proba == pytest.approx(batch["score"].iloc[17], abs=1e-6)
    assert "log-odds" in local["output"] and local["sentence"]


def test_beeswarm_sample_is_additive_per_row(demo):
    snap = demo.snapshots("store_demand")[0]
    frame = demo.explain_sample("store_demand", snap.batch_id, n=40)
    assert frame["row"].nunique() == 40 and set(frame["feature"]) == set(demo.model("store_demand").features)
    numeric = frame["feature"].isin(demo.model("store_demand").numeric_features)
    assert frame.loc[numeric, "scaled"].between(0, 1).all() and frame.loc[~numeric, "scaled"].isna().all()

"""AppTest for the drift, explainability and models pages, on the demo workspace."""


import pytest
from streamlit.testing.v1 import AppTest

from tests.app.apptest import open_page

pytestmark = pytest.mark.slow


def _page(path: str, model: str | None = None) -> AppTest:
    return open_page(path, model)


def _feature_table(at: AppTest):
    return next(d.value for d in at.dataframe if "Feature" in d.value.columns)


def _markdown(at: AppTest) -> str:
    return "\n".join(m.value for m in at.markdown) + "\n".join(c.value for c in at.caption)


@pytest.mark.parametrize("model", ["loan_default", "store_demand"])
def test_drift_page_shows_each_model(demo, model):
    at = _page("pages/drift.py", model)
    assert at.selectbox(key="model").value == model
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Dataset drift"] == "DRIFT"  # the latest demo batch is in the drifted weeks
    batches = at.selectbox(key=f"drift-batch-{model}").options
    assert len(batches) == 12 and all(model in b for b in batches)
    table = _feature_table(at)
    assert set(demo.model(model).features) == set(table["Feature"])
    assert not at.error


@pytest.mark.parametrize(("model", "shifted"), [("loan_default", {"debt_ratio", "employment_type"}),
                                                 ("store_demand", {"temperature", "store_region"})])
def test_drift_page_weeks_one_to_six_are_clean_and_seven_on_drift(demo, model, shifted):
    at = _page("pages/drift.py", model)
    picker = at.selectbox(key=f"drift-batch-{model}")
    snaps = {s.batch_id: s for s in demo.snapshots(model)}
    for week in range(1, 13):
        batch = next(b for b in picker.options if f"-w{week:02d}-" in b).split(" · ")[-1]
        at.selectbox(key=f"drift-batch-{model}").set_value(batch).run()
        table = _feature_table(at).set_index("Feature")
        drifted = set(table.index[table["Drifted"]])
        if week < 7:
            assert not drifted, (week, drifted)
        else:
            assert shifted <= drifted, (week, drifted)
        # the headline is the chosen batch's, not the latest one's
        metrics = {m.label: m.value for m in at.metric}
        snap = snaps[batch]
        assert metrics["Batch"] == snap.ts[:10]
        assert metrics["Dataset drift"] == ("DRIFT" if snap.drift.drifted else "no drift")
        assert metrics["Drifted features"] == f"{snap.drift.n_drifted} / {snap.drift.n_features}"
        assert drifted == set(snap.drift.drifted_features)


def test_explain_page_renders_importance_and_a_local_explanation(demo):
    at = _page("pages/explain.py", "loan_default")
    assert not at.error and not at.warning, [w.value for w in at.warning]
    assert len(at.get("plotly_chart")) == 3  # importance, over time and the open tab's waterfall (other tabs run when opened)
    assert [t.label for t in at.tabs] == ["Explain one prediction", "Row by row", "Attribution drift over time"]
    sentence = at.info[0].value
    assert "probability of defaulted = 1" in sentence and "Pushed up most by" in sentence
    assert at.radio(key="explain-scale").value == "probability"
    at.radio(key="explain-scale").set_value("log-odds").run()
    assert not at.exception and "pushed this prediction" in at.info[0].value
    labels = [m.label for m in at.metric]
    assert "Attribution drift (NDCG vs reference ranking)" in labels


def test_explain_page_for_the_regressor(demo):
    at = _page("pages/explain.py", "store_demand")
    assert not at.error and not at.warning and at.info


def test_models_page_lists_both_models_and_validates(demo):
    at = _page("pages/models.py")
    table = at.dataframe[0].value
    assert set(table["model"]) == {"loan_default", "store_demand"}
    assert (table["snapshots"] == 12).all()
    at.button[0].click().run()  # Validate now
    assert not at.exception
    assert any("valid" in s.value for s in at.success), [e.value for e in at.error]


def test_a_link_with_a_model_opens_the_page_on_that_model(demo):
    from streamlit.testing.v1 import AppTest

    from tests.app.apptest import APP

    at = AppTest.from_file(APP, default_timeout=180)
    at.switch_page("pages/drift.py")
    at.query_params["model"] = "store_demand"
    at.run()
    assert not at.exception and at.selectbox(key="model").value == "store_demand"
    at.selectbox(key="model").set_value("loan_default").run()
    assert at.selectbox(key="model").value == "loan_default"  # the visitor's own choice wins afterwards

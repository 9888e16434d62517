"""AppTest of the business page on the demo workspace."""

import datetime as dt

import pytest
from streamlit.testing.v1 import AppTest

from tests.app.apptest import open_page

pytestmark = pytest.mark.slow


COMMON = {"Health score", "Predictions made", "Shift in predictions", "Days since training"}


def _page(model: str) -> AppTest:
    return open_page("pages/business.py", model, errors_allowed=False)


def _captions(at: AppTest) -> str:
    return "\n".join(c.value for c in at.caption)


@pytest.mark.parametrize("model, performance", [("loan_default", "Accuracy (AUC)"), ("store_demand", "Average error (MAE)")])
def test_five_kpis_show_values(demo, model, performance):
    at = _page(model)
    metrics = {m.label: m for m in at.metric}
    assert set(metrics) == COMMON | {performance}
    assert all(m.value and m.value != "—" for m in metrics.values()), {k: m.value for k, m in metrics.items()}
    assert all(m.help for m in metrics.values())  # every KPI states its definition
    assert metrics["Days since training"].value.endswith("days")
    assert "Weakest part:" in _captions(at)


def test_portfolio_row_per_model_flags_the_drifting_demo(demo):
    portfolio = _page("loan_default").dataframe[0].value
    assert list(portfolio["Model"]) == demo.spec.names
    assert set(portfolio[""]) <= {"🟢", "🟠", "🔴"} and "🔴" in set(portfolio[""])  # drift from week 7
    assert "Accuracy" not in portfolio.columns
    main = dict(zip(portfolio["Model"], portfolio["Main metric"], strict=True))
    assert main["loan_default"].startswith("AUC 0.") and main["store_demand"].startswith("MAE ")


def test_the_mae_card_and_the_portfolio_say_the_same(demo):
    at = _page("store_demand")
    card = next(m for m in at.metric if m.label == "Average error (MAE)")
    portfolio = at.dataframe[0].value.set_index("Model")
    assert portfolio.loc["store_demand", "Main metric"].startswith(f"MAE {card.value} (")
    loss = portfolio.loc["store_demand", "Main metric"].split("(")[1].rstrip(")")  # e.g. "2% worse"
    captions = _captions(at)
    assert f": {loss}." in captions  # the card's note
    assert f"MAE is {loss} than the baseline" in at.dataframe[1].value.to_string()  # the health part


def test_drifted_predictions_are_not_green(demo):
    at = _page("store_demand")  # its predictions drift from week 7 (the Drift page's verdict)
    caption = next(c.value for c in at.caption if "distribution of predictions" in c.value)
    assert caption.startswith(("🟠", "🔴")) and "distribution of predictions drifted" in caption


def test_late_labels_are_named_with_the_batches_the_figure_comes_from(demo):
    captions = _captions(_page("loan_default"))
    assert "Labels are late for 2 batch(es)" in captions and "Realized on the 10 batches of" in captions


def test_a_period_before_the_data_has_no_status_and_says_where_the_batches_are(demo):
    at = _page("loan_default")
    first = min(s.time for s in demo.snapshots("loan_default")).date()
    at.date_input(key="period_input").set_value((first - dt.timedelta(days=300), first - dt.timedelta(days=210))).run()
    assert not at.exception, [e.value for e in at.exception]
    assert set(at.dataframe[0].value["Status"]) == {"no data in this period"}
    assert "on track" not in at.subheader[1].value and "no data in this period" in at.subheader[1].value
    info = "\n".join(i.value for i in at.info)
    assert "No batches of loan\\_default in this period" in info or "No batches of loan_default in this period" in info
    assert f"the first is from {first}" in info
    age = next(m for m in at.metric if m.label == "Days since training")
    assert age.value == "trained later"

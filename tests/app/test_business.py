"""AppTest of the business page on the demo workspace."""


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


def test_late_labels_are_named_with_the_last_known_value(demo):
    captions = _captions(_page("loan_default"))
    assert "Labels are late for 2 batch(es)" in captions and "last known value" in captions

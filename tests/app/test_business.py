"""AppTest of the business page on the demo workspace."""

import datetime as dt

import pytest
from streamlit.testing.v1 import AppTest

from tests.app.apptest import APP, open_page

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
    assert "Pulled down by input data (0/100)" in _captions(at)


def test_portfolio_row_per_model_flags_the_drifting_demo(demo):
    portfolio = _page("loan_default").dataframe[0].value
    assert list(portfolio["Model"]) == demo.spec.names
    assert "needs attention" in set(portfolio["Status"])  # drift from week 7
    assert "Accuracy" not in portfolio.columns
    why = dict(zip(portfolio["Model"], portfolio["Why"], strict=True))
    assert "Inputs changed (0/100)" in why["loan_default"] and "Predictions shifted" in why["loan_default"]
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


def _card(at: AppTest, label: str):
    """(badge markdown, note) of the card whose metric is ``label``."""
    col = next(c for c in at.columns if len(c.metric) == 1 and c.metric[0].label == label)
    return col.markdown[0].value, col.caption[0].value


def test_drifted_predictions_are_not_green(demo):
    at = _page("store_demand")  # its predictions drift from week 7 (the Drift page's verdict)
    badge, note = _card(at, "Shift in predictions")
    assert badge.startswith((":orange-badge[", ":red-badge[")) and "distribution of the predictions drifted" in note
    assert "Average predicted units sold" in note and "above the training data" in note


def test_every_card_carries_its_status_in_colour_and_words(demo):
    at = _page("loan_default")
    colours = {"ok": ":green-badge[", "warn": ":orange-badge[", "alert": ":red-badge[", "none": ":gray-badge["}
    words = {"ok": "on track", "warn": "keep an eye on it", "alert": "needs attention", "none": "no status"}
    seen = set()
    for metric in at.metric:
        badge, _ = _card(at, metric.label)
        status = next(s for s, start in colours.items() if badge.startswith(start))
        assert words[status] in badge, badge
        seen.add(status)
    assert "ok" in seen and {"warn", "alert"} & seen
    assert "nearly twice as often" in _card(at, "Shift in predictions")[1]  # 1.7% -> 3.3% of cases, in words


def test_failing_parts_each_have_a_next_step_and_a_link(demo):
    at = _page("loan_default")
    assert [s.value for s in at.subheader][2] == "What needs attention"
    steps = [m.value for m in at.markdown if m.value.startswith("**Next step:**")]
    links = at.get("page_link")
    assert len(steps) >= 2 and len(links) == len(steps)  # one next step and one link per failing part
    pages = [link.proto.page for link in links]
    latest = max(demo.snapshots("loan_default"), key=lambda s: s.ts)
    assert pages[:2] == ["drift", "drift"] and all(link.proto.query_string.startswith("model=loan_default") for link in links)
    # the Drift links name the batch that shows the cause, and the Drift page opens on it
    assert links[0].proto.query_string == f"model=loan_default&batch={latest.batch_id}"
    assert f"batch of {latest.ts[:10]}" in links[0].proto.label
    assert "drift-batch-loan_default" not in at.session_state  # showing the links changes no other page's choice


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


def test_a_visitor_without_the_cause_page_is_told_where_it_is_instead_of_a_link(demo):
    at = AppTest.from_file(APP, default_timeout=180)
    at.secrets["auth"] = {"redirect_uri": "http://localhost:8501/oauth2callback", "cookie_secret": "test-cookie-secret",
                          "microsoft": {"client_id": "00000000-0000-0000-0000-000000000001",
                                        "client_secret": "test-client-secret",
                                        "server_metadata_url": "https://login.microsoftonline.com/00000000-0000-0000-"
                                                               "0000-000000000002/v2.0/.well-known/openid-configuration"}}
    at.secrets["monitor"] = {"personas": "grp-bi=business"}
    at.user = {"is_logged_in": True, "name": "Ada Lovelace", "email": "ada@example.com", "groups": ["grp-bi"]}
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.title[0].value == "Model health" and not at.get("page_link")  # Drift, Performance... are not theirs
    steps = [m.value for m in at.markdown if m.value.startswith("**Next step:**")]
    told = [c.value for c in at.caption if "page, which your access does not include" in c.value]
    assert steps and len(told) == len(steps)

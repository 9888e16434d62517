"""The Alerts page in AppTest, on the demo workspace (its default rules, no channel): open alerts first, then the
history; each persona sees the alerts routed to it; acknowledge, mute, and open the page that shows the cause."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from monitor.alerts.state import AlertStore
from tests.app.apptest import APP, open_page, shown
from tests.app.test_login import AUTH, PERSONAS

pytestmark = pytest.mark.slow
MODELS = ("loan_default", "store_demand")


def _pick(at: AppTest, label: str) -> None:
    box = at.selectbox(key="alerts-pick")
    box.select_index(box.options.index(label)).run()


def test_open_alerts_come_first_with_their_batch_and_page(demo):
    at = open_page("pages/alerts.py", errors_allowed=False)
    assert at.title[0].value == "Alerts"
    assert "No alert channel is configured" in at.info[0].value
    table = at.dataframe[0].value
    rows = {(r.model, r.alert): r for r in table.itertuples()}
    for model in MODELS:  # the demo's problems from week 7 on, under the default rules
        drift = rows[model, "Dataset drift"]
        assert "-w07-" in drift.batch and drift.page == f"drift?model={model}&batch={drift.batch}"
        assert "-w07-" in rows[model, "Health"].batch and rows[model, "Health"].page.startswith("health?")
    order = [{"critical": 0, "warning": 1}[s] for s in table["severity"]]
    assert order == sorted(order)
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Open alerts"] == str(len(table))
    history = at.dataframe[1].value
    fired = history[history["event"] == "fired"]
    assert {(r.model, r.alert) for r in fired.itertuples()} >= {(m, a) for m in MODELS for a in ("Health", "Dataset drift")}
    assert (fired["delivery"] == "no alert channel is configured").all()


def test_each_persona_sees_the_alerts_routed_to_it(demo):
    at = open_page("pages/alerts.py")
    at.multiselect(key="alerts-personas").set_value(["business"]).run()
    assert set(at.dataframe[0].value["alert"]) == {"Health"}
    at.multiselect(key="alerts-personas").set_value(["data_science"]).run()
    assert {"Dataset drift"} <= set(at.dataframe[0].value["alert"]) and "Health" not in set(at.dataframe[0].value["alert"])
    at.multiselect(key="alerts-models").set_value(["store_demand"]).run()
    assert set(at.dataframe[0].value["model"]) == {"store_demand"}


def test_with_sign_in_the_page_offers_only_the_visitors_personas(demo):
    at = AppTest.from_file(APP, default_timeout=180)
    at.secrets["auth"] = AUTH
    at.secrets["monitor"] = {"personas": PERSONAS}
    at.user = {"is_logged_in": True, "name": "Grace", "email": "grace@example.com", "groups": ["grp-de"]}
    at.run()
    at.switch_page("pages/alerts.py").run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.multiselect(key="alerts-personas").options == ["Business", "Data engineering"]
    assert "Dataset drift" not in set(at.dataframe[0].value["alert"])  # routed to data science only


def test_acknowledge_mute_and_open_the_page_of_the_cause(demo):
    at = open_page("pages/alerts.py", errors_allowed=False)
    _pick(at, "Dataset drift of loan_default")
    at.button(key="alerts-ack").click().run()
    assert shown(at.success[0].value) == "Acknowledged: Dataset drift of loan_default."
    row = at.dataframe[0].value.set_index(["model", "alert"]).loc[("loan_default", "Dataset drift")]
    assert row["acknowledged"].startswith("by an app user at ")
    store = AlertStore(demo.store)
    action = store.actions()["loan_default", "dataset_drift"]
    assert action.acked_episode == next(s.episode for s in store.states() if s.model == "loan_default"
                                        and s.key == "dataset_drift")
    _pick(at, "Dataset drift of loan_default")
    at.selectbox(key="alerts-mute-for").set_value("4 hours").run()
    at.button(key="alerts-mute").click().run()
    assert at.success[0].value.startswith("Muted until ")
    assert store.actions()["loan_default", "dataset_drift"].muted_until is not None
    _pick(at, "Dataset drift of loan_default")
    at.button(key="alerts-unmute").click().run()
    assert store.actions()["loan_default", "dataset_drift"].muted_until is None
    _pick(at, "Dataset drift of loan_default")
    at.button(key="alerts-open").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.title[0].value == "Drift" and at.selectbox(key="model").value == "loan_default"

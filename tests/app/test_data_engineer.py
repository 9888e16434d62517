"""AppTest of the data-engineer page on the demo workspace."""

import datetime as dt
import json
import re

import pytest
from streamlit.testing.v1 import AppTest

from tests.app.apptest import open_page

pytestmark = pytest.mark.slow


LABELS = {"Pipeline success rate", "Data freshness", "Data quality issues", "Drifted features", "Pipeline duration"}


def _page(model: str, tab: str | None = None) -> AppTest:
    """The page for ``model``; ``tab`` opens one of its lazily run tabs (the first one is open by default)."""
    at = open_page("pages/data_engineer.py", model, errors_allowed=False)
    if tab is not None:
        at.session_state["de-tabs"] = tab
        at.run()
        assert not at.exception and not at.error, [e.value for e in (*at.exception, *at.error)]
        assert [t.label for t in at.tabs] == ["Pipeline runs", "Rows and missing values per batch",
                                             "Data quality findings", "Monitoring job"]
    return at


def _captions(at: AppTest) -> str:
    return "\n".join(c.value for c in at.caption)


@pytest.mark.parametrize("model", ["loan_default", "store_demand"])
def test_five_kpis_show_values(demo, model):
    at = _page(model)
    metrics = {m.label: m for m in at.metric}
    assert set(metrics) == LABELS
    assert all(m.value and m.value != "—" for m in metrics.values()), {k: m.value for k, m in metrics.items()}
    assert all(m.help for m in metrics.values())


def test_the_failed_pipeline_run_is_listed(demo):
    at = _page("store_demand")
    assert float(at.metric[0].value.rstrip("%")) < 100
    failed = at.dataframe[0].value
    assert list(failed["pipeline"]) == ["pl_store_sales_ingest"] and "SqlOperationFailed" in failed.loc[0, "message"]
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2} UTC", failed.loc[0, "started"])  # readable, not ISO
    assert failed.loc[0, "then"].startswith("re-run succeeded at ")  # the same pipeline ran again three hours later
    runs = at.dataframe[1].value
    assert "Failed" in set(runs["status"]) and runs["outside_usual_range"].any()  # the slow re-run
    assert runs.loc[runs["status"] == "Failed", "follow_up"].iloc[0] == failed.loc[0, "then"]
    chart = json.loads(at.get("plotly_chart")[0].proto.spec)
    assert [t["name"] for t in chart["data"]][-1] == "Failed"  # drawn last: on top of its same-day re-run
    at.multiselect(key="de-statuses").set_value(["Failed"]).run()
    assert set(at.dataframe[1].value["status"]) == {"Failed"}
    chart = json.loads(at.get("plotly_chart")[0].proto.spec)
    assert [t["name"] for t in chart["data"]] == ["Failed"]  # the status filter applies to the chart too


def test_volume_and_missing_values_per_batch(demo):
    at = _page("loan_default", "Rows and missing values per batch")  # credit_history_years: a quarter missing from week 7
    charts = [json.loads(c.proto.spec) for c in at.get("plotly_chart")]
    titles = {c["layout"]["title"]["text"]: c for c in charts}
    rows = titles["Rows per batch"]["data"][0]
    assert len(rows["y"]) == len(demo.snapshots("loan_default")) and min(rows["y"]) > 0
    missing = titles["Missing values per batch (columns with any)"]["data"]
    assert missing[0]["name"] == "credit_history_years" and max(missing[0]["y"]) > 0.2


def test_findings_are_grouped_critical_first_with_info_folded(demo):
    at = _page("loan_default", "Data quality findings")
    tables = [d.value for d in at.dataframe if "latest detail" in d.value.columns]
    assert tables and list(tables[0]["severity"].unique()) == ["critical"]
    assert all(re.fullmatch(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2} UTC", t) for t in tables[0]["latest"])
    info = [e for e in at.expander if e.label.startswith("Information only:")]
    assert len(info) == 1 and "info" in set(info[0].dataframe[0].value["severity"])


def test_week_seven_drift_appears(demo):
    at = _page("loan_default")
    captions = _captions(at)
    assert "Features have drifted in every batch since the batch of" in captions and "loan_default-w07-" in captions
    assert "debt_ratio" in captions and "employment_type" in captions


def test_a_period_before_the_data_says_what_is_missing(demo):
    at = _page("store_demand")
    first = min(s.time for s in demo.snapshots("store_demand")).date()
    at.date_input(key="period_input").set_value((first - dt.timedelta(days=300), first - dt.timedelta(days=210))).run()
    assert not at.exception, [e.value for e in at.exception]
    assert "no data in this period" in at.subheader[0].value
    info = "\n".join(i.value for i in at.info)
    assert "in this period" in info and f"the first is from {first}" in info
    assert all(m.value == "—" for m in at.metric)

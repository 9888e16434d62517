"""App test of the provenance page: the default view (one model, its newest batches), a node picked by id with its
plain-language details, a drifted snapshot traced back, the depth around a node and the downloads."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from monitor.lineage import build_graph, recent

pytestmark = pytest.mark.slow

APP = str(Path(__file__).resolve().parents[2] / "streamlit_app.py")


@pytest.fixture(scope="module")
def records(demo):
    return demo.lineage_records()


@pytest.fixture
def page(demo):
    at = AppTest.from_file(APP, default_timeout=120)
    at.switch_page("pages/provenance.py")
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _markdown(at) -> str:
    return "\n".join(m.value for m in at.markdown)


def test_default_view_is_one_model_and_its_newest_batches(page, records):
    assert page.multiselect(key="lineage_models").value == ["loan_default"]
    assert page.number_input(key="lineage_batches").value == 6
    graph = recent(build_graph(records, models=["loan_default"]), 6)
    picker = page.selectbox(key="lineage_node")
    assert picker.value is None and len(picker.options) == len(graph.nodes)
    assert sum(n.kind == "batch" for n in graph.nodes) == 6
    summary = graph.node("summary:loan_default")
    assert summary.fields["batches"] == 6 and any(o.startswith("Older batches (collapsed) · 6 older batches") for o in picker.options)

    page.number_input(key="lineage_batches").set_value(0).run()  # every batch of the period
    assert not page.exception, [e.value for e in page.exception]
    assert len(page.selectbox(key="lineage_node").options) == len(build_graph(records, models=["loan_default"]).nodes)


def test_details_of_a_failed_pipeline_run_in_plain_language(page, records):
    page.multiselect(key="lineage_models").set_value(["store_demand"]).run()
    graph = recent(build_graph(records, models=["store_demand"]), 6)
    failed = next(n for n in graph.nodes if n.kind == "pipeline_run" and n.status == "failed")
    picker = page.selectbox(key="lineage_node")
    assert len(picker.options) == len(graph.nodes)
    picker.set_value(failed.id).run()
    assert not page.exception, [e.value for e in page.exception]
    assert page.session_state["lineage_node"] == failed.id
    assert [s.value for s in page.subheader] == [f"Pipeline run: {failed.label}"]
    text = _markdown(page)
    assert "Status: :red[**failed**]" in text and "`store_demand`" in text
    assert "A run of the data pipeline `pl_store_sales_ingest`" in text and "Outcome: **failed** after 31 min" in text
    assert "2026" in text and " UTC" in text and "T05:00:00" not in text  # readable times, not ISO stamps
    assert f"Run id `{failed.fields['runId'][:8]}…`" in text  # short ids; the raw record holds the whole one
    assert any("timeout" in e.value for e in page.error)  # the run's message
    assert "**Linked to**" in text and "→ to Scoring batch store_demand-w08-" in text
    [raw] = [e for e in page.expander if e.label == "Raw record"]
    fields = dict(zip(raw.dataframe[0].value["field"], raw.dataframe[0].value["value"], strict=True))
    assert fields["runId"] == failed.fields["runId"] and fields["status"] == "Failed" and "timeout" in fields["message"]
    links = raw.dataframe[1].value
    assert list(links["link"]) == ["triggered"] and links["to"][0].startswith("batch:store_demand/store_demand-w08-")


def test_details_of_a_drifted_snapshot(page, records):
    graph = recent(build_graph(records, models=["loan_default"]), 6)
    drifted = [n for n in graph.nodes if n.kind == "snapshot" and n.status == "drifted"][-1]
    page.selectbox(key="lineage_node").set_value(drifted.id).run()
    assert not page.exception, [e.value for e in page.exception]
    text = _markdown(page)
    assert "Status: :red[**drifted**]" in text and "**Drift detected**" in text
    n, total = drifted.fields["n_drifted"], drifted.fields["n_features"]
    assert f"{n} of {total} features drifted" in text
    assert "Drifted features: " + ", ".join(f"`{f}`" for f in drifted.fields["drifted_features"]) in text
    assert "Prediction drift:" in text and "critical data-quality findings" in text


def test_trace_back_from_a_drifted_snapshot(page, records):
    graph = recent(build_graph(records, models=["loan_default"]), 6)
    drifted = [n for n in graph.nodes if n.kind == "snapshot" and n.status == "drifted"][-1]
    page.selectbox(key="lineage_node").set_value(drifted.id).run()
    page.button(key="lineage_trace_btn").click().run()
    assert not page.exception, [e.value for e in page.exception]
    assert page.session_state["lineage_trace"] == drifted.id
    assert any(s.value.startswith("Trace back from Snapshot") for s in page.subheader)
    trace = page.dataframe[-1].value
    assert set(trace["kind"]) == {"Snapshot", "Scoring batch", "Pipeline run", "Model version", "Training run", "Dataset"}
    assert all(w.endswith(" UTC") for w in trace["when"])
    labels = {b.proto.label for b in page.get("download_button")}
    assert labels == {"Download graph (JSON)", "Download graph (Graphviz DOT)"}
    page.button(key="lineage_clear_btn").click().run()
    assert page.session_state["lineage_trace"] is None and not any(s.value.startswith("Trace back from") for s in page.subheader)


def test_depth_around_the_selected_node(page, records):
    graph = recent(build_graph(records, models=["loan_default"]), 6)
    batch = next(n for n in graph.nodes if n.kind == "batch")
    page.selectbox(key="lineage_node").set_value(batch.id).run()
    page.number_input(key="lineage_depth").set_value(1).run()
    assert not page.exception, [e.value for e in page.exception]
    assert any("(4 shown)" in c.value or "(5 shown)" in c.value for c in page.caption)

"""App test of the provenance page: pick a node by id, see its details, trace a drifted snapshot back."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from monitor.lineage import build_graph

pytestmark = pytest.mark.slow

APP = str(Path(__file__).resolve().parents[2] / "streamlit_app.py")


@pytest.fixture(scope="module")
def graph(demo):
    return build_graph(demo.lineage_records())


@pytest.fixture
def page(demo):
    at = AppTest.from_file(APP, default_timeout=120)
    at.switch_page("pages/provenance.py")
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_details_of_a_node_chosen_by_id(page, graph):
    failed = next(n for n in graph.nodes if n.kind == "pipeline_run" and n.status == "failed")
    picker = page.selectbox(key="lineage_node")
    assert picker.value is None and len(picker.options) == len(graph.nodes)
    picker.set_value(failed.id).run()
    assert not page.exception, [e.value for e in page.exception]
    assert page.session_state["lineage_node"] == failed.id
    assert [s.value for s in page.subheader] == [f"Pipeline run: {failed.label}"]
    fields = dict(zip(page.dataframe[0].value["field"], page.dataframe[0].value["value"], strict=True))
    assert fields["runId"] == failed.fields["runId"] and fields["status"] == "Failed" and "timeout" in fields["message"]
    assert {"pipeline", "start", "duration_s", "parameters"} <= set(fields)
    links = page.dataframe[1].value
    assert list(links["link"]) == ["triggered"] and links["to"][0].startswith("batch:store_demand/store_demand-w08-")


def test_trace_back_from_a_drifted_snapshot(page, graph):
    drifted = [n for n in graph.nodes if n.kind == "snapshot" and n.status == "drifted"][-1]
    page.selectbox(key="lineage_node").set_value(drifted.id).run()
    page.button(key="lineage_trace_btn").click().run()
    assert not page.exception, [e.value for e in page.exception]
    assert page.session_state["lineage_trace"] == drifted.id
    assert any(s.value.startswith("Trace back from Snapshot") for s in page.subheader)
    trace = page.dataframe[-1].value
    assert set(trace["kind"]) == {"Snapshot", "Scoring batch", "Pipeline run", "Model version", "Training run", "Dataset"}
    labels = {b.proto.label for b in page.get("download_button")}
    assert labels == {"Download graph (JSON)", "Download graph (Graphviz DOT)"}


def test_depth_around_the_selected_node(page, graph):
    batch = next(n for n in graph.nodes if n.kind == "batch")
    page.selectbox(key="lineage_node").set_value(batch.id).run()
    page.number_input(key="lineage_depth").set_value(1).run()
    assert not page.exception, [e.value for e in page.exception]
    assert any("(4 shown)" in c.value or "(5 shown)" in c.value for c in page.caption)

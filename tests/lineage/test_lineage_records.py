"""The pure graph build on synthetic plain records: scale, collapsing, links and exports."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json

from bench.lineage import END, synthetic_records
from monitor.lineage import EDGE_KINDS, LineageGraph, build_graph, layout, neighbourhood, to_dot, trace_back


def test_two_models_a_year_of_weekly_batches():
    graph = build_graph(synthetic_records(52))
    counts = {k: sum(n.kind == k for n in graph.nodes) for k in graph.kinds()}
    assert counts == {"pipeline_run": 2 * 53 + 2, "dataset": 2, "training_run": 2, "model_version": 2, "batch": 104,
                      "snapshot": 104}
    assert len(graph.nodes) == 322 and len(graph.edges) == 320
    assert {e.kind for e in graph.edges} == set(EDGE_KINDS) - {"registered_as"}
    assert all(e.source in graph and e.target in graph for e in graph.edges)
    assert not any(n.unknown for n in graph.nodes)


def test_window_collapses_older_batches_into_one_summary_per_model():
    records = synthetic_records(52)
    graph = build_graph(records, start=END - dt.timedelta(weeks=12))
    summaries = [n for n in graph.nodes if n.kind == "summary"]
    assert [(s.model, s.fields["batches"], s.fields["failed_pipeline_runs"]) for s in summaries] == [
        ("loan_default", 39, 1), ("store_demand", 39, 1)]
    assert sum(n.kind == "batch" for n in graph.nodes) == 2 * 13
    assert {n.kind for n in graph.nodes} >= {"training_run", "dataset", "model_version"}
    scored = [e for e in graph.edges if e.target == summaries[0].id]
    assert [(e.kind, e.attrs["count"]) for e in scored] == [("scored_by", 39)]
    assert len(graph.nodes) < 100


def test_models_filter_and_run_urls():
    records = synthetic_records(4)
    run_id = records.batches[0].run_id
    records = dataclasses.replace(records, urls={run_id: "http://mlflow:5000/#/experiments/2/runs/" + run_id})
    graph = build_graph(records, models=["loan_default"])
    assert {n.model for n in graph.nodes} == {"loan_default"}
    assert graph.node(f"batch:loan_default/{records.batches[0].batch_id}").url.endswith(run_id)


def test_same_records_same_graph_and_positions():
    a, b = build_graph(synthetic_records(8)), build_graph(synthetic_records(8))
    assert a == b and layout(a) == layout(b)
    assert to_dot(a) == to_dot(b) and a.to_json() == b.to_json()


def test_json_round_trip_and_dot_quoting():
    graph = build_graph(synthetic_records(2))
    doc = json.loads(graph.to_json())
    assert {"id", "kind", "label", "status", "model", "time", "fields", "url", "unknown"} == set(doc["nodes"][0])
    tricky = LineageGraph((dataclasses.replace(graph.nodes[0], label='say "hi"\\now'),), ())
    assert 'say \\"hi\\"' in to_dot(tricky)


def test_trace_back_and_neighbourhood_on_a_failed_week():
    graph = build_graph(synthetic_records(10))
    path = trace_back(graph, "snapshot:store_demand/store_demand-w08")
    assert "pipeline_run:store_demand-w08-failed" in path and graph.node("pipeline_run:store_demand-w08-failed").status == "failed"
    assert {n.kind for n in path.nodes} == {"snapshot", "batch", "pipeline_run", "model_version", "training_run", "dataset"}
    assert "batch:store_demand/store_demand-w07" not in path
    assert len(neighbourhood(graph, "model_version:store-demand-regressor/1", 1).nodes) == 1 + 1 + 10

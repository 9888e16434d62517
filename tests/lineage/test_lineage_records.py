"""The pure graph build on synthetic plain records: scale, collapsing, links, typed snapshots and exports."""

from __future__ import annotations

import ast
import dataclasses
import datetime as dt
import json
import subprocess
import sys
from pathlib import Path

from bench.lineage import END, synthetic_records
from monitor.lineage import EDGE_KINDS, LineageGraph, build_graph, neighbourhood, trace_back
from ui.graph_layout import layout, to_dot

ROOT = Path(__file__).resolve().parents[2]


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


def test_snapshot_nodes_read_the_typed_snapshots():
    records = synthetic_records(40)
    graph = build_graph(records)
    drifted = graph.node("snapshot:loan_default/loan_default-w35")
    assert drifted.status == "drifted" and drifted.label == "drifted · loan_default-w35"
    assert drifted.fields["drifted_features"] == ["x"] and drifted.fields["n_drifted"] == 1
    assert drifted.fields["n_features"] == 2 and drifted.fields["share_threshold"] == 0.5
    source = next(s for s in records.snapshots if s.batch_id == "loan_default-w35")
    assert drifted.fields["computed_at"] == source.computed_at and drifted.fields["rows"] == 2500
    assert drifted.fields["status"] == dataclasses.asdict(source.status)
    calm = graph.node("snapshot:loan_default/loan_default-w03")
    assert calm.status == "ok" and calm.fields["drifted_features"] == [] and not calm.fields["drifted"]


def test_a_prediction_drift_or_a_critical_finding_is_a_warning():
    from monitor.snapshots.types import Snapshot

    base = {"model": "loan_default", "ts": "2026-05-25T06:00:00+00:00", "schema_version": 2,
            "drift": {"overall": {"drifted": False, "n_features": 2, "n_drifted": 0}}}
    snapshots = (
        Snapshot.from_doc({**base, "batch_id": "p", "prediction": {"drift": {"drifted": True, "statistic": 0.4}}}),
        Snapshot.from_doc({**base, "batch_id": "q", "quality": {"findings": [{"check": "nulls", "severity": "critical"}]}}),
    )
    graph = build_graph(dataclasses.replace(synthetic_records(1), snapshots=snapshots), models=["loan_default"])
    assert [graph.node(f"snapshot:loan_default/{b}").status for b in "pq"] == ["warning", "warning"]
    assert all(graph.node(f"unknown:batch:loan_default/{b}").unknown for b in "pq")  # snapshots of batches MLflow does not list


def test_records_export_as_plain_json():
    records = synthetic_records(2)
    doc = json.loads(json.dumps(records.to_dict()))
    assert doc["snapshots"][0]["drift"]["features"]["x"]["method"] == "psi"
    assert next(iter(doc["runs"].values()))["inputs"][0]["context"] == "training"


def test_training_run_records_from_mlflow_runs():
    from monitor.collect.lineage import training_run

    run = training_run({"run_id": "r1", "run_name": "train", "status": "FINISHED", "start": "2026-01-01T00:00:00+00:00",
                        "params": {"a": "1"}, "metrics": {"auc": 0.8},
                        "tags": {"monitor.kind": "training", "monitor.pipeline_run_id": "pr-1"},
                        "inputs": [{"name": "train", "digest": "d", "context": "training", "profile": '{"num_rows": 5}'}]})
    assert (run.kind, run.pipeline_run_id, run.inputs[0].name, run.inputs[0].context) == ("training", "pr-1", "train", "training")
    other = training_run({"run_id": "r2", "tags": {}})
    assert other.kind is None and other.pipeline_run_id is None and other.inputs == ()


def test_the_lineage_package_computes_on_plain_records_only():
    forbidden = ("mlflow", "azure", "streamlit", "monitor.sources", "monitor.store", "monitor.service", "monitor.collect",
                 "monitor.batches", "ui")
    for path in (ROOT / "monitor" / "lineage").glob("*.py"):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            names = ([a.name for a in node.names] if isinstance(node, ast.Import) else
                     [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            bad = [n for n in names if any(n == f or n.startswith(f + ".") for f in forbidden)]
            assert not bad, (path.name, bad)
        assert len(path.read_text().splitlines()) < 400, path.name
    code = ("import sys, monitor.lineage; "
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('mlflow', 'azure', 'streamlit', 'ui')))")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]", out.stdout

"""The provenance graph of a hand-built workspace: real MLflow on SQLite, local pipeline runs, stored snapshots."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from monitor.lineage import EDGE_KINDS, NODE_KINDS, TrainingRun, build_graph, neighbourhood, trace_back
from monitor.records import PipelineRun
from monitor.sources.pipelines import LocalPipelineRunSource
from ui.graph_layout import layout, to_dot

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
MODEL, REGISTERED = "loan_default", "loan-default-classifier"
WEEK = {w: dt.datetime(2026, 1, 5, 6, tzinfo=dt.timezone.utc) + dt.timedelta(weeks=w - 1) for w in range(1, 5)}
BATCH = {w: f"hb-w{w}" for w in WEEK}


def _pipeline_run(run_id: str, pipeline: str, start: dt.datetime, status: str = "Succeeded", **params) -> PipelineRun:
    return PipelineRun(run_id=run_id, pipeline_name=pipeline, status=status, run_start=start.isoformat(),
                       run_end=(start + dt.timedelta(minutes=20)).isoformat(), duration_ms=20 * 60_000,
                       message="timeout reading table" if status == "Failed" else "",
                       parameters={"model": MODEL, **{k: str(v) for k, v in params.items()}})


def _snapshot(week: int, drifted: bool, pipeline_run_id: str | None) -> dict:
    """A stored snapshot document in the flat layout of schema 1 (the collector reads it back as a typed Snapshot)."""
    features = {"income": {"method": "psi", "statistic": 0.4 if drifted else 0.01, "threshold": 0.2, "drifted": drifted},
                "region": {"method": "chi2", "statistic": 0.5, "threshold": 0.05, "drifted": False}}
    return {"id": f"snapshot:{BATCH[week]}", "kind": "snapshot", "model": MODEL, "ts": WEEK[week].isoformat(),
            "schema_version": 1, "batch_id": BATCH[week], "run_id": f"run-{week}", "model_version": "1", "n_rows": 30,
            "pipeline_run_id": pipeline_run_id, "status": {"drifted": drifted, "critical_findings": 0},
            "drift": {"overall": {"drifted": drifted, "n_features": 2, "n_drifted": int(drifted),
                                  "share_drifted": 0.5 if drifted else 0.0, "share_threshold": 0.5}, "features": features}}


@pytest.fixture(scope="module")
def records(tmp_path_factory):
    """One workspace per module: creating an MLflow store costs seconds."""
    import mlflow
    from mlflow import MlflowClient

    from monitor.batches import log_batch, log_reference
    from monitor.bootstrap import build_service
    from monitor.config import Settings

    previous = mlflow.get_tracking_uri(), mlflow.get_registry_uri()
    settings = Settings(workspace=tmp_path_factory.mktemp("lineage-ws"), spec=ROOT / "monitor.toml")
    uri, root = settings.mlflow_tracking_uri, settings.artifact_root
    service = build_service(settings)
    try:
        mlflow.set_tracking_uri(uri)
        mlflow.set_registry_uri(uri)
        client = MlflowClient(uri, registry_uri=uri)
        pipelines = LocalPipelineRunSource(service.store)
        extract = _pipeline_run("pr-extract", "pl_loan_training_extract", WEEK[1] - dt.timedelta(weeks=2), purpose="training")
        scoring1 = _pipeline_run("pr-w1", "pl_loan_applications_daily", WEEK[1] - dt.timedelta(hours=1), batch_id=BATCH[1])
        failed2 = _pipeline_run("pr-w2-failed", "pl_loan_applications_daily", WEEK[2] - dt.timedelta(hours=4), "Failed",
                                batch_id=BATCH[2])
        rerun2 = _pipeline_run("pr-w2", "pl_loan_applications_daily", WEEK[2] - dt.timedelta(hours=1), batch_id=BATCH[2])
        for run in (extract, scoring1, failed2, rerun2):
            pipelines.record(run)

        rng = np.random.default_rng(7)
        frame = pd.DataFrame({"income": rng.normal(50, 10, 200), "region": rng.choice(["n", "s"], 200)})
        exp = client.create_experiment("train", artifact_location=f"{root}/train")
        run = client.create_run(exp, run_name="train loan", tags={"monitor.kind": "training", "monitor.model": MODEL,
                                                                  "monitor.pipeline_run_id": extract.run_id})
        with mlflow.start_run(run_id=run.info.run_id):
            mlflow.log_params({"max_depth": 3})
            mlflow.log_metric("train_auc", 0.81)
            log_reference(frame.assign(defaulted=rng.integers(0, 2, 200)), name="loan-training")
            mlflow.log_input(mlflow.data.from_pandas(frame.head(50), name="loan-eval"), context="eval")
        other = client.create_run(exp, run_name="ad hoc")  # a run that is not a training run of the logging API
        client.set_terminated(other.info.run_id)
        client.create_registered_model(REGISTERED)
        client.create_model_version(REGISTERED, f"runs:/{run.info.run_id}/model", run_id=run.info.run_id)
        client.create_model_version(REGISTERED, "file:///elsewhere/model", run_id=None)  # v2: source run unknown
        client.create_model_version(REGISTERED, f"runs:/{other.info.run_id}/model", run_id=other.info.run_id)  # v3
        client.set_registered_model_alias(REGISTERED, "champion", "1")

        feats = pd.DataFrame({"income": rng.normal(50, 10, 30), "region": rng.choice(["n", "s"], 30)})
        preds = pd.Series(rng.integers(0, 2, 30), name="prediction")
        for week, version, pipeline_run_id in ((1, "1", scoring1.run_id), (2, "1", rerun2.run_id), (3, "2", None),
                                               (4, "9", "pr-missing")):
            log_batch(MODEL, feats, preds, model_version=version, batch_time=WEEK[week], batch_id=BATCH[week],
                      pipeline_run_id=pipeline_run_id, tracking_uri=uri, artifact_root=root, spec=False)
        service.store.upsert(_snapshot(1, False, scoring1.run_id))
        service.store.upsert(_snapshot(2, True, rerun2.run_id))
        service.store.upsert(_snapshot(3, False, None))
        return service.lineage_records([MODEL])
    finally:  # other modules of the session use the demo workspace through the same globals
        mlflow.set_tracking_uri(previous[0])
        mlflow.set_registry_uri(previous[1])


@pytest.fixture(scope="module")
def graph(records):
    return build_graph(records)


def _edge(graph, source, target, kind):
    return next((e for e in graph.edges if (e.source, e.target, e.kind) == (source, target, kind)), None)


def test_every_node_and_edge_kind_is_present(records, graph):
    from monitor.snapshots.types import Snapshot

    assert not records.problems
    assert len(records.snapshots) == 3 and all(isinstance(s, Snapshot) for s in records.snapshots)
    assert all(isinstance(r, TrainingRun) for r in records.runs.values())
    assert set(NODE_KINDS) <= graph.kinds()
    assert {e.kind for e in graph.edges} == set(EDGE_KINDS)
    assert len(set(graph.ids)) == len(graph.ids)


def test_training_chain(graph):
    version = graph.node(f"model_version:{REGISTERED}/1")
    assert version.fields["aliases"] == ["champion"] and "champion" in version.label
    trained = [e for e in graph.edges if e.target == version.id and e.kind == "trained"]
    assert len(trained) == 1
    run = graph.node(trained[0].source)
    assert run.kind == "training_run" and run.fields["params"] == {"max_depth": "3"}
    assert run.fields["metrics"]["train_auc"] == pytest.approx(0.81) and run.status == "ok"
    datasets = {graph.node(e.source).label: e for e in graph.edges if e.target == run.id and e.kind == "consumed"}
    assert set(datasets) == {"loan-training", "loan-eval"}
    assert datasets["loan-training"].attrs["context"] == "training"
    training = graph.node(datasets["loan-training"].source)
    assert training.fields["rows"] == 200 and training.fields["digest"] and "income: double" in training.fields["schema"]
    assert _edge(graph, "pipeline_run:pr-extract", training.id, "produced")
    assert run.url is None  # a SQLite tracking store has no UI to link to


def test_batches_link_to_versions_pipelines_and_snapshots(graph):
    b1 = f"batch:{MODEL}/{BATCH[1]}"
    assert _edge(graph, f"model_version:{REGISTERED}/1", b1, "scored_by")
    assert _edge(graph, "pipeline_run:pr-w1", b1, "triggered")
    assert _edge(graph, b1, f"snapshot:{MODEL}/{BATCH[1]}", "monitored_by")
    assert graph.node(b1).fields["rows"] == 30


def test_failed_pipeline_run_is_red_and_linked_to_the_batch_it_failed_to_deliver(graph):
    failed = graph.node("pipeline_run:pr-w2-failed")
    assert failed.status == "failed" and failed.fields["message"] == "timeout reading table"
    edge = _edge(graph, failed.id, f"batch:{MODEL}/{BATCH[2]}", "triggered")
    assert edge and edge.attrs["outcome"] == "Failed"
    assert _edge(graph, "pipeline_run:pr-w2", f"batch:{MODEL}/{BATCH[2]}", "triggered").attrs["outcome"] == "Succeeded"
    snapshot = graph.node(f"snapshot:{MODEL}/{BATCH[2]}")
    assert snapshot.status == "drifted" and snapshot.fields["drifted_features"] == ["income"]
    assert snapshot.fields["computed_at"] and snapshot.fields["rows"] == 30
    assert graph.node(f"snapshot:{MODEL}/{BATCH[1]}").fields["drifted_features"] == []


def test_missing_links_become_unknown_nodes(graph):
    b3, b4 = f"batch:{MODEL}/{BATCH[3]}", f"batch:{MODEL}/{BATCH[4]}"
    no_pipeline = [graph.node(e.source) for e in graph.edges if e.target == b3 and e.kind == "triggered"]
    assert [(n.kind, n.status, n.unknown) for n in no_pipeline] == [("pipeline_run", "unknown", True)]
    assert "without a pipeline run id" in no_pipeline[0].fields["why"]
    unknown_source = [graph.node(e.source) for e in graph.edges if e.target == f"model_version:{REGISTERED}/2"]
    assert [(n.kind, n.unknown) for n in unknown_source] == [("training_run", True)]
    assert _edge(graph, unknown_source[0].id, f"model_version:{REGISTERED}/2", "registered_as")
    assert _edge(graph, f"model_version:{REGISTERED}/2", b3, "scored_by")
    sources = {graph.node(e.source).kind: graph.node(e.source) for e in graph.edges if e.target == b4}
    assert sources["model_version"].unknown and sources["pipeline_run"].unknown
    assert "pr-missing" in sources["pipeline_run"].fields["why"]
    v3 = f"model_version:{REGISTERED}/3"
    assert [e.kind for e in graph.edges if e.target == v3] == ["registered_as"]
    assert not graph.node([e.source for e in graph.edges if e.target == v3][0]).unknown


def test_time_window_collapses_older_batches_and_leaves_out_later_ones(records):
    graph = build_graph(records, start=WEEK[2] - dt.timedelta(days=1), end=WEEK[3] + dt.timedelta(days=1))
    summary = graph.node(f"summary:{MODEL}")
    assert summary.fields["batches"] == 1 and summary.fields["snapshots"] == 1 and summary.fields["pipeline_runs"] == 1
    for gone in (f"batch:{MODEL}/{BATCH[1]}", f"snapshot:{MODEL}/{BATCH[1]}", "pipeline_run:pr-w1", f"batch:{MODEL}/{BATCH[4]}"):
        assert gone not in graph
    assert "pipeline_run:pr-extract" in graph  # the training extract is kept whatever its age
    assert _edge(graph, f"model_version:{REGISTERED}/1", summary.id, "scored_by")
    assert f"batch:{MODEL}/{BATCH[2]}" in graph and f"batch:{MODEL}/{BATCH[3]}" in graph
    assert all(e.source in graph and e.target in graph for e in graph.edges)


def test_depth_filter(graph):
    b2 = f"batch:{MODEL}/{BATCH[2]}"
    near = neighbourhood(graph, b2, 1)
    assert set(near.ids) == {b2, f"snapshot:{MODEL}/{BATCH[2]}", f"model_version:{REGISTERED}/1",
                             "pipeline_run:pr-w2", "pipeline_run:pr-w2-failed"}
    two = neighbourhood(graph, b2, 2)
    assert f"batch:{MODEL}/{BATCH[1]}" in two and any(n.kind == "training_run" for n in two.nodes)
    assert set(neighbourhood(graph, b2, 0).ids) == {b2}
    with pytest.raises(KeyError):
        neighbourhood(graph, "batch:nope", 1)


def test_trace_back_from_a_drifted_snapshot(graph):
    path = trace_back(graph, f"snapshot:{MODEL}/{BATCH[2]}")
    kinds = {n.kind for n in path.nodes}
    assert kinds == {"snapshot", "batch", "pipeline_run", "model_version", "training_run", "dataset"}
    assert {"pipeline_run:pr-w2", "pipeline_run:pr-w2-failed", "pipeline_run:pr-extract"} <= set(path.ids)
    assert f"batch:{MODEL}/{BATCH[1]}" not in path and f"snapshot:{MODEL}/{BATCH[1]}" not in path
    assert {e.kind for e in path.edges} == {"monitored_by", "triggered", "scored_by", "trained", "consumed", "produced"}


def test_exports_and_layout(graph):
    doc = json.loads(graph.to_json())
    assert len(doc["nodes"]) == len(graph.nodes) and len(doc["edges"]) == len(graph.edges)
    dot = to_dot(graph, highlight=[f"batch:{MODEL}/{BATCH[2]}"])
    assert dot.startswith("digraph provenance {") and dot.rstrip().endswith("}") and "rankdir=LR" in dot
    assert dot.count(" -> ") == len(graph.edges) and "penwidth" in dot and 'style="filled,dashed"' in dot
    pos = layout(graph)
    assert pos == layout(graph) and set(pos) == set(graph.ids)
    xs = {kind: {pos[n.id][0] for n in graph.nodes if n.kind == kind} for kind in NODE_KINDS}
    assert all(len(v) == 1 for v in xs.values())
    columns = [min(xs[k]) for k in NODE_KINDS]
    assert columns == sorted(columns) and len(set(columns)) == len(NODE_KINDS)
    batches = [n for n in graph.nodes if n.kind == "batch"]
    assert [pos[n.id][1] for n in batches] == sorted(pos[n.id][1] for n in batches)

"""The provenance graph of the demo workspace: the failed pipeline run, and every batch traced to its training data."""

from __future__ import annotations

import pytest

from monitor.demo import DEMO_WEEKS, FAILED_WEEK
from monitor.lineage import STATUS_COLORS, build_graph, trace_back

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def graph(demo):
    records = demo.lineage_records()
    assert not records.problems
    return build_graph(records)


def _sources(graph, target, kind):
    return [graph.node(e.source) for e in graph.edges if e.target == target and e.kind == kind]


def test_the_failed_pipeline_run_is_red_and_linked_to_the_batch_it_failed_to_deliver(graph):
    failed = [n for n in graph.nodes if n.kind == "pipeline_run" and n.fields["status"] == "Failed"]
    assert len(failed) == 1
    run = failed[0]
    assert run.status == "failed" and STATUS_COLORS[run.status] == "#d62728"
    assert run.model == "store_demand" and "timeout" in run.fields["message"]
    targets = [e.target for e in graph.edges if e.source == run.id]
    batch_id = run.fields["parameters"]["batch_id"]
    assert batch_id.startswith(f"store_demand-w{FAILED_WEEK:02d}-")
    assert targets == [f"batch:store_demand/{batch_id}"]
    rerun = [n for n in _sources(graph, targets[0], "triggered") if n.id != run.id]
    assert [n.fields["status"] for n in rerun] == ["Succeeded"]


def test_every_batch_links_to_its_model_version_training_run_and_training_data(graph):
    batches = [n for n in graph.nodes if n.kind == "batch"]
    assert len(batches) == 2 * DEMO_WEEKS
    for batch in batches:
        [version] = _sources(graph, batch.id, "scored_by")
        assert version.kind == "model_version" and not version.unknown and "champion" in version.fields["aliases"]
        [training] = _sources(graph, version.id, "trained")
        assert training.kind == "training_run" and training.fields["tags"]["monitor.kind"] == "training"
        datasets = _sources(graph, training.id, "consumed")
        assert [d.fields["context"] for d in datasets] == ["training"] and datasets[0].fields["rows"] > 1000
        assert [p.kind for p in _sources(graph, datasets[0].id, "produced")] == ["pipeline_run"]
        assert [p.kind for p in _sources(graph, batch.id, "triggered")][:1] == ["pipeline_run"]
        assert [n.kind for n in graph.nodes if n.id in {e.target for e in graph.edges_of(batch.id)}
                and n.kind == "snapshot"] == ["snapshot"]
    assert not any(n.unknown for n in graph.nodes)


def test_trace_back_from_a_drifted_snapshot(graph):
    drifted = [n for n in graph.nodes if n.kind == "snapshot" and n.status == "drifted"]
    assert drifted, "the demo drifts from week 7 on"
    path = trace_back(graph, drifted[-1].id)
    assert {n.kind for n in path.nodes} == {"snapshot", "batch", "pipeline_run", "model_version", "training_run", "dataset"}
    pipelines = {n.fields["pipeline"] for n in path.nodes if n.kind == "pipeline_run"}
    assert len(pipelines) == 2  # the scoring pipeline and the training extract


def test_each_snapshot_node_says_when_the_job_computed_it(graph, demo):
    snapshots = [n for n in graph.nodes if n.kind == "snapshot"]
    assert snapshots
    stored = {s.batch_id: s for m in ("loan_default", "store_demand") for s in demo.snapshots(m)}
    assert all(n.fields["computed_at"] and n.fields["computed_at"] == stored[n.fields["batch_id"]].computed_at
               for n in snapshots)
    for n in snapshots:  # the colour and the drifted features come from the typed snapshot
        snapshot = stored[n.fields["batch_id"]]
        assert (n.status == "drifted") == snapshot.drift.drifted
        assert n.fields["drifted_features"] == list(snapshot.drift.drifted_features)
    assert any(n.fields["drifted_features"] for n in snapshots if n.status == "drifted")

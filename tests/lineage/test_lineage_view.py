"""What the provenance page draws, on synthetic plain records: the newest batches with the older ones folded into the
summary, the left-to-right and top-to-bottom layout with its headings, the boxes' short labels, the canvas size
and the plain-language formatting of the details panel."""

from __future__ import annotations

import dataclasses
import datetime as dt

from bench.lineage import END, synthetic_records
from monitor.lineage import LAYERS, SUMMARY, build_graph, recent
from ui.graph_layout import BOX_WIDTH, COLUMN_HEADINGS, LINE_CHARS, box_label, layout, plan

ONE = ["store_demand"]


def test_recent_keeps_the_newest_batches_of_each_model_and_folds_the_rest():
    graph = build_graph(synthetic_records(20))
    assert recent(graph, 0) is graph and recent(graph, 20) == graph
    newest = recent(graph, 6)
    for model in ("loan_default", "store_demand"):
        batches = sorted(n.time for n in newest.nodes if n.kind == "batch" and n.model == model)
        assert len(batches) == 6 and batches[-1] == max(n.time for n in graph.nodes if n.kind == "batch" and n.model == model)
        summary = newest.node(f"{SUMMARY}:{model}")
        assert (summary.fields["batches"], summary.fields["snapshots"], summary.fields["failed_pipeline_runs"]) == (14, 14, 1)
        assert summary.fields["before"] == batches[0] and summary.status == "collapsed"
    # the pipeline runs that fed only the folded batches go with them; the training extract stays
    assert sum(n.kind == "pipeline_run" for n in newest.nodes) == 2 * (6 + 1)
    assert [(e.kind, e.attrs["count"]) for e in newest.edges if e.target == f"{SUMMARY}:store_demand"] == [("scored_by", 14)]
    assert all(e.source in newest and e.target in newest for e in newest.edges)


def test_recent_merges_with_the_summary_of_the_time_window():
    records = synthetic_records(20)
    windowed = build_graph(records, models=ONE, start=END - dt.timedelta(weeks=10))
    assert windowed.node(f"{SUMMARY}:store_demand").fields["batches"] == 9
    newest = recent(windowed, 4)
    summary = newest.node(f"{SUMMARY}:store_demand")
    assert summary.fields["batches"] == 16 and summary.fields["snapshots"] == 16 and summary.label == "16 older batches"
    assert summary.fields["first"] < summary.fields["last"] < summary.fields["before"]
    assert [e.attrs["count"] for e in newest.edges if e.target == summary.id] == [16]
    assert sum(n.kind == "batch" for n in newest.nodes) == 4 and sum(n.kind == SUMMARY for n in newest.nodes) == 1


def test_layout_reads_left_to_right_and_gives_each_batch_a_row():
    graph = recent(build_graph(synthetic_records(10)), 6)  # the failed week 8 is among the newest six
    pos = layout(graph)
    assert pos == layout(graph) and set(pos) == set(graph.ids)
    for n in graph.nodes:  # one column per kind, in data-flow order
        assert pos[n.id][0] == LAYERS[n.kind] * pos["model_version:store-demand-regressor/1"][0] / LAYERS["model_version"]
    up = {(e.source, e.target) for e in graph.edges}
    for batch in (n for n in graph.nodes if n.kind == "batch"):
        [snapshot] = [t for s, t in up if s == batch.id]
        assert pos[snapshot][1] == pos[batch.id][1]  # the snapshot on its batch's row
        runs = sorted(pos[s][1] for s, t in up if t == batch.id and graph.node(s).kind == "pipeline_run")
        assert runs[0] == pos[batch.id][1]  # its pipeline run(s) beside it, a rerun on the next row
    failed = graph.node("pipeline_run:store_demand-w08-failed")
    assert pos[failed.id][1] == pos["batch:store_demand/store_demand-w08"][1]
    # the model version and its training lineage on the band's first row, above the summary and the batches
    for model, registered in (("loan_default", "loan-default-classifier"), ("store_demand", "store-demand-regressor")):
        top = pos[f"model_version:{registered}/1"][1]
        assert pos[f"dataset:{model}-training@d{0 if model == 'loan_default' else 1}"][1] == top
        assert top < pos[f"{SUMMARY}:{model}"][1] < min(pos[n.id][1] for n in graph.nodes if n.kind == "batch" and n.model == model)
    loan = [y for nid, (_, y) in pos.items() if graph.node(nid).model == "loan_default"]
    store = [y for nid, (_, y) in pos.items() if graph.node(nid).model == "store_demand"]
    assert max(loan) < min(store)  # one band per model
    assert len({p for p in pos.values()}) == len(pos)  # no two nodes on the same spot


def test_headings_and_size_of_the_drawing():
    graph = recent(build_graph(synthetic_records(10), models=ONE), 6)
    drawing = plan(graph)
    columns = [h for h in drawing.headings if h.kind == "column"]
    assert [h.text for h in columns] == list(COLUMN_HEADINGS.values())
    assert all(h.x == drawing.pos[n.id][0] for h in columns for n in graph.nodes if LAYERS[n.kind] == int(h.id.rsplit(":", 1)[1]))
    [band] = [h for h in drawing.headings if h.kind == "band"]
    assert band.text == "Model store_demand"
    assert max(h.y for h in columns) < band.y < min(y for _, y in drawing.pos.values())
    assert drawing.width == 5 * drawing.pos["model_version:store-demand-regressor/1"][0] / 3 + BOX_WIDTH
    assert drawing.height > max(y for _, y in drawing.pos.values())


def test_canvas_height_lets_the_width_decide_the_zoom():
    from ui.graph import EXPECTED_WIDTH, canvas_height

    small = plan(recent(build_graph(synthetic_records(10), models=ONE), 6))
    big = plan(build_graph(synthetic_records(10)))
    assert canvas_height(small) < canvas_height(big)
    for drawing in (small, big):
        zoom_by_width = EXPECTED_WIDTH / (1.1 * drawing.width)
        assert zoom_by_width >= 0.9  # 14 px boxes read at 12.6 px or more on a 960 px wide canvas
        assert canvas_height(drawing) / (1.1 * drawing.height) >= zoom_by_width - 0.01


def test_box_labels_are_two_short_lines():
    graph = build_graph(synthetic_records(10))
    for n in graph.nodes:
        lines = box_label(n).split("\n")
        assert len(lines) == 2 and all(0 < len(line) <= LINE_CHARS for line in lines), (n.id, lines)
    labels = {n.id: box_label(n) for n in graph.nodes}
    assert labels["pipeline_run:store_demand-w08-failed"].endswith("· failed")
    assert labels["batch:store_demand/store_demand-w03"] == "w03\n" + dt.datetime.fromisoformat(
        graph.node("batch:store_demand/store_demand-w03").time).strftime("%b %d %H:%M")
    assert labels["snapshot:store_demand/store_demand-w03"] == "no drift\n0 of 2 features"
    assert labels["model_version:store-demand-regressor/1"] == "v1 @champion\n…demand-regressor"
    long = dataclasses.replace(graph.node("pipeline_run:store_demand-w03-run"),
                               fields={"pipeline": "pl_loan_applications_daily"})
    assert box_label(long).split("\n")[0] == "…applications_daily"  # names keep the end that tells them apart
    unknown = dataclasses.replace(long, unknown=True)
    assert box_label(unknown) == "unknown\npipeline run"


def test_details_formatting():
    from ui.graph_details import duration, short_id, when

    assert when("2026-11-16T06:00:00+00:00") == "2026-11-16 06:00 UTC"
    assert when("2026-11-16T07:00:00+01:00") == "2026-11-16 06:00 UTC" and when(None) == "unknown time"
    assert when("last week") == "last week"
    assert [duration(s) for s in (42, 1860, 3900, 180000, None)] == ["42 s", "31 min", "1 h 05 min", "2 d 2 h",
                                                                     "an unknown time"]
    assert short_id("af281d33-0bd8-5f2b-b7da-4a52b715d809") == "af281d33…" and short_id("b77312d1") == "b77312d1"

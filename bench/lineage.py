"""Speed of the provenance graph at scale: 2 models x 52 weekly batches (over 300 nodes).

Synthetic plain records (the shape ``MonitorService.lineage_records`` returns): per model one
training extract run, one training run with its training dataset, one registered version, 52
weekly scoring pipeline runs and batches, a snapshot per batch (drift from week 30 on), and one
failed pipeline run re-run three hours later. Timed (median of repeats, wall-clock):

- the pure build of the whole graph (``build_s``, the figure of the last line),
- the build with a 12-week window (older batches collapsed into one summary node per model),
- fixed layout and DOT export of the windowed graph, and a trace-back from the newest snapshot,
- collection from a real MLflow SQLite workspace, only when one is given with ``--workspace``
  (for instance the demo workspace built by ``python -m monitor demo``).

Run: ``python bench/lineage.py [--weeks 52] [--workspace .monitor]``. The last line is one JSON
object ``{"nodes", "edges", "build_s"}`` for the whole graph.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from monitor.lineage import DatasetInput, LineageRecords, TrainingRun, build_graph, trace_back  # noqa: E402
from monitor.records import BatchInfo, ModelVersionInfo, PipelineRun  # noqa: E402
from monitor.snapshots.types import Snapshot  # noqa: E402
from ui.graph_layout import layout, to_dot  # noqa: E402

MODELS = {"loan_default": "loan-default-classifier", "store_demand": "store-demand-regressor"}
END = dt.datetime(2026, 6, 1, 6, tzinfo=dt.timezone.utc)


def synthetic_records(weeks: int = 52, models: dict[str, str] = MODELS, drift_from: int = 30, failed_week: int = 8) -> LineageRecords:
    """Plain lineage records of ``len(models)`` models with ``weeks`` weekly batches each."""
    batches, versions, pipeline_runs, snapshots, runs = [], [], [], [], {}
    for m, (model, registered) in enumerate(models.items()):
        trained = END - dt.timedelta(weeks=weeks + 2)
        extract = PipelineRun(f"{model}-extract", f"pl_{model}_extract", "Succeeded", (trained - dt.timedelta(hours=3)).isoformat(),
                              duration_ms=40 * 60_000, parameters={"model": model, "purpose": "training"})
        pipeline_runs.append(extract)
        run_id = f"{m:02d}" + "a" * 30
        runs[run_id] = TrainingRun(
            run_id, f"train {registered}", "FINISHED", trained.isoformat(), (trained + dt.timedelta(minutes=20)).isoformat(),
            "1", {"n_estimators": "100", "max_depth": "3"}, {"train_auc": 0.8},
            {"monitor.kind": "training", "monitor.model": model, "monitor.pipeline_run_id": extract.run_id},
            (DatasetInput(f"{model}-training", f"d{m}", "code", "training",
                          json.dumps({"mlflow_colspec": [{"name": "x", "type": "double"}]}), json.dumps({"num_rows": 12000})),),
            kind="training", pipeline_run_id=extract.run_id)
        versions.append(ModelVersionInfo(registered, "1", run_id, f"runs:/{run_id}/model", trained.isoformat(), ("champion",), "READY"))
        for week in range(1, weeks + 1):
            t = END - dt.timedelta(weeks=weeks - week)
            batch_id = f"{model}-w{week:02d}"
            params = {"model": model, "batch_id": batch_id, "week": str(week)}
            if week == failed_week:
                pipeline_runs.append(PipelineRun(f"{batch_id}-failed", f"pl_{model}_daily", "Failed",
                                                 (t - dt.timedelta(hours=4)).isoformat(), message="timeout", parameters=params))
            run = PipelineRun(f"{batch_id}-run", f"pl_{model}_daily", "Succeeded", (t - dt.timedelta(hours=1)).isoformat(),
                              duration_ms=18 * 60_000, parameters=params)
            pipeline_runs.append(run)
            batches.append(BatchInfo(model, batch_id, f"{batch_id}-mlflow", t.isoformat(), "1", 2500, run.run_id,
                                     digest=f"{week:016x}", experiment_id="2"))
            snapshots.append(_snapshot(model, batch_id, t, run.run_id, week >= drift_from))
    return LineageRecords(tuple(batches), tuple(versions), runs, tuple(pipeline_runs), tuple(snapshots), dict(models),
                          {m: (f"pl_{m}_daily", f"pl_{m}_extract") for m in models})


def _snapshot(model: str, batch_id: str, t: dt.datetime, pipeline_run_id: str, drifted: bool) -> Snapshot:
    """A typed snapshot of two features, ``x`` drifted when the batch is."""
    features = {c: {"column": c, "kind": "numeric", "method": "psi", "statistic": 0.3 if drifted and c == "x" else 0.02,
                    "threshold": 0.2, "drifted": drifted and c == "x"} for c in ("x", "y")}
    return Snapshot.from_doc({
        "schema_version": 2, "model": model, "batch_id": batch_id, "ts": t.isoformat(), "n_rows": 2500,
        "run_id": f"{batch_id}-mlflow", "model_version": "1", "pipeline_run_id": pipeline_run_id,
        "computed_at": (t + dt.timedelta(hours=2)).isoformat(),
        "drift": {"overall": {"n_features": 2, "n_drifted": int(drifted), "share_drifted": 0.5 if drifted else 0.0,
                              "drifted": drifted, "share_threshold": 0.5, "rule": "share of drifted features >= 0.5"},
                  "features": features}})


def _timed(fn, repeats: int = 7):
    times, result = [], None
    for _ in range(repeats):
        t0 = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t0)
    return result, statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--weeks", type=int, default=52)
    parser.add_argument("--workspace", type=Path, default=None, help="an MLflow SQLite workspace to time collection on")
    args = parser.parse_args()

    records = synthetic_records(args.weeks)
    graph, build_s = _timed(lambda: build_graph(records))
    start = END - dt.timedelta(weeks=12)
    windowed, window_s = _timed(lambda: build_graph(records, start=start))
    _, layout_s = _timed(lambda: layout(windowed))
    dot, dot_s = _timed(lambda: to_dot(windowed))
    newest = [n.id for n in graph.nodes if n.kind == "snapshot"][-1]
    path, trace_s = _timed(lambda: trace_back(graph, newest))
    print(f"{len(MODELS)} models x {args.weeks} weekly batches")
    print(f"  whole graph:      {len(graph.nodes):4d} nodes {len(graph.edges):4d} edges  build {build_s * 1000:7.1f} ms")
    print(f"  12-week window:   {len(windowed.nodes):4d} nodes {len(windowed.edges):4d} edges  build {window_s * 1000:7.1f} ms")
    print(f"  layout {layout_s * 1000:.1f} ms · DOT export {dot_s * 1000:.1f} ms ({len(dot) / 1024:.0f} KiB) · "
          f"trace-back {trace_s * 1000:.2f} ms ({len(path.nodes)} nodes)")
    if args.workspace is not None:
        import os

        os.environ["MONITOR_WORKSPACE"] = str(args.workspace.resolve())
        from monitor.bootstrap import build_service

        service = build_service()
        collected, collect_s = _timed(lambda: service.lineage_records(), repeats=3)
        real = build_graph(collected)
        print(f"  collection from {args.workspace}: {collect_s:.2f} s -> {len(real.nodes)} nodes {len(real.edges)} edges"
              + (f" ({len(collected.problems)} problem(s))" if collected.problems else ""))
    else:
        print("  collection from MLflow: not timed (pass --workspace DIR with an MLflow SQLite workspace)")
    print(json.dumps({"nodes": len(graph.nodes), "edges": len(graph.edges), "build_s": round(build_s, 4)}))


if __name__ == "__main__":
    main()

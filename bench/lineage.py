"""Speed of the provenance graph at scale: 2 models x 52 weekly batches (over 300 nodes).

Synthetic plain records (the shape :func:`monitor.lineage.collect_records` returns): per model one
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

from monitor.lineage import LineageRecords, build_graph, layout, to_dot, trace_back  # noqa: E402
from monitor.sources.mlflow import BatchInfo, ModelVersionInfo  # noqa: E402
from monitor.sources.pipelines import PipelineRun  # noqa: E402

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
        runs[run_id] = {
            "run_id": run_id, "run_name": f"train {registered}", "experiment_id": "1", "status": "FINISHED",
            "start": trained.isoformat(), "end": (trained + dt.timedelta(minutes=20)).isoformat(),
            "params": {"n_estimators": "100", "max_depth": "3"}, "metrics": {"train_auc": 0.8},
            "tags": {"monitor.kind": "training", "monitor.model": model, "monitor.pipeline_run_id": extract.run_id},
            "inputs": [{"name": f"{model}-training", "digest": f"d{m}", "source_type": "code", "context": "training",
                        "schema": json.dumps({"mlflow_colspec": [{"name": "x", "type": "double"}]}),
                        "profile": json.dumps({"num_rows": 12000})}],
        }
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
            drifted = week >= drift_from
            snapshots.append({"id": f"snapshot:{batch_id}", "kind": "snapshot", "model": model, "ts": t.isoformat(),
                              "batch_id": batch_id, "run_id": f"{batch_id}-mlflow", "model_version": "1",
                              "pipeline_run_id": run.run_id, "status": {"drifted": drifted},
                              "drift": {"overall": {"drifted": drifted, "share": 0.5 if drifted else 0.1}}})
    return LineageRecords(tuple(batches), tuple(versions), runs, tuple(pipeline_runs), tuple(snapshots), dict(models),
                          {m: (f"pl_{m}_daily", f"pl_{m}_extract") for m in models})


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
        from monitor.lineage import collect_records

        service = build_service()
        collected, collect_s = _timed(lambda: collect_records(service), repeats=3)
        real = build_graph(collected)
        print(f"  collection from {args.workspace}: {collect_s:.2f} s -> {len(real.nodes)} nodes {len(real.edges)} edges"
              + (f" ({len(collected.problems)} problem(s))" if collected.problems else ""))
    else:
        print("  collection from MLflow: not timed (pass --workspace DIR with an MLflow SQLite workspace)")
    print(json.dumps({"nodes": len(graph.nodes), "edges": len(graph.edges), "build_s": round(build_s, 4)}))


if __name__ == "__main__":
    main()

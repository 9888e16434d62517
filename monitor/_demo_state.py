"""What an interrupted demo build left behind, so that a rerun finishes it without duplicates.

Every step of :func:`monitor.demo.build_demo` is checked against MLflow before it is done:

- the plan (the week the demo ends on) is written first and reused, so a rerun on another day
  builds the same batch ids and the same pipeline runs;
- a demo model version counts once it carries the tag ``monitor.demo = complete`` (set last);
  a version registered from a demo training run but not yet tagged is completed, and a training
  run that never got its version is deleted (with the logged model it left);
- a batch counts as logged once its run is ``FINISHED``; an unfinished run of a batch is deleted;
  late labels count as attached once the run has its labels digest.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from monitor.batches import TAG, batch_experiment_name

__all__ = ["DEMO_TAG", "COMPLETE", "plan_end", "training_experiment", "find_version", "clear_orphan_training_runs",
           "complete_version", "logged_batches"]

DEMO_TAG = TAG + "demo"
COMPLETE = "complete"
_PLAN = "demo.plan.json"


def plan_end(workspace: Path, end: dt.datetime) -> dt.datetime:
    """The end of the demo's weeks: the one planned by an earlier, interrupted build, else ``end`` (then planned)."""
    path = workspace / _PLAN
    if path.exists():
        try:
            return dt.datetime.fromisoformat(json.loads(path.read_text(encoding="utf-8"))["end"])
        except (ValueError, KeyError, TypeError):
            pass  # a plan cut short while being written: plan again
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps({"end": end.isoformat()}), encoding="utf-8")
    os.replace(tmp, path)  # atomic: a plan is there whole or not at all
    return end


def training_experiment(model: str) -> str:
    return f"monitor/{model}/training"


def _all_runs(client, experiment_id: str, query: str = "") -> list[Any]:
    out, token = [], None
    while True:
        page = client.search_runs([experiment_id], query, max_results=1000, page_token=token)
        out.extend(page)
        token = page.token
        if not token:
            return out


def _versions(client, registered_model: str) -> list[Any]:
    from mlflow.exceptions import MlflowException

    try:
        return list(client.search_model_versions(f"name = '{registered_model}'"))
    except MlflowException:
        return []


def find_version(client, registered_model: str) -> str | None:
    """The complete demo version of ``registered_model``, if an earlier build registered one."""
    for v in _versions(client, registered_model):
        tags = v.tags or client.get_model_version(registered_model, v.version).tags or {}
        if tags.get(DEMO_TAG) == COMPLETE:
            return str(v.version)
    return None


def clear_orphan_training_runs(client, model: str, registered_model: str, progress: Callable[[str], None]) -> str | None:
    """Delete demo training runs that never got a model version; return a version registered but not completed."""
    exp = client.get_experiment_by_name(training_experiment(model))
    if exp is None:
        return None
    by_run = {v.run_id: str(v.version) for v in _versions(client, registered_model) if v.run_id}
    pending = None
    for run in _all_runs(client, exp.experiment_id, f"tags.`{DEMO_TAG}` = '1'"):
        if run.info.run_id in by_run:
            pending = by_run[run.info.run_id]
            continue
        _delete_logged_models(client, exp.experiment_id, run.info.run_id)
        client.delete_run(run.info.run_id)
        progress(f"[{model}] removed training run {run.info.run_id} left unfinished by an interrupted build")
    return pending


def _delete_logged_models(client, experiment_id: str, run_id: str) -> None:
    search = getattr(client, "search_logged_models", None)
    if search is None:  # MLflow before 3 keeps no logged-model entities
        return
    for logged in search([experiment_id]):
        if getattr(logged, "source_run_id", None) == run_id:
            client.delete_logged_model(logged.model_id)


def complete_version(client, registered_model: str, version: str, run_id: str | None, end_time: int) -> None:
    """The last steps of registering the demo model: run finished, alias set, version tagged complete."""
    if run_id:
        client.set_terminated(run_id, "FINISHED", end_time=end_time)
    client.set_registered_model_alias(registered_model, "champion", version)
    client.set_model_version_tag(registered_model, version, DEMO_TAG, COMPLETE)


def logged_batches(client, model: str, progress: Callable[[str], None]) -> dict[str, Any]:
    """The finished batch runs of ``model`` by batch id; unfinished ones (an interrupted log_batch) are deleted."""
    exp = client.get_experiment_by_name(batch_experiment_name(model))
    if exp is None:
        return {}
    done: dict[str, Any] = {}
    for run in _all_runs(client, exp.experiment_id):
        batch_id = run.data.tags.get(TAG + "batch_id")
        if run.info.status == "FINISHED" and batch_id:
            done[batch_id] = run
        else:
            client.delete_run(run.info.run_id)
            progress(f"[{model}] removed unfinished run {run.info.run_id} of batch {batch_id or '?'}")
    return done

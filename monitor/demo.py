"""The demo workspace: two real models, twelve weekly batches, and the problems of real life.

``build_demo`` trains and registers a loan-default classifier and a store-demand regressor on
synthetic data generated with a fixed seed, records the pipeline runs that fed them, and logs
twelve weekly scoring batches through the logging API. From week 7 on, problems are injected:

- loan_default: ``debt_ratio`` shifts up, a new ``employment_type`` ("gig") appears, and
  ``credit_history_years`` goes missing for a quarter of the rows; labels arrive two weeks late,
  so the last two batches have none yet.
- store_demand: ``temperature`` shifts up (a heat wave) and a new ``store_region`` ("online")
  appears; the week-8 run of its ingestion pipeline fails and is re-run three hours later.

Weeks 1-6 are drawn from the training distribution. Building is idempotent: a workspace that
already holds the demo is left as it is, and a build that was interrupted is finished by the next one.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import uuid
import warnings
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

from monitor import _demo_state as state
from monitor.batches import TAG, log_batch, log_labels, log_reference
from monitor.sources.pipelines import ActivityRun, LocalPipelineRunSource, PipelineRun

__all__ = ["build_demo", "DEMO_MODELS", "loan_frame", "demand_frame", "DEMO_WEEKS", "DRIFT_FROM_WEEK"]

DEMO_WEEKS = 12
DRIFT_FROM_WEEK = 7
FAILED_WEEK = 8
LABEL_DELAY_WEEKS = 2
SEED = 20240601
_MARKER = "demo.json"

LOAN_NUMERIC = ["income", "age", "debt_ratio", "credit_history_years", "loan_amount"]
LOAN_CATEGORICAL = ["employment_type", "region"]
DEMAND_NUMERIC = ["price", "promotion", "temperature", "day_of_week"]
DEMAND_CATEGORICAL = ["store_region", "category"]


def loan_frame(n: int, rng: np.random.Generator, drifted: bool = False) -> tuple[pd.DataFrame, np.ndarray]:
    """Loan applications and whether each defaulted."""
    age = np.clip(rng.normal(41, 11, n), 19, 80).round()
    income = np.exp(rng.normal(10.8, 0.45, n)).round(-2)
    debt_ratio = rng.beta(2.0, 5.0, n)
    history = np.clip(age - 18 - rng.gamma(2.0, 3.0, n), 0, None).round(1)
    loan_amount = np.exp(rng.normal(9.6, 0.6, n)).round(-2)
    employment = rng.choice(["salaried", "self_employed", "contract", "unemployed"], n, p=[0.55, 0.2, 0.17, 0.08])
    region = rng.choice(["north", "south", "east", "west"], n, p=[0.3, 0.25, 0.25, 0.2])
    if drifted:
        debt_ratio = np.clip(debt_ratio + 0.12, 0, 1)
        gig = rng.random(n) < 0.12
        employment = np.where(gig, "gig", employment)
        history = np.where(rng.random(n) < 0.25, np.nan, history)
    logit = (
        -2.2 + 4.0 * (debt_ratio - 0.28) - 0.9 * (np.log(income) - 10.8) - 0.04 * (np.nan_to_num(history, nan=10) - 10)
        + 0.35 * (np.log(loan_amount) - 9.6) + np.select([employment == "unemployed", employment == "gig",
                                                          employment == "contract"], [1.3, 0.8, 0.4], 0.0)
    )
    defaulted = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int)
    frame = pd.DataFrame({
        "income": income, "age": age, "debt_ratio": debt_ratio.round(4), "credit_history_years": history,
        "loan_amount": loan_amount, "employment_type": employment, "region": region,
    })
    return frame, defaulted


def demand_frame(n: int, rng: np.random.Generator, drifted: bool = False) -> tuple[pd.DataFrame, np.ndarray]:
    """Store-day-category rows and the units sold."""
    category = rng.choice(["grocery", "household", "beverages", "snacks"], n, p=[0.4, 0.2, 0.2, 0.2])
    region = rng.choice(["urban", "suburban", "rural"], n, p=[0.45, 0.35, 0.2])
    price = np.clip(rng.normal(20, 4, n), 3, None).round(2)
    promotion = (rng.random(n) < 0.2).astype(float)
    temperature = rng.normal(15, 6, n).round(1)
    day = rng.integers(0, 7, n).astype(float)
    if drifted:
        temperature = (temperature + 8).round(1)
        region = np.where(rng.random(n) < 0.1, "online", region)
    demand = (
        140 - 3.2 * price + 30 * promotion + np.where(category == "beverages", 2.2, 0.4) * temperature
        + np.where(day >= 5, 18, 0) + np.select([region == "urban", region == "rural"], [15, -12], 0) + rng.normal(0, 8, n)
    ).clip(0).round()
    frame = pd.DataFrame({
        "price": price, "promotion": promotion, "temperature": temperature, "day_of_week": day,
        "store_region": region, "category": category,
    })
    return frame, demand


@dataclasses.dataclass(frozen=True)
class DemoModel:
    name: str
    registered_model: str
    task: str
    numeric: list[str]
    categorical: list[str]
    target: str
    pipeline: str
    training_pipeline: str
    make: Callable[..., tuple[pd.DataFrame, np.ndarray]]
    batch_rows: int


DEMO_MODELS = (
    DemoModel("loan_default", "loan-default-classifier", "classification", LOAN_NUMERIC, LOAN_CATEGORICAL,
              "defaulted", "pl_loan_applications_daily", "pl_loan_training_extract", loan_frame, 2500),
    DemoModel("store_demand", "store-demand-regressor", "regression", DEMAND_NUMERIC, DEMAND_CATEGORICAL,
              "units_sold", "pl_store_sales_ingest", "pl_store_sales_history", demand_frame, 2000),
)


def _pipeline(numeric: list[str], categorical: list[str], task: str):
    from sklearn.compose import ColumnTransformer
    from sklearn.ensemble import GradientBoostingClassifier, GradientBoostingRegressor
    from sklearn.impute import SimpleImputer
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import OneHotEncoder

    prep = ColumnTransformer([
        ("num", SimpleImputer(strategy="median"), numeric),
        ("cat", OneHotEncoder(handle_unknown="ignore"), categorical),
    ])
    estimator = (GradientBoostingClassifier if task == "classification" else GradientBoostingRegressor)(
        n_estimators=100, max_depth=3, random_state=0
    )
    return Pipeline([("prep", prep), ("model", estimator)])


def _ms(t: dt.datetime) -> int:
    return int(t.timestamp() * 1000)


def _last_monday(now: dt.datetime) -> dt.datetime:
    day = now.astimezone(dt.timezone.utc).replace(hour=6, minute=0, second=0, microsecond=0)
    day -= dt.timedelta(days=day.weekday())
    return day if day <= now else day - dt.timedelta(days=7)


def _run(pipeline: str, start: dt.datetime, minutes: float, status: str, params: dict, message: str = "",
         activities: list[ActivityRun] | None = None) -> tuple[PipelineRun, list[ActivityRun]]:
    end = start + dt.timedelta(minutes=minutes)
    run = PipelineRun(
        run_id=str(uuid.uuid5(uuid.NAMESPACE_URL, f"{pipeline}|{start.isoformat()}|{status}")),
        pipeline_name=pipeline, status=status, run_start=start.isoformat(), run_end=end.isoformat(),
        duration_ms=int(minutes * 60_000), message=message, parameters={k: str(v) for k, v in params.items()},
        invoked_by="ScheduleTrigger" if not message else "Manual", factory="local",
    )
    acts = activities or [
        ActivityRun("CopyRawData", "Copy", "Succeeded", start.isoformat(), (start + dt.timedelta(minutes=minutes * 0.6)).isoformat(),
                    int(minutes * 36_000)),
        ActivityRun("ScoreBatch", "DatabricksNotebook", "Succeeded", (start + dt.timedelta(minutes=minutes * 0.6)).isoformat(),
                    end.isoformat(), int(minutes * 24_000)),
    ]
    return run, acts


def build_demo(settings, progress: Callable[[str], None] = print, now: dt.datetime | None = None) -> bool:
    """Build the demo workspace described in the module docstring. Returns False if it was already built.

    Resumable: a build interrupted at any point (killed, out of disk, Ctrl-C) is finished by running it
    again, and ends with the same batches, one model version per model and the same pipeline runs as
    an uninterrupted build (see :mod:`monitor._demo_state`).
    """
    import mlflow
    from mlflow import MlflowClient

    from monitor.bootstrap import build_store

    workspace = Path(settings.workspace)
    marker = workspace / _MARKER
    if marker.exists():
        progress(f"demo workspace already built in {workspace}")
        return False
    workspace.mkdir(parents=True, exist_ok=True)
    uri = settings.mlflow_tracking_uri
    mlflow.set_tracking_uri(uri)
    mlflow.set_registry_uri(settings.mlflow_registry_uri)
    client = MlflowClient(tracking_uri=uri, registry_uri=settings.mlflow_registry_uri)
    store = build_store(settings)
    pipelines = LocalPipelineRunSource(store)
    # One random stream in a fixed order: a resumed build draws exactly what an uninterrupted one draws,
    # and only skips the writes that are already done.
    rng = np.random.default_rng(SEED)
    end = state.plan_end(workspace, _last_monday(now or dt.datetime.now(dt.timezone.utc)))
    week_time = {w: end - dt.timedelta(weeks=DEMO_WEEKS - w) for w in range(1, DEMO_WEEKS + 1)}
    artifact_root = settings.artifact_root if settings.is_local_mlflow else None
    for spec in DEMO_MODELS:
        trained_at = week_time[1] - dt.timedelta(weeks=2)
        extract, acts = _run(spec.training_pipeline, trained_at - dt.timedelta(hours=3), 42, "Succeeded",
                             {"model": spec.name, "purpose": "training"})
        pipelines.record(extract, acts)
        model = _Trained(spec, *spec.make(12000, rng))
        version = state.find_version(client, spec.registered_model)
        if version is None:
            progress(f"[{spec.name}] training on synthetic data and registering '{spec.registered_model}'")
            version = _train_and_register(client, spec, model, trained_at, extract.run_id, artifact_root, progress)
        else:
            progress(f"[{spec.name}] version {version} of '{spec.registered_model}' is already registered")
        logged = state.logged_batches(client, spec.name, progress)
        late_labels: dict[str, tuple[int, np.ndarray]] = {}
        for week in range(1, DEMO_WEEKS + 1):
            t = week_time[week]
            batch_id = f"{spec.name}-w{week:02d}-{t:%Y%m%d}"
            params = {"model": spec.name, "batch_id": batch_id, "week": week}
            usual = 18 + rng.normal(0, 1.5)
            if spec.name == "store_demand" and week == FAILED_WEEK:
                failed_acts = [ActivityRun("CopyRawData", "Copy", "Failed", t.isoformat(),
                                           (t + dt.timedelta(minutes=31)).isoformat(), 31 * 60_000,
                                           "ErrorCode=SqlOperationFailed: timeout reading POS sales table")]
                failed, _ = _run(spec.pipeline, t - dt.timedelta(hours=1), 31, "Failed", params,
                                 "Operation on target CopyRawData failed: ErrorCode=SqlOperationFailed, "
                                 "timeout reading POS sales table", failed_acts)
                pipelines.record(failed, failed_acts)
                t = t + dt.timedelta(hours=3)
                usual = 27.5
            run, acts = _run(spec.pipeline, t - dt.timedelta(hours=1), usual, "Succeeded", params)
            pipelines.record(run, acts)
            frame, truth = spec.make(spec.batch_rows + int(rng.integers(-150, 150)), rng, drifted=week >= DRIFT_FROM_WEEK)
            if spec.task == "classification":
                late_labels[batch_id] = (week, truth)
            if batch_id in logged:
                progress(f"[{spec.name}] week {week:2d}: batch {batch_id} is already logged")
                continue
            preds = _predictions(model.fitted, frame, spec.task)
            labels_now = truth if spec.task == "regression" else None
            log_batch(spec.name, frame, preds, model_version=version, labels=labels_now, batch_time=t,
                      pipeline_run_id=run.run_id, batch_id=batch_id, tracking_uri=uri, artifact_root=artifact_root)
            progress(f"[{spec.name}] week {week:2d}: logged batch {batch_id} ({len(frame)} rows)")
        for batch_id, (week, truth) in late_labels.items():
            done = logged.get(batch_id)
            if week + LABEL_DELAY_WEEKS <= DEMO_WEEKS and not (done and done.data.tags.get(TAG + "labels_digest")):
                log_labels(spec.name, batch_id, truth, tracking_uri=uri)
        progress(f"[{spec.name}] labels attached for weeks 1-{DEMO_WEEKS - LABEL_DELAY_WEEKS}"
                 if spec.task == "classification" else f"[{spec.name}] labels logged with each batch")
    marker.write_text(json.dumps({"built_at": dt.datetime.now(dt.timezone.utc).isoformat(), "end": end.isoformat(),
                                  "models": [m.name for m in DEMO_MODELS]}))
    return True


VALIDATION_ROWS = 3000


class _Trained:
    """The demo model of one spec, fitted on first use (a resumed build may not need it at all)."""

    def __init__(self, spec: DemoModel, frame: pd.DataFrame, truth: np.ndarray):
        self.spec, self.frame, self.truth = spec, frame, truth
        self._fitted = None

    @property
    def fitted(self):
        if self._fitted is None:
            self._fitted = _pipeline(self.spec.numeric, self.spec.categorical, self.spec.task).fit(self.frame, self.truth)
        return self._fitted


def _predictions(model, frame: pd.DataFrame, task: str) -> pd.DataFrame:
    if task == "classification":
        score = model.predict_proba(frame)[:, 1]
        return pd.DataFrame({"prediction": (score >= 0.5).astype(int), "score": score.round(6)})
    return pd.DataFrame({"prediction": model.predict(frame).round(2)})


def _train_and_register(client, spec: DemoModel, trained: _Trained, trained_at: dt.datetime, pipeline_run_id: str,
                        artifact_root: str | None, progress: Callable[[str], None]) -> str:
    """Log the demo model's training run and reference data and register it; return the version.

    Picks up where an interrupted build stopped: a version already registered from a demo training
    run is completed, training runs that never got one are deleted first.
    """
    import mlflow

    end_time = _ms(trained_at + dt.timedelta(minutes=20))
    pending = state.clear_orphan_training_runs(client, spec.name, spec.registered_model, progress)
    if pending is not None:
        info = client.get_model_version(spec.registered_model, pending)
        state.complete_version(client, spec.registered_model, pending, info.run_id, end_time)
        return pending
    frame, truth, model = trained.frame, trained.truth, trained.fitted
    name = state.training_experiment(spec.name)
    exp = client.get_experiment_by_name(name)
    exp_id = exp.experiment_id if exp else client.create_experiment(
        name, artifact_location=f"{artifact_root}/{spec.name}-training" if artifact_root else None)
    run = client.create_run(exp_id, start_time=_ms(trained_at), run_name=f"train {spec.registered_model}",
                            tags={"monitor.kind": "training", "monitor.model": spec.name,
                                  "monitor.pipeline_run_id": pipeline_run_id, state.DEMO_TAG: "1"})
    with mlflow.start_run(run_id=run.info.run_id):
        mlflow.log_params({"estimator": type(model[-1]).__name__, "n_estimators": 100, "max_depth": 3,
                           "train_rows": len(frame), "seed": SEED})
        reference = frame.assign(**{spec.target: truth})
        # A hold-out set drawn like the training data (own seed, so the demo's batches stay the same): the
        # performance baseline and the estimators are measured on rows the model did not train on.
        held_out, held_truth = spec.make(VALIDATION_ROWS, np.random.default_rng(SEED + 1))
        log_reference(reference, name=f"{spec.name}-training", validation=held_out.assign(**{spec.target: held_truth}))
        if spec.task == "classification":
            from sklearn.metrics import roc_auc_score

            mlflow.log_metric("train_auc", float(roc_auc_score(truth, model.predict_proba(frame)[:, 1])))
        else:
            from sklearn.metrics import mean_absolute_error

            mlflow.log_metric("train_mae", float(mean_absolute_error(truth, model.predict(frame))))
        with warnings.catch_warnings():  # schema hints about integer columns do not apply to this model
            warnings.simplefilter("ignore", UserWarning)
            info = mlflow.sklearn.log_model(model, name="model", registered_model_name=spec.registered_model,
                                            input_example=frame.head(3), serialization_format="cloudpickle")
    version = str(info.registered_model_version)
    state.complete_version(client, spec.registered_model, version, run.info.run_id, end_time)
    return version

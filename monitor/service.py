"""MonitorService: the one object the pages and the CLI talk to.

Built by :func:`monitor.bootstrap.build_service`. Pages call it through the cache wrappers of the
app; it never imports Streamlit.
"""

from __future__ import annotations

import collections
import datetime as dt
import functools
import threading
from collections.abc import Sequence
from typing import Any

import pandas as pd

from monitor.config import Settings
from monitor.errors import BatchError, MonitorError, SpecError
from monitor.job import JobResult, Progress, run_job
from monitor.records import BatchInfo
from monitor.snapshots import ENGINE_VERSION, ModelContext, Snapshot, fit_context, profile_id, snapshot_id, spec_digest
from monitor.sources.mlflow import MlflowSource
from monitor.sources.pipelines import ActivityRun, PipelineRun, PipelineRunSource
from monitor.spec import ModelSpec, MonitorSpec, load_spec
from monitor.store.base import SnapshotStore

__all__ = ["MonitorService"]


class MonitorService:
    def __init__(self, settings: Settings, store: SnapshotStore, mlflow: MlflowSource, pipelines: PipelineRunSource):
        self.settings = settings
        self.store = store
        self.mlflow = mlflow
        self.pipelines = pipelines
        self._contexts: dict[tuple[str, str], ModelContext] = {}
        self._lock = threading.Lock()
        self._rows: collections.OrderedDict[str, pd.DataFrame] = collections.OrderedDict()

    # -- onboarding ------------------------------------------------------------------------
    @functools.cached_property
    def spec(self) -> MonitorSpec:
        """The onboarding file; raises :class:`SpecError` listing every problem."""
        return load_spec(self.settings.spec)

    def spec_problems(self) -> list[str]:
        """Every problem of the onboarding file: the file's own, or those of its broken model tables."""
        try:
            return self.spec.problems
        except SpecError as exc:
            return exc.problems

    def models(self) -> list[ModelSpec]:
        return list(self.spec.models)

    def model(self, name: str) -> ModelSpec:
        return self.spec.model(name)

    # -- backends --------------------------------------------------------------------------
    def backend_status(self) -> dict[str, str | None]:
        """Each backend's name mapped to None when reachable, else what is wrong."""
        status: dict[str, str | None] = {}
        for name, probe in (
            (f"MLflow ({self.mlflow.display_uri})", self.mlflow.ping),
            (self.store.name, self.store.ping),
            (self.pipelines.name, lambda: self.pipelines.query(dt.datetime.now(dt.timezone.utc), None)),
        ):
            try:
                probe()
                status[name] = None
            except Exception as exc:
                status[name] = str(exc)
        return status

    # -- model contexts (reference profile, explainer, baseline) ----------------------------
    def context(self, model: str, version: str) -> ModelContext:
        """The fitted context of a model version: from the store, or fitted once and stored."""
        key = (model, str(version))
        with self._lock:
            if key in self._contexts:
                return self._contexts[key]
            spec = self.spec.model(model)
            doc = self.store.get(model, profile_id(str(version)))
            native = self._load_model(spec, str(version))
            if doc is not None and doc.get("engine") == ENGINE_VERSION and doc.get("spec") == spec_digest(spec):
                ctx = ModelContext.from_doc(spec, doc, model=native)
            else:
                info = self.mlflow.model_version(spec.registered_model, str(version))
                reference = self.mlflow.reference_frame(model, spec.reference, info,
                                                        base_dir=self.settings.spec.resolve().parent)
                trained_at = self.mlflow.run(info.run_id)["start"] if info.run_id else info.created
                validation = self.mlflow.validation_frame(model, spec.reference, info)
                ctx = fit_context(spec, str(version), reference, native, trained_at=trained_at, run_id=info.run_id,
                                  validation=validation)
                self.store.upsert(ctx.to_doc())
            self._contexts[key] = ctx
            return ctx

    def warm(self) -> None:
        """Load the stored context (native model and explainer) of each model's production version ahead of the
        first explanation a page asks for. Only contexts already stored and current are loaded: nothing is fitted."""
        for spec in self.models():
            try:
                info = self.mlflow.production_version(spec.registered_model)
                doc = self.profile_doc(spec.name, str(info.version)) if info is not None else None
                if doc is not None and doc.get("engine") == ENGINE_VERSION and doc.get("spec") == spec_digest(spec):
                    self.context(spec.name, str(info.version))
            except Exception:  # noqa: S112 - a warm-up only: the page that needs it reports the problem
                continue

    def _load_model(self, spec: ModelSpec, version: str):
        try:
            return self.mlflow.load_model(spec.registered_model, version)
        except KeyError as exc:
            raise BatchError(f"model '{spec.name}': registered model '{spec.registered_model}' version {version} "
                             f"not found in MLflow") from exc

    def profile_doc(self, model: str, version: str) -> dict[str, Any] | None:
        return self.store.get(model, profile_id(str(version)))

    # -- snapshots ---------------------------------------------------------------------------
    def snapshots(self, model: str, start: dt.datetime | None = None, end: dt.datetime | None = None) -> list[Snapshot]:
        """The model's snapshots with ``start <= batch time < end``, oldest first, read from any schema this release knows."""
        return [Snapshot.from_doc(d) for d in self.store.query(model, "snapshot", start, end)]

    def snapshot(self, model: str, batch_id: str) -> Snapshot | None:
        doc = self.store.get(model, snapshot_id(batch_id))
        return None if doc is None else Snapshot.from_doc(doc)

    def save_snapshot(self, snapshot: Snapshot) -> bool:
        """Store a snapshot; False when the stored one is identical."""
        return self.store.upsert(snapshot.to_doc())

    def snapshot_sources(self, model: str) -> dict[str, str | None]:
        """batch id -> what the stored snapshot was computed from (see :func:`monitor.snapshots.fingerprint`)."""
        return {d["batch_id"]: d.get("source") for d in self.store.query(model, "snapshot")}

    # -- read models of the pages: collected here, computed by the pure packages --------------
    def production_model(self, model: str):
        """The version of ``model`` in production and when it was trained (:class:`monitor.kpis.ProductionModel`)."""
        from monitor.collect.kpis import production_model

        return production_model(self, self.spec.model(model))

    def business_kpis(self, model: str, period, now: dt.datetime | None = None):
        """Business KPIs of ``model`` over ``period`` (:class:`monitor.kpis.ModelKpis`)."""
        from monitor.collect.kpis import business_kpis

        return business_kpis(self, model, period, now)

    def engineer_kpis(self, model: str, period, now: dt.datetime | None = None):
        """Data-engineer KPIs of ``model`` over ``period`` (:class:`monitor.kpis.ModelKpis`)."""
        from monitor.collect.kpis import engineer_kpis

        return engineer_kpis(self, model, period, now)

    def lineage_records(self, models: Sequence[str] | None = None):
        """Plain records of the provenance graph of ``models`` (:class:`monitor.lineage.LineageRecords`)."""
        from monitor.collect.lineage import lineage_records

        return lineage_records(self, models)

    def run_job(self, models: Sequence[str] | None = None, progress: Progress | None = None) -> JobResult:
        """Run the monitoring job under the store's job lease, recorded as a run of the ``monitor_job`` pipeline."""
        from monitor.job_runs import run_recorded

        return run_recorded(self, run_job, models, progress or (lambda done, total, message: None),
                            wait_seconds=self.settings.job_wait_seconds)

    def job_runs(self, start=None, end=None) -> list[PipelineRun]:
        """The monitoring job's own runs (kept in the snapshot store whatever the pipeline-run source)."""
        from monitor.job_runs import JOB_PIPELINE
        from monitor.sources.pipelines import LocalPipelineRunSource

        return LocalPipelineRunSource(self.store).query(start, end, [JOB_PIPELINE])

    def job_status(self, now: dt.datetime | None = None):
        """When the figures were last computed, and whether that is longer ago than the job's schedule allows."""
        from monitor.job_runs import job_status

        return job_status(self.store, self.settings.job_schedule_hours, now)

    # -- pipelines -----------------------------------------------------------------------------
    def pipeline_runs(self, start=None, end=None, pipelines: Sequence[str] | None = None) -> list[PipelineRun]:
        return self.pipelines.query(start, end, pipelines)

    def activity_runs(self, run: PipelineRun) -> list[ActivityRun]:
        return self.pipelines.activity_runs(run)

    # -- on-demand detail ----------------------------------------------------------------------
    ROWS_KEPT = 8

    def _batch_info(self, model: str, batch_id: str) -> BatchInfo:
        """Where a batch is logged: from its stored snapshot (one store read), else by listing MLflow's batch runs."""
        snap = self.snapshot(model, batch_id)
        if snap is None or not snap.run_id:
            return self.mlflow.batch(model, batch_id)
        return BatchInfo(model=model, batch_id=batch_id, run_id=snap.run_id, batch_time=snap.ts,
                         model_version=snap.model_version or "", n_rows=snap.n_rows,
                         pipeline_run_id=snap.pipeline_run_id, labels_at=snap.labels_at)

    def _batch_rows(self, info: BatchInfo) -> tuple[BatchInfo, pd.DataFrame]:
        """The logged rows of a batch; a run's rows never change, so the last few read are kept. When the run a
        snapshot names is gone (the batch was logged again), the batch's current run is looked up in MLflow."""
        with self._lock:
            if info.run_id in self._rows:
                self._rows.move_to_end(info.run_id)
                return info, self._rows[info.run_id]
        try:
            frame = self.mlflow.batch_rows(info)
        except KeyError:
            info = self.mlflow.batch(info.model, info.batch_id)
            frame = self.mlflow.batch_rows(info)
        with self._lock:
            self._rows[info.run_id] = frame
            while len(self._rows) > self.ROWS_KEPT:
                self._rows.popitem(last=False)
        return info, frame

    def batch_frame(self, model: str, batch_id: str) -> pd.DataFrame:
        """A logged batch as the scoring job logged it (with labels joined, when they exist)."""
        spec = self.spec.model(model)
        info, frame = self._batch_rows(self._batch_info(model, batch_id))  # labels as the snapshot knows them
        labels = self.mlflow.load_labels(info)
        if labels is not None and spec.target and len(labels) == len(frame):
            frame = frame.assign(**{spec.target: labels.to_numpy()})
        return frame

    def explain_sample(self, model: str, batch_id: str, n: int = 200, seed: int = 0) -> pd.DataFrame:
        """Per-row contributions of a seeded sample of a batch, long format (row, feature, contribution, value, scaled).

        ``scaled`` is a numeric feature's value rank within the sample in [0, 1], for colouring a beeswarm; it is
        NaN for categorical features and missing values.
        """
        spec = self.spec.model(model)
        info = self._batch_info(model, batch_id)
        ctx = self.context(model, info.model_version)
        if ctx.explainer is None:
            raise MonitorError(f"model '{model}' version {info.model_version} cannot be explained: {ctx.explain_error}")
        frame = self._batch_rows(info)[1][list(spec.features)]
        sample = frame.sample(min(n, len(frame)), random_state=seed)
        rows = ctx.explainer.explain_rows(sample)
        values = rows.values.reset_index(names="row").melt(id_vars="row", var_name="feature", value_name="contribution")
        data = sample.reset_index(names="row").melt(id_vars="row", var_name="feature", value_name="value")
        out = values.merge(data, on=["row", "feature"])
        numeric = set(spec.numeric_features)
        out["scaled"] = out.groupby("feature")["value"].transform(
            lambda v: pd.to_numeric(v, errors="coerce").rank(pct=True) if v.name in numeric else pd.Series(float("nan"), index=v.index))
        out["value"] = out["value"].astype(str)
        return out

    def explain_row(self, model: str, batch_id: str, row: int) -> dict[str, Any]:
        """Local explanation of one row of a batch (by position)."""
        spec = self.spec.model(model)
        info = self._batch_info(model, batch_id)
        ctx = self.context(model, info.model_version)
        if ctx.explainer is None:
            raise MonitorError(f"model '{model}' version {info.model_version} cannot be explained: {ctx.explain_error}")
        frame = self._batch_rows(info)[1]
        if not 0 <= row < len(frame):
            raise BatchError(f"model '{model}' batch '{batch_id}': row {row} is out of range (0..{len(frame) - 1})")
        return ctx.explainer.explain_row(frame[list(spec.features)], frame.index[row]).to_dict()

    def evidently_report_html(self, model: str, batch_id: str) -> str:
        """Evidently's drift report for one batch against the model version's reference data, judged with the
        model's drift methods, thresholds and share, so it tells the Drift page's verdict (see
        :mod:`monitor.evidently_report`); a note at its top says what was used and where it differs from the page."""
        from monitor.evidently_report import evidently_html

        spec = self.spec.model(model)
        info = self.mlflow.batch(model, batch_id)
        version = self.mlflow.model_version(spec.registered_model, info.model_version)
        reference = self.mlflow.reference_frame(model, spec.reference, version, base_dir=self.settings.spec.resolve().parent)
        stored = self.snapshot(model, batch_id)
        notes = []
        if stored is not None and stored.sample_rows is not None:
            notes.append(f"This batch was logged from Spark: this report covers its {stored.sample_rows}-row sample, the "
                         f"Drift page the summary of all {stored.n_rows} rows, so their verdicts can differ.")
        return evidently_html(spec, reference, self.mlflow.batch_rows(info), page_drift=stored.drift if stored else None,
                              notes=notes)

"""MLflow source: logged batches, their labels, model versions, training runs and reference data.

Works the same against a local SQLite store, an ``mlflow server`` over HTTP, or Databricks; the
client is built on first use, never at import time.
"""

from __future__ import annotations

import datetime as dt
import os
import tempfile
from pathlib import Path
from typing import Any

import pandas as pd

from monitor.batches import (
    BATCH_FILE,
    LABEL_COLUMN,
    LABELS_FILE,
    REFERENCE_FILE,
    SAMPLE_FILE,
    SUMMARY_FILE,
    TAG,
    VALIDATION_FILE,
    batch_experiment_name,
)
from monitor.errors import BackendError, BatchError
from monitor.net import DEFAULT_BUDGET, READ_TIMEOUT, Breaker, BudgetExceeded, within
from monitor.records import BatchInfo, ModelVersionInfo
from monitor.redact import mask, public_url

__all__ = ["BatchInfo", "ModelVersionInfo", "MlflowSource"]


def _ms_to_iso(ms: int | None) -> str | None:
    return dt.datetime.fromtimestamp(ms / 1000, dt.timezone.utc).isoformat() if ms else None


class MlflowSource:
    """Reads what scoring and training jobs logged to MLflow.

    Each call has at most ``budget`` seconds (see :mod:`monitor.net`); after a call that got no
    answer, calls fail at once for a while. With ``must_exist`` (as the composition root builds
    it), a local SQLite tracking URI whose file does not exist is an error rather than a new,
    empty database.
    """

    name = "MLflow"

    def __init__(self, tracking_uri: str, registry_uri: str | None = None, budget: float | None = DEFAULT_BUDGET,
                 must_exist: bool = False):
        self.tracking_uri = tracking_uri
        self.registry_uri = registry_uri or tracking_uri
        self.budget = budget
        self.must_exist = must_exist
        self._client = None
        self._breaker = Breaker()

    @property
    def _long_budget(self) -> float | None:
        """Budget of downloads and model loads, which move more bytes than metadata calls."""
        return None if self.budget is None else 10 * self.budget

    @property
    def display_uri(self) -> str:
        """The tracking URI as it may be shown to anyone (credentials masked)."""
        return mask(self.tracking_uri)

    @property
    def client(self):
        if self._client is None:
            if self.must_exist:
                for uri in dict.fromkeys((self.tracking_uri, self.registry_uri)):
                    _require_database(uri)
            # Per-artifact progress bars would drown the job's own progress lines, and MLflow's default
            # of seven retries with doubling back-off keeps a page waiting minutes for a server that is down:
            # each request gets READ_TIMEOUT, each call the budget of _call.
            os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")
            os.environ.setdefault("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "2")
            os.environ.setdefault("MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR", "1")
            os.environ.setdefault("MLFLOW_HTTP_REQUEST_TIMEOUT", f"{READ_TIMEOUT:.0f}")
            import mlflow
            from mlflow import MlflowClient

            mlflow.set_tracking_uri(self.tracking_uri)
            mlflow.set_registry_uri(self.registry_uri)
            self._client = MlflowClient(tracking_uri=self.tracking_uri, registry_uri=self.registry_uri)
        return self._client

    def _call(self, what: str, fn, *args, budget: float | None | bool = True, **kwargs):
        """``fn(*args, **kwargs)`` within ``budget`` seconds (default: the source's), its failures as BackendError."""
        down = self._breaker.open_reason()
        if down is not None:
            raise BackendError(self.name, f"{what}: {self.display_uri} {down} a moment ago; not asked again yet")
        seconds = self.budget if budget is True else (budget or None)
        try:
            return within(seconds, fn, *args, **kwargs)
        except BatchError:
            raise
        except BudgetExceeded as exc:
            self._breaker.trip(str(exc))
            raise BackendError(self.name, f"{what}: {self.display_uri} gave {exc}") from exc
        except Exception as exc:  # MLflow raises many types: report them as the backend failing
            from mlflow.exceptions import MlflowException

            if isinstance(exc, MlflowException) and getattr(exc, "error_code", "") == "RESOURCE_DOES_NOT_EXIST":
                raise KeyError(mask(f"{what}: not found in MLflow ({exc.message})")) from exc
            raise BackendError(self.name, f"{what}: {exc}") from exc

    def ping(self) -> None:
        self._call("searching experiments", self.client.search_experiments, max_results=1)

    # -- batches -------------------------------------------------------------------------------
    def list_batches(self, model: str) -> list[BatchInfo]:
        """Every logged batch of ``model``, oldest first."""
        exp = self._call(f"model '{model}'", self.client.get_experiment_by_name, batch_experiment_name(model))
        if exp is None:
            return []
        out, token = [], None
        while True:
            page = self._call(
                f"model '{model}': listing batches", self.client.search_runs, [exp.experiment_id],
                f"tags.`{TAG}kind` = 'batch' and attributes.status = 'FINISHED'", max_results=1000, page_token=token,
            )
            out.extend(BatchInfo.from_run(r) for r in page)
            token = page.token
            if not token:
                break
        return sorted(out, key=lambda b: (b.batch_time, b.batch_id))

    def batch(self, model: str, batch_id: str) -> BatchInfo:
        for info in self.list_batches(model):
            if info.batch_id == batch_id:
                return info
        raise BatchError(f"model '{model}': no logged batch '{batch_id}'")

    def _download_parquet(self, run_id: str, artifact: str, what: str) -> pd.DataFrame | None:
        import mlflow

        def download(tmp: str) -> str | None:
            try:
                return mlflow.artifacts.download_artifacts(
                    run_id=run_id, artifact_path=artifact, dst_path=tmp, tracking_uri=self.tracking_uri
                )
            except Exception as exc:
                if "No such file" in str(exc) or "does not exist" in str(exc) or isinstance(exc, FileNotFoundError):
                    return None
                folder = artifact.rsplit("/", 1)[0] if "/" in artifact else None
                if artifact not in {a.path for a in self.client.list_artifacts(run_id, folder)}:
                    return None  # the run never logged it: not a backend failure
                raise

        with tempfile.TemporaryDirectory() as tmp:
            path = self._call(f"{what}: downloading {artifact} of run {run_id}", download, tmp, budget=self._long_budget)
            if path is None:
                return None
            try:
                return pd.read_parquet(path)
            except Exception as exc:
                raise BatchError(f"{what}: {artifact} of run {run_id} is not a readable Parquet file: {exc}") from exc

    def load_batch(self, info: BatchInfo) -> pd.DataFrame:
        """The batch exactly as it was logged (features and prediction columns)."""
        self.client  # noqa: B018 - configures the tracking URI before downloading
        frame = self._download_parquet(info.run_id, BATCH_FILE, f"model '{info.model}' batch '{info.batch_id}'")
        if frame is None:
            raise BatchError(f"model '{info.model}' batch '{info.batch_id}': run {info.run_id} has no {BATCH_FILE}")
        return frame

    def load_batch_summary(self, info: BatchInfo) -> dict[str, Any] | None:
        """The summary document of a batch logged as a summary and a row sample (``monitor.spark.log_batch``),
        or None for a batch logged whole."""
        import json

        import mlflow

        what = f"model '{info.model}' batch '{info.batch_id}'"
        listed = self._call(f"{what}: listing batch/ of run {info.run_id}", self.client.list_artifacts, info.run_id, "batch")
        if SUMMARY_FILE not in {a.path for a in listed}:
            return None
        text = self._call(f"{what}: downloading {SUMMARY_FILE} of run {info.run_id}", mlflow.artifacts.load_text,
                          f"runs:/{info.run_id}/{SUMMARY_FILE}", budget=self._long_budget)
        try:
            return json.loads(text)
        except ValueError as exc:
            raise BatchError(f"{what}: {SUMMARY_FILE} of run {info.run_id} is not a JSON document: {exc}") from exc

    def batch_rows(self, info: BatchInfo) -> pd.DataFrame:
        """Rows of a batch to explain or show: the whole batch, or the row sample of a batch logged as a summary."""
        self.client  # noqa: B018
        what = f"model '{info.model}' batch '{info.batch_id}'"
        frame = self._download_parquet(info.run_id, BATCH_FILE, what)
        if frame is None:
            frame = self._download_parquet(info.run_id, SAMPLE_FILE, what)
        if frame is None:
            raise BatchError(f"{what}: run {info.run_id} has neither {BATCH_FILE} nor {SAMPLE_FILE}")
        return frame

    def load_labels(self, info: BatchInfo) -> pd.Series | None:
        """The labels of a batch in row order, or ``None`` while they have not arrived."""
        if not info.labels_at:
            return None
        self.client  # noqa: B018
        frame = self._download_parquet(info.run_id, LABELS_FILE, f"model '{info.model}' batch '{info.batch_id}'")
        return None if frame is None else frame[LABEL_COLUMN]

    # -- registry ----------------------------------------------------------------------------
    def model_versions(self, registered_model: str) -> list[ModelVersionInfo]:
        """All versions of a registered model, newest first."""
        versions = self._call(
            f"registered model '{registered_model}'", self.client.search_model_versions, f"name = '{registered_model}'"
        )
        aliases: dict[str, list[str]] = {}
        if versions:
            # Searching model versions leaves aliases empty on some stores; the registered model has them all.
            registered = self._call(f"registered model '{registered_model}'", self.client.get_registered_model,
                                    registered_model)
            for alias, version in sorted((registered.aliases or {}).items()):
                aliases.setdefault(str(version), []).append(alias)
        out = [
            ModelVersionInfo(
                name=v.name, version=str(v.version), run_id=v.run_id or None, source=v.source or "",
                created=_ms_to_iso(v.creation_timestamp) or "", aliases=tuple(aliases.get(str(v.version), ())),
                status=str(v.status or ""), model_id=getattr(v, "model_id", None),
            )
            for v in versions
        ]
        return sorted(out, key=lambda v: int(v.version), reverse=True)

    def model_version(self, registered_model: str, version: str) -> ModelVersionInfo:
        for v in self.model_versions(registered_model):
            if v.version == str(version):
                return v
        raise KeyError(f"registered model '{registered_model}' has no version {version}")

    def production_version(self, registered_model: str) -> ModelVersionInfo | None:
        """The version with alias ``champion`` or ``production``, else the newest."""
        versions = self.model_versions(registered_model)
        for v in versions:
            if {"champion", "production"} & set(v.aliases):
                return v
        return versions[0] if versions else None

    def registered_model_exists(self, registered_model: str) -> bool:
        return bool(self._call(
            f"registered model '{registered_model}'", self.client.search_registered_models,
            f"name = '{registered_model}'",
        ))

    def registered_model_names(self) -> list[str]:
        """Names of every registered model, sorted."""
        out, token = [], None
        while True:
            page = self._call("listing registered models", self.client.search_registered_models, max_results=1000,
                              page_token=token)
            out += [m.name for m in page]
            token = getattr(page, "token", None)
            if not token:
                return sorted(out)

    def load_model(self, registered_model: str, version: str):
        """The native (scikit-learn) model of a version, for explanations."""
        import mlflow

        self.client  # noqa: B018
        return self._call(
            f"loading model '{registered_model}' version {version}", mlflow.sklearn.load_model,
            f"models:/{registered_model}/{version}", budget=self._long_budget,
        )

    def run(self, run_id: str) -> dict[str, Any]:
        """A run's info, params, metrics, tags and logged dataset inputs as plain data."""
        run = self._call(f"run {run_id}", self.client.get_run, run_id)
        inputs = []
        for d in (run.inputs.dataset_inputs if run.inputs else []) or []:
            ds = d.dataset
            inputs.append({
                "name": ds.name, "digest": ds.digest, "source_type": ds.source_type,
                "schema": ds.schema, "profile": ds.profile,
                "context": next((t.value for t in d.tags if t.key == "mlflow.data.context"), ""),
            })
        return {
            "run_id": run.info.run_id, "run_name": run.info.run_name, "experiment_id": run.info.experiment_id,
            "status": run.info.status, "start": _ms_to_iso(run.info.start_time), "end": _ms_to_iso(run.info.end_time),
            "params": dict(run.data.params), "metrics": dict(run.data.metrics), "tags": dict(run.data.tags),
            "inputs": inputs,
        }

    def run_url(self, run: dict[str, Any]) -> str | None:
        """A browser link to the run, where the tracking server has a UI."""
        if self.tracking_uri.startswith(("http://", "https://")):
            base = public_url(self.tracking_uri)
            return f"{base.rstrip('/')}/#/experiments/{run['experiment_id']}/runs/{run['run_id']}"
        return None

    # -- reference data ------------------------------------------------------------------------
    def validation_frame(self, model: str, reference: str, version: ModelVersionInfo) -> pd.DataFrame | None:
        """The hold-out data logged beside the reference (``log_reference(..., validation=...)``), or None."""
        if reference != "training" or not version.run_id:
            return None
        folder = VALIDATION_FILE.rsplit("/", 1)[0]
        listed = self._call(f"model '{model}': listing {folder}/ of run {version.run_id}", self.client.list_artifacts,
                            version.run_id, folder)
        if VALIDATION_FILE not in {a.path for a in listed}:
            return None
        return self._download_parquet(version.run_id, VALIDATION_FILE, f"model '{model}' validation data")

    def reference_frame(self, model: str, reference: str, version: ModelVersionInfo, base_dir: Path | None = None) -> pd.DataFrame:
        """Reference data of a model version: the training run's logged reference, or a file."""
        if reference == "training":
            if not version.run_id:
                raise BatchError(f"model '{model}': version {version.version} has no source run, so its training data is unknown; "
                                 "set 'reference' to a CSV/Parquet path in monitor.toml")
            self.client  # noqa: B018
            frame = self._download_parquet(version.run_id, REFERENCE_FILE, f"model '{model}' reference")
            if frame is None:
                raise BatchError(f"model '{model}': training run {version.run_id} of version {version.version} logged no "
                                 f"{REFERENCE_FILE} (call monitor.log_reference in the training job, or set 'reference' to a file)")
            return frame
        path = Path(reference)
        if base_dir is not None and not path.is_absolute():
            path = base_dir / path
        if not path.exists():
            raise BatchError(f"model '{model}': field 'reference' points at {path}, which does not exist")
        try:
            return pd.read_parquet(path) if path.suffix == ".parquet" else pd.read_csv(path, encoding="utf-8")
        except UnicodeDecodeError as exc:
            raise BatchError(f"model '{model}': field 'reference': {path} is not UTF-8 text (byte {exc.start}: "
                             f"{exc.object[exc.start:exc.start + 1]!r}); save it as UTF-8 or Parquet") from exc
        except Exception as exc:
            raise BatchError(f"model '{model}': field 'reference': {path} cannot be read: {exc}") from exc


def _require_database(uri: str) -> None:
    """Refuse a local MLflow database that does not exist, instead of creating an empty one.

    A wrong workspace folder would otherwise look like a workspace with nothing logged. The demo
    and the logging API create the database; the monitor only reads it.
    """
    if not uri.startswith("sqlite:///"):
        return
    path = Path(uri[len("sqlite:///"):].split("?", 1)[0])
    if str(path) in ("", ":memory:") or path.exists():
        return
    raise BackendError("MLflow", f"no MLflow database at {path}: the workspace folder (MONITOR_WORKSPACE) is wrong or "
                                 f"was never set up; build the demo with `python -m monitor demo`, log batches with "
                                 f"monitor.log_batch, or set MONITOR_TRACKING_URI")

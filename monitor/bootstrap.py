"""Composition root: builds the backends that the settings name. Nothing connects until first use."""

from __future__ import annotations

from monitor.config import Settings
from monitor.sources.mlflow import MlflowSource
from monitor.sources.pipelines import LocalPipelineRunSource, PipelineRunSource
from monitor.store.base import SnapshotStore

__all__ = ["build_store", "build_pipeline_source", "build_mlflow", "build_service"]


def build_store(settings: Settings) -> SnapshotStore:
    if settings.store == "cosmos":
        from monitor.store.cosmos import CosmosSnapshotStore

        return CosmosSnapshotStore.from_settings(settings)
    from monitor.store.sqlite import SqliteSnapshotStore

    return SqliteSnapshotStore(settings.snapshot_db)


def build_pipeline_source(settings: Settings, store: SnapshotStore) -> PipelineRunSource:
    if settings.pipelines == "adf":
        from monitor.sources.adf import AdfPipelineRunSource

        return AdfPipelineRunSource.from_settings(settings)
    return LocalPipelineRunSource(store)


def build_mlflow(settings: Settings) -> MlflowSource:
    # The monitor reads MLflow; it never creates an empty local database for a wrong workspace folder.
    return MlflowSource(settings.mlflow_tracking_uri, settings.mlflow_registry_uri, budget=settings.backend_timeout,
                        must_exist=True)


def build_service(settings: Settings | None = None):
    """The one object the app and the CLI talk to, wired from settings."""
    from monitor.service import MonitorService

    settings = settings or Settings.load()
    store = build_store(settings)
    return MonitorService(
        settings=settings, store=store, mlflow=build_mlflow(settings),
        pipelines=build_pipeline_source(settings, store),
    )

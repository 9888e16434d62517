"""Which MLflow a training or scoring job logs to.

In order: the ``tracking_uri`` argument; ``MONITOR_TRACKING_URI``; MLflow's own URI when the job set
one (``mlflow.set_tracking_uri``, ``MLFLOW_TRACKING_URI``, or a Databricks runtime); otherwise the
monitor workspace's SQLite file (``MONITOR_WORKSPACE``, default ``./.monitor``), so that a job run
beside the monitor logs where the monitor reads.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator

__all__ = ["Target", "resolve", "tracking_uri", "using"]


class Target:
    """A resolved tracking URI and, for a local workspace, where new experiments keep artifacts."""

    def __init__(self, uri: str, artifact_root: str | None = None):
        self.uri = uri
        self.artifact_root = artifact_root


def resolve(tracking_uri: str | None = None, artifact_root: str | None = None) -> Target:
    if tracking_uri:
        return Target(tracking_uri, artifact_root)
    from monitor.config import Settings

    settings = Settings.load()
    if settings.tracking_uri:
        return Target(settings.mlflow_tracking_uri, artifact_root)
    from mlflow.tracking._tracking_service.utils import is_tracking_uri_set

    if is_tracking_uri_set() or os.environ.get("DATABRICKS_RUNTIME_VERSION"):
        import mlflow

        return Target(mlflow.get_tracking_uri(), artifact_root)
    settings.workspace.mkdir(parents=True, exist_ok=True)
    return Target(settings.mlflow_tracking_uri, artifact_root or settings.artifact_root)


def tracking_uri() -> str:
    """The MLflow tracking URI that :func:`monitor.log_batch` and :func:`monitor.log_model` log to."""
    return resolve().uri


@contextlib.contextmanager
def using(target: Target) -> Iterator[None]:
    """Point MLflow's fluent API (and its registry) at ``target`` for the duration of the block."""
    import mlflow
    from mlflow.tracking._model_registry import utils as registry
    from mlflow.tracking._tracking_service.utils import _use_tracking_uri

    # The raw values are restored (None included), so a job that never chose a URI still has none afterwards.
    previous_registry, previous_env = registry._registry_uri, os.environ.get("MLFLOW_REGISTRY_URI")
    with _use_tracking_uri(target.uri):
        if not target.uri.startswith("databricks"):
            mlflow.set_registry_uri(target.uri)
        try:
            yield
        finally:
            registry._registry_uri = previous_registry
            if previous_env is None:
                os.environ.pop("MLFLOW_REGISTRY_URI", None)
            else:
                os.environ["MLFLOW_REGISTRY_URI"] = previous_env

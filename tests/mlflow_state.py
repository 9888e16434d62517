"""Keep MLflow's process-wide tracking and registry URIs as a test found them.

Building a service points MLflow's fluent API at its tracking URI for the rest of the process; a test
that builds one for an unreachable server restores the raw values afterwards (``None`` when never
set), so later tests resolve their tracking URI as they would have.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator


@contextlib.contextmanager
def kept_mlflow_uris() -> Iterator[None]:
    from mlflow.tracking._model_registry import utils as registry
    from mlflow.tracking._tracking_service import utils as tracking

    saved = tracking._tracking_uri, registry._registry_uri, os.environ.get("MLFLOW_TRACKING_URI"), \
        os.environ.get("MLFLOW_REGISTRY_URI")
    try:
        yield
    finally:
        tracking._tracking_uri, registry._registry_uri = saved[0], saved[1]
        for name, value in (("MLFLOW_TRACKING_URI", saved[2]), ("MLFLOW_REGISTRY_URI", saved[3])):
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value

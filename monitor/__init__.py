"""MLOps Monitor: drift, explanations, persona KPIs and provenance for a team's ML models.

Training jobs use :func:`log_model` (or :func:`log_reference` inside their own MLflow run);
scoring jobs :func:`log_batch` and :func:`log_labels`; pipelines without Azure Data Factory
record their runs with :func:`pipeline_run` or :func:`log_pipeline_run`. These need only the
light install (``pip install mlops-monitor``). Everything else goes through
:class:`monitor.service.MonitorService`, built by :func:`monitor.bootstrap.build_service`.
"""

from monitor._tracking import tracking_uri
from monitor.batches import log_batch, log_labels, log_reference
from monitor.config import Settings
from monitor.errors import BackendError, BatchError, MonitorError, MonitorWarning, SettingsError, SpecError
from monitor.pipeline_runs import log_pipeline_run, pipeline_run
from monitor.training import log_model

__all__ = ["log_batch", "log_labels", "log_reference", "log_model", "log_pipeline_run", "pipeline_run", "tracking_uri",
           "Settings", "MonitorError", "BatchError", "BackendError", "SettingsError", "SpecError", "MonitorWarning"]

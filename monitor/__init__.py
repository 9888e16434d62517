"""MLOps Monitor: drift, explanations, persona KPIs and provenance for a team's ML models.

Scoring jobs use :func:`log_batch` and :func:`log_labels`; training jobs :func:`log_reference`.
Everything else goes through :class:`monitor.service.MonitorService`, built by
:func:`monitor.bootstrap.build_service`.
"""

from monitor.batches import log_batch, log_labels, log_reference
from monitor.config import Settings
from monitor.errors import BackendError, BatchError, MonitorError, SettingsError, SpecError

__all__ = ["log_batch", "log_labels", "log_reference", "Settings", "MonitorError", "BatchError", "BackendError",
           "SettingsError", "SpecError"]

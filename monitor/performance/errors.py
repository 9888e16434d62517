"""The error raised when performance cannot be estimated: it says which input is at fault and why."""

from __future__ import annotations

from monitor.errors import MonitorError

__all__ = ["EstimationError"]


class EstimationError(MonitorError):
    """An estimator cannot be fitted or applied to the data it was given (the message says why)."""

"""The explain package's exception."""

from __future__ import annotations

from monitor.errors import MonitorError


class ExplainError(MonitorError):
    """A model cannot be explained, or the data given to explain it is unusable."""

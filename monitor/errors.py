"""The library's own exceptions. Every message names the model, column or setting at fault.

Messages are masked (:func:`monitor.redact.mask`) when the error is made, so a credential inside a
URI or a backend's reply never reaches a terminal, a log or a page through an error.
"""

from __future__ import annotations

from monitor.redact import mask


class MonitorError(Exception):
    """Base class of every error the monitor raises on purpose."""

    def __init__(self, *args: object):
        super().__init__(*(mask(a) if isinstance(a, str) else a for a in args))


class SettingsError(MonitorError):
    """A setting is unknown, missing or contradicts another one."""


class SpecError(MonitorError):
    """The onboarding file (monitor.toml) is broken; ``problems`` lists every problem found."""

    def __init__(self, problems: list[str]):
        self.problems = [mask(p) for p in problems]
        listing = "\n  - ".join(self.problems)
        super().__init__(f"monitor.toml has {len(problems)} problem(s):\n  - {listing}")


class BatchError(MonitorError):
    """A logged batch cannot be read or does not match its model's spec."""


class BackendError(MonitorError):
    """A backend (MLflow, snapshot store, pipeline-run source) is unreachable or failed."""

    def __init__(self, backend: str, detail: str):
        self.backend = mask(backend)
        self.detail = mask(detail)
        super().__init__(f"{self.backend} is unreachable or failed: {self.detail}")


class MonitorWarning(UserWarning):
    """Something was accepted but could not be fully checked (e.g. no onboarding table to check a batch against)."""

"""The library's own exceptions. Every message names the model, column or setting at fault."""

from __future__ import annotations


class MonitorError(Exception):
    """Base class of every error the monitor raises on purpose."""


class SettingsError(MonitorError):
    """A setting is unknown, missing or contradicts another one."""


class SpecError(MonitorError):
    """The onboarding file (monitor.toml) is broken; ``problems`` lists every problem found."""

    def __init__(self, problems: list[str]):
        self.problems = list(problems)
        listing = "\n  - ".join(problems)
        super().__init__(f"monitor.toml has {len(problems)} problem(s):\n  - {listing}")


class BatchError(MonitorError):
    """A logged batch cannot be read or does not match its model's spec."""


class BackendError(MonitorError):
    """A backend (MLflow, snapshot store, pipeline-run source) is unreachable or failed."""

    def __init__(self, backend: str, detail: str):
        self.backend = backend
        self.detail = detail
        super().__init__(f"{backend} is unreachable or failed: {detail}")

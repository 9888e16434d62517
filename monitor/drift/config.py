"""Drift configuration as plain data: a model's drift settings and the engine's defaults.

This module imports nothing heavy (no numpy, SciPy or pandas) and nothing else of the package, so
the onboarding file (:mod:`monitor.spec`) and the drift engine can both read it.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping

__all__ = ["FeatureDrift", "DriftSpec", "DEFAULTS", "default_method"]

# Default method per column kind, with its effect-size threshold. bench/false_alarms.py measures
# their false-alarm and detection rates; docs/drift.md explains the choice.
DEFAULTS: Mapping[str, tuple[str, float]] = {
    "numeric": ("wasserstein_guarded", 0.1),
    "categorical": ("jensenshannon_guarded", 0.04),
}


def default_method(kind: str) -> tuple[str, float]:
    """(method, threshold) used when neither the model nor the feature names one."""
    return DEFAULTS[kind]


@dataclasses.dataclass(frozen=True)
class FeatureDrift:
    """Per-feature override of the drift method and/or threshold."""

    method: str | None = None
    threshold: float | None = None


@dataclasses.dataclass(frozen=True)
class DriftSpec:
    """Drift settings of one model. ``None`` means "use the engine's documented default"."""

    share: float = 0.5
    numeric_method: str | None = None
    categorical_method: str | None = None
    threshold: float | None = None
    features: Mapping[str, FeatureDrift] = dataclasses.field(default_factory=dict)

    def method_for(self, column: str, kind: str) -> tuple[str, float | None]:
        """(method, threshold) for one column of ``kind`` ("numeric" or "categorical").

        The feature's override comes first, then the model's method per kind and threshold, then
        :data:`DEFAULTS`. A threshold of ``None`` means the method's own default threshold.
        """
        override = self.features.get(column)
        method = override.method if override is not None and override.method else None
        if method is None:
            method = self.numeric_method if kind == "numeric" else self.categorical_method
        threshold = override.threshold if override is not None and override.threshold is not None else None
        if threshold is None:
            threshold = self.threshold
        if method is None:
            method, default_threshold = default_method(kind)
            threshold = default_threshold if threshold is None else threshold
        return method, threshold

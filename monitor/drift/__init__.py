"""Drift engine: reference profiles, a registry of drift methods, drift reports, data quality.

Fit a :class:`ReferenceProfile` once per model version, store ``profile.to_dict()``, and call
:func:`compute_drift` for each batch (one pass over the batch, never over the reference).

Names are imported on first use: a scoring job that only summarises data (``monitor.spark``) needs
the profiles (numpy and pandas), not the methods' SciPy.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from monitor.drift.config import DEFAULTS, DriftSpec, FeatureDrift, default_method
    from monitor.drift.methods import Method, get_method, method_names
    from monitor.drift.profile import ReferenceProfile
    from monitor.drift.quality import data_quality
    from monitor.drift.report import ColumnDrift, DriftReport, column_drift, compute_drift

_WHERE = {
    "method_names": "methods", "get_method": "methods", "Method": "methods", "ReferenceProfile": "profile",
    "compute_drift": "report", "column_drift": "report", "ColumnDrift": "report", "DriftReport": "report",
    "data_quality": "quality", "default_method": "config", "DEFAULTS": "config", "DriftSpec": "config",
    "FeatureDrift": "config",
}

__all__ = [
    "method_names", "get_method", "Method", "ReferenceProfile", "compute_drift", "column_drift", "ColumnDrift",
    "DriftReport", "data_quality", "default_method", "DEFAULTS", "DriftSpec", "FeatureDrift",
]


def __getattr__(name: str) -> Any:
    if name not in _WHERE:
        raise AttributeError(f"module 'monitor.drift' has no attribute '{name}'")
    return getattr(importlib.import_module(f"monitor.drift.{_WHERE[name]}"), name)

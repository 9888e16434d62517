"""Drift engine: reference profiles, a registry of drift methods, drift reports, data quality, trends.

Fit a :class:`ReferenceProfile` once per model version, store ``profile.to_dict()``, and call
:func:`compute_drift` for each batch (one pass over the batch, never over the reference).
"""

from monitor.drift.methods import Method, get_method, method_names
from monitor.drift.profile import ReferenceProfile
from monitor.drift.quality import data_quality
from monitor.drift.report import DEFAULTS, ColumnDrift, DriftReport, column_drift, compute_drift, default_method
from monitor.drift.trend import trend_frame

__all__ = [
    "method_names",
    "get_method",
    "Method",
    "ReferenceProfile",
    "compute_drift",
    "column_drift",
    "ColumnDrift",
    "DriftReport",
    "data_quality",
    "trend_frame",
    "default_method",
    "DEFAULTS",
]

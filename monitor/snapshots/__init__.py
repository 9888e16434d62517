"""Snapshots: the typed record of one batch (:class:`Snapshot`), how it is computed, stored and read back."""

from monitor.snapshots.context import (
    ENGINE_VERSION,
    ModelContext,
    baseline_plan,
    explainer_plan,
    explainer_sentence,
    fingerprint,
    fit_context,
    profile_id,
    snapshot_id,
    spec_digest,
)
from monitor.snapshots.types import SNAPSHOT_SCHEMA, Snapshot
from monitor.snapshots.upgrade import SnapshotSchemaError


def compute_snapshot(*args, **kwargs) -> Snapshot:
    """See :func:`monitor.snapshots.compute.compute_snapshot` (imported on first use: it needs the drift engine)."""
    from monitor.snapshots.compute import compute_snapshot as compute

    return compute(*args, **kwargs)


__all__ = ["ENGINE_VERSION", "ModelContext", "Snapshot", "SNAPSHOT_SCHEMA", "SnapshotSchemaError", "baseline_plan",
           "compute_snapshot", "explainer_plan", "explainer_sentence", "fingerprint", "fit_context", "profile_id",
           "snapshot_id", "spec_digest"]

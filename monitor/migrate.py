"""Copy every document from one snapshot store to another (e.g. SQLite -> Cosmos DB).

Idempotent: a document whose content hash already matches in the target is left alone, so a second
run writes nothing. A document the target refuses (too large, malformed) is counted and reported
but does not stop the others; an unreachable store stops the run with a BackendError.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from monitor.sources.pipelines import PIPELINE_PARTITION
from monitor.store.base import SnapshotStore, StoreError

__all__ = ["KNOWN_KINDS", "migrate_store", "documents"]

#: Document kinds the monitor writes; kinds found in the source are copied too.
KNOWN_KINDS = ("snapshot", "profile", "pipeline_run")


def _kinds(store: SnapshotStore, model: str) -> list[str]:
    return sorted(set(KNOWN_KINDS) | set(store.kinds(model)))


def documents(store: SnapshotStore, model: str) -> list[dict[str, Any]]:
    """Every document of one model, whatever its kind, oldest first."""
    docs = [doc for kind in _kinds(store, model) for doc in store.query(model, kind)]
    return sorted(docs, key=lambda d: (d["ts"], d["id"]))


def migrate_store(source: SnapshotStore, target: SnapshotStore, models: Sequence[str]) -> dict[str, Any]:
    """Copy all documents of ``models`` (and the pipeline-run and alert partitions) from ``source`` to ``target``.

    Returns ``{"copied": n, "unchanged": n, "failed": n, "errors": [message, ...]}``.
    """
    counts: dict[str, Any] = {"copied": 0, "unchanged": 0, "failed": 0, "errors": []}
    from monitor.alerts.state import PARTITION as ALERTS_PARTITION

    partitions = list(dict.fromkeys([*models, PIPELINE_PARTITION, ALERTS_PARTITION]))
    for model in partitions:
        for kind in _kinds(source, model):
            existing = target.ids(model, kind)
            for doc in source.query(model, kind):
                if doc.get("content_hash") and existing.get(doc["id"]) == doc["content_hash"]:
                    counts["unchanged"] += 1
                    continue
                body = {k: v for k, v in doc.items() if k not in ("content_hash", "stored_at")}
                try:
                    changed = target.upsert(body)
                except StoreError as exc:
                    counts["failed"] += 1
                    counts["errors"].append(f"{model}/{doc['id']}: {exc}")
                    continue
                counts["copied" if changed else "unchanged"] += 1
    return counts
